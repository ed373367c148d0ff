//! An open-loop load generator for a node's webhook endpoint: deliveries are sent at a
//! fixed arrival rate whether or not the earlier ones were answered (a closed loop, where
//! each connection waits for its answer, slows down with the node and so hides its
//! queueing). Each delivery is GitHub-signed with a fresh `X-GitHub-Delivery`, and its
//! latency counts from when it was due, not from when it was sent, so a generator that
//! falls behind does not flatter the node (no coordinated omission).
//!
//! Used by the `companyos-load` binary (an operator's load test against a running node)
//! and by the ingest bench.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use companyos_integrations::webhooks::github_signature;

/// Where deliveries go and what they carry.
#[derive(Clone)]
pub struct Target {
    /// The integration's webhook URL.
    pub url: String,
    /// The body every delivery carries.
    pub body: Arc<Vec<u8>>,
    /// Its `X-Hub-Signature-256` value.
    pub signature: String,
    /// Its `X-GitHub-Event` value.
    pub event: String,
}

impl Target {
    /// A GitHub delivery of `body` (event `event`) to `url`, signed with `secret`.
    pub fn github(url: String, secret: &[u8], event: &str, body: Vec<u8>) -> Target {
        Target {
            signature: github_signature(secret, &body),
            body: Arc::new(body),
            url,
            event: event.to_owned(),
        }
    }
}

/// How much load: `rate` deliveries per second for `duration`, never more than
/// `max_in_flight` unanswered at once (a delivery due while that many wait is not sent,
/// and counted).
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub rate: f64,
    pub duration: Duration,
    pub max_in_flight: usize,
}

/// One delivery that was sent.
#[derive(Clone, Debug)]
pub struct Sent {
    /// When it was due.
    pub due: Instant,
    /// From when it was due to its answer.
    pub latency: Duration,
    /// The answer's status, or `None` when no answer came (connection error).
    pub status: Option<u16>,
    /// The node's id for it (from a 202's `delivery_id`).
    pub delivery_id: Option<String>,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub sent: Vec<Sent>,
    /// Deliveries due while `max_in_flight` were unanswered: not sent.
    pub not_sent: u64,
    /// How long the sending took (the last delivery due, plus its answer).
    pub elapsed: Duration,
}

impl Report {
    /// Deliveries answered 202.
    pub fn accepted(&self) -> usize {
        self.sent
            .iter()
            .filter(|sent| sent.status == Some(202))
            .count()
    }

    /// Answers other than 202, by status, and connection errors (status `None`).
    pub fn refused(&self) -> std::collections::BTreeMap<Option<u16>, usize> {
        let mut refused = std::collections::BTreeMap::new();
        for sent in self.sent.iter().filter(|sent| sent.status != Some(202)) {
            *refused.entry(sent.status).or_default() += 1;
        }
        refused
    }

    /// The sorted latencies of the accepted deliveries.
    pub fn accepted_latencies(&self) -> Vec<Duration> {
        let mut latencies: Vec<Duration> = self
            .sent
            .iter()
            .filter(|sent| sent.status == Some(202))
            .map(|sent| sent.latency)
            .collect();
        latencies.sort();
        latencies
    }
}

/// Sends `plan`'s deliveries to `target` at its fixed rate.
pub async fn open_loop(client: &reqwest::Client, target: &Target, plan: Plan) -> Report {
    let period = Duration::from_secs_f64(1.0 / plan.rate.max(0.001));
    let count = (plan.duration.as_secs_f64() * plan.rate).round() as u64;
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (done, mut answers) = tokio::sync::mpsc::unbounded_channel::<Sent>();
    let started = Instant::now();
    let mut not_sent = 0;
    for n in 0..count {
        let due = started + period.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        if in_flight.load(Ordering::Acquire) >= plan.max_in_flight {
            not_sent += 1;
            continue;
        }
        in_flight.fetch_add(1, Ordering::AcqRel);
        let (client, target, in_flight, done) = (
            client.clone(),
            target.clone(),
            in_flight.clone(),
            done.clone(),
        );
        tokio::spawn(async move {
            let sent = send(&client, &target, due).await;
            in_flight.fetch_sub(1, Ordering::AcqRel);
            // The receiver lives until every sender is dropped.
            let _ = done.send(sent);
        });
    }
    drop(done);
    let mut sent = Vec::with_capacity(count as usize);
    while let Some(answer) = answers.recv().await {
        sent.push(answer);
    }
    Report {
        sent,
        not_sent,
        elapsed: started.elapsed(),
    }
}

/// Sends one delivery, due at `due` (its latency counts from then).
pub async fn send(client: &reqwest::Client, target: &Target, due: Instant) -> Sent {
    let response = client
        .post(&target.url)
        .header("content-type", "application/json")
        .header("x-github-event", &target.event)
        .header("x-github-delivery", uuid::Uuid::new_v4().to_string())
        .header("x-hub-signature-256", &target.signature)
        .body(target.body.as_ref().clone())
        .send()
        .await;
    let (status, delivery_id) = match response {
        Ok(response) => {
            let status = response.status().as_u16();
            let answer: Option<serde_json::Value> = response.json().await.ok();
            let id = answer
                .as_ref()
                .and_then(|answer| answer["delivery_id"].as_str())
                .map(str::to_owned);
            (Some(status), id)
        }
        Err(_) => (None, None),
    };
    Sent {
        due,
        latency: due.elapsed(),
        status,
        delivery_id,
    }
}

/// The sum of a metric's samples in Prometheus's text format whose labels include every
/// `name="value"` pair of `labels`.
pub fn metric_sum(exposition: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = match series.split_once('{') {
                Some((metric, rest)) => (metric, rest),
                None => (series, ""),
            };
            if metric != name {
                return None;
            }
            let matches = labels
                .iter()
                .all(|(label, expected)| rest.contains(&format!("{label}=\"{expected}\"")));
            matches.then(|| value.parse::<f64>().ok()).flatten()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::metric_sum;

    #[test]
    fn metric_samples_are_summed_by_name_and_labels() {
        let exposition = "# HELP companyos_tasks_finished_total Tasks.\n\
            # TYPE companyos_tasks_finished_total counter\n\
            companyos_tasks_finished_total{outcome=\"completed\"} 12\n\
            companyos_tasks_finished_total{outcome=\"failed\"} 3\n\
            companyos_tasks_finished_total_other 99\n\
            companyos_webhook_deliveries_processed_total{service=\"github\"} 7\n\
            companyos_webhook_deliveries_processed_total{service=\"vercel\"} 2\n\
            companyos_events_routed_total 9\n";
        assert_eq!(
            metric_sum(
                exposition,
                "companyos_tasks_finished_total",
                &[("outcome", "completed")]
            ),
            12.0
        );
        assert_eq!(
            metric_sum(exposition, "companyos_tasks_finished_total", &[]),
            15.0
        );
        assert_eq!(
            metric_sum(
                exposition,
                "companyos_webhook_deliveries_processed_total",
                &[]
            ),
            9.0
        );
        assert_eq!(
            metric_sum(exposition, "companyos_events_routed_total", &[]),
            9.0
        );
        assert_eq!(metric_sum(exposition, "companyos_missing", &[]), 0.0);
    }
}
