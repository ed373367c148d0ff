//! Vercel: recent deployments, and the calls agents make (a deployment, its events, a
//! redeploy).

use companyos_integrations::clients::vercel;

use super::*;

impl Syncer {
    pub(super) async fn vercel_deployments(
        &self,
        client: &VercelClient,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let listing = client
            .list_deployments(&vercel::DeploymentQuery {
                project_id: self.setting_text("project_id"),
                limit: Some(RECENT_DEPLOYMENTS),
                ..Default::default()
            })
            .await?;
        for deployment in listing.deployments {
            let state = vercel_state(
                deployment
                    .ready_state
                    .as_deref()
                    .or(deployment.state.as_deref()),
            );
            let meta = |name: &str| {
                deployment
                    .meta
                    .get(name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            self.store
                .deployments()
                .upsert(
                    self.org(),
                    DeploymentSync {
                        vercel_deployment_id: deployment.uid.clone(),
                        project_name: deployment.name.clone(),
                        url: vercel_url(deployment.url.as_deref()),
                        state,
                        environment: vercel_environment(deployment.target.as_deref()),
                        commit_sha: meta("githubCommitSha"),
                        branch: meta("githubCommitRef"),
                        metadata: json!({
                            "source": "vercel",
                            "project_id": deployment.project_id,
                            "inspector_url": deployment.inspector_url,
                            "commit_message": meta("githubCommitMessage"),
                            "error_message": deployment.error_message,
                        }),
                        ready_at: (state == DeploymentState::Ready)
                            .then(|| deployment.ready.and_then(millis))
                            .flatten(),
                    },
                )
                .await?;
            report.count("deployments", 1);
        }
        Ok(())
    }

    pub(super) async fn vercel(
        client: &VercelClient,
        request: VercelRequest,
    ) -> Result<VercelResponse, SyncError> {
        Ok(match request {
            VercelRequest::Deployment { id } => {
                VercelResponse::Deployment(Box::new(client.get_deployment(&id).await?))
            }
            VercelRequest::Events { id } => {
                VercelResponse::Events(client.deployment_events(&id).await?)
            }
            VercelRequest::ReadyProduction { project_id, limit } => {
                let query = vercel::DeploymentQuery {
                    project_id: Some(project_id),
                    target: Some("production".into()),
                    state: Some("READY".into()),
                    limit: Some(limit),
                    ..Default::default()
                };
                VercelResponse::Deployments(client.list_deployments(&query).await?.deployments)
            }
            VercelRequest::Rollback {
                project_id,
                to,
                description,
            } => {
                client
                    .rollback(&project_id, &to, description.as_deref())
                    .await?;
                VercelResponse::RolledBack
            }
            VercelRequest::Redeploy(redeploy) => {
                VercelResponse::Deployment(Box::new(client.redeploy(&redeploy).await?))
            }
        })
    }
}
