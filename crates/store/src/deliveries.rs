//! Webhook deliveries: every verified request from a connected service, written before
//! it is acknowledged, deduplicated on the vendor's delivery id, and turned into an
//! event by the integration's adapter. The raw body is kept exactly as received.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::db::Store;
use crate::enums::{DeliveryStatus, Service};
use crate::error::StoreError;
use crate::events::{Event, NewEvent};
use crate::ids::{DeliveryId, EventId, IntegrationId, OrgId};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct WebhookDelivery {
    pub id: DeliveryId,
    pub organization_id: OrgId,
    pub integration_id: IntegrationId,
    pub service: Service,
    /// The vendor's delivery id, or `sha256:<hex>` of what was signed.
    pub delivery_key: String,
    pub event_type: String,
    /// The headers that matter (event type, delivery id, signature, timestamps).
    #[sqlx(json)]
    pub headers: Value,
    pub body: Vec<u8>,
    pub status: DeliveryStatus,
    pub error: Option<String>,
    pub event_id: Option<EventId>,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
    /// When its headers and body were written to the payload archive.
    pub archived_at: Option<DateTime<Utc>>,
    /// The W3C `traceparent` of the request that recorded it.
    pub traceparent: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewDelivery {
    pub integration_id: IntegrationId,
    pub service: Service,
    pub delivery_key: String,
    pub event_type: String,
    pub headers: Value,
    pub body: Vec<u8>,
    /// `Received`, or `Malformed` with the reason in `error`.
    pub status: DeliveryStatus,
    pub error: Option<String>,
    /// The W3C `traceparent` of the request that brought it (`None`: not traced).
    pub traceparent: Option<String>,
}

/// What recording a delivery did.
#[derive(Clone, Debug, PartialEq)]
pub enum Recorded {
    /// Written now.
    New(DeliveryId),
    /// A delivery with the same key was already written: this one is a redelivery.
    Duplicate(DeliveryId),
}

pub struct Deliveries<'a> {
    store: &'a Store,
}

impl Store {
    pub fn deliveries(&self) -> Deliveries<'_> {
        Deliveries { store: self }
    }
}

impl Deliveries<'_> {
    /// Writes a delivery unless one with its key exists for the integration.
    pub async fn record(&self, org: OrgId, new: NewDelivery) -> Result<Recorded, StoreError> {
        let mut recorded = self.record_many(&[(org, new)]).await?;
        recorded
            .pop()
            .ok_or_else(|| StoreError::Config("a recorded delivery went unanswered".into()))
    }

    /// The id of the delivery already recorded under `new`'s key.
    async fn recorded_id(&self, new: &NewDelivery) -> Result<DeliveryId, StoreError> {
        let existing: (DeliveryId,) = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT id FROM webhook_deliveries WHERE integration_id = $1 AND delivery_key = $2",
            )
            .bind(new.integration_id)
            .bind(&new.delivery_key)
            .fetch_one(pool)
            .await
        })?;
        Ok(existing.0)
    }

    /// Records several deliveries with one statement and one commit (the webhook edge's
    /// group commit), each answered as [`record`](Self::record) would: in the order
    /// given, a redelivery — of an earlier delivery or of one earlier in the batch —
    /// as `Duplicate`. A batch with an invalid delivery is refused whole.
    pub async fn record_many(
        &self,
        batch: &[(OrgId, NewDelivery)],
    ) -> Result<Vec<Recorded>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        for (_, new) in batch {
            non_empty("delivery_key", &new.delivery_key, 255)?;
        }
        let ids: Vec<DeliveryId> = batch.iter().map(|_| DeliveryId::new()).collect();
        let event_types: Vec<String> = batch
            .iter()
            .map(|(_, new)| new.event_type.chars().take(255).collect())
            .collect();
        let at = self.store.now();
        let inserted: Vec<(DeliveryId,)> = writer!(self.store, |pool| {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO webhook_deliveries (id, organization_id, integration_id, service, delivery_key,
                        event_type, headers, body, status, error, received_at, traceparent) ",
            );
            insert.push_values(
                batch.iter().zip(&ids).zip(&event_types),
                |mut row, (((org, new), id), event_type)| {
                    row.push_bind(*id)
                        .push_bind(*org)
                        .push_bind(new.integration_id)
                        .push_bind(new.service)
                        .push_bind(&new.delivery_key)
                        .push_bind(event_type)
                        .push_bind(Json(&new.headers))
                        .push_bind(&new.body)
                        .push_bind(new.status)
                        .push_bind(&new.error)
                        .push_bind(at)
                        .push_bind(&new.traceparent);
                },
            );
            insert.push(" ON CONFLICT (integration_id, delivery_key) DO NOTHING RETURNING id");
            insert.build_query_as().fetch_all(pool).await
        })?;
        let inserted: std::collections::HashSet<DeliveryId> =
            inserted.into_iter().map(|(id,)| id).collect();
        let mut answers = Vec::with_capacity(batch.len());
        for ((_, new), id) in batch.iter().zip(ids) {
            if inserted.contains(&id) {
                answers.push(Recorded::New(id));
                continue;
            }
            answers.push(Recorded::Duplicate(self.recorded_id(new).await?));
        }
        Ok(answers)
    }

    pub async fn get(&self, org: OrgId, id: DeliveryId) -> Result<WebhookDelivery, StoreError> {
        let delivery: Option<WebhookDelivery> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM webhook_deliveries WHERE id = $1 AND organization_id = $2",
            )
            .bind(id)
            .bind(org)
            .fetch_optional(pool)
            .await
        })?;
        delivery.ok_or_else(|| StoreError::not_found("webhook delivery", id))
    }

    /// The integration's deliveries, newest first (for inspection).
    pub async fn list(
        &self,
        org: OrgId,
        integration: IntegrationId,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM webhook_deliveries
                 WHERE organization_id = $1 AND integration_id = $2 AND ($3 IS NULL OR status = $3)
                 ORDER BY received_at DESC, id DESC LIMIT $4",
            )
            .bind(org)
            .bind(integration)
            .bind(status)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })
    }

    /// Deliveries of the integration still waiting to become events, oldest first.
    pub async fn pending(
        &self,
        integration: IntegrationId,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM webhook_deliveries WHERE integration_id = $1 AND status = 'received'
                 ORDER BY received_at, id LIMIT $2",
            )
            .bind(integration)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })
    }

    /// Records the delivery's event and marks the delivery processed, in one
    /// transaction: a delivery is processed exactly when its event exists, and from
    /// then on is named by its event's type. A delivery already processed (by another
    /// node) writes nothing and returns `None`.
    pub async fn complete(
        &self,
        org: OrgId,
        id: DeliveryId,
        event: NewEvent,
    ) -> Result<Option<Event>, StoreError> {
        Ok(self
            .complete_many(org, vec![(id, event)])
            .await?
            .pop()
            .map(|(_, event)| event))
    }

    /// [`complete`](Self::complete) for a batch of the organization's deliveries, with
    /// one transaction and two statements however many there are (the adapter's drain):
    /// returns the events written with their deliveries, in the order given — none for
    /// a delivery already processed, or named twice (its first event is the one written).
    pub async fn complete_many(
        &self,
        org: OrgId,
        batch: Vec<(DeliveryId, NewEvent)>,
    ) -> Result<Vec<(DeliveryId, Event)>, StoreError> {
        let mut seen = std::collections::HashSet::with_capacity(batch.len());
        let mut batch: Vec<(DeliveryId, EventId, NewEvent)> = batch
            .into_iter()
            .filter(|(id, _)| seen.insert(*id))
            .map(|(id, event)| (id, EventId::new(), event))
            .collect();
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        for (_, _, event) in &batch {
            non_empty("event_type", &event.event_type, 100)?;
        }
        let at = self.store.now();
        let events: Vec<Event> = writer!(self.store, |pool| {
            async {
                let mut tx = pool.begin().await?;
                if let Some(holder) = self.store.holder() {
                    hold!(tx, org, holder);
                }
                let claimed: std::collections::HashSet<DeliveryId> = {
                    // The `VALUES` list's columns are `column1…3` on both databases.
                    let mut claim = sqlx::QueryBuilder::new(
                        "UPDATE webhook_deliveries
                         SET status = 'processed', event_id = v.column2, event_type = v.column3, processed_at = ",
                    );
                    claim.push_bind(at);
                    claim.push(" FROM (");
                    claim.push_values(&batch, |mut row, (id, event_id, event)| {
                        row.push_bind(*id)
                            .push_bind(*event_id)
                            .push_bind(&event.event_type);
                    });
                    claim.push(") AS v WHERE id = v.column1 AND status = 'received' AND organization_id = ");
                    claim.push_bind(org);
                    claim.push(" RETURNING id");
                    let claimed: Vec<(DeliveryId,)> =
                        claim.build_query_as().fetch_all(&mut *tx).await?;
                    claimed.into_iter().map(|(id,)| id).collect()
                };
                batch.retain(|(id, _, _)| claimed.contains(id));
                if batch.is_empty() {
                    tx.commit().await?;
                    return Ok(Vec::new());
                }
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO events (id, organization_id, event_type, event_source, actor_type, actor_id,
                            resource_type, resource_id, metadata, created_at) ",
                );
                insert.push_values(&batch, |mut row, (_, event_id, event)| {
                    row.push_bind(*event_id)
                        .push_bind(org)
                        .push_bind(&event.event_type)
                        .push_bind(&event.event_source)
                        .push_bind(event.actor_type)
                        .push_bind(event.actor_id)
                        .push_bind(event.resource_type)
                        .push_bind(event.resource_id)
                        .push_bind(Json(&event.metadata))
                        .push_bind(at);
                });
                insert.push(" RETURNING *");
                let events: Vec<Event> = insert.build_query_as().fetch_all(&mut *tx).await?;
                tx.commit().await?;
                Ok(events)
            }
            .await
        })?;
        // In the order given (a multi-row `RETURNING` promises none).
        let mut events: std::collections::HashMap<EventId, Event> =
            events.into_iter().map(|event| (event.id, event)).collect();
        Ok(batch
            .iter()
            .filter_map(|(id, event_id, _)| Some((*id, events.remove(event_id)?)))
            .collect())
    }

    /// Marks a delivery that cannot become an event (kept, with the reason).
    pub async fn fail(&self, org: OrgId, id: DeliveryId, error: &str) -> Result<(), StoreError> {
        self.set_unprocessed(org, id, DeliveryStatus::Failed, error)
            .await
    }

    /// Marks a delivery whose signed body holds what the store cannot keep (a NUL
    /// character, say) as `malformed`, with the reason: kept for inspection, never
    /// retried.
    pub async fn malformed(
        &self,
        org: OrgId,
        id: DeliveryId,
        error: &str,
    ) -> Result<(), StoreError> {
        self.set_unprocessed(org, id, DeliveryStatus::Malformed, error)
            .await
    }

    async fn set_unprocessed(
        &self,
        org: OrgId,
        id: DeliveryId,
        status: DeliveryStatus,
        error: &str,
    ) -> Result<(), StoreError> {
        fenced_writer!(self.store, org, |conn| {
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $5, error = $3, processed_at = $4
                 WHERE id = $1 AND organization_id = $2 AND status = 'received'",
            )
            .bind(id)
            .bind(org)
            .bind(error)
            .bind(self.store.now())
            .bind(status)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// A delivery of any organization, by id: for the operator's command line
    /// (`companyos deliveries replay`), never for a tenant's request.
    pub async fn find(&self, id: DeliveryId) -> Result<WebhookDelivery, StoreError> {
        let delivery: Option<WebhookDelivery> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM webhook_deliveries WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await
        })?;
        delivery.ok_or_else(|| StoreError::not_found("webhook delivery", id))
    }

    /// Deliveries not yet written to the payload archive and recorded before `before`,
    /// oldest first: what a node's archiver missed (it stopped first, or object storage
    /// was down).
    pub async fn unarchived(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT * FROM webhook_deliveries WHERE archived_at IS NULL AND received_at < $1
                 ORDER BY received_at, id LIMIT $2",
            )
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })
    }

    /// Marks deliveries as written to the payload archive.
    pub async fn mark_archived(&self, ids: &[DeliveryId]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let at = self.store.now();
        writer!(self.store, |pool| {
            let mut update =
                sqlx::QueryBuilder::new("UPDATE webhook_deliveries SET archived_at = ");
            update.push_bind(at);
            update.push(" WHERE id IN (");
            let mut list = update.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            update.push(")");
            update.build().execute(pool).await.map(|_| ())
        })?;
        Ok(())
    }

    /// The integrations with deliveries still `received` that were recorded before
    /// `before`, each with its oldest such delivery (among the oldest `limit` waiting):
    /// deliveries nobody named to their adapter (a node that stopped between recording
    /// one and handing it over, or one recorded by `companyos deliveries replay`).
    pub async fn waiting(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(OrgId, IntegrationId, DeliveryId)>, StoreError> {
        let rows: Vec<(OrgId, IntegrationId, DeliveryId)> = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT organization_id, integration_id, id FROM webhook_deliveries
                 WHERE status = 'received' AND received_at < $1
                 ORDER BY received_at, id LIMIT $2",
            )
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
        })?;
        let mut seen = std::collections::HashSet::new();
        Ok(rows
            .into_iter()
            .filter(|(_, integration, _)| seen.insert(*integration))
            .collect())
    }

    /// How many deliveries the organization has in each status (load-harness checks).
    pub async fn count(&self, org: OrgId, status: DeliveryStatus) -> Result<u64, StoreError> {
        let (count,): (i64,) = reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE organization_id = $1 AND status = $2",
            )
            .bind(org)
            .bind(status)
            .fetch_one(pool)
            .await
        })?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
