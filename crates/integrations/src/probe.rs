//! Health probes of a deployed site: a GET of each configured path, with its status and
//! latency, and a 0–100 score of what was seen.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// What one GET of a path showed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub path: String,
    /// The HTTP status, or `None` when no answer came (refused, timed out, bad TLS).
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// Why no answer came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a probe is made and judged.
#[derive(Clone, Debug)]
pub struct ProbePlan {
    /// A URL with a scheme, or a bare hostname (Vercel's `url`), reached over HTTPS.
    pub base: String,
    pub paths: Vec<String>,
    /// Longest wait for one answer.
    pub timeout: Duration,
    /// An answer slower than this starts losing points; four times slower scores half.
    pub slow: Duration,
    /// Where a probe may go.
    pub reach: Reach,
}

/// Where the node's probes may go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reach {
    /// Only over https, and only to public addresses: never loopback, private,
    /// link-local, shared or reserved ones — checked on the literal address, after name
    /// resolution, and on every redirect. The default.
    #[default]
    PublicHttps,
    /// Also http and private addresses: for an operator whose deployments live on their
    /// own network (and for tests against local stand-ins).
    Anywhere,
}

/// Why a probe was not sent.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(transparent)]
    Setup(#[from] crate::http::HttpSetupError),
    #[error("{0}")]
    Refused(String),
}

/// The address probed for `path` on `base`: on `base`'s own host, whatever the path
/// says (a path is a path: `//host`, `http://…` or `@host` in it are refused).
pub fn address(base: &str, path: &str) -> Result<reqwest::Url, ProbeError> {
    let base = base.trim().trim_end_matches('/');
    let base = if base.contains("://") {
        base.to_owned()
    } else {
        format!("https://{base}")
    };
    let root = reqwest::Url::parse(&base).map_err(|error| {
        ProbeError::Refused(format!(
            "the deployment's address {base:?} is not a URL: {error}"
        ))
    })?;
    if !root.username().is_empty() || root.password().is_some() {
        return Err(ProbeError::Refused(
            "the deployment's address carries credentials".into(),
        ));
    }
    let path = path.trim();
    if !path.starts_with('/') || path.starts_with("//") || path.contains('\\') {
        return Err(ProbeError::Refused(format!(
            "the path {path:?} must start with a single / (a path on the deployment, not an address)"
        )));
    }
    let url = reqwest::Url::parse(&format!("{base}{path}"))
        .map_err(|error| ProbeError::Refused(format!("the path {path:?}: {error}")))?;
    if url.host_str() != root.host_str()
        || url.port_or_known_default() != root.port_or_known_default()
    {
        return Err(ProbeError::Refused(format!(
            "the path {path:?} leaves the deployment's host"
        )));
    }
    Ok(url)
}

/// Whether the node may send a probe to `url`: its scheme, and its host when the host
/// is an address (names are checked when they resolve).
pub fn check_target(url: &reqwest::Url, reach: Reach) -> Result<(), ProbeError> {
    if reach == Reach::Anywhere {
        return match url.scheme() {
            "http" | "https" => Ok(()),
            other => Err(ProbeError::Refused(format!("{other}: probes use http(s)"))),
        };
    }
    if url.scheme() != "https" {
        return Err(ProbeError::Refused(format!(
            "{}: probes go over https only",
            url.scheme()
        )));
    }
    let host = url
        .host_str()
        .ok_or_else(|| ProbeError::Refused("the address names no host".into()))?;
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) if !is_public(ip) => Err(not_public()),
        _ => Ok(()),
    }
}

fn not_public() -> ProbeError {
    ProbeError::Refused(
        "the address is not public (loopback, private, link-local or reserved): the node does not probe its own network".into(),
    )
}

/// Whether an address is on the public internet: not loopback, private, link-local,
/// shared (CGNAT), unspecified, broadcast, multicast, documentation, benchmarking or
/// reserved — IPv4 addresses inside IPv6 (mapped, compatible, NAT64) are judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            let [a, b, c, _] = ip.octets();
            !(ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || ip.is_multicast()
                || ip.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(ip) => {
            if let Some(v4) = ip.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let segments = ip.segments();
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || segments[..6] == [0; 6] {
                // NAT64 and the deprecated IPv4-compatible form carry an IPv4 address.
                let [_, _, _, _, _, _, high, low] = segments;
                let v4 = std::net::Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
                return !ip.is_loopback() && !ip.is_unspecified() && is_public(IpAddr::V4(v4));
            }
            !(ip.is_loopback()
                || ip.is_unspecified()
                || ip.is_multicast()
                || (segments[0] & 0xfe00) == 0xfc00
                || (segments[0] & 0xffc0) == 0xfe80
                || (segments[0] & 0xffc0) == 0xfec0
                || (segments[0] == 0x2001 && segments[1] == 0x0db8))
        }
    }
}

/// Resolves names for probes and refuses any name with a non-public address among its
/// answers (so a name cannot point at the node's own network, nor rebind to it between
/// a check and the connection: this is the resolution the connection uses).
#[derive(Debug)]
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addresses.iter().any(|address| !is_public(address.ip())) {
                return Err(format!("{host} resolves to an address that is not public").into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// The most redirects a probe follows.
const MAX_REDIRECTS: usize = 5;

/// GETs every path of the plan, one after another. Redirects are followed (at most 5),
/// each one checked as the first address was.
pub async fn probe(plan: &ProbePlan) -> Result<Vec<Probe>, ProbeError> {
    let mut targets = Vec::with_capacity(plan.paths.len());
    for path in &plan.paths {
        let url = address(&plan.base, path)?;
        check_target(&url, plan.reach)?;
        targets.push((path, url));
    }
    let reach = plan.reach;
    let mut builder = crate::http::builder()?
        .connect_timeout(plan.timeout)
        .timeout(plan.timeout)
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
            }
            match check_target(attempt.url(), reach) {
                Ok(()) => attempt.follow(),
                Err(refused) => attempt.error(format!("a redirect was not followed: {refused}")),
            }
        }));
    if reach == Reach::PublicHttps {
        // A proxy would resolve names itself, past the check.
        builder = builder.no_proxy().dns_resolver(Arc::new(PublicOnly));
    }
    let client = builder.build().map_err(crate::http::HttpSetupError::from)?;
    let mut probes = Vec::with_capacity(targets.len());
    for (path, url) in targets {
        let started = Instant::now();
        let answer = client.get(url).send().await;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        probes.push(match answer {
            Ok(response) => Probe {
                path: path.clone(),
                status: Some(response.status().as_u16()),
                latency_ms,
                error: None,
            },
            Err(error) => Probe {
                path: path.clone(),
                status: None,
                latency_ms,
                error: Some(if error.is_timeout() {
                    format!("no answer within {} ms", plan.timeout.as_millis())
                } else if error.is_redirect() {
                    "a redirect led somewhere the node does not probe".to_owned()
                } else {
                    // Refused, unreachable and not-public look alike: no port scan.
                    "no answer: the connection could not be made".to_owned()
                }),
            },
        });
    }
    Ok(probes)
}

/// The score of one probe: a success (2xx, 3xx) is worth 100 when it is fast and
/// loses points as it slows (50 at four times `slow`, never under 25); a client error
/// is worth 10 and a server error or no answer nothing.
pub fn score_of(probe: &Probe, slow: Duration) -> u32 {
    let Some(status) = probe.status else {
        return 0;
    };
    match status {
        200..=399 => {
            let slow_ms = u64::try_from(slow.as_millis()).unwrap_or(u64::MAX).max(1);
            if probe.latency_ms <= slow_ms {
                100
            } else {
                // Linear from 100 at `slow` to 50 at 4×`slow`, then flat at 25 beyond 5×.
                let over = probe.latency_ms - slow_ms;
                let lost = over.saturating_mul(50) / slow_ms.saturating_mul(3);
                u32::try_from(100_u64.saturating_sub(lost).max(25)).unwrap_or(25)
            }
        }
        400..=499 => 10,
        _ => 0,
    }
}

/// The deployment's health: the mean score of its probes (0 with none).
pub fn health_score(probes: &[Probe], slow: Duration) -> u32 {
    if probes.is_empty() {
        return 0;
    }
    let total: u32 = probes.iter().map(|probe| score_of(probe, slow)).sum();
    total / u32::try_from(probes.len()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(status: Option<u16>, latency_ms: u64) -> Probe {
        Probe {
            path: "/".into(),
            status,
            latency_ms,
            error: None,
        }
    }

    #[test]
    fn fast_successes_score_full_and_failures_nothing() {
        let slow = Duration::from_millis(1000);
        assert_eq!(score_of(&probe(Some(200), 120), slow), 100);
        assert_eq!(score_of(&probe(Some(301), 999), slow), 100);
        assert_eq!(score_of(&probe(Some(404), 10), slow), 10);
        assert_eq!(score_of(&probe(Some(503), 10), slow), 0);
        assert_eq!(score_of(&probe(None, 5000), slow), 0);
    }

    #[test]
    fn slowness_costs_points_down_to_a_floor() {
        let slow = Duration::from_millis(1000);
        assert_eq!(score_of(&probe(Some(200), 4000), slow), 50);
        assert_eq!(score_of(&probe(Some(200), 2500), slow), 75);
        assert_eq!(score_of(&probe(Some(200), 60_000), slow), 25);
        let mixed = [probe(Some(200), 10), probe(Some(500), 10)];
        assert_eq!(health_score(&mixed, slow), 50);
        assert_eq!(health_score(&[], slow), 0);
    }

    #[test]
    fn bare_hostnames_are_reached_over_https_and_paths_stay_on_them() {
        let at = |base: &str, path: &str| address(base, path).map(|url| url.to_string());
        assert_eq!(
            at("app-x.vercel.app", "/").expect("address"),
            "https://app-x.vercel.app/"
        );
        assert_eq!(
            at("http://127.0.0.1:9/", "/health").expect("address"),
            "http://127.0.0.1:9/health"
        );
        for path in ["health", "//evil.test/x", "@evil.test/", "/\\evil.test"] {
            assert!(at("app-x.vercel.app", path).is_err(), "{path}");
        }
        assert!(at("https://user:pw@app-x.vercel.app", "/").is_err());
    }

    #[test]
    fn only_public_https_addresses_are_probed() {
        let url = |text: &str| reqwest::Url::parse(text).expect("url");
        for refused in [
            "http://app-x.vercel.app/",
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[64:ff9b::a9fe:a9fe]/",
        ] {
            assert!(
                check_target(&url(refused), Reach::PublicHttps).is_err(),
                "{refused}"
            );
            assert!(
                check_target(&url(refused), Reach::Anywhere).is_ok(),
                "{refused}"
            );
        }
        for allowed in [
            "https://app-x.vercel.app/",
            "https://76.76.21.21/",
            "https://[2606:4700::1]/",
        ] {
            assert!(
                check_target(&url(allowed), Reach::PublicHttps).is_ok(),
                "{allowed}"
            );
        }
        assert!(check_target(&url("ftp://x.test/"), Reach::Anywhere).is_err());
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_the_nodes_network_is_not_probed() {
        let plan = ProbePlan {
            base: "localhost".into(),
            paths: vec!["/".into()],
            timeout: Duration::from_secs(2),
            slow: Duration::from_secs(1),
            reach: Reach::PublicHttps,
        };
        let probes = super::probe(&plan).await.expect("probed");
        assert_eq!(probes[0].status, None);
        assert_eq!(
            probes[0].error.as_deref(),
            Some("no answer: the connection could not be made")
        );
    }
}
