//! The [`IntegrationPort`] of this node: how agents reach their organization's adapters.

use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use companyos_actors::{
    IntegrationPort, SyncReport, SyncRequest, TaskFailure, VendorRequest, VendorResponse,
};
use companyos_store::OrgId;
use ractor::RpcReplyPort;
use ractor::rpc::CallResult;

use super::IntegrationsMessage;
use crate::tree::Deps;

/// How long an agent waits for a sync before giving up on it (the sync goes on).
const SYNC_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The [`IntegrationPort`] agents of this node use: a sync goes to the organization's
/// integrations supervisor, which hands it to the adapter of the service.
pub(crate) struct NodePort {
    deps: Weak<Deps>,
}

pub(crate) fn port(deps: &Arc<Deps>) -> Arc<dyn IntegrationPort> {
    Arc::new(NodePort {
        deps: Arc::downgrade(deps),
    })
}

impl NodePort {
    /// Asks the organization's integrations supervisor (which hands the request to the
    /// adapter of its service) and waits for the adapter's answer; `what` names the
    /// work in the failures.
    async fn ask<T: Send + 'static>(
        &self,
        org: OrgId,
        what: &str,
        message: impl FnOnce(RpcReplyPort<Result<T, TaskFailure>>) -> IntegrationsMessage,
    ) -> Result<T, TaskFailure> {
        let deps = self
            .deps
            .upgrade()
            .ok_or_else(|| TaskFailure::Retryable("the node is shutting down".into()))?;
        let supervisor = deps.node.integrations(org).ok_or_else(|| {
            TaskFailure::Retryable(
                "the organization's integrations are not running on this node".into(),
            )
        })?;
        drop(deps);
        match supervisor.call(message, Some(SYNC_TIMEOUT)).await {
            Ok(CallResult::Success(result)) => result,
            Ok(CallResult::Timeout) => Err(TaskFailure::Retryable(format!(
                "the {what} did not finish within {} s",
                SYNC_TIMEOUT.as_secs()
            ))),
            Ok(CallResult::SenderError) | Err(_) => Err(TaskFailure::Retryable(format!(
                "the integration's adapter stopped during the {what}"
            ))),
        }
    }
}

#[async_trait]
impl IntegrationPort for NodePort {
    fn probe_reach(&self) -> companyos_integrations::probe::Reach {
        self.deps
            .upgrade()
            .map_or(companyos_integrations::probe::Reach::PublicHttps, |deps| {
                deps.config.adapters.probe_reach
            })
    }

    async fn sync(&self, org: OrgId, request: SyncRequest) -> Result<SyncReport, TaskFailure> {
        self.ask(org, "sync", |reply| {
            IntegrationsMessage::Sync(request, reply)
        })
        .await
    }

    async fn call(
        &self,
        org: OrgId,
        request: VendorRequest,
    ) -> Result<VendorResponse, TaskFailure> {
        let what = format!("{} call", request.service());
        // The call runs in its adapter, as a child of the caller's span (the task's).
        let span = tracing::info_span!("vendor call", service = %request.service());
        self.ask(org, &what, |reply| {
            IntegrationsMessage::Call(request, reply, span)
        })
        .await
    }
}
