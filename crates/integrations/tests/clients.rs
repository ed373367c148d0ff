//! The API clients against local stand-ins that speak each vendor's real format: bodies
//! come from the vendor payloads in the repository's `fixtures/` and the documented response
//! shapes, and each test checks the request the client sent as well as what it parsed.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use companyos_integrations::IntegrationError;
use companyos_integrations::clients::RetryPolicy;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A vendor fixture, read from the repository's `fixtures/`.
fn fixture(relative: &str) -> Value {
    let full = format!("{}/../../fixtures/{relative}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|error| panic!("{full}: {error}"));
    serde_json::from_str(&text).unwrap()
}

/// Retries in milliseconds so the tests stay quick; rate-limit waits up to 5 s in place.
fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        max_wait: Duration::from_secs(5),
    }
}

fn epoch_in(seconds: u64) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    (now.as_secs() + seconds).to_string()
}

fn assert_rate_limited(error: &IntegrationError, service: &str, at_least: Duration) {
    match error {
        IntegrationError::RateLimited {
            service: actual,
            retry_after,
        } => {
            assert_eq!(*actual, service);
            assert!(*retry_after >= at_least, "retry_after {retry_after:?}");
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

mod github {
    use super::*;
    use companyos_integrations::clients::github::{
        DeploymentQuery, NewReview, PageRequest, PullRequestQuery, ReviewComment, ReviewEvent,
    };
    use companyos_integrations::clients::{GitHubClient, GitHubConfig};

    const TOKEN: &str = "ghs_installation_token_1234";
    const USER_AGENT: &str = concat!("CompanyOS/", env!("CARGO_PKG_VERSION"));
    const REPO: &str = "/repos/Codertocat/Hello-World";

    fn client(server: &MockServer, retry: RetryPolicy) -> GitHubClient {
        let mut config = GitHubConfig::new(TOKEN);
        config.base_url = server.uri();
        config.retry = retry;
        GitHubClient::new(config).unwrap()
    }

    /// Every GitHub request: bearer token, JSON media type, API version, user agent.
    fn github_get(route: &str) -> wiremock::MockBuilder {
        Mock::given(method("GET"))
            .and(path(route.to_owned()))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("x-github-api-version", "2022-11-28"))
            .and(header("user-agent", USER_AGENT))
    }

    fn pull_request() -> Value {
        fixture("github/pull_request/opened.payload.json")["pull_request"].clone()
    }

    #[tokio::test]
    async fn lists_pull_requests_with_githubs_headers_and_query() {
        let server = MockServer::start().await;
        let next = format!(
            "<{}{REPO}/pulls?state=open&per_page=100&page=2>; rel=\"next\"",
            server.uri()
        );
        github_get(&format!("{REPO}/pulls"))
            .and(header("accept", "application/vnd.github+json"))
            .and(query_param("state", "open"))
            .and(query_param("head", "Codertocat:changes"))
            .and(query_param("per_page", "100"))
            .and(query_param("page", "1"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!([pull_request()]))
                    .insert_header("link", next.as_str()),
            )
            .expect(1)
            .mount(&server)
            .await;

        let query = PullRequestQuery {
            state: Some("open".into()),
            head: Some("Codertocat:changes".into()),
            ..PullRequestQuery::default()
        };
        let page = client(&server, fast_retries(1))
            .list_pull_requests("Codertocat", "Hello-World", &query)
            .await
            .unwrap();

        assert_eq!(page.next_page, Some(2));
        let [pull] = page.items.as_slice() else {
            panic!("one pull request expected, got {:?}", page.items)
        };
        assert_eq!(pull.number, 2);
        assert_eq!(pull.title, "Update the README with new information.");
        assert_eq!(pull.head.name, "changes");
        assert_eq!(pull.head.sha, "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
        assert_eq!(pull.base.name, "master");
        assert_eq!(pull.user.as_ref().unwrap().login, "Codertocat");
        assert!(!pull.draft);
    }

    #[tokio::test]
    async fn gets_a_pull_request_and_its_diff_by_media_type() {
        let server = MockServer::start().await;
        let diff = "diff --git a/README.md b/README.md\nindex 8b13789..e69de29 100644\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-Hello World\n+Hello World!\n";
        github_get(&format!("{REPO}/pulls/2"))
            .and(header("accept", "application/vnd.github.diff"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(diff, "text/plain; charset=utf-8"),
            )
            .expect(1)
            .mount(&server)
            .await;
        github_get(&format!("{REPO}/pulls/2"))
            .and(header("accept", "application/vnd.github+json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(pull_request()))
            .expect(1)
            .mount(&server)
            .await;
        let github = client(&server, fast_retries(1));

        let pull = github
            .get_pull_request("Codertocat", "Hello-World", 2)
            .await
            .unwrap();
        assert_eq!(pull.mergeable, None);
        assert_eq!(pull.mergeable_state.as_deref(), Some("unknown"));
        assert_eq!(pull.merged, Some(false));
        assert_eq!(
            (pull.additions, pull.deletions, pull.changed_files),
            (Some(1), Some(1), Some(1))
        );

        let text = github
            .pull_request_diff("Codertocat", "Hello-World", 2)
            .await
            .unwrap();
        assert_eq!(text, diff);
    }

    #[tokio::test]
    async fn pull_request_files_follow_the_link_header_across_pages() {
        let server = MockServer::start().await;
        let files_path = format!("{REPO}/pulls/2/files");
        let next = format!(
            "<{}{files_path}?per_page=100&page=2>; rel=\"next\", <{}{files_path}?per_page=100&page=2>; rel=\"last\"",
            server.uri(),
            server.uri()
        );
        github_get(&files_path)
            .and(query_param("page", "1"))
            .and(query_param("per_page", "100"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("link", next.as_str())
                    .set_body_json(json!([
                        {"sha": "bbcd538c8e72b8c175046e27cc8f907076331401", "filename": "README.md",
                         "status": "modified", "additions": 1, "deletions": 1, "changes": 2,
                         "patch": "@@ -1 +1 @@\n-Hello World\n+Hello World!"},
                        {"sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "filename": "docs/guide.md",
                         "previous_filename": "guide.md", "status": "renamed",
                         "additions": 0, "deletions": 0, "changes": 0}
                    ])),
            )
            .expect(1)
            .mount(&server)
            .await;
        github_get(&files_path)
            .and(query_param("page", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                {"sha": "0123456789abcdef0123456789abcdef01234567", "filename": "logo.png",
                 "status": "added", "additions": 0, "deletions": 0, "changes": 0}
            ])))
            .expect(1)
            .mount(&server)
            .await;

        let files = client(&server, fast_retries(1))
            .pull_request_files("Codertocat", "Hello-World", 2)
            .await
            .unwrap();

        let names: Vec<&str> = files.iter().map(|file| file.filename.as_str()).collect();
        assert_eq!(names, ["README.md", "docs/guide.md", "logo.png"]);
        assert!(
            files[0]
                .patch
                .as_deref()
                .unwrap()
                .starts_with("@@ -1 +1 @@")
        );
        assert_eq!(files[1].previous_filename.as_deref(), Some("guide.md"));
        assert_eq!(files[2].patch, None, "binary files come without a patch");
    }

    #[tokio::test]
    async fn creates_a_review_with_inline_comments() {
        let server = MockServer::start().await;
        let review = fixture("github/pull_request_review/submitted.payload.json")["review"].clone();
        Mock::given(method("POST"))
            .and(path(format!("{REPO}/pulls/2/reviews")))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("accept", "application/vnd.github+json"))
            .and(header("x-github-api-version", "2022-11-28"))
            .and(header("content-type", "application/json"))
            .and(body_json(json!({
                "commit_id": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
                "body": "Two things to fix.",
                "event": "REQUEST_CHANGES",
                "comments": [
                    {"path": "README.md", "body": "Typo here.", "line": 1, "side": "RIGHT"}
                ]
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(review))
            .expect(1)
            .mount(&server)
            .await;

        let new_review = NewReview {
            commit_id: Some("ec26c3e57ca3a959ca5aad62de7213c562f8c821".into()),
            body: Some("Two things to fix.".into()),
            event: Some(ReviewEvent::RequestChanges),
            comments: vec![ReviewComment::on_line("README.md", 1, "Typo here.")],
        };
        let created = client(&server, fast_retries(1))
            .create_review("Codertocat", "Hello-World", 2, &new_review)
            .await
            .unwrap();

        assert_eq!(created.id, 237_895_671);
        assert_eq!(created.state, "commented");
        assert_eq!(
            created.commit_id.as_deref(),
            Some("ec26c3e57ca3a959ca5aad62de7213c562f8c821")
        );
        assert!(created.submitted_at.is_some());
    }

    #[tokio::test]
    async fn creates_a_conversation_comment() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("{REPO}/issues/2/comments")))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(body_json(json!({"body": "Looks good to me."})))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "id": 1_234_567,
                "html_url": "https://github.com/Codertocat/Hello-World/pull/2#issuecomment-1234567",
                "body": "Looks good to me.",
                "user": {"login": "companyos[bot]", "id": 41_898_282, "type": "Bot"}
            })))
            .expect(1)
            .mount(&server)
            .await;

        let comment = client(&server, fast_retries(1))
            .create_issue_comment("Codertocat", "Hello-World", 2, "Looks good to me.")
            .await
            .unwrap();

        assert_eq!(comment.id, 1_234_567);
        assert_eq!(comment.user.unwrap().login, "companyos[bot]");
        assert!(comment.html_url.ends_with("#issuecomment-1234567"));
    }

    #[tokio::test]
    async fn lists_deployments_and_their_statuses() {
        let server = MockServer::start().await;
        let deployment = fixture("github/deployment/payload.json")["deployment"].clone();
        let status = fixture("github/deployment_status/payload.json")["deployment_status"].clone();
        github_get(&format!("{REPO}/deployments"))
            .and(query_param("environment", "production"))
            .and(query_param("ref", "master"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([deployment])))
            .expect(1)
            .mount(&server)
            .await;
        github_get(&format!("{REPO}/deployments/145988746/statuses"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([status])))
            .expect(1)
            .mount(&server)
            .await;
        let github = client(&server, fast_retries(1));

        let query = DeploymentQuery {
            environment: Some("production".into()),
            git_ref: Some("master".into()),
            ..DeploymentQuery::default()
        };
        let deployments = github
            .list_deployments("Codertocat", "Hello-World", &query)
            .await
            .unwrap();
        let [deployment] = deployments.items.as_slice() else {
            panic!("one deployment expected")
        };
        assert_eq!(deployment.id, 145_988_746);
        assert_eq!(deployment.sha, "f95f852bd8fca8fcc58a9a2d6c842781e32a215e");
        assert_eq!(deployment.git_ref, "master");
        assert_eq!(deployment.task, "deploy");
        assert_eq!(deployment.creator.as_ref().unwrap().login, "Codertocat");
        assert_eq!(deployments.next_page, None);

        let statuses = github
            .list_deployment_statuses(
                "Codertocat",
                "Hello-World",
                deployment.id,
                PageRequest::default(),
            )
            .await
            .unwrap();
        assert_eq!(statuses.items.len(), 1);
        assert_eq!(statuses.items[0].state, "success");
    }

    #[tokio::test]
    async fn lists_repositories_of_an_installation_a_user_and_an_organisation() {
        let server = MockServer::start().await;
        let repository =
            fixture("github/pull_request/opened.with-organization.payload.json")["repository"]
                .clone();
        github_get("/installation/repositories")
            .and(query_param("per_page", "50"))
            .and(query_param("page", "3"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "total_count": 1,
                "repository_selection": "selected",
                "repositories": [repository.clone()]
            })))
            .expect(1)
            .mount(&server)
            .await;
        github_get("/user/repos")
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([repository.clone()])))
            .expect(1)
            .mount(&server)
            .await;
        github_get("/orgs/Octocoders/repos")
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([repository])))
            .expect(1)
            .mount(&server)
            .await;
        let github = client(&server, fast_retries(1));

        let page = PageRequest {
            per_page: 50,
            page: 3,
        };
        let installation = github.list_installation_repositories(page).await.unwrap();
        let user = github
            .list_user_repositories(PageRequest::default())
            .await
            .unwrap();
        let org = github
            .list_org_repositories("Octocoders", PageRequest::default())
            .await
            .unwrap();
        for listing in [installation, user, org] {
            let [repository] = listing.items.as_slice() else {
                panic!("one repository expected")
            };
            assert_eq!(repository.full_name, "Codertocat/Hello-World");
            assert_eq!(repository.owner.login, "Codertocat");
            assert_eq!(repository.default_branch.as_deref(), Some("master"));
            assert!(!repository.private);
        }
    }

    #[tokio::test]
    async fn an_exhausted_budget_with_a_distant_reset_is_refused_without_more_requests() {
        let server = MockServer::start().await;
        github_get(&format!("{REPO}/pulls/2"))
            .respond_with(
                ResponseTemplate::new(403)
                    .insert_header("x-ratelimit-limit", "5000")
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-used", "5000")
                    .insert_header("x-ratelimit-reset", epoch_in(3600).as_str())
                    .insert_header("x-ratelimit-resource", "core")
                    .set_body_json(json!({
                        "message": "API rate limit exceeded for installation ID 1.",
                        "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
                    })),
            )
            .expect(1)
            .mount(&server)
            .await;
        let github = client(&server, fast_retries(3));

        let first = github
            .get_pull_request("Codertocat", "Hello-World", 2)
            .await
            .unwrap_err();
        assert_rate_limited(&first, "github", Duration::from_secs(3500));
        assert!(first.is_retryable());

        // The client remembers the reset and does not even send the next call.
        let second = github
            .get_pull_request("Codertocat", "Hello-World", 2)
            .await
            .unwrap_err();
        assert_rate_limited(&second, "github", Duration::from_secs(3500));
    }

    #[tokio::test]
    async fn a_success_that_spends_the_budget_holds_back_the_next_call() {
        let server = MockServer::start().await;
        github_get(&format!("{REPO}/pulls/2"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-reset", epoch_in(1800).as_str())
                    .set_body_json(pull_request()),
            )
            .expect(1)
            .mount(&server)
            .await;
        let github = client(&server, fast_retries(3));

        github
            .get_pull_request("Codertocat", "Hello-World", 2)
            .await
            .unwrap();
        let refused = github
            .pull_request_diff("Codertocat", "Hello-World", 2)
            .await
            .unwrap_err();
        assert_rate_limited(&refused, "github", Duration::from_secs(1700));
    }

    #[tokio::test]
    async fn a_503_then_a_200_succeeds_after_one_retry() {
        let server = MockServer::start().await;
        github_get(&format!("{REPO}/pulls/2"))
            .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        github_get(&format!("{REPO}/pulls/2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(pull_request()))
            .expect(1)
            .mount(&server)
            .await;

        let pull = client(&server, fast_retries(3))
            .get_pull_request("Codertocat", "Hello-World", 2)
            .await
            .unwrap();
        assert_eq!(pull.number, 2);
    }

    #[tokio::test]
    async fn a_persistent_500_gives_up_after_the_configured_attempts() {
        let server = MockServer::start().await;
        github_get(&format!("{REPO}/pulls"))
            .respond_with(
                ResponseTemplate::new(500).set_body_json(json!({"message": "Server Error"})),
            )
            .expect(4)
            .mount(&server)
            .await;

        let error = client(&server, fast_retries(4))
            .list_pull_requests("Codertocat", "Hello-World", &PullRequestQuery::default())
            .await
            .unwrap_err();
        match &error {
            IntegrationError::Api {
                service,
                status,
                message,
            } => {
                assert_eq!((*service, *status), ("github", 500));
                assert_eq!(message, "Server Error");
            }
            other => panic!("expected Api, got {other:?}"),
        }
        assert!(error.is_retryable());
    }

    #[tokio::test]
    async fn a_comment_is_not_sent_twice_after_a_server_error() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("{REPO}/issues/2/comments")))
            .respond_with(ResponseTemplate::new(502))
            .expect(1)
            .mount(&server)
            .await;

        let error = client(&server, fast_retries(3))
            .create_issue_comment("Codertocat", "Hello-World", 2, "hello")
            .await
            .unwrap_err();
        assert!(
            matches!(error, IntegrationError::Api { status: 502, .. }),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_401_is_unauthorized_and_the_token_appears_nowhere() {
        let server = MockServer::start().await;
        github_get(&format!("{REPO}/pulls/2"))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let github = client(&server, fast_retries(3));

        let error = github
            .get_pull_request("Codertocat", "Hello-World", 2)
            .await
            .unwrap_err();
        assert!(
            matches!(error, IntegrationError::Unauthorized { service: "github" }),
            "{error:?}"
        );
        for shown in [
            format!("{error:?}"),
            error.to_string(),
            format!("{github:?}"),
            format!("{:?}", GitHubConfig::new(TOKEN)),
        ] {
            assert!(!shown.contains(TOKEN), "{shown}");
        }
        assert!(format!("{github:?}").contains("[redacted]"));
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_transport_error_after_retries() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let mut config = GitHubConfig::new(TOKEN);
        config.base_url = format!("http://{address}");
        config.retry = fast_retries(2);
        let github = GitHubClient::new(config).unwrap();

        let error = github
            .get_pull_request("Codertocat", "Hello-World", 2)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                IntegrationError::Transport {
                    service: "github",
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn a_base_url_that_is_not_a_url_is_refused() {
        let mut config = GitHubConfig::new(TOKEN);
        config.base_url = "api.github.com".into();
        assert!(matches!(
            GitHubClient::new(config),
            Err(IntegrationError::InvalidRequest { .. })
        ));
    }
}

mod vercel {
    use super::*;
    use companyos_integrations::clients::vercel::DeploymentQuery;
    use companyos_integrations::clients::{VercelClient, VercelConfig};

    const TOKEN: &str = "vercel_token_abcdef";
    const TEAM: &str = "team_a1b2C3d4E5f6G7h8I9j0K1l2";

    fn client(server: &MockServer, retry: RetryPolicy) -> VercelClient {
        let mut config = VercelConfig::new(TOKEN);
        config.base_url = server.uri();
        config.team_id = Some(TEAM.into());
        config.retry = retry;
        VercelClient::new(config).unwrap()
    }

    /// The ids of the `deployment.succeeded` webhook fixture, so the REST shapes below
    /// describe the same deployment.
    fn ids() -> (String, String, String) {
        let event = fixture("vercel/deployment.succeeded.json");
        let payload = &event["payload"];
        (
            payload["deployment"]["id"].as_str().unwrap().to_owned(),
            payload["project"]["id"].as_str().unwrap().to_owned(),
            payload["deployment"]["url"].as_str().unwrap().to_owned(),
        )
    }

    #[tokio::test]
    async fn lists_deployments_scoped_to_the_team() {
        let server = MockServer::start().await;
        let (deployment_id, project_id, url) = ids();
        Mock::given(method("GET"))
            .and(path("/v6/deployments"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(query_param("teamId", TEAM))
            .and(query_param("projectId", project_id.as_str()))
            .and(query_param("target", "production"))
            .and(query_param("limit", "20"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-ratelimit-limit", "100")
                    .insert_header("x-ratelimit-remaining", "99")
                    .insert_header("x-ratelimit-reset", epoch_in(60).as_str())
                    .set_body_json(json!({
                        "pagination": {"count": 1, "next": 1_699_999_000_000_i64, "prev": null},
                        "deployments": [{
                            "uid": deployment_id, "name": "my-app", "projectId": project_id,
                            "url": url, "created": 1_700_000_000_000_i64,
                            "createdAt": 1_700_000_000_000_i64, "state": "READY",
                            "readyState": "READY", "target": "production",
                            "meta": {"githubCommitSha": "9f3c2a1b7e6d5c4b3a29180f7e6d5c4b3a291807"},
                            "creator": {"uid": "Uu1v2W3x4Y5z6A7b8C9d0E1f", "username": "acme-dev"},
                            "inspectorUrl": "https://vercel.com/acme/my-app/2euZBFqxYdDMDMqkJ3o4kXcSWpGQ",
                            "buildingAt": 1_700_000_010_000_i64, "ready": 1_700_000_090_000_i64
                        }, {
                            "uid": "dpl_uploading", "name": "my-app", "url": null,
                            "created": 1_700_000_100_000_i64, "state": "INITIALIZING",
                            "creator": {"uid": "Uu1v2W3x4Y5z6A7b8C9d0E1f"}
                        }]
                    })),
            )
            .expect(1)
            .mount(&server)
            .await;

        let query = DeploymentQuery {
            project_id: Some(project_id.clone()),
            target: Some("production".into()),
            limit: Some(20),
            ..DeploymentQuery::default()
        };
        let list = client(&server, fast_retries(1))
            .list_deployments(&query)
            .await
            .unwrap();

        assert_eq!(list.pagination.next, Some(1_699_999_000_000));
        assert_eq!(list.deployments.len(), 2);
        let ready = &list.deployments[0];
        assert_eq!(ready.uid, deployment_id);
        assert_eq!(ready.url.as_deref(), Some(url.as_str()));
        assert_eq!(ready.ready_state.as_deref(), Some("READY"));
        assert_eq!(ready.creator.username.as_deref(), Some("acme-dev"));
        assert_eq!(
            list.deployments[1].url, None,
            "an unfinished upload has no url"
        );
    }

    #[tokio::test]
    async fn gets_one_deployment() {
        let server = MockServer::start().await;
        let (deployment_id, project_id, url) = ids();
        Mock::given(method("GET"))
            .and(path(format!("/v13/deployments/{deployment_id}")))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(query_param("teamId", TEAM))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": deployment_id, "url": url, "name": "my-app", "readyState": "ERROR",
                "readyStateReason": "Build failed", "target": "production",
                "alias": [], "aliasAssigned": null, "createdAt": 1_700_000_000_000_i64,
                "buildingAt": 1_700_000_010_000_i64, "ready": null, "meta": {},
                "projectId": project_id, "inspectorUrl": null,
                "errorCode": "BUILD_FAILED", "errorMessage": "Command \"npm run build\" exited with 1",
                "creator": {"uid": "Uu1v2W3x4Y5z6A7b8C9d0E1f", "username": "acme-dev"}
            })))
            .expect(1)
            .mount(&server)
            .await;

        let deployment = client(&server, fast_retries(1))
            .get_deployment(&deployment_id)
            .await
            .unwrap();
        assert_eq!(deployment.ready_state, "ERROR");
        assert_eq!(deployment.error_code.as_deref(), Some("BUILD_FAILED"));
        assert_eq!(deployment.project_id, project_id);
    }

    #[tokio::test]
    async fn rolls_back_and_accepts_an_empty_201() {
        let server = MockServer::start().await;
        let (deployment_id, project_id, _) = ids();
        Mock::given(method("POST"))
            .and(path(format!(
                "/v1/projects/{project_id}/rollback/{deployment_id}"
            )))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(query_param("teamId", TEAM))
            .and(query_param("description", "error rate above 5%"))
            .respond_with(ResponseTemplate::new(201))
            .expect(1)
            .mount(&server)
            .await;

        client(&server, fast_retries(1))
            .rollback(&project_id, &deployment_id, Some("error rate above 5%"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_429_with_a_distant_reset_is_rate_limited_after_one_request() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v6/deployments"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("x-ratelimit-limit", "100")
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-reset", epoch_in(900).as_str())
                    .set_body_json(json!({"error": {"code": "rate_limited", "message": "Rate limit exceeded"}})),
            )
            .expect(1)
            .mount(&server)
            .await;

        let error = client(&server, fast_retries(3))
            .list_deployments(&DeploymentQuery::default())
            .await
            .unwrap_err();
        assert_rate_limited(&error, "vercel", Duration::from_secs(800));
    }

    #[tokio::test]
    async fn a_404_names_the_missing_deployment() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v13/deployments/dpl_missing"))
            .respond_with(ResponseTemplate::new(404).set_body_json(
                json!({"error": {"code": "not_found", "message": "Deployment not found"}}),
            ))
            .expect(1)
            .mount(&server)
            .await;

        let error = client(&server, fast_retries(3))
            .get_deployment("dpl_missing")
            .await
            .unwrap_err();
        match error {
            IntegrationError::NotFound { service, what } => {
                assert_eq!(service, "vercel");
                assert_eq!(what, "deployment dpl_missing");
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}

mod figma {
    use super::*;
    use companyos_integrations::clients::figma::FileQuery;
    use companyos_integrations::clients::{FigmaClient, FigmaConfig};

    const TOKEN: &str = "figd_personal_token_xyz";

    fn client(server: &MockServer, retry: RetryPolicy) -> FigmaClient {
        let mut config = FigmaConfig::new(TOKEN);
        config.base_url = server.uri();
        config.retry = retry;
        FigmaClient::new(config).unwrap()
    }

    /// A `PublishedComponent` as the spec shapes it; the file key is the one in the
    /// `FILE_UPDATE` webhook fixture.
    fn component(file_key: &str, key: &str) -> Value {
        json!({
            "key": key, "file_key": file_key, "node_id": "1:23",
            "thumbnail_url": "https://s3-alpha.figma.com/thumbnails/abc",
            "name": "Button/Primary", "description": "Primary action",
            "created_at": "2024-01-10T10:00:00Z", "updated_at": "2024-02-01T09:30:00Z",
            "user": {"id": "123", "handle": "Designer", "img_url": "https://s3-alpha.figma.com/profile/123"},
            "containing_frame": {"nodeId": "1:2", "name": "Buttons", "pageId": "0:1", "pageName": "Components"}
        })
    }

    fn file_key() -> String {
        fixture("figma/FILE_UPDATE.docs.json")["file_key"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[tokio::test]
    async fn reads_a_file_with_the_figma_token_header() {
        let server = MockServer::start().await;
        let key = file_key();
        Mock::given(method("GET"))
            .and(path(format!("/v1/files/{key}")))
            .and(header("x-figma-token", TOKEN))
            .and(query_param("depth", "1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "name": "Design system", "role": "editor", "lastModified": "2024-02-01T09:30:00Z",
                "editorType": "figma", "thumbnailUrl": "https://s3-alpha.figma.com/thumbnails/file",
                "version": "5096914516", "schemaVersion": 0,
                "document": {"id": "0:0", "name": "Document", "type": "DOCUMENT", "children": [
                    {"id": "0:1", "name": "Components", "type": "CANVAS", "children": []}
                ]},
                "components": {"1:23": {"key": "abc123", "name": "Button/Primary", "description": ""}},
                "componentSets": {}, "styles": {}
            })))
            .expect(1)
            .mount(&server)
            .await;

        let query = FileQuery {
            depth: Some(1),
            ..FileQuery::default()
        };
        let file = client(&server, fast_retries(1))
            .file(&key, &query)
            .await
            .unwrap();
        assert_eq!(file.name, "Design system");
        assert_eq!(file.editor_type.as_deref(), Some("figma"));
        assert_eq!(file.version, "5096914516");
        assert_eq!(file.document["children"][0]["type"], "CANVAS");
        assert!(file.components.contains_key("1:23"));
    }

    #[tokio::test]
    async fn lists_file_and_team_components_with_the_cursor() {
        let server = MockServer::start().await;
        let key = file_key();
        Mock::given(method("GET"))
            .and(path(format!("/v1/files/{key}/components")))
            .and(header("x-figma-token", TOKEN))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "status": 200, "error": false,
                "meta": {"components": [component(&key, "abc123")]}
            })))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1/teams/1234567890/components"))
            .and(header("x-figma-token", TOKEN))
            .and(query_param("page_size", "2"))
            .and(query_param("after", "30"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "status": 200, "error": false,
                "meta": {
                    "components": [component(&key, "abc123"), component(&key, "def456")],
                    "cursor": {"before": 31, "after": 32}
                }
            })))
            .expect(1)
            .mount(&server)
            .await;
        let figma = client(&server, fast_retries(1));

        let file = figma.file_components(&key).await.unwrap();
        assert_eq!(file.components.len(), 1);
        assert_eq!(file.components[0].file_key, key);
        assert_eq!(file.cursor, None);
        assert_eq!(
            file.components[0]
                .containing_frame
                .as_ref()
                .unwrap()
                .page_name,
            "Components"
        );

        let team = figma
            .team_components("1234567890", Some(2), Some(30))
            .await
            .unwrap();
        let keys: Vec<&str> = team.components.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["abc123", "def456"]);
        assert_eq!(team.cursor.unwrap().after, Some(32));
    }

    #[tokio::test]
    async fn a_429_with_retry_after_one_second_is_waited_out_and_retried() {
        let server = MockServer::start().await;
        let key = file_key();
        Mock::given(method("GET"))
            .and(path(format!("/v1/files/{key}/components")))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "1")
                    .insert_header("x-figma-plan-tier", "pro")
                    .insert_header("x-figma-rate-limit-type", "low")
                    .set_body_json(json!({"status": 429, "err": "Rate limit exceeded"})),
            )
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/v1/files/{key}/components")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "status": 200, "error": false, "meta": {"components": []}
            })))
            .expect(1)
            .mount(&server)
            .await;

        let started = Instant::now();
        let page = client(&server, fast_retries(3))
            .file_components(&key)
            .await
            .unwrap();
        assert!(page.components.is_empty());
        assert!(
            started.elapsed() >= Duration::from_millis(950),
            "retried after {:?}, before Retry-After",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_long_retry_after_is_handed_back_instead_of_slept() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/teams/42/components"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "120")
                    .set_body_json(json!({"status": 429, "err": "Rate limit exceeded"})),
            )
            .expect(1)
            .mount(&server)
            .await;

        let started = Instant::now();
        let error = client(&server, fast_retries(3))
            .team_components("42", None, None)
            .await
            .unwrap_err();
        assert_rate_limited(&error, "figma", Duration::from_secs(119));
        assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_403_is_forbidden_with_figmas_message() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/files/private"))
            .respond_with(
                ResponseTemplate::new(403)
                    .set_body_json(json!({"status": 403, "err": "Invalid token"})),
            )
            .expect(1)
            .mount(&server)
            .await;

        let error = client(&server, fast_retries(3))
            .file("private", &FileQuery::default())
            .await
            .unwrap_err();
        match error {
            IntegrationError::Forbidden { service, message } => {
                assert_eq!(service, "figma");
                assert_eq!(message, "Invalid token");
            }
            other => panic!("expected Forbidden, got {other:?}"),
        }
    }
}

mod slack {
    use super::*;
    use companyos_integrations::clients::slack::SlackMessage;
    use companyos_integrations::clients::{SlackClient, SlackConfig};

    const TOKEN: &str = "xoxb-test-bot-token";

    fn client(server: &MockServer) -> SlackClient {
        let mut config = SlackConfig::new(TOKEN);
        config.base_url = format!("{}/api", server.uri());
        config.retry = fast_retries(3);
        SlackClient::new(config).unwrap()
    }

    fn post_message() -> wiremock::MockBuilder {
        Mock::given(method("POST"))
            .and(path("/api/chat.postMessage"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("content-type", "application/json; charset=utf-8"))
    }

    #[tokio::test]
    async fn posts_a_message_and_reads_where_it_landed() {
        let server = MockServer::start().await;
        post_message()
            .and(body_json(json!({
                "channel": "C1H9RESGL",
                "text": "Here's a message for you",
                "thread_ts": "1503435956.000100"
            })))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(fixture("slack/api/chat.postMessage.response.ok.json")),
            )
            .expect(1)
            .mount(&server)
            .await;

        let mut message = SlackMessage::text("C1H9RESGL", "Here's a message for you");
        message.thread_ts = Some("1503435956.000100".into());
        let posted = client(&server).post_message(&message).await.unwrap();
        assert_eq!(posted.channel, "C1H9RESGL");
        assert_eq!(posted.ts, "1503435956.000247");
        assert_eq!(posted.message.unwrap()["bot_id"], "B19LU7CSY");
    }

    #[tokio::test]
    async fn ok_false_with_http_200_is_an_error() {
        let server = MockServer::start().await;
        post_message()
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(fixture("slack/api/chat.postMessage.response.error.json")),
            )
            .expect(1)
            .mount(&server)
            .await;

        let error = client(&server)
            .post_message(&SlackMessage::text("C1H9RESGL", "hi"))
            .await
            .unwrap_err();
        match &error {
            IntegrationError::Slack { error } => assert_eq!(error, "too_many_attachments"),
            other => panic!("expected Slack, got {other:?}"),
        }
        assert!(!error.is_retryable());
    }

    #[tokio::test]
    async fn invalid_auth_is_unauthorized() {
        let server = MockServer::start().await;
        post_message()
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"ok": false, "error": "invalid_auth"})),
            )
            .expect(1)
            .mount(&server)
            .await;

        let error = client(&server)
            .post_message(&SlackMessage::text("C1H9RESGL", "hi"))
            .await
            .unwrap_err();
        assert!(
            matches!(error, IntegrationError::Unauthorized { service: "slack" }),
            "{error:?}"
        );
    }
}

mod twitter {
    use super::*;
    use companyos_integrations::clients::twitter::NewPost;
    use companyos_integrations::clients::{TwitterClient, TwitterConfig};

    const TOKEN: &str = "x_user_context_token_42";

    fn client(server: &MockServer) -> TwitterClient {
        let mut config = TwitterConfig::new(TOKEN);
        config.base_url = server.uri();
        config.retry = fast_retries(3);
        TwitterClient::new(config).unwrap()
    }

    fn create_post() -> wiremock::MockBuilder {
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("content-type", "application/json"))
    }

    #[tokio::test]
    async fn reads_the_tokens_account_and_its_follower_count() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/2/users/me"))
            .and(query_param("user.fields", "public_metrics,profile_image_url"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
                "id": "2244994945", "name": "X Dev", "username": "XDevelopers",
                "public_metrics": {"followers_count": 512345, "following_count": 2, "tweet_count": 3, "listed_count": 9}
            }})))
            .expect(1)
            .mount(&server)
            .await;
        let me = client(&server).me().await.unwrap();
        assert_eq!(me.username, "XDevelopers");
        assert_eq!(me.public_metrics.map(|m| m.followers_count), Some(512345));

        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/2/users/me"))
            .respond_with(ResponseTemplate::new(401).set_body_json(
                json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
            ))
            .mount(&server)
            .await;
        let error = client(&server).me().await.unwrap_err();
        assert!(
            matches!(error, IntegrationError::Unauthorized { service: "twitter" }),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn creates_a_post_under_either_edit_history_name() {
        for field in ["edit_history_post_ids", "edit_history_tweet_ids"] {
            let server = MockServer::start().await;
            create_post()
                .and(body_json(json!({"text": "Release 1.4 is out"})))
                .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                    "data": {"id": "1445880548472328192", "text": "Release 1.4 is out",
                             field: ["1445880548472328192"]}
                })))
                .expect(1)
                .mount(&server)
                .await;

            let post = client(&server)
                .create_post(&NewPost::text("Release 1.4 is out"))
                .await
                .unwrap();
            assert_eq!(post.id, "1445880548472328192");
            assert_eq!(
                post.edit_history_post_ids,
                ["1445880548472328192"],
                "{field}"
            );
        }
    }

    #[tokio::test]
    async fn an_exhausted_window_is_rate_limited_until_the_reset() {
        let server = MockServer::start().await;
        create_post()
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("x-rate-limit-limit", "100")
                    .insert_header("x-rate-limit-remaining", "0")
                    .insert_header("x-rate-limit-reset", epoch_in(600).as_str())
                    .set_body_json(
                        json!({"errors": [{"code": 88, "message": "Rate limit exceeded"}]}),
                    ),
            )
            .expect(1)
            .mount(&server)
            .await;

        let error = client(&server)
            .create_post(&NewPost::text("hello"))
            .await
            .unwrap_err();
        assert_rate_limited(&error, "twitter", Duration::from_secs(500));
    }

    #[tokio::test]
    async fn a_post_is_not_repeated_after_a_503() {
        let server = MockServer::start().await;
        create_post()
            .respond_with(ResponseTemplate::new(503).set_body_json(json!({
                "title": "Service Unavailable", "detail": "Service Unavailable",
                "type": "about:blank", "status": 503
            })))
            .expect(1)
            .mount(&server)
            .await;

        let error = client(&server)
            .create_post(&NewPost::text("hello"))
            .await
            .unwrap_err();
        assert!(
            matches!(error, IntegrationError::Api { status: 503, .. }),
            "{error:?}"
        );
        assert!(error.is_retryable());
    }
}

mod linkedin {
    use super::*;
    use companyos_integrations::clients::linkedin::LinkedInPost;
    use companyos_integrations::clients::{LinkedInClient, LinkedInConfig};

    const TOKEN: &str = "AQX_linkedin_member_token";
    const AUTHOR: &str = "urn:li:organization:5515715";

    fn client(server: &MockServer, version: Option<&str>) -> LinkedInClient {
        let mut config = LinkedInConfig::new(TOKEN);
        config.base_url = server.uri();
        config.retry = fast_retries(3);
        if let Some(version) = version {
            config.version = version.into();
        }
        LinkedInClient::new(config).unwrap()
    }

    #[tokio::test]
    async fn reads_the_member_the_token_acts_for() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v2/userinfo"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "sub": "782bbtaQ", "name": "John Doe", "given_name": "John",
                "family_name": "Doe", "picture": "https://media.licdn.com/profile.jpg",
                "locale": "en-US", "email": "doe@email.com", "email_verified": true
            })))
            .expect(1)
            .mount(&server)
            .await;
        let member = client(&server, None).userinfo().await.unwrap();
        assert_eq!(
            (member.sub.as_str(), member.name.as_deref()),
            ("782bbtaQ", Some("John Doe"))
        );
    }

    #[tokio::test]
    async fn creates_a_post_and_reads_its_urn_from_the_header() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/rest/posts"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("linkedin-version", "202511"))
            .and(header("x-restli-protocol-version", "2.0.0"))
            .and(header("content-type", "application/json"))
            .and(body_json(json!({
                "author": AUTHOR,
                "commentary": "We shipped \\#42 \\(finally\\)",
                "visibility": "PUBLIC",
                "distribution": {
                    "feedDistribution": "MAIN_FEED",
                    "targetEntities": [],
                    "thirdPartyDistributionChannels": []
                },
                "lifecycleState": "PUBLISHED",
                "isReshareDisabledByAuthor": false
            })))
            .respond_with(
                ResponseTemplate::new(201)
                    .insert_header("x-restli-id", "urn:li:share:6844785523593134080"),
            )
            .expect(1)
            .mount(&server)
            .await;

        let urn = client(&server, None)
            .create_post(&LinkedInPost::plain_text(
                AUTHOR,
                "We shipped #42 (finally)",
            ))
            .await
            .unwrap();
        assert_eq!(urn, "urn:li:share:6844785523593134080");
    }

    #[tokio::test]
    async fn the_api_version_is_configurable_and_a_missing_urn_is_an_error() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/rest/posts"))
            .and(header("linkedin-version", "202510"))
            .respond_with(ResponseTemplate::new(201))
            .expect(1)
            .mount(&server)
            .await;

        let error = client(&server, Some("202510"))
            .create_post(&LinkedInPost::plain_text(AUTHOR, "hello"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                IntegrationError::InvalidResponse {
                    service: "linkedin",
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_401_is_unauthorized() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/rest/posts"))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "status": 401, "serviceErrorCode": 65600, "code": "REVOKED_ACCESS_TOKEN",
                "message": "The token used in the request has been revoked by the user"
            })))
            .expect(1)
            .mount(&server)
            .await;

        let error = client(&server, None)
            .create_post(&LinkedInPost::plain_text(AUTHOR, "hello"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                IntegrationError::Unauthorized {
                    service: "linkedin"
                }
            ),
            "{error:?}"
        );
    }
}
