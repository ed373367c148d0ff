//! `GET /api/cluster`: the nodes of the cluster as the membership table shows them —
//! each one's address, liveness, run (epoch), how long ago it renewed its lease, and how
//! many organizations it runs, with which of the caller's own organizations run there.
//! Another tenant's organizations are counted, never named.

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use companyos_store::{OrgId, UserId};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::openapi::Problem;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(cluster))
}

/// A node's liveness: `live` renews on time, `suspect` still holds its lease but has
/// missed renewals, `dead` let its lease pass (its organizations move).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema, async_graphql::Enum)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MemberStatus {
    Live,
    Suspect,
    Dead,
}

#[derive(Serialize, ToSchema, async_graphql::SimpleObject)]
pub(crate) struct ClusterMember {
    /// The node's name.
    node: String,
    /// Where its HTTP edge is reached.
    address: String,
    status: MemberStatus,
    /// Its run: a new one each time it starts or rejoins.
    epoch: i64,
    /// Milliseconds since it last renewed its lease (by the database's clock).
    lease_age_ms: i64,
    /// How many organizations it runs.
    organizations: usize,
    /// Which of the caller's organizations it runs (their ids).
    your_organizations: Vec<String>,
    /// This is the node that answered.
    this_node: bool,
}

#[derive(Serialize, ToSchema, async_graphql::SimpleObject)]
pub(crate) struct ClusterView {
    /// Whether this node runs in cluster mode (on a single node, `members` is empty).
    enabled: bool,
    members: Vec<ClusterMember>,
}

#[utoipa::path(get, path = "/api/cluster", tag = "cluster", summary = "The nodes of the cluster and which organizations each runs", responses((status = 200, description = "Each node's address, liveness, run and organizations", body = ClusterView), (status = "4XX", description = "A problem", body = Problem, content_type = "application/problem+json")))]
async fn cluster(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<Json<ClusterView>, ApiError> {
    Ok(Json(view(&state, user).await?))
}

/// The cluster as `user` may see it (REST and GraphQL answer the same).
pub(crate) async fn view(state: &AppState, user: UserId) -> Result<ClusterView, ApiError> {
    let Some(this) = state.runtime.cluster_node() else {
        return Ok(ClusterView {
            enabled: false,
            members: Vec::new(),
        });
    };
    let mine: HashSet<OrgId> = state
        .store
        .organizations()
        .list_for_user(user)
        .await?
        .into_iter()
        .map(|(organization, _)| organization.id)
        .collect();
    let cluster = state.store.cluster();
    let leases = cluster.organization_leases().await?;
    // Missing two renewals in a row makes a node suspect.
    let suspect_after = i64::try_from(this.renew_every.as_millis() * 2).unwrap_or(i64::MAX);
    let members = cluster
        .members()
        .await?
        .into_iter()
        .map(|member| {
            let held: Vec<OrgId> = leases
                .iter()
                .filter(|lease| {
                    lease.held
                        && lease.node_id == member.node_id
                        && lease.node_epoch == member.epoch
                })
                .map(|lease| lease.organization_id)
                .collect();
            let status = if !member.live {
                MemberStatus::Dead
            } else if member.lease_age_ms > suspect_after {
                MemberStatus::Suspect
            } else {
                MemberStatus::Live
            };
            ClusterMember {
                this_node: member.node_id == this.node,
                organizations: held.len(),
                your_organizations: held
                    .into_iter()
                    .filter(|org| mine.contains(org))
                    .map(|org| org.0.to_string())
                    .collect(),
                node: member.node_id,
                address: member.address,
                status,
                epoch: member.epoch,
                lease_age_ms: member.lease_age_ms,
            }
        })
        .collect();
    Ok(ClusterView {
        enabled: true,
        members,
    })
}
