//! Health probes of a deployed site: a GET of each configured path, with its status and
//! latency, and a 0–100 score of what was seen.

use std::time::{Duration, Instant};

use serde::Serialize;

/// What one GET of a path showed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Probe {
    pub path: String,
    /// The HTTP status, or `None` when no answer came (refused, timed out, bad TLS).
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// Why no answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
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
}

/// The address probed for `path` on `base`.
pub fn address(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let base = if base.contains("://") {
        base.to_owned()
    } else {
        format!("https://{base}")
    };
    if path.starts_with('/') {
        format!("{base}{path}")
    } else {
        format!("{base}/{path}")
    }
}

/// GETs every path of the plan, one after another (redirects are followed, at most 5).
pub async fn probe(plan: &ProbePlan) -> Result<Vec<Probe>, crate::http::HttpSetupError> {
    let client = crate::http::builder()?
        .connect_timeout(plan.timeout)
        .timeout(plan.timeout)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()?;
    let mut probes = Vec::with_capacity(plan.paths.len());
    for path in &plan.paths {
        let url = address(&plan.base, path);
        let started = Instant::now();
        let answer = client.get(&url).send().await;
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
                } else if error.is_connect() {
                    "the connection was refused or could not be made".to_owned()
                } else {
                    crate::clients::error_chain(&error)
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
    fn bare_hostnames_are_reached_over_https() {
        assert_eq!(
            address("app-x.vercel.app", "/"),
            "https://app-x.vercel.app/"
        );
        assert_eq!(
            address("http://127.0.0.1:9/", "health"),
            "http://127.0.0.1:9/health"
        );
    }
}
