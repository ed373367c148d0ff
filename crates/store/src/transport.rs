//! The task transport: RabbitMQ (`lapin`) between the task outbox and the nodes'
//! dispatchers, in place of polling the task table.
//!
//! The task row stays the truth; the broker carries word of it. A relay takes due
//! outbox entries ([`crate::Outbox::take_due`]), publishes each as a persistent
//! message to a durable queue per priority band (`<prefix>tasks.high`, `.normal`,
//! `.low`) with publisher confirms, and marks them published once the broker confirmed
//! them. A consumer with manual acknowledgements hands each message to the node
//! ([`TaskDelivery`]), which acknowledges it once the claim it triggered committed; a
//! message that is never acknowledged (the node died) is delivered again.
//!
//! While the broker cannot be reached the transport says so ([`TaskTransport::is_up`],
//! `companyos_amqp_up`), the entries wait in the outbox and the node polls the table;
//! the transport reconnects with backoff and the relay then publishes what waited.
//! One warning when it goes down, one line when it is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, BasicRejectOptions,
    ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc, watch};

use crate::db::Store;
use crate::ids::{OrgId, OutboxId, TaskId};

/// Where the transport connects and what it names.
#[derive(Clone)]
pub struct TransportSettings {
    /// `amqp://user:password@host:port/vhost` (or `amqps://`).
    pub url: String,
    /// What the queue names start with, so that several clusters can share a broker.
    pub prefix: String,
    /// Messages handed to the node and not yet acknowledged, per band.
    pub prefetch: u16,
    /// Queues are deleted this long after they were last used (tests); `None` keeps
    /// them, as a cluster's queues should be kept.
    pub queue_expiry: Option<Duration>,
}

impl TransportSettings {
    pub fn new(url: impl Into<String>, prefix: impl Into<String>) -> TransportSettings {
        TransportSettings {
            url: url.into(),
            prefix: prefix.into(),
            prefetch: 64,
            queue_expiry: None,
        }
    }
}

impl std::fmt::Debug for TransportSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportSettings")
            .field("url", &crate::redact_url(&self.url))
            .field("prefix", &self.prefix)
            .field("prefetch", &self.prefetch)
            .field("queue_expiry", &self.queue_expiry)
            .finish()
    }
}

/// A priority band: one durable queue each, so that a backlog of low-priority work is
/// seen (and consumed) apart from urgent work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Priority 8–10.
    High,
    /// Priority 4–7.
    Normal,
    /// Priority 1–3.
    Low,
}

impl Band {
    pub const ALL: [Band; 3] = [Band::High, Band::Normal, Band::Low];

    pub fn of(priority: i32) -> Band {
        match priority {
            8.. => Band::High,
            4..=7 => Band::Normal,
            _ => Band::Low,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Band::High => "high",
            Band::Normal => "normal",
            Band::Low => "low",
        }
    }

    /// The band's queue: `<prefix>tasks.<band>`.
    pub fn queue(self, prefix: &str) -> String {
        format!("{prefix}tasks.{}", self.name())
    }
}

/// What one message says: this task may run now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskMessage {
    pub task_id: TaskId,
    pub organization_id: OrgId,
    pub priority: i32,
}

/// A message handed to the node, to acknowledge once acted on.
pub struct TaskDelivery {
    pub message: TaskMessage,
    /// Delivered before and not acknowledged (a node died holding it).
    pub redelivered: bool,
    acker: lapin::Acker,
}

impl TaskDelivery {
    /// Done with: the broker forgets the message. A failure (the channel closed) only
    /// means the broker delivers it again, which the task row makes harmless.
    pub async fn ack(self) {
        if let Err(error) = self.acker.ack(BasicAckOptions::default()).await {
            tracing::debug!(%error, task = %self.message.task_id, "task message not acknowledged; it will come again");
        }
    }

    /// Not for this node now (it is leaving): back to the queue for another.
    pub async fn requeue(self) {
        let options = BasicRejectOptions { requeue: true };
        if let Err(error) = self.acker.reject(options).await {
            tracing::debug!(%error, task = %self.message.task_id, "task message not requeued; it will come again");
        }
    }
}

/// How many due entries one relay round takes, and how long it holds them.
const RELAY_BATCH: u32 = 200;
const RELAY_HOLD: Duration = Duration::from_secs(15);
/// How long the relay sleeps at most when nothing is due: entries written by nodes
/// that died before publishing them are picked up within this.
const RELAY_IDLE: Duration = Duration::from_secs(2);
/// How long a connection attempt or a batch's confirmations may take.
const BROKER_DEADLINE: Duration = Duration::from_secs(5);
/// Published entries are kept this long, then pruned (for operators to look at).
const KEEP_PUBLISHED: chrono::Duration = chrono::Duration::minutes(10);
const PRUNE_EVERY: Duration = Duration::from_secs(30);

const UP: &str = "companyos_amqp_up";
const PUBLISHED: &str = "companyos_outbox_published_total";
const PUBLISH_FAILURES: &str = "companyos_outbox_publish_failures_total";

/// The running transport: cheap to clone.
#[derive(Clone)]
pub struct TaskTransport {
    shared: Arc<Shared>,
}

struct Shared {
    up: AtomicBool,
    changes: watch::Sender<bool>,
    stop: Notify,
    stopped: AtomicBool,
}

impl std::fmt::Debug for TaskTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskTransport")
            .field("up", &self.is_up())
            .finish()
    }
}

impl TaskTransport {
    /// Starts the relay and the consumer for `store` (which must keep the task outbox:
    /// [`Store::with_task_outbox`]) and returns at once; it connects in the background.
    /// Messages arrive on the receiver; dropping it stops the consumer's side.
    pub fn start(
        store: Store,
        settings: TransportSettings,
    ) -> (TaskTransport, mpsc::Receiver<TaskDelivery>) {
        let (deliveries, received) = mpsc::channel(usize::from(settings.prefetch.max(1)) * 4);
        let transport = TaskTransport {
            shared: Arc::new(Shared {
                up: AtomicBool::new(false),
                changes: watch::Sender::new(false),
                stop: Notify::new(),
                stopped: AtomicBool::new(false),
            }),
        };
        ::metrics::gauge!(UP).set(0.0);
        ::metrics::counter!(PUBLISHED).increment(0);
        ::metrics::counter!(PUBLISH_FAILURES).increment(0);
        tokio::spawn(run(store, settings, transport.shared.clone(), deliveries));
        (transport, received)
    }

    /// Whether the broker answers now (publishing and consuming).
    pub fn is_up(&self) -> bool {
        self.shared.up.load(Ordering::Acquire)
    }

    /// Follows [`TaskTransport::is_up`].
    pub fn watch(&self) -> watch::Receiver<bool> {
        self.shared.changes.subscribe()
    }

    /// Closes the connection; messages not acknowledged go back to their queues.
    pub fn stop(&self) {
        self.shared.stopped.store(true, Ordering::Release);
        self.shared.stop.notify_one();
    }
}

impl Shared {
    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::Release);
        self.changes.send_replace(up);
        ::metrics::gauge!(UP).set(if up { 1.0 } else { 0.0 });
    }

    fn stopping(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }
}

/// Why a session with the broker ended (or a call to it failed).
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("{0}")]
    Broker(#[from] lapin::Error),
    #[error("no answer within {0:?}")]
    Deadline(Duration),
    #[error("the broker did not confirm a publication: {0}")]
    Refused(String),
    #[error("the broker closed the consumer")]
    ConsumerClosed,
}

async fn run(
    store: Store,
    settings: TransportSettings,
    shared: Arc<Shared>,
    deliveries: mpsc::Sender<TaskDelivery>,
) {
    let Some(written) = store.task_outbox().cloned() else {
        tracing::error!("the task transport needs a store that keeps the task outbox");
        return;
    };
    let mut backoff = Duration::from_millis(250);
    // Warned since the broker was last up; failed attempts since.
    let mut warned = false;
    let mut attempts = 0u32;
    loop {
        if shared.stopping() {
            return;
        }
        let session = Session {
            store: &store,
            settings: &settings,
            shared: &shared,
            written: &written,
            deliveries: &deliveries,
        };
        let ended = session.run(&mut backoff).await;
        let was_up = shared.up.load(Ordering::Acquire);
        shared.set_up(false);
        let error = match ended {
            Ok(()) => return,
            Err(error) => error,
        };
        if was_up || !warned {
            tracing::warn!(
                %error,
                url = %crate::redact_url(&settings.url),
                "the task transport (RabbitMQ) is down; tasks wait in the outbox and the dispatcher polls the table"
            );
            warned = true;
            attempts = 0;
        } else {
            attempts += 1;
            if attempts.is_multiple_of(20) {
                tracing::warn!(%error, attempts, "the task transport (RabbitMQ) is still down");
            } else {
                tracing::debug!(%error, "task transport: reconnecting");
            }
        }
        tokio::select! {
            () = shared.stop.notified() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

struct Session<'a> {
    store: &'a Store,
    settings: &'a TransportSettings,
    shared: &'a Shared,
    written: &'a Notify,
    deliveries: &'a mpsc::Sender<TaskDelivery>,
}

impl Session<'_> {
    /// One connection, until it fails (`Err`) or the transport stops (`Ok`).
    async fn run(&self, backoff: &mut Duration) -> Result<(), SessionError> {
        let properties = ConnectionProperties::default()
            .with_connection_name(format!("companyos {}", self.settings.prefix).into());
        let connection = deadline(Connection::connect(&self.settings.url, properties)).await?;
        // Every step of the setup has the deadline too: a broker that accepts the
        // connection but cannot yet serve a queue (one still recovering) must not hold
        // the session forever — it fails, and the session is tried again.
        let publisher = deadline(connection.create_channel()).await?;
        deadline(publisher.confirm_select(ConfirmSelectOptions::default())).await?;
        let consumer = deadline(connection.create_channel()).await?;
        deadline(consumer.basic_qos(self.settings.prefetch.max(1), BasicQosOptions::default()))
            .await?;
        let mut arguments = FieldTable::default();
        if let Some(expiry) = self.settings.queue_expiry {
            let millis = u32::try_from(expiry.as_millis()).unwrap_or(u32::MAX);
            arguments.insert("x-expires".into(), AMQPValue::LongUInt(millis));
        }
        let mut streams = Vec::new();
        for band in Band::ALL {
            let queue = band.queue(&self.settings.prefix);
            deadline(publisher.queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions::durable(),
                arguments.clone(),
            ))
            .await?;
            streams.push(
                deadline(consumer.basic_consume(
                    queue.as_str().into(),
                    format!("companyos-{}", band.name()).into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                ))
                .await?,
            );
        }
        let mut messages = futures::stream::select_all(streams);
        self.shared.set_up(true);
        *backoff = Duration::from_millis(250);
        tracing::info!(
            url = %crate::redact_url(&self.settings.url),
            prefix = %self.settings.prefix,
            "the task transport (RabbitMQ) is up"
        );
        // Whatever waited while the broker was away goes out first.
        let mut relay_at = tokio::time::Instant::now();
        let mut next_prune = tokio::time::Instant::now();
        loop {
            if tokio::time::Instant::now() >= relay_at {
                let more = self.relay(&publisher).await?;
                if tokio::time::Instant::now() >= next_prune {
                    next_prune = tokio::time::Instant::now() + PRUNE_EVERY;
                    self.prune().await;
                }
                relay_at = tokio::time::Instant::now();
                if !more {
                    relay_at += self.idle_for().await;
                }
                continue;
            }
            tokio::select! {
                () = self.shared.stop.notified() => {
                    if let Err(error) = connection.close(200, "node stopping".into()).await {
                        tracing::debug!(%error, "task transport: close");
                    }
                    return Ok(());
                }
                () = self.written.notified() => relay_at = tokio::time::Instant::now(),
                () = tokio::time::sleep_until(relay_at) => {}
                message = messages.next() => match message {
                    Some(Ok(delivery)) => self.hand_over(delivery).await,
                    Some(Err(error)) => return Err(error.into()),
                    None => return Err(SessionError::ConsumerClosed),
                },
            }
        }
    }

    /// How long to wait before the next relay round: until the next entry falls due,
    /// at most [`RELAY_IDLE`].
    async fn idle_for(&self) -> Duration {
        match self.store.outbox().next_due().await {
            Ok(Some(at)) => (at - self.store.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(RELAY_IDLE),
            Ok(None) => RELAY_IDLE,
            Err(error) => {
                tracing::warn!(%error, "task transport: cannot read the outbox");
                RELAY_IDLE
            }
        }
    }

    /// One relay round: publishes up to a batch of due entries and records what the
    /// broker confirmed. True when a full batch went (more may be due).
    async fn relay(&self, publisher: &Channel) -> Result<bool, SessionError> {
        let entries = match self.store.outbox().take_due(RELAY_BATCH, RELAY_HOLD).await {
            Ok(entries) => entries,
            Err(error) => {
                tracing::warn!(%error, "task transport: cannot take outbox entries");
                return Ok(false);
            }
        };
        if entries.is_empty() {
            return Ok(false);
        }
        let full = entries.len() == RELAY_BATCH as usize;
        let mut confirms = Vec::with_capacity(entries.len());
        let mut failure = None;
        for entry in &entries {
            let message = TaskMessage {
                task_id: entry.task_id,
                organization_id: entry.organization_id,
                priority: entry.priority,
            };
            let payload = match serde_json::to_vec(&message) {
                Ok(payload) => payload,
                Err(error) => {
                    failure = Some(SessionError::Refused(error.to_string()));
                    break;
                }
            };
            let properties = BasicProperties::default()
                .with_delivery_mode(2)
                .with_content_type("application/json".into())
                .with_message_id(entry.task_id.to_string().into());
            let published = publisher
                .basic_publish(
                    "".into(),
                    Band::of(entry.priority)
                        .queue(&self.settings.prefix)
                        .as_str()
                        .into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    &payload,
                    properties,
                )
                .await;
            match published {
                Ok(confirm) => confirms.push((entry.id, confirm)),
                Err(error) => {
                    failure = Some(error.into());
                    break;
                }
            }
        }
        let mut confirmed: Vec<OutboxId> = Vec::with_capacity(confirms.len());
        for (id, confirm) in confirms {
            match deadline(confirm).await {
                // Acknowledged and routed: a returned message means no queue took it.
                Ok(confirmation) if confirmation.is_ack() => {
                    if confirmation.take_message().is_none() {
                        confirmed.push(id);
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    failure.get_or_insert(error);
                    break;
                }
            }
        }
        // Everything else — refused, returned, unconfirmed or never sent (the channel
        // failed mid-batch) — is freed for the next round.
        let refused: Vec<OutboxId> = entries
            .iter()
            .map(|entry| entry.id)
            .filter(|id| !confirmed.contains(id))
            .collect();
        if !confirmed.is_empty() {
            if let Err(error) = self.store.outbox().mark_published(&confirmed).await {
                // Published but not marked: they go again (a duplicate message is harmless).
                tracing::warn!(%error, count = confirmed.len(), "task transport: published entries not marked");
            }
            ::metrics::counter!(PUBLISHED).increment(confirmed.len() as u64);
        }
        if !refused.is_empty() {
            let reason = failure
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "the broker refused the publication".to_owned());
            if let Err(error) = self.store.outbox().record_failure(&refused, &reason).await {
                tracing::warn!(%error, "task transport: failures not recorded; the entries' hold runs out instead");
            }
            ::metrics::counter!(PUBLISH_FAILURES).increment(refused.len() as u64);
        }
        match failure {
            Some(error) => Err(error),
            None if !refused.is_empty() => Err(SessionError::Refused(format!(
                "{} of {} publications were not confirmed",
                refused.len(),
                entries.len()
            ))),
            None => Ok(full),
        }
    }

    async fn prune(&self) {
        let before = self.store.now() - KEEP_PUBLISHED;
        match self.store.outbox().prune(before).await {
            Ok(0) => {}
            Ok(pruned) => tracing::debug!(pruned, "task transport: outbox pruned"),
            Err(error) => tracing::warn!(%error, "task transport: cannot prune the outbox"),
        }
    }

    /// Passes a message to the node. One that cannot be read is dropped (it can never
    /// be acted on; the task row is still the truth and the poll finds it).
    async fn hand_over(&self, delivery: lapin::message::Delivery) {
        let message: TaskMessage = match serde_json::from_slice(&delivery.data) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(%error, "task transport: unreadable message dropped");
                let options = BasicRejectOptions { requeue: false };
                if let Err(error) = delivery.acker.reject(options).await {
                    tracing::debug!(%error, "task transport: reject");
                }
                return;
            }
        };
        let delivery = TaskDelivery {
            message,
            redelivered: delivery.redelivered,
            acker: delivery.acker,
        };
        if let Err(unsent) = self.deliveries.send(delivery).await {
            // Nobody listens any more (the node is stopping): let another node have it.
            unsent.0.requeue().await;
        }
    }
}

async fn deadline<T>(
    work: impl std::future::Future<Output = Result<T, lapin::Error>>,
) -> Result<T, SessionError> {
    match tokio::time::timeout(BROKER_DEADLINE, work).await {
        Ok(result) => result.map_err(SessionError::from),
        Err(_) => Err(SessionError::Deadline(BROKER_DEADLINE)),
    }
}

/// Deletes the transport's queues (a test's, when it ends). Fails when the broker
/// cannot be reached.
pub async fn delete_queues(url: &str, prefix: &str) -> Result<(), SessionError> {
    // Each step with the broker deadline: a connect to a port that refuses was seen to
    // never return.
    let connection = deadline(Connection::connect(url, ConnectionProperties::default())).await?;
    let channel = deadline(connection.create_channel()).await?;
    for band in Band::ALL {
        deadline(channel.queue_delete(
            band.queue(prefix).as_str().into(),
            QueueDeleteOptions::default(),
        ))
        .await?;
    }
    deadline(connection.close(200, "done".into())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_fall_in_three_bands() {
        let bands: Vec<&str> = (1..=10).map(|priority| Band::of(priority).name()).collect();
        assert_eq!(
            bands,
            [
                "low", "low", "low", "normal", "normal", "normal", "normal", "high", "high", "high"
            ]
        );
        assert_eq!(Band::High.queue("companyos."), "companyos.tasks.high");
    }

    #[test]
    fn a_message_is_the_task_its_organization_and_priority() {
        let message = TaskMessage {
            task_id: TaskId::new(),
            organization_id: OrgId::new(),
            priority: 9,
        };
        let json = serde_json::to_value(&message).expect("json");
        assert_eq!(
            json.as_object().map(|object| {
                let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
                keys.sort();
                keys
            }),
            Some(vec!["organization_id", "priority", "task_id"])
        );
        let back: TaskMessage = serde_json::from_value(json).expect("back");
        assert_eq!(back, message);
    }
}
