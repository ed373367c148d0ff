//! The REST surface through real HTTP, on SQLite and PostgreSQL: the permission matrix
//! walked over every organization-scoped route for each role and for a stranger, tenant
//! isolation, the runtime behind the task routes, filters and pages, and bad input.

mod common;

use std::collections::BTreeSet;

use chrono::Utc;
use common::{Caller, ROUTED_TYPES, Server, serve, wait_for_task};
use companyos_api::rbac::Permission;
use companyos_store::testing::TestDb;
use companyos_store::{
    DeploymentState, DeploymentSync, DesignComponentSync, FigmaFileSync, MemberRole, NewEvent,
    NewMetric, OrgId, PullRequestState, PullRequestSync, RepositorySync, SocialPostId,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

companyos_store::contract_tests!(
    every_route_answers_each_role_as_the_matrix_says,
    no_route_reaches_another_organization,
    tasks_run_wait_for_approval_and_page,
    bad_input_names_what_is_wrong,
    agents_are_managed_through_the_runtime,
    credentials_are_sealed_and_never_returned,
    members_keep_an_owner,
    no_answer_names_a_database_object,
);

/// An organization with one member of each role, data of every kind, and a stranger
/// who owns an organization of their own.
struct World {
    org: String,
    owner: String,
    tokens: Vec<(MemberRole, String)>,
    stranger: String,
    stranger_org: String,
    agent: String,
    repository: String,
    pull_request: String,
    deployment: String,
    figma_file: String,
    component: String,
    social_account: String,
    post: String,
    spare_member: String,
}

fn id(body: &Value) -> String {
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {body}"))
        .to_owned()
}

async fn world(server: &Server, db: &TestDb) -> World {
    let (owner, org) = server.owner("owner@example.com", "Acme").await;
    let mut tokens = vec![(MemberRole::Owner, owner.clone())];
    for (role, email) in [
        (MemberRole::Admin, "admin@example.com"),
        (MemberRole::Member, "member@example.com"),
        (MemberRole::Viewer, "viewer@example.com"),
    ] {
        tokens.push((
            role,
            server.member(&owner, &org, email, role.as_str()).await,
        ));
    }
    let spare = server
        .member(&owner, &org, "spare@example.com", "viewer")
        .await;
    let (_, me) = server.get("/api/auth/me", Some(&spare)).await;
    let spare_member = id(&me);

    let (status, stranger_body) = server
        .sign_up("stranger@example.com", json!({"organization": "Elsewhere"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stranger_body}");
    let stranger = common::token(&stranger_body, "access_token").to_owned();
    let stranger_org = stranger_body["organization"]["id"]
        .as_str()
        .expect("org")
        .to_owned();

    let as_owner = Caller::new(&owner, &org);
    for name in ROUTED_TYPES {
        let (status, body) = server
            .call(
                Method::POST,
                "/api/agents",
                &as_owner,
                Some(json!({"name": format!("the {name}"), "type": name})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, agent) = server
        .call(
            Method::POST,
            "/api/agents",
            &as_owner,
            Some(json!({"name": "counter", "type": "text_stats"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let (status, body) = server
        .call(
            Method::POST,
            "/api/integrations/github/connect",
            &as_owner,
            Some(json!({"credentials": {"token": "ghp_world"}, "webhook_secret": "s3cret"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let org_id = OrgId(org.parse().expect("uuid"));
    let store = &db.store;
    let repository = store
        .repositories()
        .upsert(
            org_id,
            RepositorySync {
                github_id: 1001,
                name: "web".into(),
                full_name: "acme/web".into(),
                default_branch: "main".into(),
                visibility: None,
                metadata: json!({}),
            },
        )
        .await
        .expect("repository");
    let pull_request = store
        .pull_requests()
        .upsert(
            org_id,
            PullRequestSync {
                repository_id: repository.id,
                github_id: 2001,
                number: 7,
                title: "Add search".into(),
                body: None,
                state: PullRequestState::Open,
                author_github_id: None,
                base_branch: Some("main".into()),
                head_branch: Some("search".into()),
                draft: false,
                mergeable: None,
                metadata: json!({}),
                opened_at: Some(Utc::now()),
                closed_at: None,
                merged_at: None,
            },
        )
        .await
        .expect("pull request");
    let deployment = store
        .deployments()
        .upsert(
            org_id,
            DeploymentSync {
                vercel_deployment_id: "dpl_1".into(),
                project_name: "web".into(),
                url: "web-1.vercel.app".into(),
                state: DeploymentState::Ready,
                environment: None,
                commit_sha: None,
                branch: None,
                metadata: json!({}),
                ready_at: None,
            },
        )
        .await
        .expect("deployment");
    let figma_file = store
        .figma_files()
        .upsert(
            org_id,
            FigmaFileSync {
                figma_file_key: "key1".into(),
                name: "Design system".into(),
                file_type: None,
                thumbnail_url: None,
                last_modified_at: None,
                metadata: json!({}),
            },
        )
        .await
        .expect("figma file");
    let component = store
        .design_components()
        .upsert(
            org_id,
            DesignComponentSync {
                figma_file_id: figma_file.id,
                figma_component_id: "1:2".into(),
                name: "Button".into(),
                description: None,
                component_type: Some("button".into()),
                metadata: json!({}),
            },
        )
        .await
        .expect("component");
    store
        .events()
        .record(
            org_id,
            NewEvent {
                event_type: "deployment.ready".into(),
                event_source: "vercel".into(),
                actor_type: None,
                actor_id: None,
                resource_type: None,
                resource_id: None,
                metadata: json!({}),
            },
        )
        .await
        .expect("event");
    store
        .metrics()
        .record(
            org_id,
            NewMetric {
                metric_type: "deployment_frequency".into(),
                value: 3.0,
                unit: Some("count".into()),
                dimensions: json!({}),
                recorded_at: None,
            },
        )
        .await
        .expect("metric");

    let (status, account) = server
        .call(
            Method::POST,
            "/api/social/accounts/twitter/connect",
            &as_owner,
            Some(json!({"account_id": "42", "handle": "acme", "credentials": {"token": "x"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let social_account = id(&account);
    let post = new_post(server, &as_owner, &social_account).await;

    World {
        org,
        owner,
        tokens,
        stranger,
        stranger_org,
        agent: id(&agent),
        repository: repository.id.to_string(),
        pull_request: pull_request.id.to_string(),
        deployment: deployment.id.to_string(),
        figma_file: figma_file.id.to_string(),
        component: component.id.to_string(),
        social_account,
        post,
        spare_member,
    }
}

async fn new_post(server: &Server, caller: &Caller, account: &str) -> String {
    let (status, post) = server
        .call(
            Method::POST,
            "/api/social/posts",
            caller,
            Some(json!({"social_account_id": account, "content": "We shipped search"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    id(&post)
}

/// One call of the matrix: what it needs, and what it answers when allowed.
struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
    permission: Permission,
    success: StatusCode,
    /// The path names a row of the organization (other than the organization itself).
    names_row: bool,
}

fn case(
    method: Method,
    path: impl Into<String>,
    body: Option<Value>,
    permission: Permission,
    success: StatusCode,
) -> Case {
    let path: String = path.into();
    let names_row = !path.starts_with("/api/organizations")
        && path
            .split('/')
            .any(|segment| segment.parse::<uuid::Uuid>().is_ok());
    Case {
        method,
        path,
        body,
        permission,
        success,
        names_row,
    }
}

/// Every organization-scoped route, with fresh targets for the calls that consume
/// them (deleting, approving, publishing…), prepared by the owner.
async fn cases(server: &Server, world: &World, round: &str) -> Vec<Case> {
    use Permission::*;
    let owner = Caller::new(&world.owner, &world.org);
    let (o, w) = (&world.org, world);
    let fresh_agent = {
        let (status, agent) = server
            .call(
                Method::POST,
                "/api/agents",
                &owner,
                Some(json!({"name": format!("doomed {round}"), "type": "text_stats"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{agent}");
        id(&agent)
    };
    // Parked by another member: nobody approves a task they asked for.
    let requester = Caller::new(
        &server
            .member(
                &w.owner,
                o,
                &format!("requester-{round}@example.com"),
                "member",
            )
            .await,
        o,
    );
    let mut parked = Vec::new();
    for _ in 0..3 {
        let (status, task) = server
            .call(
                Method::POST,
                "/api/agent-tasks",
                &requester,
                Some(json!({
                    "agent_id": w.agent, "task_type": "count_text",
                    "input": {"text": "a b"}, "requires_approval": true,
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{task}");
        parked.push(id(&task));
    }
    let doomed_post = new_post(server, &owner, &w.social_account).await;
    let published_post = new_post(server, &owner, &w.social_account).await;
    let (status, body) = server
        .call(
            Method::POST,
            "/api/integrations/vercel/connect",
            &owner,
            Some(json!({"credentials": {"token": "v"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let doomed_member = server
        .member(
            &w.owner,
            o,
            &format!("doomed-{round}@example.com"),
            "viewer",
        )
        .await;
    let (_, me) = server.get("/api/auth/me", Some(&doomed_member)).await;
    let doomed_member = id(&me);

    let (ok, created, accepted, gone) = (
        StatusCode::OK,
        StatusCode::CREATED,
        StatusCode::ACCEPTED,
        StatusCode::NO_CONTENT,
    );
    vec![
        case(
            Method::GET,
            format!("/api/organizations/{o}"),
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::PATCH,
            format!("/api/organizations/{o}"),
            Some(json!({"logo_url": "https://example.com/logo.png"})),
            ManageMembers,
            ok,
        ),
        case(
            Method::GET,
            format!("/api/organizations/{o}/members"),
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::POST,
            format!("/api/organizations/{o}/members"),
            Some(json!({"email": format!("invited-{round}@example.com"), "role": "member"})),
            ManageMembers,
            created,
        ),
        case(
            Method::PATCH,
            format!("/api/organizations/{o}/members/{}", w.spare_member),
            Some(json!({"role": "viewer"})),
            ManageMembers,
            ok,
        ),
        case(
            Method::DELETE,
            format!("/api/organizations/{o}/members/{doomed_member}"),
            None,
            ManageMembers,
            gone,
        ),
        case(Method::GET, "/api/integrations", None, ViewDashboard, ok),
        case(
            Method::GET,
            "/api/integrations/github",
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::GET,
            "/api/integrations/github/status",
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::POST,
            "/api/integrations/slack/connect",
            Some(json!({"credentials": {"bot_token": "xoxb"}, "webhook_secret": "sig"})),
            ManageIntegrationSecrets,
            created,
        ),
        case(
            Method::DELETE,
            "/api/integrations/vercel/disconnect",
            None,
            ManageIntegrationSecrets,
            gone,
        ),
        case(
            Method::POST,
            "/api/integrations/github/sync",
            None,
            ManageIntegrations,
            accepted,
        ),
        case(Method::GET, "/api/repositories", None, ViewDashboard, ok),
        case(
            Method::GET,
            format!("/api/repositories/{}", w.repository),
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::POST,
            format!("/api/repositories/{}/sync", w.repository),
            None,
            ManageIntegrations,
            accepted,
        ),
        case(Method::GET, "/api/pull-requests", None, ViewDashboard, ok),
        case(
            Method::GET,
            format!("/api/pull-requests/{}", w.pull_request),
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::POST,
            format!("/api/pull-requests/{}/agent-review", w.pull_request),
            None,
            SpawnAgents,
            accepted,
        ),
        case(Method::GET, "/api/deployments", None, ViewDashboard, ok),
        case(
            Method::GET,
            format!("/api/deployments/{}", w.deployment),
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::POST,
            format!("/api/deployments/{}/rollback", w.deployment),
            None,
            RollBackDeployments,
            accepted,
        ),
        case(Method::GET, "/api/figma/files", None, ViewDashboard, ok),
        case(
            Method::GET,
            format!("/api/figma/files/{}", w.figma_file),
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::POST,
            format!("/api/figma/files/{}/sync", w.figma_file),
            None,
            ManageIntegrations,
            accepted,
        ),
        case(
            Method::GET,
            "/api/design-components",
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::GET,
            format!("/api/design-components/{}", w.component),
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::POST,
            format!("/api/design-components/{}/generate-code", w.component),
            None,
            SpawnAgents,
            accepted,
        ),
        case(Method::GET, "/api/social/accounts", None, ViewDashboard, ok),
        case(
            Method::GET,
            format!("/api/social/accounts/{}", w.social_account),
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::POST,
            "/api/social/accounts/linkedin/connect",
            Some(
                json!({"account_id": format!("li-{round}"), "handle": "acme", "credentials": {"token": "l"}}),
            ),
            ManageIntegrations,
            created,
        ),
        case(Method::GET, "/api/social/posts", None, ViewDashboard, ok),
        case(
            Method::GET,
            format!("/api/social/posts/{}", w.post),
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::POST,
            "/api/social/posts",
            Some(json!({"social_account_id": w.social_account, "content": "hello"})),
            PublishSocialPosts,
            created,
        ),
        case(
            Method::PATCH,
            format!("/api/social/posts/{}", w.post),
            Some(json!({"content": "We shipped search!"})),
            PublishSocialPosts,
            ok,
        ),
        case(
            Method::DELETE,
            format!("/api/social/posts/{doomed_post}"),
            None,
            PublishSocialPosts,
            gone,
        ),
        case(
            Method::POST,
            format!("/api/social/posts/{published_post}/publish"),
            None,
            PublishSocialPosts,
            accepted,
        ),
        case(Method::GET, "/api/agents", None, ViewDashboard, ok),
        case(Method::GET, "/api/agents/types", None, ViewDashboard, ok),
        case(
            Method::GET,
            format!("/api/agents/{}", w.agent),
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::GET,
            format!("/api/agents/{}/tasks", w.agent),
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::POST,
            "/api/agents",
            Some(json!({"name": format!("new {round}"), "type": "text_stats"})),
            SpawnAgents,
            created,
        ),
        case(
            Method::PATCH,
            format!("/api/agents/{}", w.agent),
            Some(json!({"name": "counter"})),
            SpawnAgents,
            ok,
        ),
        case(
            Method::POST,
            format!("/api/agents/{fresh_agent}/disable"),
            None,
            SpawnAgents,
            ok,
        ),
        case(
            Method::POST,
            format!("/api/agents/{fresh_agent}/enable"),
            None,
            SpawnAgents,
            ok,
        ),
        case(
            Method::DELETE,
            format!("/api/agents/{fresh_agent}"),
            None,
            SpawnAgents,
            gone,
        ),
        case(Method::GET, "/api/agent-tasks", None, ViewDashboard, ok),
        case(
            Method::GET,
            format!("/api/agent-tasks/{}", parked[0]),
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::POST,
            "/api/agent-tasks",
            Some(json!({"agent_id": w.agent, "task_type": "count_text", "input": {"text": "x"}})),
            SpawnAgents,
            created,
        ),
        case(
            Method::POST,
            format!("/api/agent-tasks/{}/approve", parked[0]),
            None,
            ApproveAgentTasks,
            ok,
        ),
        case(
            Method::POST,
            format!("/api/agent-tasks/{}/reject", parked[1]),
            Some(json!({"reason": "not now"})),
            ApproveAgentTasks,
            ok,
        ),
        case(
            Method::POST,
            format!("/api/agent-tasks/{}/cancel", parked[2]),
            None,
            SpawnAgents,
            ok,
        ),
        case(
            Method::GET,
            "/api/analytics/dashboard",
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::GET,
            "/api/analytics/metrics/deployment_frequency",
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::GET,
            "/api/analytics/events",
            None,
            ViewDashboard,
            ok,
        ),
        case(
            Method::POST,
            "/api/analytics/reports",
            Some(json!({"metric_types": ["deployment_frequency"]})),
            ViewDashboard,
            ok,
        ),
    ]
}

/// Deleting an organization: on a scratch organization the caller belongs to with `role`.
async fn delete_organization_as(server: &Server, world: &World, role: MemberRole, token: &str) {
    let (status, scratch) = server
        .call(
            Method::POST,
            "/api/organizations",
            &Caller::new(&world.owner, &world.org),
            Some(json!({"name": format!("Scratch {}", role.as_str())})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{scratch}");
    let scratch = id(&scratch);
    if role != MemberRole::Owner {
        let (_, me) = server.get("/api/auth/me", Some(token)).await;
        let email = me["email"].as_str().expect("email").to_owned();
        let (status, invitation) = server
            .post(
                &format!("/api/organizations/{scratch}/members"),
                Some(&world.owner),
                json!({"email": email, "role": role.as_str()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{invitation}");
        let link = server.mail.token(&email, "accept-invitation").await;
        let (status, joined) = server
            .post(
                "/api/invitations/accept",
                Some(token),
                json!({"token": link}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{joined}");
    }
    let (status, body) = server
        .call(
            Method::DELETE,
            &format!("/api/organizations/{scratch}"),
            &Caller::new(token, &scratch),
            None,
        )
        .await;
    let expected = if Permission::DeleteOrganization.allows(role) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::FORBIDDEN
    };
    assert_eq!(
        status,
        expected,
        "{} deleting an organization: {body}",
        role.as_str()
    );
}

async fn every_route_answers_each_role_as_the_matrix_says(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let world = world(&server, db).await;
    let mut checked = 0;
    for (role, token) in &world.tokens {
        let caller = Caller::new(token, &world.org);
        for case in cases(&server, &world, role.as_str()).await {
            let (status, body) = server
                .call(case.method.clone(), &case.path, &caller, case.body.clone())
                .await;
            let expected = if case.permission.allows(*role) {
                case.success
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                status,
                expected,
                "{} {} as {}: {body}",
                case.method,
                case.path,
                role.as_str()
            );
            if status == StatusCode::FORBIDDEN {
                assert!(
                    body["detail"]
                        .as_str()
                        .is_some_and(|detail| detail.contains(role.as_str())),
                    "a 403 names the role: {body}"
                );
            }
            checked += 1;
        }
        delete_organization_as(&server, &world, *role, token).await;
    }
    // Someone of another organization finds nothing at all.
    let stranger = Caller::new(&world.stranger, &world.org);
    for case in cases(&server, &world, "stranger").await {
        let (status, body) = server
            .call(
                case.method.clone(),
                &case.path,
                &stranger,
                case.body.clone(),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{} {} as a stranger: {body}",
            case.method,
            case.path
        );
        checked += 1;
    }
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("/api/organizations/{}", world.org),
            &stranger,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(checked >= 5 * 50, "{checked} calls checked");
    server.stop().await;
}

async fn no_route_reaches_another_organization(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let world = world(&server, db).await;
    // The stranger, in their own organization, uses ids taken from the other one.
    let stranger = Caller::new(&world.stranger, &world.stranger_org);
    let mut probed = 0;
    for case in cases(&server, &world, "probe").await {
        if !case.names_row {
            continue;
        }
        let (status, body) = server
            .call(
                case.method.clone(),
                &case.path,
                &stranger,
                case.body.clone(),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{} {} from another organization: {body}",
            case.method,
            case.path
        );
        probed += 1;
    }
    assert!(probed >= 20, "{probed} row routes probed");

    // Ids of the other organization in bodies and filters are unknown too.
    let (status, body) = server
        .call(
            Method::POST,
            "/api/agent-tasks",
            &stranger,
            Some(json!({"agent_id": world.agent, "task_type": "count_text"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = server
        .call(
            Method::POST,
            "/api/social/posts",
            &stranger,
            Some(json!({"social_account_id": world.social_account, "content": "hi"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Every list of the stranger's organization holds none of the other's rows.
    let theirs: BTreeSet<String> = [
        &world.agent,
        &world.repository,
        &world.pull_request,
        &world.deployment,
        &world.figma_file,
        &world.component,
        &world.social_account,
        &world.post,
    ]
    .into_iter()
    .cloned()
    .collect();
    for list in [
        "/api/agents",
        "/api/agent-tasks",
        &format!("/api/agent-tasks?agent_id={}", world.agent),
        "/api/integrations",
        "/api/repositories",
        "/api/pull-requests",
        &format!("/api/pull-requests?repository_id={}", world.repository),
        "/api/deployments",
        "/api/figma/files",
        "/api/design-components",
        &format!("/api/design-components?figma_file_id={}", world.figma_file),
        "/api/social/accounts",
        "/api/social/posts",
        "/api/analytics/events",
    ] {
        let (status, body) = server.call(Method::GET, list, &stranger, None).await;
        assert_eq!(status, StatusCode::OK, "{list}: {body}");
        let items = body["items"].as_array().expect("items");
        for item in items {
            let item_id = item["id"].as_str().unwrap_or_default();
            assert!(!theirs.contains(item_id), "{list} leaked {item}");
            if let Some(organization) = item.get("organization_id") {
                assert_eq!(organization, &json!(world.stranger_org), "{list}: {item}");
            }
        }
    }
    let (_, dashboard) = server
        .call(Method::GET, "/api/analytics/dashboard", &stranger, None)
        .await;
    assert_eq!(dashboard["recent_deployments"], json!([]), "{dashboard}");
    assert_eq!(dashboard["recent_events"], json!([]), "{dashboard}");
    let (_, metric) = server
        .call(
            Method::GET,
            "/api/analytics/metrics/deployment_frequency",
            &stranger,
            None,
        )
        .await;
    assert_eq!(metric["summary"]["count"], 0, "{metric}");
    server.stop().await;
}

async fn tasks_run_wait_for_approval_and_page(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let world = world(&server, db).await;
    let owner = Caller::new(&world.owner, &world.org);

    // A task created by hand runs on its agent.
    let (status, task) = server
        .call(
            Method::POST,
            "/api/agent-tasks",
            &owner,
            Some(json!({"agent_id": world.agent, "task_type": "count_text", "input": {"text": "one two three"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    let done = wait_for_task(&server, &owner, &id(&task), "completed").await;
    assert_eq!(done["output_data"]["words"], 3, "{done}");

    // A rollback waits for a person, then runs on the deployment agent — which, with no
    // Vercel connected, fails saying what is missing.
    let (status, rollback) = server
        .call(
            Method::POST,
            &format!("/api/deployments/{}/rollback", world.deployment),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{rollback}");
    assert_eq!(rollback["status"], "needs_approval", "{rollback}");
    assert_eq!(rollback["task_type"], "rollback");
    let admin = world
        .tokens
        .iter()
        .find(|(role, _)| *role == MemberRole::Admin)
        .map(|(_, token)| Caller::new(token, &world.org))
        .expect("an admin");
    let (status, approved) = server
        .call(
            Method::POST,
            &format!("/api/agent-tasks/{}/approve", id(&rollback)),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    let done = wait_for_task(&server, &owner, &id(&rollback), "failed").await;
    assert_eq!(
        done["error_message"],
        "vercel is not connected: connect it with POST /api/integrations/vercel/connect",
        "{done}"
    );
    assert!(done["approved_by"].is_string(), "{done}");
    // Approving twice is a conflict, not a second run.
    let (status, again) = server
        .call(
            Method::POST,
            &format!("/api/agent-tasks/{}/approve", id(&rollback)),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    // An agent review runs without approval: the code review agent takes it at once
    // (and, with GitHub out of this test's reach, fails saying so).
    let (status, review) = server
        .call(
            Method::POST,
            &format!("/api/pull-requests/{}/agent-review", world.pull_request),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{review}");
    assert_eq!(review["input_data"]["number"], 7, "{review}");
    assert_eq!(review["status"], "pending", "{review}");
    let reviewed = wait_for_task(&server, &owner, &id(&review), "failed").await;
    assert!(
        reviewed["error_message"]
            .as_str()
            .is_some_and(|error| error.starts_with("could not reach github")),
        "{reviewed}"
    );

    // With no enabled agent of the type, the task is kept, says why it waits, and runs
    // once an agent of the type is enabled again.
    let (_, agents) = server
        .call(Method::GET, "/api/agents?type=code_review", &owner, None)
        .await;
    let reviewer = agents["items"][0]["id"]
        .as_str()
        .expect("reviewer")
        .to_owned();
    let (status, _) = server
        .call(
            Method::POST,
            &format!("/api/agents/{reviewer}/disable"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, waiting) = server
        .call(
            Method::POST,
            &format!("/api/pull-requests/{}/agent-review", world.pull_request),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{waiting}");
    assert_eq!(waiting["status"], "pending");
    assert!(waiting["agent_id"].is_null(), "{waiting}");
    assert_eq!(waiting["agent_type"], "code_review");
    assert!(
        waiting["waiting_reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("code_review")),
        "{waiting}"
    );
    let (status, _) = server
        .call(
            Method::POST,
            &format!("/api/agents/{reviewer}/enable"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let done = wait_for_task(&server, &owner, &id(&waiting), "failed").await;
    assert_eq!(done["agent_id"], reviewer.as_str());
    assert!(done["waiting_reason"].is_null());
    assert!(done["attempt"].as_i64() > Some(0), "it ran: {done}");

    // Pages: 7 more parked tasks, read 3 at a time, newest first, nothing twice.
    for n in 0..7 {
        let (status, body) = server
            .call(
                Method::POST,
                "/api/agent-tasks",
                &owner,
                Some(json!({"agent_id": world.agent, "task_type": "count_text", "description": format!("paged n{n}"), "requires_approval": true})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let mut seen = Vec::new();
    let mut path = "/api/agent-tasks?q=paged&status=needs_approval&limit=3".to_owned();
    loop {
        let (status, page) = server.call(Method::GET, &path, &owner, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 3);
        for item in items {
            assert_eq!(item["task_type"], "count_text");
            seen.push(
                item["description"]
                    .as_str()
                    .expect("description")
                    .to_owned(),
            );
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!(
                    "/api/agent-tasks?q=paged&status=needs_approval&limit=3&cursor={cursor}"
                );
            }
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).rev().map(|n| format!("paged n{n}")).collect();
    assert_eq!(seen, expected, "newest first, each once");

    // A list carries the columns a list shows; the input and output only when asked
    // for, and the whole row (key, retry bookkeeping) from the task's own route.
    let (_, light) = server
        .call(
            Method::GET,
            "/api/agent-tasks?q=paged&limit=1",
            &owner,
            None,
        )
        .await;
    let row = &light["items"][0];
    assert_eq!(row["description"], "paged n6", "{light}");
    assert_eq!(row["status"], "needs_approval");
    for absent in [
        "input_data",
        "output_data",
        "idempotency_key",
        "run_after",
        "retry_count",
    ] {
        assert!(row.get(absent).is_none(), "{absent} in a list row: {row}");
    }
    let (_, done) = server
        .call(
            Method::GET,
            "/api/agent-tasks?status=completed&include=data",
            &owner,
            None,
        )
        .await;
    let done = &done["items"][0];
    assert!(done["output_data"].is_object(), "include=data: {done}");
    let (_, whole) = server
        .call(
            Method::GET,
            &format!("/api/agent-tasks/{}", done["id"].as_str().expect("id")),
            &owner,
            None,
        )
        .await;
    assert_eq!(whole["output_data"], done["output_data"]);
    assert!(
        whole.get("run_after").is_some_and(Value::is_string),
        "{whole}"
    );
    let (_, completed) = server
        .call(
            Method::GET,
            "/api/agent-tasks?status=completed",
            &owner,
            None,
        )
        .await;
    assert!(
        completed["items"].as_array().is_some_and(
            |items| !items.is_empty() && items.iter().all(|task| task["status"] == "completed")
        ),
        "{completed}"
    );
    // The rollback and the two reviews.
    let (_, failed) = server
        .call(Method::GET, "/api/agent-tasks?status=failed", &owner, None)
        .await;
    assert!(
        failed["items"].as_array().is_some_and(
            |items| items.len() == 3 && items.iter().all(|task| task["status"] == "failed")
        ),
        "{failed}"
    );
    let future = "2999-01-01T00:00:00Z";
    let (_, none) = server
        .call(
            Method::GET,
            &format!("/api/agent-tasks?created_after={future}"),
            &owner,
            None,
        )
        .await;
    assert_eq!(none["items"], json!([]), "{none}");

    // A post the content agent published is not published again: the runtime says so.
    let org = OrgId(world.org.parse().expect("uuid"));
    let post: SocialPostId = world.post.parse().expect("post id");
    db.store
        .social_posts()
        .mark_published(org, post, "1234567890", None)
        .await
        .expect("published");
    let (status, again) = server
        .call(
            Method::POST,
            &format!("/api/social/posts/{}/publish", world.post),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["detail"], "this post is already published", "{again}");
    server.stop().await;
}

async fn bad_input_names_what_is_wrong(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let world = world(&server, db).await;
    let owner = Caller::new(&world.owner, &world.org);
    type Check = (
        Method,
        String,
        Option<Value>,
        StatusCode,
        Option<&'static str>,
    );
    let checks: Vec<Check> = vec![
        (
            Method::GET,
            "/api/agent-tasks?status=sleeping".into(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("status"),
        ),
        (
            Method::GET,
            "/api/agent-tasks?stauts=pending".into(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("stauts"),
        ),
        (
            Method::GET,
            "/api/agent-tasks?limit=0".into(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("limit"),
        ),
        (
            Method::GET,
            "/api/agent-tasks?limit=abc".into(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("limit"),
        ),
        (
            Method::GET,
            "/api/agent-tasks?cursor=garbage".into(),
            None,
            StatusCode::BAD_REQUEST,
            Some("cursor"),
        ),
        (
            Method::GET,
            "/api/agent-tasks?created_after=yesterday".into(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("created_after"),
        ),
        (
            Method::GET,
            "/api/agent-tasks?agent_id=nope".into(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("agent_id"),
        ),
        (
            Method::GET,
            "/api/agent-tasks?include=everything".into(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("include"),
        ),
        (
            Method::GET,
            "/api/deployments?state=burning".into(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("state"),
        ),
        (
            Method::GET,
            "/api/agents/not-a-uuid".into(),
            None,
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            Method::GET,
            format!("/api/agents/{}", uuid::Uuid::now_v7()),
            None,
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            Method::GET,
            "/api/integrations/myspace".into(),
            None,
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            Method::POST,
            "/api/agents".into(),
            Some(json!({"name": "x", "type": "no_such_type"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("type"),
        ),
        (
            Method::POST,
            "/api/agents".into(),
            Some(json!({"name": " ", "type": "text_stats"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            Method::POST,
            "/api/agents".into(),
            Some(json!({"name": "x", "type": "text_stats", "colour": "red"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        // An llm object the agent would ignore whole (it brings no key of its own).
        (
            Method::POST,
            "/api/agents".into(),
            Some(json!({"name": "x", "type": "code_review",
                        "configuration": {"llm": {"enabled": false, "api_key": "sk-x"}}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("configuration.llm.api_key"),
        ),
        (
            Method::PATCH,
            format!("/api/agents/{}", world.agent),
            Some(json!({"configuration": {"llm": {"tokens_per_day": "lots"}}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("configuration.llm"),
        ),
        (
            Method::POST,
            "/api/agent-tasks".into(),
            Some(json!({"agent_id": world.agent, "task_type": "count_text", "priority": 11})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("priority"),
        ),
        (
            Method::POST,
            "/api/agent-tasks".into(),
            Some(json!({"agent_id": "x", "task_type": "t"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("agent_id"),
        ),
        (
            Method::POST,
            "/api/integrations/github/connect".into(),
            Some(json!({"credentials": {}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("credentials"),
        ),
        (
            Method::POST,
            "/api/analytics/reports".into(),
            Some(json!({"metric_types": []})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("metric_types"),
        ),
        // The earliest time chrono holds: no 30 days before it to count from.
        (
            Method::POST,
            "/api/analytics/reports".into(),
            Some(json!({"metric_types": ["x"], "to": "-262143-01-10T00:00:00Z"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("to"),
        ),
        (
            Method::POST,
            format!("/api/agent-tasks/{}/reject", world.agent),
            Some(Value::Null),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            Method::GET,
            "/api/analytics/metrics/x?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z".into(),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("from"),
        ),
        (
            Method::POST,
            "/api/integrations/slack/sync".into(),
            None,
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            Method::POST,
            "/api/webhooks/github/receive?token=guessed".into(),
            Some(json!({"zen": "hi"})),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            Method::POST,
            "/api/webhooks/myspace/receive".into(),
            Some(json!({})),
            StatusCode::NOT_FOUND,
            None,
        ),
    ];
    for (method, path, body, expected, field) in checks {
        let (status, problem) = server.call(method.clone(), &path, &owner, body).await;
        assert_eq!(status, expected, "{method} {path}: {problem}");
        if let Some(field) = field {
            assert_eq!(problem["field"], field, "{method} {path}: {problem}");
        }
    }
    // Wrong content type and malformed JSON.
    let response = server
        .client
        .post(format!("{}/api/agents", server.base))
        .bearer_auth(&world.owner)
        .header("x-organization-id", &world.org)
        .body("name=x")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let response = server
        .client
        .post(format!("{}/api/agents", server.base))
        .bearer_auth(&world.owner)
        .header("x-organization-id", &world.org)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // The organization header: malformed → 400; absent with two organizations → 400;
    // absent with one → that one.
    let (status, problem) = server
        .call(
            Method::GET,
            "/api/agents",
            &Caller::new(&world.owner, "acme"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let only_one = Caller {
        token: Some(world.tokens[1].1.clone()),
        organization: None,
    };
    let (status, agents) = server
        .call(Method::GET, "/api/agents", &only_one, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{agents}");
    assert_eq!(agents["items"][0]["organization_id"], json!(world.org));
    let (status, _) = server
        .call(
            Method::POST,
            "/api/organizations",
            &only_one,
            Some(json!({"name": "Second"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, problem) = server
        .call(Method::GET, "/api/agents", &only_one, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("X-Organization-Id")),
        "{problem}"
    );
    server.stop().await;
}

async fn agents_are_managed_through_the_runtime(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let world = world(&server, db).await;
    let owner = Caller::new(&world.owner, &world.org);
    let (status, types) = server
        .call(Method::GET, "/api/agents/types", &owner, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = types["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["type"].as_str())
        .collect();
    assert!(
        names.contains(&"text_stats") && names.contains(&"code_review"),
        "{names:?}"
    );

    let path = format!("/api/agents/{}", world.agent);
    let (status, disabled) = server
        .call(Method::POST, &format!("{path}/disable"), &owner, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{disabled}");
    assert_eq!(disabled["status"], "disabled");
    let (_, listed) = server
        .call(Method::GET, "/api/agents?status=disabled", &owner, None)
        .await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    // A task for a disabled agent waits; enabling the agent runs it.
    let (_, task) = server
        .call(
            Method::POST,
            "/api/agent-tasks",
            &owner,
            Some(
                json!({"agent_id": world.agent, "task_type": "count_text", "input": {"text": "a"}}),
            ),
        )
        .await;
    let (status, enabled) = server
        .call(Method::POST, &format!("{path}/enable"), &owner, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    assert_eq!(enabled["status"], "idle");
    wait_for_task(&server, &owner, &id(&task), "completed").await;

    let (status, renamed) = server
        .call(
            Method::PATCH,
            &path,
            &owner,
            Some(json!({"name": "word counter", "configuration": {"verbose": true}})),
        )
        .await;
    // A key its type does not have is refused by name, and nothing changes.
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{renamed}");
    assert_eq!(renamed["field"], "configuration.verbose", "{renamed}");
    let (status, renamed) = server
        .call(
            Method::PATCH,
            &path,
            &owner,
            Some(json!({"name": "word counter", "configuration": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name"], "word counter");
    assert_eq!(renamed["configuration"], json!({}));
    // Reconfigured, it still works.
    let (_, task) = server
        .call(
            Method::POST,
            "/api/agent-tasks",
            &owner,
            Some(json!({"agent_id": world.agent, "task_type": "count_text", "input": {"text": "a b"}})),
        )
        .await;
    wait_for_task(&server, &owner, &id(&task), "completed").await;
    let (_, tasks) = server
        .call(Method::GET, &format!("{path}/tasks"), &owner, None)
        .await;
    assert_eq!(tasks["items"].as_array().map(Vec::len), Some(2), "{tasks}");

    let (status, _) = server.call(Method::DELETE, &path, &owner, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.call(Method::GET, &path, &owner, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let tree = server.runtime.tree().await.expect("tree");
    assert!(
        !tree.iter().any(|actor| actor.path.contains(&world.agent)),
        "the deleted agent's actor is gone"
    );
    server.stop().await;
}

async fn credentials_are_sealed_and_never_returned(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let world = world(&server, db).await;
    let owner = Caller::new(&world.owner, &world.org);
    let secret = "ghp_VerySecretToken1234567890";
    let (status, connected) = server
        .call(
            Method::POST,
            "/api/integrations/github/connect",
            &owner,
            Some(json!({"credentials": {"token": secret}, "webhook_secret": "whsec_hidden"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{connected}");
    for path in [
        "/api/integrations",
        "/api/integrations/github",
        "/api/integrations/github/status",
    ] {
        let (_, body) = server.call(Method::GET, path, &owner, None).await;
        let text = body.to_string();
        assert!(
            !text.contains(secret)
                && !text.contains("whsec_hidden")
                && !text.contains("credentials"),
            "{path}: {text}"
        );
    }
    assert!(!connected.to_string().contains(secret));
    let org = OrgId(world.org.parse().expect("uuid"));
    let stored = db
        .store
        .integrations()
        .get(org, companyos_store::Service::Github)
        .await
        .expect("integration");
    assert!(
        !stored.credentials_encrypted.contains(secret),
        "sealed at rest"
    );
    let opened = server
        .keys
        .open_json(&stored.credentials_encrypted)
        .expect("opens with the node's key");
    assert_eq!(opened["credentials"]["token"], secret);
    let sealed_secret = stored
        .webhook_secret_encrypted
        .as_deref()
        .expect("the webhook secret is stored");
    assert!(!sealed_secret.contains("whsec_hidden"), "sealed at rest");
    assert_eq!(
        server.keys.open(sealed_secret).expect("opens"),
        b"whsec_hidden"
    );

    let (status, _) = server
        .call(
            Method::DELETE,
            "/api/integrations/github/disconnect",
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .call(Method::GET, "/api/integrations/github/status", &owner, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.stop().await;
}

async fn members_keep_an_owner(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let world = world(&server, db).await;
    let org = &world.org;
    let owner = Caller::new(&world.owner, org);
    let (_, me) = server.get("/api/auth/me", Some(&world.owner)).await;
    let owner_id = id(&me);
    let admin = Caller::new(&world.tokens[1].1, org);
    let members_path = format!("/api/organizations/{org}/members");

    // The only owner can be neither demoted nor removed.
    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("{members_path}/{owner_id}"),
            &owner,
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = server
        .call(
            Method::DELETE,
            &format!("{members_path}/{owner_id}"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // An admin cannot touch an owner or make one.
    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("{members_path}/{}", world.spare_member),
            &admin,
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = server
        .call(
            Method::DELETE,
            &format!("{members_path}/{owner_id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // An owner promotes the spare member; then the first owner may step down.
    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("{members_path}/{}", world.spare_member),
            &owner,
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "owner");
    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("{members_path}/{owner_id}"),
            &owner,
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Anyone may leave; then the organization is gone for them.
    let viewer = Caller::new(&world.tokens[3].1, org);
    let (_, me) = server.get("/api/auth/me", Some(&world.tokens[3].1)).await;
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("{members_path}/{}", id(&me)),
            &viewer,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.call(Method::GET, "/api/agents", &viewer, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("{members_path}/{}", world.spare_member),
            &owner,
            Some(json!({"role": "emperor"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    server.stop().await;
}

/// Words only the database uses: its tables, constraints and messages.
fn names_the_database(text: &str) -> Option<&'static str> {
    [
        "constraint",
        "violates",
        "UNIQUE",
        "FOREIGN KEY",
        "_fkey",
        "_key",
        "agent_tasks",
        "agents.",
        "organization_id",
        "duplicate key",
        "SQLSTATE",
    ]
    .into_iter()
    .find(|word| text.contains(word))
}

/// A duplicate and a row the database's own rules refuse are answered in the API's
/// words (409 and 422), never the database's: no table, constraint or message of it.
async fn no_answer_names_a_database_object(db: &TestDb) {
    use axum::response::IntoResponse;

    let server = serve(db, |_| {}).await;
    let (token, org) = server.owner("owner@dbnames.example", "DbNames").await;
    let owner = Caller::new(&token, &org);
    let agent = json!({"name": "twice", "type": "text_stats"});
    let (status, first) = server
        .call(Method::POST, "/api/agents", &owner, Some(agent.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, duplicate) = server
        .call(Method::POST, "/api/agents", &owner, Some(agent))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{duplicate}");
    let text = duplicate.to_string();
    assert_eq!(names_the_database(&text), None, "{text}");

    // A collaboration about a task that does not exist breaks the database's reference
    // rule (the store checks the agents, not the task).
    let org_id: OrgId = org.parse().expect("organization");
    let agent: companyos_store::AgentId = id(&first).parse().expect("agent id");
    let refused = server
        .runtime
        .store()
        .collaborations()
        .record(
            org_id,
            agent,
            agent,
            Some(companyos_store::TaskId::new()),
            companyos_store::CollaborationType::Request,
            json!({}),
        )
        .await
        .expect_err("a reference to no task");
    assert!(
        matches!(refused, companyos_store::StoreError::Refused { .. }),
        "{refused:?}"
    );
    let response = companyos_api::ApiError::from(refused).into_response();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("does not exist"), "{text}");
    assert_eq!(names_the_database(&text), None, "{text}");
    server.stop().await;
}
