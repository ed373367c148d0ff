//! Work a person asks of an organization's agents, as typed commands. The edge says
//! what is asked (review this pull request, roll this deployment back) and checks that
//! the person's role may ask it; the runtime decides the rest: the rows the work is
//! about, the task's input (the same type every other producer of that task writes),
//! the agent type that does it, whom it is assigned to, and — through
//! [`duties`](crate::duties) — whether a person must approve it before it runs.

use companyos_actors::code_review::{Analyze, AnalyzePr, CodeReviewConfig, PostMode};
use companyos_actors::content::{DraftPost, DraftPostTask, DraftSource};
use companyos_actors::deployment::{DeploymentRef, RollBack, Rollback};
use companyos_actors::design::{CheckDesignDrift, CheckDesignDriftTask};
use companyos_actors::inputs::{
    FigmaFileSync, GenerateCode, IntegrationSync, PublishPost, RepositorySync, SyncFigmaFile,
    SyncIntegration, SyncRepository,
};
use companyos_actors::task_kind::TaskKind;
use companyos_actors::{input_value, names};
use companyos_store::{
    AgentFilter, AgentTask, Assignee, DeploymentEnvironment, DeploymentId, DeploymentState,
    DesignComponentId, FigmaFileId, NewAgent, NewTask, OrgId, PageRequest, PullRequestId,
    RepositoryId, Service, SocialPostId, SocialPostStatus,
};
use serde_json::Value;

use crate::duties::Person;
use crate::error::RuntimeError;
use crate::runtime::Runtime;
use crate::watchers::Watched;

/// What a person asks of the organization's agents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Everything a connected service holds, through its watcher.
    SyncIntegration(Service),
    /// One repository's open pull requests and recent deployments.
    SyncRepository(RepositoryId),
    /// One Figma file's components.
    SyncFigmaFile(FigmaFileId),
    /// A code review of a pull request (posted to GitHub as the agent's configuration says).
    ReviewPullRequest(PullRequestId),
    /// Production back on the deployment before this one (always after approval).
    RollBack(DeploymentId),
    /// Code for a design component.
    GenerateCode(DesignComponentId),
    /// The Figma components compared with the repository's code components.
    CheckDesignDrift,
    /// A drafted social post published (always after approval).
    PublishPost(SocialPostId),
    /// Posts drafted about a merged pull request, for each connected account.
    DraftAboutPullRequest(PullRequestId),
    /// Posts drafted about a production deployment, for each connected account.
    DraftAboutDeployment(DeploymentId),
}

/// Why a command cannot be carried out as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandRefusal {
    #[error("this post is already published")]
    AlreadyPublished,
    #[error("pull request #{0} is not merged: posts are drafted about shipped work only")]
    NotMerged(i32),
    #[error(
        "this deployment is not a ready production deployment: posts are drafted about what is live only"
    )]
    NotLive,
}

/// A command made concrete: the task it becomes.
struct Planned {
    agent_type: &'static str,
    task_type: &'static str,
    description: String,
    input: Value,
}

impl Planned {
    fn of<K: TaskKind>(agent_type: &'static str, description: String, input: &K::Input) -> Self {
        Planned {
            agent_type,
            task_type: K::NAME,
            description,
            input: input_value(input),
        }
    }
}

impl Runtime {
    /// What a team expects on connecting `service`: its watcher, and the agent that acts
    /// on it — for GitHub a code review agent that posts its reviews once a person
    /// approves them and a security agent that takes the secrets it finds further (scans
    /// the whole files, blocks the pull request, raises a critical notice), for Vercel a
    /// deployment agent (health checks and failure analyses of every deployment;
    /// rollbacks wait for a person), for Slack a notification agent (answers mentions at
    /// once; notices need a channel in its configuration) and the standup; for X and
    /// LinkedIn the content writer, the content pipeline and the engagement tracker; for
    /// GitHub and Vercel also the
    /// analysts (delivery analytics, anomaly detection, deployment risk, recommendations), which bring
    /// their schedules. Only types this node runs and
    /// the organization has none of yet; each can be reconfigured or disabled afterwards.
    /// Returns their rows, to be written with the connection in one transaction.
    pub async fn agents_for_connection(
        &self,
        org: OrgId,
        service: Service,
    ) -> Result<Vec<NewAgent>, RuntimeError> {
        let mut wanted = vec![(
            Watched::agent_type_of(service),
            format!("{service} watcher"),
            None,
        )];
        match service {
            Service::Github => {
                let review = CodeReviewConfig {
                    post: PostMode::Approval,
                    max_comments: 30,
                    ..CodeReviewConfig::default()
                };
                wanted.push((
                    names::CODE_REVIEW,
                    "Code review".to_owned(),
                    Some(input_value(&review)),
                ));
                wanted.push((names::SECURITY, "Security".to_owned(), None));
            }
            Service::Vercel => wanted.push((names::DEPLOYMENT, "Deployments".to_owned(), None)),
            // The standup is posted to Slack, so it comes with Slack.
            Service::Slack => {
                wanted.push((names::NOTIFICATION, "Notifications".to_owned(), None));
                wanted.push((names::STANDUP, "Standup".to_owned(), None));
            }
            // Posting on X or LinkedIn: the writer, the pipeline that publishes after a
            // person's approval, and the engagement tracker.
            Service::Twitter | Service::Linkedin => {
                wanted.push((names::CONTENT_WRITER, "Content writer".to_owned(), None));
                wanted.push((names::CONTENT_PIPELINE, "Content pipeline".to_owned(), None));
                wanted.push((names::ENGAGEMENT, "Engagement".to_owned(), None));
            }
            // Design QA and code from components come with Figma.
            Service::Figma => {
                wanted.push((names::DESIGN_QA, "Design QA".to_owned(), None));
                wanted.push((
                    names::COMPONENT_GENERATOR,
                    "Component generator".to_owned(),
                    None,
                ));
            }
        }
        // Delivery is measured from GitHub and Vercel: the analysts come with either.
        if matches!(service, Service::Github | Service::Vercel) {
            wanted.push((names::ANALYTICS, "Delivery analytics".to_owned(), None));
            wanted.push((
                names::ANOMALY_DETECTION,
                "Anomaly detection".to_owned(),
                None,
            ));
            wanted.push((names::PREDICTION, "Deployment risk".to_owned(), None));
            wanted.push((names::RECOMMENDATION, "Recommendations".to_owned(), None));
        }
        let mut rows = Vec::new();
        for (agent_type, name, configuration) in wanted {
            if self.registry().get(agent_type).is_none() {
                continue;
            }
            let filter = AgentFilter {
                agent_type: Some(agent_type.to_owned()),
                ..AgentFilter::default()
            };
            let page = PageRequest {
                limit: 1,
                after: None,
            };
            let existing = self.store().agents().list(org, &filter, &page).await?;
            if existing.items.is_empty() {
                rows.push(self.new_agent(&name, agent_type, configuration)?);
            }
        }
        Ok(rows)
    }

    /// Carries out `command` in `person`'s name: the task that does the work, assigned to
    /// the organization's agent of the type that performs it — or, when it has none,
    /// kept waiting for one, saying so. Work that acts outside CompanyOS waits for a
    /// person's approval (see [`duties`](crate::duties)).
    pub async fn command(
        &self,
        org: OrgId,
        command: Command,
        person: Person,
    ) -> Result<AgentTask, RuntimeError> {
        let planned = self.plan(org, command).await?;
        let mut assignee = companyos_actors::assign::assign(
            self.store(),
            org,
            planned.agent_type,
            None,
            companyos_actors::assign::any,
        )
        .await?;
        if let Assignee::Waiting { reason, .. } = &mut assignee
            && self.registry().get(planned.agent_type).is_none()
        {
            *reason = format!(
                "waiting for a {} agent: this node does not run that agent type yet",
                planned.agent_type
            );
        }
        let mut task = NewTask::for_assignee(org, assignee, planned.task_type);
        task.description = Some(planned.description);
        task.input = Some(planned.input);
        self.submit_by(task, person).await
    }

    async fn plan(&self, org: OrgId, command: Command) -> Result<Planned, RuntimeError> {
        let store = self.store();
        Ok(match command {
            Command::SyncIntegration(service) => {
                let integration = store.integrations().get(org, service).await?;
                Planned::of::<IntegrationSync>(
                    Watched::agent_type_of(service),
                    format!("sync {service}"),
                    &SyncIntegration {
                        service: Some(service),
                        integration_id: Some(integration.id),
                    },
                )
            }
            Command::SyncRepository(id) => {
                let repository = store.repositories().get(org, id).await?;
                Planned::of::<RepositorySync>(
                    names::GITHUB_WATCHER,
                    format!("sync {}", repository.full_name),
                    &SyncRepository {
                        repository_id: repository.id,
                        full_name: Some(repository.full_name),
                    },
                )
            }
            Command::SyncFigmaFile(id) => {
                let file = store.figma_files().get(org, id).await?;
                Planned::of::<FigmaFileSync>(
                    names::FIGMA_WATCHER,
                    format!("sync Figma file {}", file.name),
                    &SyncFigmaFile {
                        figma_file_id: file.id,
                        figma_file_key: Some(file.figma_file_key),
                    },
                )
            }
            Command::ReviewPullRequest(id) => {
                let pull_request = store.pull_requests().get(org, id).await?;
                let repository = store
                    .repositories()
                    .get(org, pull_request.repository_id)
                    .await?;
                // The same input the GitHub watcher writes: one shape for every producer.
                Planned::of::<Analyze>(
                    names::CODE_REVIEW,
                    format!(
                        "review pull request #{}: {}",
                        pull_request.number, pull_request.title
                    ),
                    &AnalyzePr {
                        repository: repository.full_name,
                        number: u64::try_from(pull_request.number).unwrap_or_default(),
                        pull_request_id: Some(pull_request.id),
                        head_sha: None,
                        title: Some(pull_request.title),
                        ..AnalyzePr::default()
                    },
                )
            }
            Command::RollBack(id) => {
                let deployment = store.deployments().get(org, id).await?;
                Planned::of::<RollBack>(
                    names::DEPLOYMENT,
                    format!("roll back {} ({})", deployment.project_name, deployment.url),
                    &Rollback {
                        deployment: DeploymentRef {
                            deployment_id: Some(deployment.id),
                            vercel_deployment_id: Some(deployment.vercel_deployment_id),
                            url: Some(deployment.url),
                            project: Some(deployment.project_name),
                        },
                        to: None,
                        reason: None,
                    },
                )
            }
            Command::GenerateCode(id) => {
                let component = store.design_components().get(org, id).await?;
                Planned {
                    agent_type: names::COMPONENT_GENERATOR,
                    task_type: names::GENERATE_CODE,
                    description: format!("generate code for component {}", component.name),
                    input: input_value(&GenerateCode {
                        design_component_id: Some(component.id),
                        figma_file_id: Some(component.figma_file_id),
                        figma_component_id: Some(component.figma_component_id),
                        ..GenerateCode::default()
                    }),
                }
            }
            Command::CheckDesignDrift => Planned::of::<CheckDesignDriftTask>(
                names::DESIGN_QA,
                "compare the Figma components with the code components".to_owned(),
                &CheckDesignDrift::default(),
            ),
            Command::DraftAboutPullRequest(id) => {
                let pull_request = store.pull_requests().get(org, id).await?;
                if pull_request.merged_at.is_none() {
                    return Err(CommandRefusal::NotMerged(pull_request.number).into());
                }
                Planned::of::<DraftPostTask>(
                    names::CONTENT_WRITER,
                    format!("draft posts about pull request #{}", pull_request.number),
                    &DraftPost {
                        source: DraftSource::PullRequest {
                            pull_request_id: pull_request.id,
                        },
                        event_id: None,
                    },
                )
            }
            Command::DraftAboutDeployment(id) => {
                let deployment = store.deployments().get(org, id).await?;
                if deployment.environment != Some(DeploymentEnvironment::Production)
                    || deployment.state != DeploymentState::Ready
                {
                    return Err(CommandRefusal::NotLive.into());
                }
                Planned::of::<DraftPostTask>(
                    names::CONTENT_WRITER,
                    format!(
                        "draft posts about the deployment of {}",
                        deployment.project_name
                    ),
                    &DraftPost {
                        source: DraftSource::Deployment {
                            deployment_id: deployment.id,
                        },
                        event_id: None,
                    },
                )
            }
            Command::PublishPost(id) => {
                let post = store.social_posts().get(org, id).await?;
                if post.status == SocialPostStatus::Published {
                    return Err(CommandRefusal::AlreadyPublished.into());
                }
                Planned {
                    agent_type: names::CONTENT_PIPELINE,
                    task_type: names::PUBLISH_POST,
                    description: format!("publish a {} post", post.platform),
                    input: input_value(&PublishPost {
                        social_post_id: post.id,
                        social_account_id: post.social_account_id,
                    }),
                }
            }
        })
    }
}
