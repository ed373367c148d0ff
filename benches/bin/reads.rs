//! `companyos-reads`: an operator's read load test against a running node. Keeps a number
//! of connections busy (closed loop: each sends its next request when the last is
//! answered) on one read path for a while, at each concurrency given, and prints
//! requests per second and the latency percentiles. Run it confined to one core
//! (`taskset -c 1 …`, with the default of one generator thread) so that what it measures
//! is the node's ceiling, not the generator's.
//!
//! ```sh
//! cargo run --release -p companyos-benches --bin companyos-reads -- \
//!     --url http://localhost:8080 --token-file access-token --organization <id> \
//!     --path tasks --connections 1,8,32 --duration 10
//! ```
//!
//! `--path tasks` is `GET /api/agent-tasks?limit=50`; `--path agents` is the GraphQL
//! query `{ agents { items { id name type status } } }`; anything starting with `/` is
//! read with `GET`. Every request carries the access token and `X-Organization-Id`, as
//! the console's do; the node's `auth.token_rate_limit_per_minute` must allow the rate.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use companyos_benches::quantile;

/// Reads from a node over keep-alive connections and reports its rate and latency.
#[derive(Parser, Debug)]
#[command(name = "companyos-reads")]
struct Args {
    /// The node's address.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An access token of a member of the organization.
    #[arg(long, env = "COMPANYOS_READS_TOKEN", conflicts_with = "token_file")]
    token: Option<String>,
    /// A file holding the access token.
    #[arg(long)]
    token_file: Option<std::path::PathBuf>,
    /// The organization's id (`X-Organization-Id`).
    #[arg(long)]
    organization: String,
    /// `tasks`, `agents`, or a path starting with `/` to read with GET.
    #[arg(long, default_value = "tasks")]
    path: String,
    /// The concurrencies to measure, one after the other (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    connections: Vec<usize>,
    /// Seconds per concurrency.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// The generator's threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

/// One read, as the path says.
#[derive(Clone, Debug)]
enum Read {
    Get(String),
    GraphQl(&'static str),
}

impl Read {
    fn of(path: &str) -> Result<Read, String> {
        match path {
            "tasks" => Ok(Read::Get("/api/agent-tasks?limit=50".into())),
            "agents" => Ok(Read::GraphQl(
                "{ agents { items { id name type status } } }",
            )),
            path if path.starts_with('/') => Ok(Read::Get(path.into())),
            other => Err(format!(
                "--path must be tasks, agents or a path starting with /, not {other:?}"
            )),
        }
    }

    fn describe(&self) -> String {
        match self {
            Read::Get(path) => format!("GET {path}"),
            Read::GraphQl(query) => format!("POST /graphql {query}"),
        }
    }
}

/// What one level gave.
struct Level {
    answered: usize,
    refused: std::collections::BTreeMap<String, usize>,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let threads = Some(args.threads);
    companyos_benches::run_tool("companyos-reads", threads, run(args))
}

async fn run(args: Args) -> Result<ExitCode, String> {
    let token = companyos_benches::secret_argument(
        args.token.as_deref(),
        args.token_file.as_deref(),
        "give an access token: --token or --token-file",
    )?;
    if !(args.duration > 0.0 && args.duration.is_finite()) {
        return Err("--duration must be a positive number of seconds".into());
    }
    if args.connections.is_empty() || args.connections.contains(&0) {
        return Err("--connections must list positive numbers, such as 1,8,32".into());
    }
    let read = Read::of(&args.path)?;
    let base = args.url.trim_end_matches('/').to_owned();
    reqwest::Url::parse(&base).map_err(|error| format!("--url {base:?}: {error}"))?;
    let most = args.connections.iter().copied().max().unwrap_or(1);
    let client = companyos_integrations::http::builder()
        .map_err(|error| format!("cannot build the HTTP client: {error}"))?
        .pool_max_idle_per_host(most)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
    // One request first: a wrong token, organization or path is said at once.
    if let Err(refused) = call(&client, &base, &token, &args.organization, &read).await {
        return Err(format!("{} was refused: {refused}", read.describe()));
    }
    println!(
        "{} on {base}, {:.0} s per level, {} generator thread(s)",
        read.describe(),
        args.duration,
        args.threads.max(1)
    );
    let mut failed = false;
    for &connections in &args.connections {
        let level = level(
            &client,
            &base,
            &token,
            &args.organization,
            &read,
            connections,
            Duration::from_secs_f64(args.duration),
        )
        .await;
        let mut latencies = level.latencies;
        latencies.sort();
        println!(
            "{connections:>4} connections: {:>8.0} requests/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} answered)",
            level.answered as f64 / level.elapsed.as_secs_f64(),
            quantile(&latencies, 0.50).as_secs_f64() * 1000.0,
            quantile(&latencies, 0.99).as_secs_f64() * 1000.0,
            level.answered,
        );
        for (reason, count) in &level.refused {
            failed = true;
            println!("      refused or failed: {reason} × {count}");
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn level(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    organization: &str,
    read: &Read,
    connections: usize,
    duration: Duration,
) -> Level {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (client, base, token, organization, read) = (
                client.clone(),
                base.to_owned(),
                token.to_owned(),
                organization.to_owned(),
                read.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut refused = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    match call(&client, &base, &token, &organization, &read).await {
                        Ok(()) => latencies.push(sent.elapsed()),
                        Err(reason) => refused.push(reason),
                    }
                }
                (latencies, refused)
            })
        })
        .collect();
    let mut level = Level {
        answered: 0,
        refused: Default::default(),
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for worker in workers {
        match worker.await {
            Ok((latencies, refused)) => {
                level.answered += latencies.len();
                level.latencies.extend(latencies);
                for reason in refused {
                    *level.refused.entry(reason).or_default() += 1;
                }
            }
            Err(error) => *level.refused.entry(error.to_string()).or_default() += 1,
        }
    }
    level.elapsed = started.elapsed();
    level
}

/// One read, its body read to the end; the status or error when it was not a success.
async fn call(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    organization: &str,
    read: &Read,
) -> Result<(), String> {
    let request = match read {
        Read::Get(path) => client.get(format!("{base}{path}")),
        Read::GraphQl(query) => client
            .post(format!("{base}/graphql"))
            .json(&serde_json::json!({ "query": query })),
    };
    let response = request
        .bearer_auth(token)
        .header("x-organization-id", organization)
        .send()
        .await
        .map_err(|error| format!("no answer: {error}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|error| format!("body cut: {error}"))?;
    if !status.is_success() {
        return Err(format!("answered {status}"));
    }
    if matches!(read, Read::GraphQl(_)) && body.windows(9).any(|window| window == b"\"errors\":") {
        return Err("answered GraphQL errors".into());
    }
    Ok(())
}
