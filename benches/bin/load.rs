//! `companyos-load`: an operator's load test against a running node. Sends signed GitHub
//! deliveries to an integration's webhook URL at a fixed arrival rate (open loop, a fresh
//! `X-GitHub-Delivery` each), then follows the node's `/metrics` until what it accepted
//! has been processed, and prints what was accepted, completed and lost.
//!
//! ```sh
//! cargo run --release -p companyos-benches --bin companyos-load -- \
//!     --url 'http://localhost:8080/api/webhooks/github/receive?token=…' \
//!     --secret-file github-webhook-secret --rate 500 --duration 30
//! ```
//!
//! The counts come from the node's counters, so other traffic to the node during the
//! run is counted too; on a cluster, pass every node's `--metrics`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use companyos_benches::load::{Plan, Target, metric_sum, open_loop};
use companyos_benches::quantile;

/// Sends signed GitHub deliveries to a node at a fixed rate and reports what became of them.
#[derive(Parser, Debug)]
#[command(name = "companyos-load")]
struct Args {
    /// The integration's webhook URL, as shown when GitHub is connected.
    #[arg(long)]
    url: String,
    /// The integration's webhook secret.
    #[arg(long, env = "COMPANYOS_LOAD_SECRET", conflicts_with = "secret_file")]
    secret: Option<String>,
    /// A file holding the webhook secret.
    #[arg(long)]
    secret_file: Option<std::path::PathBuf>,
    /// Deliveries per second.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 30.0)]
    duration: f64,
    /// Unanswered deliveries at most; one due while this many wait is not sent (counted).
    #[arg(long, default_value_t = 1000)]
    max_in_flight: usize,
    /// The body to send (a GitHub `pull_request` payload); the 28 KB `opened` fixture
    /// when not given.
    #[arg(long)]
    body: Option<std::path::PathBuf>,
    /// The `X-GitHub-Event` header.
    #[arg(long, default_value = "pull_request")]
    event: String,
    /// A node's metrics URL (repeat for each node of a cluster); the URL's origin +
    /// `/metrics` when not given.
    #[arg(long)]
    metrics: Vec<String>,
    /// The bearer token `/metrics` asks for (`metrics.token`), if any.
    #[arg(long, env = "COMPANYOS_METRICS_TOKEN")]
    metrics_token: Option<String>,
    /// Seconds to wait after sending for the node to process what it accepted.
    #[arg(long, default_value_t = 120.0)]
    drain: f64,
}

const FIXTURE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/github/pull_request/opened.payload.json"
));

/// The node's counters this run follows.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    processed: f64,
    routed: f64,
    completed: f64,
    failed: f64,
}

async fn counts(
    client: &reqwest::Client,
    urls: &[String],
    token: Option<&str>,
) -> Result<Counts, String> {
    let mut counts = Counts::default();
    for url in urls {
        let mut request = client.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|error| format!("{url}: {error}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "{url} answered {} (is --metrics-token needed?)",
                response.status()
            ));
        }
        let text = response
            .text()
            .await
            .map_err(|error| format!("{url}: {error}"))?;
        counts.processed += metric_sum(&text, "companyos_webhook_deliveries_processed_total", &[]);
        counts.routed += metric_sum(&text, "companyos_events_routed_total", &[]);
        counts.completed += metric_sum(
            &text,
            "companyos_tasks_finished_total",
            &[("outcome", "completed")],
        );
        counts.failed += metric_sum(
            &text,
            "companyos_tasks_finished_total",
            &[("outcome", "failed")],
        );
    }
    Ok(counts)
}

fn origin_metrics(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    Some(format!("{}/metrics", parsed.origin().ascii_serialization()))
}

fn main() -> ExitCode {
    let args = Args::parse();
    companyos_benches::run_tool("companyos-load", None, run(args))
}

async fn run(args: Args) -> Result<ExitCode, String> {
    let secret = companyos_benches::secret_argument(
        args.secret.as_deref(),
        args.secret_file.as_deref(),
        "give the webhook secret: --secret or --secret-file",
    )?;
    if !(args.rate > 0.0 && args.rate.is_finite()) {
        return Err("--rate must be a positive number of deliveries per second".into());
    }
    if !(args.duration > 0.0 && args.duration.is_finite()) {
        return Err("--duration must be a positive number of seconds".into());
    }
    let body = match &args.body {
        Some(path) => std::fs::read(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?,
        None => FIXTURE.to_vec(),
    };
    let metrics = if args.metrics.is_empty() {
        vec![origin_metrics(&args.url).ok_or_else(|| format!("not a URL: {}", args.url))?]
    } else {
        args.metrics.clone()
    };
    let client = companyos_integrations::http::builder()
        .map_err(|error| format!("cannot build the HTTP client: {error}"))?
        .pool_max_idle_per_host(args.max_in_flight)
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
    let token = args.metrics_token.as_deref();
    let before = counts(&client, &metrics, token).await?;
    let target = Target::github(args.url.clone(), secret.as_bytes(), &args.event, body);
    let plan = Plan {
        rate: args.rate,
        duration: Duration::from_secs_f64(args.duration),
        max_in_flight: args.max_in_flight,
    };
    println!(
        "sending {:.0} deliveries/s for {:.0} s to {} ({} bytes each)",
        plan.rate,
        plan.duration.as_secs_f64(),
        args.url,
        target.body.len()
    );
    let started = Instant::now();
    let report = open_loop(&client, &target, plan).await;
    let accepted = report.accepted();
    let latencies = report.accepted_latencies();
    println!(
        "sent {} in {:.1} s: accepted {accepted} (202), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms from when each was due",
        report.sent.len(),
        report.elapsed.as_secs_f64(),
        quantile(&latencies, 0.50).as_secs_f64() * 1000.0,
        quantile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
    for (status, count) in report.refused() {
        match status {
            Some(status) => println!("  answered {status}: {count}"),
            None => println!("  no answer (connection error or timeout): {count}"),
        }
    }
    if report.not_sent > 0 {
        println!(
            "  not sent ({} unanswered at once): {}",
            plan.max_in_flight, report.not_sent
        );
    }
    // Follow the node until what it accepted is processed, or nothing moves for `drain`.
    let mut last = counts(&client, &metrics, token).await?;
    let mut moved_at = Instant::now();
    while last.processed - before.processed < accepted as f64
        && moved_at.elapsed() < Duration::from_secs_f64(args.drain)
    {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = counts(&client, &metrics, token).await?;
        if now.processed > last.processed || now.completed > last.completed {
            moved_at = Instant::now();
        }
        last = now;
    }
    let processed = (last.processed - before.processed).max(0.0) as u64;
    let routed = (last.routed - before.routed).max(0.0) as u64;
    let completed = (last.completed - before.completed).max(0.0) as u64;
    let failed = (last.failed - before.failed).max(0.0) as u64;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "after {seconds:.1} s the node had processed {processed} deliveries ({:.0}/s), routed {routed} events, completed {completed} tasks and failed {failed} (tasks still running or waiting are not counted)",
        processed as f64 / seconds
    );
    let lost = (accepted as u64).saturating_sub(processed);
    println!("accepted {accepted}, completed {completed}, lost {lost}");
    if lost > 0 {
        println!(
            "  {lost} accepted deliveries were not processed within {:.0} s of the last change (see the integration's deliveries in the console)",
            args.drain
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
