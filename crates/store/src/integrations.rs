//! Connected services and their webhook registrations. Credentials arrive here
//! already encrypted (the `integrations` crate owns the cipher); the store never sees
//! a token in clear text.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::agents::{Agent, INSERT_AGENT, NewAgent};
use crate::db::Store;
use crate::enums::{AgentStatus, IntegrationStatus, Service};
use crate::error::StoreError;
use crate::ids::{AgentId, IntegrationId, OrgId, WebhookId};
use crate::validate::non_empty;

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Integration {
    pub id: IntegrationId,
    pub organization_id: OrgId,
    pub service: Service,
    pub status: IntegrationStatus,
    /// Ciphertext with its key id; never serialised.
    pub credentials_encrypted: String,
    #[sqlx(json)]
    pub metadata: Value,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The unguessable token of the integration's webhook URL; never serialised (the
    /// edge builds the URL for those allowed to see it).
    pub webhook_token: Option<String>,
    /// The webhook secret (signing secret, passcode or consumer secret), sealed like
    /// the credentials; never serialised.
    pub webhook_secret_encrypted: Option<String>,
    /// When a sync of the whole integration was last tried…
    pub last_sync_attempted_at: Option<DateTime<Utc>>,
    /// …and why it failed, when it did (`None` after a sync that succeeded).
    pub last_sync_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Webhook {
    pub id: WebhookId,
    pub integration_id: IntegrationId,
    pub service: Service,
    pub event_type: String,
    pub webhook_id: Option<String>,
    pub secret: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewWebhook {
    pub event_type: String,
    pub webhook_id: Option<String>,
    pub secret: Option<String>,
}

/// The webhook side of a connection: the URL token (kept on reconnection) and the
/// sealed webhook secret (kept on reconnection when `None`).
#[derive(Clone, Copy, Debug)]
pub struct WebhookSetup<'a> {
    pub token: &'a str,
    pub secret_encrypted: Option<&'a str>,
}

pub struct Integrations<'a> {
    store: &'a Store,
}

impl Store {
    pub fn integrations(&self) -> Integrations<'_> {
        Integrations { store: self }
    }
}

impl Integrations<'_> {
    /// Connects a service, or reconnects it with new credentials (one per service per
    /// organization): the row becomes `active` again. A reconnection keeps the webhook
    /// token it had, so the URL given to the vendor stays valid, and keeps its webhook
    /// secret unless a new one is given.
    pub async fn connect(
        &self,
        org: OrgId,
        service: Service,
        credentials_encrypted: &str,
        metadata: Value,
        webhook: WebhookSetup<'_>,
    ) -> Result<Integration, StoreError> {
        let (integration, _) = self
            .connect_with_agents(
                org,
                service,
                credentials_encrypted,
                metadata,
                webhook,
                Vec::new(),
            )
            .await?;
        Ok(integration)
    }

    /// Connects (or reconnects) a service and writes the agents that come with it, in
    /// one transaction: a connection is never left without the agents it was given, nor
    /// agents without their connection.
    pub async fn connect_with_agents(
        &self,
        org: OrgId,
        service: Service,
        credentials_encrypted: &str,
        metadata: Value,
        webhook: WebhookSetup<'_>,
        agents: Vec<NewAgent>,
    ) -> Result<(Integration, Vec<Agent>), StoreError> {
        non_empty("credentials", credentials_encrypted, usize::MAX)?;
        non_empty("webhook_token", webhook.token, 64)?;
        for agent in &agents {
            non_empty("name", &agent.name, 255)?;
            non_empty("agent_type", &agent.agent_type, 100)?;
        }
        let at = self.store.now();
        writer!(self.store, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let integration: Integration = sqlx::query_as(
                    "INSERT INTO integrations (id, organization_id, service, status, credentials_encrypted, metadata,
                            created_at, updated_at, webhook_token, webhook_secret_encrypted)
                     VALUES ($1, $2, $3, 'active', $4, $5, $6, $6, $7, $8)
                     ON CONFLICT (organization_id, service) DO UPDATE SET status = 'active',
                            credentials_encrypted = excluded.credentials_encrypted, metadata = excluded.metadata,
                            last_sync_error = NULL, last_sync_attempted_at = NULL,
                            updated_at = excluded.updated_at,
                            webhook_token = COALESCE(integrations.webhook_token, excluded.webhook_token),
                            webhook_secret_encrypted = COALESCE(excluded.webhook_secret_encrypted,
                                                                integrations.webhook_secret_encrypted)
                     RETURNING *",
                )
                .bind(IntegrationId::new())
                .bind(org)
                .bind(service)
                .bind(credentials_encrypted)
                .bind(Json(&metadata))
                .bind(at)
                .bind(webhook.token)
                .bind(webhook.secret_encrypted)
                .fetch_one(&mut *tx)
                .await?;
                let mut written = Vec::with_capacity(agents.len());
                for agent in &agents {
                    let row: Agent = sqlx::query_as(INSERT_AGENT)
                    .bind(AgentId::new())
                    .bind(org)
                    .bind(&agent.name)
                    .bind(&agent.agent_type)
                    .bind(AgentStatus::Idle)
                    .bind(Json(&agent.capabilities))
                    .bind(Json(&agent.configuration))
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                    written.push(row);
                }
                tx.commit().await?;
                Ok((integration, written))
            }
            .await
        })
    }

    /// The integration a webhook URL's token names, with its organization: the token is
    /// the credential, so this read is not scoped by organization.
    pub async fn by_webhook_token(&self, token: &str) -> Result<Integration, StoreError> {
        let integration: Option<Integration> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM integrations WHERE webhook_token = $1")
                .bind(token)
                .fetch_optional(pool)
                .await
        })?;
        integration.ok_or_else(|| StoreError::not_found("integration", "webhook token"))
    }

    pub async fn get_by_id(
        &self,
        org: OrgId,
        id: IntegrationId,
    ) -> Result<Integration, StoreError> {
        let integration: Option<Integration> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM integrations WHERE organization_id = $1 AND id = $2")
                .bind(org)
                .bind(id)
                .fetch_optional(pool)
                .await
        })?;
        integration.ok_or_else(|| StoreError::not_found("integration", id))
    }

    pub async fn get(&self, org: OrgId, service: Service) -> Result<Integration, StoreError> {
        let integration: Option<Integration> = reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM integrations WHERE organization_id = $1 AND service = $2")
                .bind(org)
                .bind(service)
                .fetch_optional(pool)
                .await
        })?;
        integration.ok_or_else(|| StoreError::not_found("integration", service))
    }

    pub async fn list(&self, org: OrgId) -> Result<Vec<Integration>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM integrations WHERE organization_id = $1 ORDER BY service")
                .bind(org)
                .fetch_all(pool)
                .await
        })
    }

    pub async fn set_status(
        &self,
        org: OrgId,
        service: Service,
        status: IntegrationStatus,
    ) -> Result<Integration, StoreError> {
        let updated: Option<Integration> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE integrations SET status = $3, updated_at = $4 WHERE organization_id = $1 AND service = $2
                 RETURNING *",
            )
            .bind(org)
            .bind(service)
            .bind(status)
            .bind(self.store.now())
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("integration", service))
    }

    /// Records a sync of the whole integration: when it ran and, when it failed, why
    /// (a success also moves `last_sync_at`).
    pub async fn record_sync(
        &self,
        org: OrgId,
        service: Service,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE integrations SET last_sync_attempted_at = $3, last_sync_error = $4,
                        last_sync_at = CASE WHEN $4 IS NULL THEN $3 ELSE last_sync_at END, updated_at = $3
                 WHERE organization_id = $1 AND service = $2",
            )
            .bind(org)
            .bind(service)
            .bind(at)
            .bind(error)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("integration", service))
        } else {
            Ok(())
        }
    }

    /// Replaces the stored ciphertexts (key rotation): the credentials, and the webhook
    /// secret when there is one.
    pub async fn replace_credentials(
        &self,
        id: IntegrationId,
        credentials_encrypted: &str,
        webhook_secret_encrypted: Option<&str>,
    ) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query(
                "UPDATE integrations SET credentials_encrypted = $2, webhook_secret_encrypted = $4, updated_at = $3
                 WHERE id = $1",
            )
            .bind(id)
            .bind(credentials_encrypted)
            .bind(self.store.now())
            .bind(webhook_secret_encrypted)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("integration", id))
        } else {
            Ok(())
        }
    }

    /// Every integration of every organization (key rotation walks them all).
    pub async fn list_all(&self) -> Result<Vec<Integration>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as("SELECT * FROM integrations ORDER BY created_at, id")
                .fetch_all(pool)
                .await
        })
    }

    /// Disconnects the service: the row and its webhooks go.
    pub async fn disconnect(&self, org: OrgId, service: Service) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query("DELETE FROM integrations WHERE organization_id = $1 AND service = $2")
                .bind(org)
                .bind(service)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("integration", service))
        } else {
            Ok(())
        }
    }

    pub async fn add_webhook(
        &self,
        org: OrgId,
        integration: IntegrationId,
        new: NewWebhook,
    ) -> Result<Webhook, StoreError> {
        non_empty("event_type", &new.event_type, 100)?;
        let inserted: Option<Webhook> = writer!(self.store, |pool| {
            sqlx::query_as(
                "INSERT INTO webhooks (id, integration_id, service, event_type, webhook_id, secret, active, created_at)
                 SELECT $1, i.id, i.service, $3, $4, $5, TRUE, $6 FROM integrations i
                 WHERE i.id = $2 AND i.organization_id = $7
                 RETURNING *",
            )
            .bind(WebhookId::new())
            .bind(integration)
            .bind(&new.event_type)
            .bind(&new.webhook_id)
            .bind(&new.secret)
            .bind(self.store.now())
            .bind(org)
            .fetch_optional(pool)
            .await
        })?;
        inserted.ok_or_else(|| StoreError::not_found("integration", integration))
    }

    pub async fn list_webhooks(
        &self,
        org: OrgId,
        integration: IntegrationId,
    ) -> Result<Vec<Webhook>, StoreError> {
        reader!(self.store, |pool| {
            sqlx::query_as(
                "SELECT w.* FROM webhooks w JOIN integrations i ON i.id = w.integration_id
                 WHERE w.integration_id = $1 AND i.organization_id = $2 ORDER BY w.created_at, w.id",
            )
            .bind(integration)
            .bind(org)
            .fetch_all(pool)
            .await
        })
    }

    pub async fn set_webhook_active(
        &self,
        org: OrgId,
        webhook: WebhookId,
        active: bool,
    ) -> Result<Webhook, StoreError> {
        let updated: Option<Webhook> = writer!(self.store, |pool| {
            sqlx::query_as(
                "UPDATE webhooks SET active = $3
                 WHERE id = $1 AND integration_id IN (SELECT id FROM integrations WHERE organization_id = $2)
                 RETURNING *",
            )
            .bind(webhook)
            .bind(org)
            .bind(active)
            .fetch_optional(pool)
            .await
        })?;
        updated.ok_or_else(|| StoreError::not_found("webhook", webhook))
    }

    pub async fn delete_webhook(&self, org: OrgId, webhook: WebhookId) -> Result<(), StoreError> {
        let result = writer!(self.store, |pool| {
            sqlx::query(
                "DELETE FROM webhooks
                 WHERE id = $1 AND integration_id IN (SELECT id FROM integrations WHERE organization_id = $2)",
            )
            .bind(webhook)
            .bind(org)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        if result == 0 {
            Err(StoreError::not_found("webhook", webhook))
        } else {
            Ok(())
        }
    }
}
