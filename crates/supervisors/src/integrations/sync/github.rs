//! GitHub: repositories, one repository's open pull requests and recent deployments, and the
//! calls agents make (reviews, comments, files).

use companyos_integrations::clients::github;

use super::*;

impl Syncer {
    pub(super) async fn github_repositories(
        &self,
        client: &GitHubClient,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let organisation = self.setting_text("organization");
        let installation = setting(&self.integration, &self.credentials, "installation_id")
            .is_some()
            || setting(&self.integration, &self.credentials, "installation") == Some(json!(true));
        let mut page = github::PageRequest::default();
        for _ in 0..MAX_PAGES {
            let listing = if installation {
                client.list_installation_repositories(page).await?
            } else if let Some(organisation) = &organisation {
                client.list_org_repositories(organisation, page).await?
            } else {
                client.list_user_repositories(page).await?
            };
            for repository in listing.items {
                let Ok(github_id) = i64::try_from(repository.id) else {
                    continue;
                };
                let row = self
                    .store
                    .repositories()
                    .upsert(
                        self.org(),
                        RepositorySync {
                            github_id,
                            name: repository.name,
                            full_name: repository.full_name,
                            default_branch: repository.default_branch.unwrap_or_else(|| "main".into()),
                            visibility: Some(if repository.private {
                                RepositoryVisibility::Private
                            } else {
                                RepositoryVisibility::Public
                            }),
                            metadata: json!({"html_url": repository.html_url, "owner": repository.owner.login}),
                        },
                    )
                    .await?;
                report.count("repositories", 1);
                report.follow_up.push(SyncRequest::Repository {
                    repository_id: row.id,
                });
            }
            match listing.next_page {
                Some(next) => page.page = next,
                None => return Ok(()),
            }
        }
        report.notes.push(format!(
            "only the first {} repositories were read",
            MAX_PAGES * u32::from(page.per_page)
        ));
        Ok(())
    }

    pub(super) async fn github_repository(
        &self,
        client: &GitHubClient,
        repository: &companyos_store::Repository,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let org = self.org();
        let Some((owner, name)) = repository.full_name.split_once('/') else {
            return Err(SyncError::Unusable(format!(
                "{:?} is not an owner/name repository",
                repository.full_name
            )));
        };
        // Open pull requests, as GitHub lists them.
        let mut open = HashSet::new();
        let mut query = github::PullRequestQuery {
            state: Some("open".into()),
            ..Default::default()
        };
        for _ in 0..MAX_PAGES {
            let listing = client.list_pull_requests(owner, name, &query).await?;
            for pull_request in listing.items {
                open.insert(pull_request.number);
                if self.upsert_pull_request(repository, &pull_request).await? {
                    report.count("pull_requests", 1);
                }
            }
            match listing.next_page {
                Some(next) => query.page.page = next,
                None => break,
            }
        }
        // Open here but no longer in the listing: closed or merged meanwhile.
        let stale: Vec<_> = self
            .store
            .pull_requests()
            .list(
                org,
                &PullRequestFilter {
                    repository_id: Some(repository.id),
                    state: Some(PullRequestState::Open),
                    review_status: None,
                },
                &PageRequest::first(MAX_STALE_PULL_REQUESTS as u32),
            )
            .await?
            .items
            .into_iter()
            .filter(|row| !open.contains(&u64::try_from(row.number).unwrap_or_default()))
            .collect();
        for row in stale {
            let Ok(number) = u64::try_from(row.number) else {
                continue;
            };
            match client.get_pull_request(owner, name, number).await {
                Ok(pull_request) => {
                    if self.upsert_pull_request(repository, &pull_request).await? {
                        report.count("pull_requests", 1);
                    }
                }
                Err(IntegrationError::NotFound { .. }) => {
                    report.notes.push(format!(
                        "{}#{number} is gone from GitHub",
                        repository.full_name
                    ));
                }
                Err(error) => return Err(error.into()),
            }
        }
        // Recent deployments and where each stands.
        let deployments = client
            .list_deployments(
                owner,
                name,
                &github::DeploymentQuery {
                    page: github::PageRequest {
                        per_page: RECENT_DEPLOYMENTS as u8,
                        page: 1,
                    },
                    ..Default::default()
                },
            )
            .await?;
        for deployment in deployments.items {
            let statuses = client
                .list_deployment_statuses(
                    owner,
                    name,
                    deployment.id,
                    github::PageRequest {
                        per_page: 1,
                        page: 1,
                    },
                )
                .await?;
            let latest = statuses.items.first();
            let state = github_deployment_state(latest.map(|status| status.state.as_str()));
            self.store
                .deployments()
                .upsert(
                    org,
                    DeploymentSync {
                        vercel_deployment_id: github_deployment_key(deployment.id),
                        project_name: repository.full_name.clone(),
                        url: latest
                            .and_then(|status| status.environment_url.clone())
                            .unwrap_or_default(),
                        state,
                        environment: environment(Some(&deployment.environment)),
                        commit_sha: Some(deployment.sha),
                        branch: Some(deployment.git_ref),
                        metadata: json!({
                            "source": "github",
                            "task": deployment.task,
                            "log_url": latest.and_then(|status| status.log_url.clone()),
                            "creator": deployment.creator.map(|creator| creator.login),
                        }),
                        ready_at: (state == DeploymentState::Ready)
                            .then(|| latest.map(|status| status.created_at))
                            .flatten(),
                    },
                )
                .await?;
            report.count("deployments", 1);
        }
        Ok(())
    }

    /// Whether the pull request was written (one without GitHub's id cannot be).
    pub(super) async fn upsert_pull_request(
        &self,
        repository: &companyos_store::Repository,
        pull_request: &github::PullRequest,
    ) -> Result<bool, SyncError> {
        let (Some(github_id), Ok(number)) = (
            pull_request.id.and_then(|id| i64::try_from(id).ok()),
            i32::try_from(pull_request.number),
        ) else {
            return Ok(false);
        };
        let state = pull_request_state(
            pull_request.merged == Some(true) || pull_request.merged_at.is_some(),
            pull_request.state == "closed",
        );
        self.store
            .pull_requests()
            .upsert(
                self.org(),
                PullRequestSync {
                    repository_id: repository.id,
                    github_id,
                    number,
                    title: pull_request.title.clone(),
                    body: pull_request.body.clone(),
                    state,
                    author_github_id: None,
                    base_branch: Some(pull_request.base.name.clone()),
                    head_branch: Some(pull_request.head.name.clone()),
                    draft: pull_request.draft,
                    mergeable: pull_request.mergeable,
                    metadata: json!({
                        "html_url": pull_request.html_url,
                        "head_sha": pull_request.head.sha,
                        "author": pull_request.user.as_ref().map(|user| user.login.clone()),
                        "additions": pull_request.additions,
                        "deletions": pull_request.deletions,
                        "changed_files": pull_request.changed_files,
                    }),
                    opened_at: pull_request.created_at,
                    closed_at: pull_request.closed_at,
                    merged_at: pull_request.merged_at,
                },
            )
            .await?;
        Ok(true)
    }

    pub(super) async fn github(
        client: &GitHubClient,
        request: GitHubRequest,
    ) -> Result<GitHubResponse, SyncError> {
        let split = |repository: &str| -> Result<(String, String), SyncError> {
            repository
                .split_once('/')
                .filter(|(owner, name)| !owner.is_empty() && !name.is_empty())
                .map(|(owner, name)| (owner.to_owned(), name.to_owned()))
                .ok_or_else(|| {
                    SyncError::Unusable(format!(
                        "{repository:?} is not a repository name of the form owner/name"
                    ))
                })
        };
        Ok(match request {
            GitHubRequest::PullRequest { repository, number } => {
                let (owner, name) = split(&repository)?;
                let pull_request = client.get_pull_request(&owner, &name, number).await?;
                let files = client.pull_request_files(&owner, &name, number).await?;
                GitHubResponse::PullRequest {
                    pull_request: Box::new(pull_request),
                    files,
                }
            }
            GitHubRequest::File {
                repository,
                path,
                reference,
            } => {
                let (owner, name) = split(&repository)?;
                GitHubResponse::File(
                    client
                        .file_contents(&owner, &name, &path, &reference)
                        .await?,
                )
            }
            GitHubRequest::RecentAuthors { repository, paths } => {
                let (owner, name) = split(&repository)?;
                let mut authors: Vec<String> = Vec::new();
                for path in paths {
                    for login in client.recent_authors(&owner, &name, &path).await? {
                        if !authors.contains(&login) {
                            authors.push(login);
                        }
                    }
                }
                GitHubResponse::Authors(authors)
            }
            GitHubRequest::PostReview {
                repository,
                number,
                review,
            } => {
                let (owner, name) = split(&repository)?;
                GitHubResponse::Review(client.create_review(&owner, &name, number, &review).await?)
            }
            GitHubRequest::DeploymentStatus {
                repository,
                sha,
                environment,
                status,
            } => {
                let (owner, name) = split(&repository)?;
                let query = github::DeploymentQuery {
                    sha: Some(sha),
                    environment,
                    page: github::PageRequest {
                        per_page: 1,
                        page: 1,
                    },
                    ..Default::default()
                };
                let newest = client.list_deployments(&owner, &name, &query).await?;
                match newest.items.first() {
                    Some(deployment) => GitHubResponse::DeploymentStatus(Some((
                        deployment.id,
                        client
                            .create_deployment_status(&owner, &name, deployment.id, &status)
                            .await?,
                    ))),
                    None => GitHubResponse::DeploymentStatus(None),
                }
            }
            GitHubRequest::Tree {
                repository,
                reference,
            } => {
                let (owner, name) = split(&repository)?;
                GitHubResponse::Tree(client.tree(&owner, &name, &reference).await?)
            }
            GitHubRequest::OpenPullRequest {
                repository,
                base,
                branch,
                files,
                message,
                title,
                body,
            } => {
                let (owner, name) = split(&repository)?;
                // A branch an earlier attempt created is used as it is.
                let existing = match client.branch_head(&owner, &name, &branch).await {
                    Ok(_) => client.tree(&owner, &name, &branch).await?.tree,
                    Err(companyos_integrations::IntegrationError::NotFound { .. }) => {
                        let head = client.branch_head(&owner, &name, &base).await?;
                        client
                            .create_branch(&owner, &name, &branch, &head.object.sha)
                            .await?;
                        client.tree(&owner, &name, &head.object.sha).await?.tree
                    }
                    Err(error) => return Err(error.into()),
                };
                for (path, content) in files {
                    let blob = existing.iter().find(|entry| entry.path == path);
                    if blob.is_some_and(|entry| entry.sha == github::git_blob_sha(&content)) {
                        continue;
                    }
                    let file = github::NewFile {
                        path,
                        content,
                        message: message.clone(),
                        branch: branch.clone(),
                        sha: blob.map(|entry| entry.sha.clone()),
                    };
                    client.put_file(&owner, &name, &file).await?;
                }
                let pull_request = github::NewPullRequest {
                    title,
                    head: branch,
                    base,
                    body,
                };
                GitHubResponse::PullRequestOpened(Box::new(
                    client
                        .create_pull_request(&owner, &name, &pull_request)
                        .await?,
                ))
            }
        })
    }
}
