//! Every repository, on both databases: writes round-trip, unique keys conflict,
//! reads are scoped to the caller's organization, deletes cascade.

use chrono::Duration;
use companyos_store::testing::TestDb;
use companyos_store::*;
use serde_json::json;

use crate::fixtures;

companyos_store::contract_tests!(
    users_are_unique_by_email_and_validated,
    organizations_own_their_members,
    owners_demoting_each_other_at_once_leave_an_owner,
    invitations_are_listed_revoked_and_voided,
    deleting_an_organization_removes_everything_it_owns,
    refresh_tokens_rotate_once_and_revoke_by_family,
    integrations_connect_reconnect_and_carry_webhooks,
    webhook_deliveries_dedupe_and_become_events_once,
    deliveries_recorded_together_are_answered_one_by_one,
    deliveries_left_unarchived_or_unnamed_are_found,
    deliveries_completed_together_become_one_event_each,
    repositories_pull_requests_and_deployments_upsert_by_service_id,
    figma_files_and_components,
    social_accounts_and_posts,
    agents_record_status_and_statistics,
    collaborations_stay_inside_an_organization,
    workflows_persist_their_stage,
    schedules_fire_each_tick_once,
    events_and_metrics,
    outbox_entries_are_published_once,
    every_read_is_scoped_to_the_callers_organization,
    pages_are_stable_and_cursors_checked,
    invalid_enum_strings_in_the_database_are_errors,
    batched_reads_return_only_the_callers_rows,
    a_project_fails_until_its_next_production_deployment_is_ready,
);

async fn a_project_fails_until_its_next_production_deployment_is_ready(db: &TestDb) {
    let (acme, _) = fixtures::organization(&db.store, "acme").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let deployments = db.store.deployments();
    let deploy = |org: OrgId, id: &str, project: &str, state, environment| {
        let deployments = db.store.deployments();
        let sync = DeploymentSync {
            vercel_deployment_id: id.into(),
            project_name: project.into(),
            url: format!("{id}.vercel.app"),
            state,
            environment: Some(environment),
            commit_sha: None,
            branch: None,
            metadata: json!({}),
            ready_at: None,
        };
        async move { deployments.upsert(org, sync).await.expect("deploy") }
    };
    use DeploymentEnvironment::{Preview, Production};
    use DeploymentState::{Error, Ready};
    assert_eq!(deployments.failing_projects_all().await.expect("count"), 0);
    deploy(acme.id, "dpl_1", "web", Error, Production).await;
    // A failed preview is not an outage.
    deploy(acme.id, "dpl_2", "docs", Error, Preview).await;
    deploy(other.id, "dpl_3", "web", Error, Production).await;
    assert_eq!(deployments.failing_projects_all().await.expect("count"), 2);
    db.store.clock().advance(std::time::Duration::from_secs(1));
    deploy(acme.id, "dpl_4", "web", Ready, Production).await;
    assert_eq!(
        deployments.failing_projects_all().await.expect("count"),
        1,
        "acme's web recovered; the other organization's did not"
    );
}

async fn batched_reads_return_only_the_callers_rows(db: &TestDb) {
    let (acme, _) = fixtures::organization(&db.store, "acme").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let mut ours = Vec::new();
    for index in 0..3 {
        ours.push(
            fixtures::agent(&db.store, acme.id, &format!("a{index}"))
                .await
                .id,
        );
    }
    let theirs = fixtures::agent(&db.store, other.id, "theirs").await.id;
    let mut asked = ours.clone();
    asked.push(theirs);
    asked.push(AgentId::new());
    let mut found: Vec<AgentId> = db
        .store
        .agents()
        .get_many(acme.id, &asked)
        .await
        .expect("batched read")
        .iter()
        .map(|agent| agent.id)
        .collect();
    found.sort();
    ours.sort();
    assert_eq!(found, ours, "only the caller's rows, unknown ids left out");
    assert!(
        db.store
            .agents()
            .get_many(other.id, &ours)
            .await
            .expect("read")
            .is_empty()
    );
    assert!(
        db.store
            .tasks()
            .get_many(acme.id, &[])
            .await
            .expect("empty")
            .is_empty()
    );
    assert!(
        db.store
            .repositories()
            .get_many(acme.id, &[RepositoryId::new()])
            .await
            .expect("read")
            .is_empty()
    );
}

async fn users_are_unique_by_email_and_validated(db: &TestDb) {
    let users = db.store.users();
    let ada = users
        .create(NewUser {
            email: "Ada@Example.com".into(),
            name: "Ada".into(),
            password_hash: Some("$argon2id$hash".into()),
            ..NewUser::default()
        })
        .await
        .expect("create");
    assert_eq!(ada.email, "ada@example.com");
    assert_eq!(ada.role, UserRole::Member);
    assert_eq!(users.get(ada.id).await.expect("get"), ada);
    assert_eq!(
        users.find_by_email("ADA@example.com").await.expect("find"),
        Some(ada.clone())
    );
    assert_eq!(users.count().await.expect("count"), 1);
    assert!(matches!(
        users
            .create(NewUser {
                email: "ada@example.com".into(),
                name: "Again".into(),
                ..NewUser::default()
            })
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        users
            .create(NewUser {
                email: "not-an-email".into(),
                name: "X".into(),
                ..NewUser::default()
            })
            .await,
        Err(StoreError::Invalid { field: "email", .. })
    ));
    let github = users
        .create(NewUser {
            email: "gh@example.com".into(),
            name: "Gh".into(),
            github_id: Some(42),
            ..NewUser::default()
        })
        .await
        .expect("create");
    assert_eq!(
        users
            .find_by_github_id(42)
            .await
            .expect("find")
            .map(|user| user.id),
        Some(github.id)
    );
    users
        .set_password_hash(github.id, "$argon2id$new")
        .await
        .expect("set hash");
    users.touch_last_seen(github.id).await.expect("touch");
    let updated = users.get(github.id).await.expect("get");
    assert_eq!(updated.password_hash.as_deref(), Some("$argon2id$new"));
    assert!(updated.last_seen_at.is_some());
    users.delete(github.id).await.expect("delete");
    assert!(matches!(
        users.get(github.id).await,
        Err(StoreError::NotFound { entity: "user", .. })
    ));
}

async fn organizations_own_their_members(db: &TestDb) {
    let (org, owner) = fixtures::organization(&db.store, "acme").await;
    let orgs = db.store.organizations();
    assert_eq!(
        orgs.member_role(org.id, owner.id).await.expect("role"),
        Some(MemberRole::Owner)
    );
    assert_eq!(
        orgs.find_by_slug("acme").await.expect("find"),
        Some(org.clone())
    );
    assert!(matches!(
        orgs.create("Again", "acme", owner.id).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        orgs.create("Bad", "Not A Slug", owner.id).await,
        Err(StoreError::Invalid { field: "slug", .. })
    ));

    let viewer = fixtures::user(&db.store, "viewer@acme.example").await;
    orgs.add_member(org.id, viewer.id, MemberRole::Viewer)
        .await
        .expect("add");
    assert!(matches!(
        orgs.add_member(org.id, viewer.id, MemberRole::Admin).await,
        Err(StoreError::Conflict { .. })
    ));
    let members = orgs.list_members(org.id).await.expect("members");
    assert_eq!(
        members.iter().map(|member| member.role).collect::<Vec<_>>(),
        vec![MemberRole::Owner, MemberRole::Viewer]
    );
    let managers = [MemberRole::Owner, MemberRole::Admin];
    orgs.change_member(
        org.id,
        owner.id,
        &managers,
        viewer.id,
        MemberChange::SetRole(MemberRole::Admin),
    )
    .await
    .expect("promote");
    assert_eq!(
        orgs.member_role(org.id, viewer.id).await.expect("role"),
        Some(MemberRole::Admin)
    );
    assert_eq!(
        orgs.list_for_user(viewer.id).await.expect("orgs"),
        vec![(org.clone(), MemberRole::Admin)]
    );
    // The last owner cannot be demoted or removed, by anyone.
    for change in [
        MemberChange::SetRole(MemberRole::Admin),
        MemberChange::Remove,
    ] {
        assert!(matches!(
            orgs.change_member(org.id, owner.id, &[MemberRole::Owner], owner.id, change)
                .await,
            Err(StoreError::MembershipRefused(MembershipRefusal::LastOwner))
        ));
    }
    // An admin may not act where only owners may.
    assert!(matches!(
        orgs.change_member(
            org.id,
            viewer.id,
            &[MemberRole::Owner],
            owner.id,
            MemberChange::SetRole(MemberRole::Admin)
        )
        .await,
        Err(StoreError::MembershipRefused(
            MembershipRefusal::ActorLacksRole
        ))
    ));
    orgs.change_member(org.id, owner.id, &managers, viewer.id, MemberChange::Remove)
        .await
        .expect("remove");
    assert_eq!(
        orgs.member_role(org.id, viewer.id).await.expect("role"),
        None
    );
    assert!(matches!(
        orgs.change_member(org.id, owner.id, &managers, viewer.id, MemberChange::Remove)
            .await,
        Err(StoreError::NotFound { .. })
    ));

    let renamed = orgs
        .update(
            org.id,
            OrganizationPatch {
                name: Some("Acme Inc".into()),
                settings: Some(json!({"tz": "UTC"})),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(
        (renamed.name.as_str(), renamed.slug.as_str()),
        ("Acme Inc", "acme")
    );
    assert_eq!(renamed.settings, json!({"tz": "UTC"}));
    assert_eq!(orgs.list_all().await.expect("all").len(), 1);
}

async fn deleting_an_organization_removes_everything_it_owns(db: &TestDb) {
    let (org, owner) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let task = queue
        .enqueue(NewTask::new(org.id, agent.id, "review"))
        .await
        .expect("enqueue")
        .task;
    db.store
        .events()
        .record(org.id, event("pull_request.opened"))
        .await
        .expect("event");
    db.store
        .organizations()
        .delete(org.id)
        .await
        .expect("delete");
    assert!(matches!(
        db.store.agents().get(org.id, agent.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        db.store.tasks().get(org.id, task.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        db.store
            .organizations()
            .list_for_user(owner.id)
            .await
            .expect("orgs"),
        vec![]
    );
    assert!(
        db.store.users().get(owner.id).await.is_ok(),
        "users outlive their organizations"
    );
    assert!(matches!(
        db.store.organizations().delete(org.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn refresh_tokens_rotate_once_and_revoke_by_family(db: &TestDb) {
    let user = fixtures::user(&db.store, "ada@example.com").await;
    let tokens = db.store.refresh_tokens();
    let family = uuid::Uuid::new_v4();
    let expires = now() + Duration::days(30);
    let first = tokens
        .issue(user.id, family, "hash-1", expires)
        .await
        .expect("issue");
    assert_eq!(
        tokens.find_by_hash("hash-1").await.expect("find"),
        Some(first.clone())
    );
    let second = tokens
        .issue(user.id, family, "hash-2", expires)
        .await
        .expect("issue");
    assert!(
        tokens
            .mark_rotated(first.id, second.id)
            .await
            .expect("rotate")
    );
    assert!(
        !tokens
            .mark_rotated(first.id, second.id)
            .await
            .expect("rotate again"),
        "a rotated token is spent"
    );
    let rotated = tokens
        .find_by_hash("hash-1")
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(rotated.replaced_by, Some(second.id));
    assert!(rotated.revoked_at.is_some());
    assert!(!tokens.session_revoked(family).await.expect("check"));
    let access_until = now() + Duration::minutes(15);
    assert_eq!(
        tokens
            .end_session(family, user.id, access_until)
            .await
            .expect("end"),
        1
    );
    assert!(tokens.session_revoked(family).await.expect("check"));
    // A second login's session is ended by ending all of the user's sessions; expired
    // revocations are purged, live ones kept.
    let other_family = uuid::Uuid::new_v4();
    tokens
        .issue(user.id, other_family, "hash-3", expires)
        .await
        .expect("issue");
    assert_eq!(
        tokens
            .end_all_sessions(user.id, now() - Duration::seconds(1))
            .await
            .expect("end all"),
        1
    );
    assert!(tokens.session_revoked(other_family).await.expect("check"));
    assert_eq!(tokens.purge_revoked_sessions().await.expect("purge"), 1);
    assert!(tokens.session_revoked(family).await.expect("kept"));
    assert!(!tokens.session_revoked(other_family).await.expect("purged"));
    assert!(
        tokens
            .find_by_hash("hash-2")
            .await
            .expect("find")
            .expect("exists")
            .revoked_at
            .is_some()
    );
    assert!(matches!(
        tokens.issue(user.id, family, "hash-2", expires).await,
        Err(StoreError::Conflict { .. })
    ));
}

async fn integrations_connect_reconnect_and_carry_webhooks(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let integrations = db.store.integrations();
    let (third, _) = fixtures::organization(&db.store, "third").await;
    // A connection and the agents it comes with are written together; a refused agent
    // leaves no connection behind.
    let agent = |name: &str| NewAgent {
        name: name.into(),
        agent_type: "vercel_watcher".into(),
        capabilities: vec!["sync_integration".into()],
        configuration: json!({}),
    };
    let webhook = WebhookSetup {
        token: "token-v",
        secret_encrypted: None,
    };
    assert!(matches!(
        integrations
            .connect_with_agents(
                third.id,
                Service::Vercel,
                "k1:v",
                json!({}),
                webhook,
                vec![agent("")]
            )
            .await,
        Err(StoreError::Invalid { field: "name", .. })
    ));
    assert!(matches!(
        integrations.get(third.id, Service::Vercel).await,
        Err(StoreError::NotFound { .. })
    ));
    let (vercel, agents) = integrations
        .connect_with_agents(
            third.id,
            Service::Vercel,
            "k1:v",
            json!({}),
            webhook,
            vec![agent("Vercel watcher")],
        )
        .await
        .expect("connect with agents");
    assert_eq!(vercel.service, Service::Vercel);
    assert_eq!(
        agents
            .iter()
            .map(|agent| (agent.organization_id, agent.name.as_str()))
            .collect::<Vec<_>>(),
        [(third.id, "Vercel watcher")]
    );
    assert_eq!(
        db.store
            .agents()
            .get(third.id, agents[0].id)
            .await
            .expect("agent")
            .agent_type,
        "vercel_watcher"
    );
    let github = integrations
        .connect(
            org.id,
            Service::Github,
            "k1:cipher",
            json!({"login": "acme"}),
            WebhookSetup {
                token: "token-1",
                secret_encrypted: Some("k1:secret"),
            },
        )
        .await
        .expect("connect");
    assert_eq!(
        (github.service, github.status),
        (Service::Github, IntegrationStatus::Active)
    );
    integrations
        .set_status(org.id, Service::Github, IntegrationStatus::Error)
        .await
        .expect("status");
    let again = integrations
        .connect(
            org.id,
            Service::Github,
            "k2:cipher",
            json!({}),
            WebhookSetup {
                token: "token-2",
                secret_encrypted: None,
            },
        )
        .await
        .expect("reconnect");
    assert_eq!(
        again.id, github.id,
        "one integration per service per organization"
    );
    assert_eq!(
        (
            again.webhook_token.as_deref(),
            again.webhook_secret_encrypted.as_deref()
        ),
        (Some("token-1"), Some("k1:secret")),
        "a reconnection keeps the webhook URL, and the secret when none is given"
    );
    assert_eq!(
        integrations
            .by_webhook_token("token-1")
            .await
            .expect("by token")
            .id,
        github.id
    );
    assert!(matches!(
        integrations.by_webhook_token("token-2").await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        (again.status, again.credentials_encrypted.as_str()),
        (IntegrationStatus::Active, "k2:cipher")
    );
    integrations
        .connect(
            org.id,
            Service::Slack,
            "k1:slack",
            json!({}),
            WebhookSetup {
                token: "token-slack",
                secret_encrypted: None,
            },
        )
        .await
        .expect("connect");
    let services: Vec<Service> = integrations
        .list(org.id)
        .await
        .expect("list")
        .iter()
        .map(|i| i.service)
        .collect();
    assert_eq!(services, vec![Service::Github, Service::Slack]);
    assert!(integrations.list(other.id).await.expect("list").is_empty());
    assert!(matches!(
        integrations.get(other.id, Service::Github).await,
        Err(StoreError::NotFound { .. })
    ));
    // A failed sync is kept with its reason and leaves the last good sync alone; the
    // next good one clears it.
    let failed_at = now();
    integrations
        .record_sync(
            org.id,
            Service::Github,
            failed_at,
            Some("github rejected the credentials"),
        )
        .await
        .expect("failed sync");
    let failed = integrations
        .get(org.id, Service::Github)
        .await
        .expect("get");
    assert_eq!(
        (
            failed.last_sync_at,
            failed.last_sync_attempted_at,
            failed.last_sync_error.as_deref()
        ),
        (
            None,
            Some(failed_at),
            Some("github rejected the credentials")
        )
    );
    let synced_at = now();
    integrations
        .record_sync(org.id, Service::Github, synced_at, None)
        .await
        .expect("synced");
    let synced = integrations
        .get(org.id, Service::Github)
        .await
        .expect("get");
    assert_eq!(
        (synced.last_sync_at, synced.last_sync_error),
        (Some(synced_at), None)
    );
    assert!(matches!(
        integrations
            .record_sync(other.id, Service::Github, now(), None)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    integrations
        .replace_credentials(github.id, "k3:cipher", Some("k3:secret"))
        .await
        .expect("rotate");
    let rotated = integrations
        .get(org.id, Service::Github)
        .await
        .expect("get");
    assert_eq!(
        (
            rotated.credentials_encrypted.as_str(),
            rotated.webhook_secret_encrypted.as_deref()
        ),
        ("k3:cipher", Some("k3:secret"))
    );
    assert_eq!(integrations.list_all().await.expect("all").len(), 3);

    let hook = integrations
        .add_webhook(
            org.id,
            github.id,
            NewWebhook {
                event_type: "pull_request".into(),
                webhook_id: Some("99".into()),
                secret: Some("s".into()),
            },
        )
        .await
        .expect("webhook");
    assert_eq!((hook.service, hook.active), (Service::Github, true));
    assert!(matches!(
        integrations
            .add_webhook(
                other.id,
                github.id,
                NewWebhook {
                    event_type: "push".into(),
                    webhook_id: None,
                    secret: None
                }
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        !integrations
            .set_webhook_active(org.id, hook.id, false)
            .await
            .expect("deactivate")
            .active
    );
    assert!(matches!(
        integrations.delete_webhook(other.id, hook.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        integrations
            .list_webhooks(org.id, github.id)
            .await
            .expect("hooks")
            .len(),
        1
    );
    integrations
        .disconnect(org.id, Service::Github)
        .await
        .expect("disconnect");
    assert!(
        integrations
            .list_webhooks(org.id, github.id)
            .await
            .expect("hooks")
            .is_empty(),
        "webhooks cascade"
    );
    assert!(matches!(
        integrations.disconnect(org.id, Service::Github).await,
        Err(StoreError::NotFound { .. })
    ));
}

fn repository_sync(github_id: i64, name: &str) -> RepositorySync {
    RepositorySync {
        github_id,
        name: name.into(),
        full_name: format!("acme/{name}"),
        default_branch: "main".into(),
        visibility: Some(RepositoryVisibility::Private),
        metadata: json!({}),
    }
}

fn pull_request_sync(repository_id: RepositoryId, github_id: i64, number: i32) -> PullRequestSync {
    PullRequestSync {
        repository_id,
        github_id,
        number,
        title: format!("PR {number}"),
        body: None,
        state: PullRequestState::Open,
        author_github_id: Some(7),
        base_branch: Some("main".into()),
        head_branch: Some(format!("feature-{number}")),
        draft: false,
        mergeable: None,
        metadata: json!({"additions": 10}),
        opened_at: Some(now()),
        closed_at: None,
        merged_at: None,
    }
}

async fn repositories_pull_requests_and_deployments_upsert_by_service_id(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let repos = db.store.repositories();
    let web = repos
        .upsert(org.id, repository_sync(1001, "web"))
        .await
        .expect("upsert");
    let mut renamed = repository_sync(1001, "website");
    renamed.default_branch = "trunk".into();
    let again = repos.upsert(org.id, renamed).await.expect("upsert again");
    assert_eq!(
        (again.id, again.name.as_str(), again.default_branch.as_str()),
        (web.id, "website", "trunk")
    );
    // Ids are the organization's own: another organization naming the same GitHub id
    // gets a row of its own and leaves this one as it was (no squatting).
    let theirs = repos
        .upsert(other.id, repository_sync(1001, "stolen"))
        .await
        .expect("another organization's row");
    assert_ne!(theirs.id, web.id);
    assert_eq!(
        repos.get(org.id, web.id).await.expect("ours").name,
        "website"
    );
    assert_eq!(
        repos
            .find_by_github_id(org.id, 1001)
            .await
            .expect("find")
            .map(|r| r.id),
        Some(web.id)
    );
    assert_eq!(
        repos
            .find_by_github_id(other.id, 1001)
            .await
            .expect("find")
            .map(|r| r.id),
        Some(theirs.id)
    );
    assert_eq!(repos.list(org.id).await.expect("list").len(), 1);

    let prs = db.store.pull_requests();
    let first = prs
        .upsert(org.id, pull_request_sync(web.id, 5001, 1))
        .await
        .expect("pr");
    assert_eq!(
        first.agent_review_status,
        Some(AgentReviewStatus::NotStarted)
    );
    let mut merged = pull_request_sync(web.id, 5001, 1);
    merged.state = PullRequestState::Merged;
    merged.merged_at = Some(now());
    let merged = prs.upsert(org.id, merged).await.expect("pr update");
    assert_eq!(
        (merged.id, merged.state),
        (first.id, PullRequestState::Merged)
    );
    prs.upsert(org.id, pull_request_sync(web.id, 5002, 2))
        .await
        .expect("pr");
    assert!(matches!(
        prs.upsert(other.id, pull_request_sync(web.id, 5003, 3))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let open = prs
        .list(
            org.id,
            &PullRequestFilter {
                state: Some(PullRequestState::Open),
                ..Default::default()
            },
            &PageRequest::default(),
        )
        .await
        .expect("list");
    assert_eq!(
        open.items.iter().map(|pr| pr.number).collect::<Vec<_>>(),
        vec![2]
    );
    let reviewed = prs
        .set_review_status(
            org.id,
            first.id,
            Some(ReviewStatus::Approved),
            Some(AgentReviewStatus::Completed),
        )
        .await
        .expect("review");
    assert_eq!(reviewed.review_status, Some(ReviewStatus::Approved));
    assert!(matches!(
        prs.get(other.id, first.id).await,
        Err(StoreError::NotFound { .. })
    ));

    let deployments = db.store.deployments();
    let sync = |state| DeploymentSync {
        vercel_deployment_id: "dpl_123".into(),
        project_name: "web".into(),
        url: "web-123.vercel.app".into(),
        state,
        environment: Some(DeploymentEnvironment::Production),
        commit_sha: Some("abc".into()),
        branch: Some("main".into()),
        metadata: json!({}),
        ready_at: None,
    };
    let building = deployments
        .upsert(org.id, sync(DeploymentState::Building))
        .await
        .expect("deploy");
    let ready = deployments
        .upsert(org.id, sync(DeploymentState::Ready))
        .await
        .expect("deploy");
    assert_eq!(
        (ready.id, ready.state),
        (building.id, DeploymentState::Ready)
    );
    // A late "building" (delivered out of order) does not undo "ready", and an update
    // that knows less keeps what was known.
    let late = deployments
        .upsert(
            org.id,
            DeploymentSync {
                url: String::new(),
                commit_sha: None,
                ..sync(DeploymentState::Building)
            },
        )
        .await
        .expect("late");
    assert_eq!(
        (late.state, late.url.as_str(), late.commit_sha.as_deref()),
        (DeploymentState::Ready, "web-123.vercel.app", Some("abc"))
    );
    let canceled = deployments
        .upsert(org.id, sync(DeploymentState::Canceled))
        .await
        .expect("canceled");
    assert_eq!(
        canceled.state,
        DeploymentState::Canceled,
        "finished to finished moves"
    );
    deployments
        .upsert(org.id, sync(DeploymentState::Ready))
        .await
        .expect("ready again");
    let theirs = deployments
        .upsert(other.id, sync(DeploymentState::Ready))
        .await
        .expect("another organization's row");
    assert_ne!(theirs.id, ready.id, "the key is per organization");
    let checked = deployments
        .record_health(org.id, ready.id, 87)
        .await
        .expect("health");
    assert_eq!(
        (checked.health_score, checked.agent_checked),
        (Some(87), true)
    );
    assert!(matches!(
        deployments.record_health(org.id, ready.id, 101).await,
        Err(StoreError::Invalid {
            field: "health_score",
            ..
        })
    ));
    let filter = DeploymentFilter {
        state: Some(DeploymentState::Ready),
        ..Default::default()
    };
    assert_eq!(
        deployments
            .list(org.id, &filter, &PageRequest::default())
            .await
            .expect("list")
            .items
            .len(),
        1
    );
    let listed: Vec<_> = deployments
        .list(other.id, &filter, &PageRequest::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|deployment| deployment.id)
        .collect();
    assert_eq!(
        listed,
        vec![theirs.id],
        "each organization lists its own row"
    );

    repos.delete(org.id, web.id).await.expect("delete repo");
    assert!(
        matches!(
            prs.get(org.id, first.id).await,
            Err(StoreError::NotFound { .. })
        ),
        "pull requests cascade"
    );
}

async fn figma_files_and_components(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let files = db.store.figma_files();
    let sync = FigmaFileSync {
        figma_file_key: "FILEKEY".into(),
        name: "Design system".into(),
        file_type: Some(FigmaFileType::ComponentLibrary),
        thumbnail_url: None,
        last_modified_at: Some(now()),
        metadata: json!({}),
    };
    let file = files.upsert(org.id, sync.clone()).await.expect("file");
    assert_eq!(
        files.upsert(org.id, sync.clone()).await.expect("again").id,
        file.id
    );
    let theirs = files
        .upsert(other.id, sync)
        .await
        .expect("another organization's row");
    assert_ne!(theirs.id, file.id, "the key is per organization");
    let components = db.store.design_components();
    let button = DesignComponentSync {
        figma_file_id: file.id,
        figma_component_id: "1:2".into(),
        name: "Button".into(),
        description: Some("Primary".into()),
        component_type: Some("button".into()),
        metadata: json!({}),
    };
    let component = components
        .upsert(org.id, button.clone())
        .await
        .expect("component");
    assert!(!component.code_generated);
    assert!(matches!(
        components.upsert(other.id, button).await,
        Err(StoreError::NotFound { .. })
    ));
    let generated = components
        .mark_code_generated(org.id, component.id, "src/components/Button.tsx")
        .await
        .expect("mark");
    assert_eq!(
        (generated.code_generated, generated.code_path.as_deref()),
        (true, Some("src/components/Button.tsx"))
    );
    assert_eq!(
        components
            .list(org.id, Some(file.id), Some("button"))
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(
        components
            .list(org.id, None, Some("card"))
            .await
            .expect("list")
            .is_empty()
    );
    assert!(matches!(
        components.get(other.id, component.id).await,
        Err(StoreError::NotFound { .. })
    ));
    files.delete(org.id, file.id).await.expect("delete");
    assert!(
        matches!(
            components.get(org.id, component.id).await,
            Err(StoreError::NotFound { .. })
        ),
        "components cascade"
    );
    assert!(files.list(org.id).await.expect("list").is_empty());
}

async fn social_accounts_and_posts(db: &TestDb) {
    let (org, owner) = fixtures::organization(&db.store, "acme").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let accounts = db.store.social_accounts();
    let new = NewSocialAccount {
        platform: SocialPlatform::Twitter,
        account_id: "123".into(),
        handle: "acme".into(),
        display_name: Some("Acme".into()),
        avatar_url: None,
        credentials_encrypted: "k1:cipher".into(),
    };
    let account = accounts
        .connect(org.id, new.clone())
        .await
        .expect("connect");
    assert_eq!(
        accounts.connect(org.id, new).await.expect("again").id,
        account.id
    );
    assert_eq!(
        accounts
            .record_sync(org.id, account.id, 1500, now())
            .await
            .expect("sync")
            .follower_count,
        1500
    );
    assert_eq!(
        accounts
            .list(org.id, Some(SocialPlatform::Twitter))
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(
        accounts
            .list(org.id, Some(SocialPlatform::Linkedin))
            .await
            .expect("list")
            .is_empty()
    );

    let posts = db.store.social_posts();
    let post = |content: &str, scheduled_for| NewSocialPost {
        social_account_id: account.id,
        content: content.into(),
        scheduled_for,
        agent_generated: true,
        metadata: json!({}),
    };
    let too_long = "x".repeat(281);
    assert!(matches!(
        posts.create(org.id, post(&too_long, None)).await,
        Err(StoreError::Invalid {
            field: "content",
            ..
        })
    ));
    assert!(matches!(
        posts.create(other.id, post("hi", None)).await,
        Err(StoreError::NotFound { .. })
    ));
    let draft = posts
        .create(org.id, post("We shipped!", None))
        .await
        .expect("draft");
    assert_eq!(
        (draft.status, draft.platform),
        (SocialPostStatus::Draft, SocialPlatform::Twitter)
    );
    let scheduled = posts
        .create(org.id, post("Tomorrow", Some(now() - Duration::minutes(1))))
        .await
        .expect("scheduled");
    assert_eq!(scheduled.status, SocialPostStatus::Scheduled);
    assert_eq!(
        posts
            .due(now())
            .await
            .expect("due")
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        vec![scheduled.id]
    );
    let edited = posts
        .update(
            org.id,
            draft.id,
            SocialPostPatch {
                content: Some("We shipped v2!".into()),
                ..Default::default()
            },
        )
        .await
        .expect("edit");
    assert_eq!(edited.content, "We shipped v2!");
    let published = posts
        .mark_published(org.id, draft.id, "tweet-1", Some(owner.id))
        .await
        .expect("publish");
    assert_eq!(
        (published.status, published.approved_by),
        (SocialPostStatus::Published, Some(owner.id))
    );
    assert!(matches!(
        posts
            .update(
                org.id,
                draft.id,
                SocialPostPatch {
                    content: Some("edit".into()),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::Invalid {
            field: "status",
            ..
        })
    ));
    let engaged = posts
        .record_engagement(
            org.id,
            draft.id,
            Engagement {
                likes: 10,
                comments: 2,
                shares: 3,
                views: 400,
            },
        )
        .await
        .expect("engagement");
    assert_eq!(
        (engaged.engagement_likes, engaged.engagement_views),
        (10, 400)
    );
    let filter = SocialPostFilter {
        status: Some(SocialPostStatus::Published),
        ..Default::default()
    };
    assert_eq!(
        posts
            .list(org.id, &filter, &PageRequest::default())
            .await
            .expect("list")
            .items
            .len(),
        1
    );
    assert!(matches!(
        posts.delete(other.id, scheduled.id).await,
        Err(StoreError::NotFound { .. })
    ));
    posts.delete(org.id, scheduled.id).await.expect("delete");
    accounts
        .delete(org.id, account.id)
        .await
        .expect("delete account");
    assert!(
        matches!(
            posts.get(org.id, draft.id).await,
            Err(StoreError::NotFound { .. })
        ),
        "posts cascade"
    );
}

async fn agents_record_status_and_statistics(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agents = db.store.agents();
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    assert_eq!(
        (
            agent.status,
            agent.success_rate,
            agent.total_tasks_completed
        ),
        (AgentStatus::Idle, 100.0, 0)
    );
    assert_eq!(agent.capabilities, vec!["analyze_pr".to_owned()]);
    assert!(matches!(
        agents
            .create(
                org.id,
                NewAgent {
                    name: "reviewer".into(),
                    agent_type: "x".into(),
                    capabilities: vec![],
                    configuration: json!({})
                }
            )
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let second = fixtures::agent(&db.store, org.id, "second").await;
    // The agents tasks of a type may go to: the enabled ones of that type, oldest first.
    agents
        .set_status(org.id, agent.id, AgentStatus::Disabled, None)
        .await
        .expect("disable");
    let ids = async |agents: &Agents<'_>| {
        agents
            .assignees(org.id, "code_review")
            .await
            .expect("assignees")
            .into_iter()
            .map(|agent| agent.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&agents).await, vec![second.id], "not the disabled one");
    agents
        .set_status(org.id, agent.id, AgentStatus::Idle, None)
        .await
        .expect("enable");
    assert_eq!(
        ids(&agents).await,
        vec![agent.id, second.id],
        "oldest first"
    );
    assert!(
        agents
            .assignees(org.id, "deployment")
            .await
            .expect("assignees")
            .is_empty()
    );

    let queue = DbTaskQueue::new(db.store.clone());
    let task = queue
        .enqueue(NewTask::new(org.id, agent.id, "review"))
        .await
        .expect("enqueue")
        .task;
    let working = agents
        .set_status(org.id, agent.id, AgentStatus::Working, Some(task.id))
        .await
        .expect("status");
    assert_eq!(
        (working.status, working.current_task_id),
        (AgentStatus::Working, Some(task.id))
    );
    assert!(working.last_active_at.is_some());
    let filter = AgentFilter {
        status: Some(AgentStatus::Working),
        ..Default::default()
    };
    assert_eq!(
        agents
            .list(org.id, &filter, &PageRequest::default())
            .await
            .expect("list")
            .items
            .len(),
        1
    );

    // Three tasks: two complete, one fails for good → 66.67 % success.
    queue
        .enqueue(NewTask::new(org.id, agent.id, "review"))
        .await
        .expect("enqueue");
    let mut failing = NewTask::new(org.id, agent.id, "review");
    failing.max_attempts = 1;
    failing.priority = 1;
    queue.enqueue(failing).await.expect("enqueue");
    let request = ClaimRequest::new("w", std::time::Duration::from_secs(60), 3);
    for claimed in queue.claim(&request).await.expect("claim") {
        if claimed.task.priority == 1 {
            queue
                .fail(&claimed.lease, "boom", true)
                .await
                .expect("fail");
        } else {
            queue
                .complete(&claimed.lease, None)
                .await
                .expect("complete");
        }
    }
    // Recomputed from the tasks …
    let stats = agents
        .recompute_statistics(org.id, agent.id)
        .await
        .expect("stats");
    assert_eq!(
        (stats.total_tasks_completed, stats.total_tasks_failed),
        (2, 1)
    );
    assert!(
        (stats.success_rate - 200.0 / 3.0).abs() < 0.01,
        "success rate {}",
        stats.success_rate
    );
    assert_eq!(stats.average_duration_seconds, Some(0));
    // … and kept incrementally, outcome by outcome, to the same figures.
    let fresh = fixtures::agent(&db.store, org.id, "incremental").await;
    for (succeeded, seconds) in [(true, 4), (false, 9), (true, 10)] {
        agents
            .record_outcome(org.id, fresh.id, succeeded, seconds)
            .await
            .expect("outcome");
    }
    let kept = agents.get(org.id, fresh.id).await.expect("agent");
    assert_eq!(
        (kept.total_tasks_completed, kept.total_tasks_failed),
        (2, 1)
    );
    assert!(
        (kept.success_rate - 200.0 / 3.0).abs() < 0.01,
        "success rate {}",
        kept.success_rate
    );
    assert_eq!(
        kept.average_duration_seconds,
        Some(7),
        "mean of the completed tasks' 4 and 10 seconds"
    );
    assert!(matches!(
        agents
            .record_outcome(org.id, TaskId::new().0.into(), true, 1)
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // A batch of lifecycle writes lands as its net effect, the same figures again.
    let batched = fixtures::agent(&db.store, org.id, "batched").await;
    let other = fixtures::agent(&db.store, org.id, "other").await;
    let task_id = TaskId::new();
    let status = |agent_id, status, task_id| LifecycleWrite::Status {
        organization_id: org.id,
        agent_id,
        status,
        task_id,
        at: now(),
    };
    let outcome = |succeeded, duration_seconds| LifecycleWrite::Outcome {
        organization_id: org.id,
        agent_id: batched.id,
        succeeded,
        duration_seconds,
        at: now(),
    };
    agents
        .apply_lifecycle(&[
            status(batched.id, AgentStatus::Working, Some(task_id)),
            outcome(true, 4),
            status(other.id, AgentStatus::Working, Some(task_id)),
            status(batched.id, AgentStatus::Complete, Some(task_id)),
            outcome(false, 9),
            status(batched.id, AgentStatus::Idle, None),
            outcome(true, 10),
            // Deleted meanwhile: skipped, not an error.
            status(AgentId::new(), AgentStatus::Idle, None),
        ])
        .await
        .expect("apply");
    let net = agents.get(org.id, batched.id).await.expect("agent");
    assert_eq!((net.status, net.current_task_id), (AgentStatus::Idle, None));
    assert_eq!(
        (
            net.total_tasks_completed,
            net.total_tasks_failed,
            net.average_duration_seconds
        ),
        (2, 1, Some(7))
    );
    assert!((net.success_rate - 200.0 / 3.0).abs() < 0.01);
    let other = agents.get(org.id, other.id).await.expect("agent");
    assert_eq!(
        (other.status, other.current_task_id),
        (AgentStatus::Working, Some(task_id))
    );

    let patched = agents
        .update(
            org.id,
            agent.id,
            AgentPatch {
                configuration: Some(json!({"depth": 3})),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(
        (patched.name.as_str(), patched.configuration.clone()),
        ("reviewer", json!({"depth": 3}))
    );
    assert_eq!(agents.list_all(org.id).await.expect("all").len(), 5);
    let by_status = agents.count_by_status_all().await.expect("count");
    assert_eq!(by_status.iter().map(|(_, count)| count).sum::<i64>(), 5);
    let tasks_by_status = db.store.tasks().count_by_status_all().await.expect("count");
    assert!(
        tasks_by_status.contains(&(TaskStatus::Completed, 2)),
        "{tasks_by_status:?}"
    );
    agents.delete(org.id, agent.id).await.expect("delete");
    assert!(
        matches!(
            db.store.tasks().get(org.id, task.id).await,
            Err(StoreError::NotFound { .. })
        ),
        "tasks cascade"
    );
}

async fn collaborations_stay_inside_an_organization(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let reviewer = fixtures::agent(&db.store, org.id, "reviewer").await;
    let security = fixtures::agent(&db.store, org.id, "security").await;
    let outsider = fixtures::agent(&db.store, other.id, "outsider").await;
    let collaborations = db.store.collaborations();
    let collaboration = collaborations
        .record(
            org.id,
            reviewer.id,
            security.id,
            None,
            CollaborationType::Consensus,
            json!({"rule": "majority"}),
        )
        .await
        .expect("record");
    assert_eq!(collaboration.status, CollaborationStatus::Active);
    assert!(matches!(
        collaborations
            .record(
                org.id,
                reviewer.id,
                outsider.id,
                None,
                CollaborationType::Request,
                json!({})
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let finished = collaborations
        .finish(
            org.id,
            collaboration.id,
            CollaborationStatus::Completed,
            Some(json!({"rule": "majority", "decision": "approve"})),
        )
        .await
        .expect("finish");
    assert_eq!(finished.metadata["decision"], "approve");
    assert!(matches!(
        collaborations
            .finish(
                other.id,
                collaboration.id,
                CollaborationStatus::Failed,
                None
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        collaborations
            .list_for_agent(org.id, security.id)
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(
        collaborations
            .list_for_agent(other.id, security.id)
            .await
            .expect("list")
            .is_empty()
    );

    // About a task, once: a second record (a coordinator resumed after a crash) returns
    // the first.
    let task = DbTaskQueue::new(db.store.clone())
        .enqueue(NewTask::new(org.id, security.id, "review"))
        .await
        .expect("enqueue")
        .task;
    let handoff = |metadata| {
        collaborations.record(
            org.id,
            reviewer.id,
            security.id,
            Some(task.id),
            CollaborationType::Handoff,
            metadata,
        )
    };
    let first = handoff(json!({"step": "review"})).await.expect("record");
    let again = handoff(json!({"step": "review", "again": true}))
        .await
        .expect("record again");
    assert_eq!(again.id, first.id);
    assert_eq!(
        collaborations
            .list_for_agent(org.id, security.id)
            .await
            .expect("list")
            .len(),
        2
    );
}

async fn workflows_persist_their_stage(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let coordinator = fixtures::agent(&db.store, org.id, "deploy-coordinator").await;
    let workflows = db.store.workflows();
    let steps = [
        NewWorkflowStep {
            stage: 0,
            name: "pre_deployment_check".into(),
            blocking: true,
        },
        NewWorkflowStep {
            stage: 1,
            name: "deploy".into(),
            blocking: true,
        },
        NewWorkflowStep {
            stage: 2,
            name: "monitor_health".into(),
            blocking: false,
        },
        NewWorkflowStep {
            stage: 2,
            name: "notify_team".into(),
            blocking: false,
        },
    ];
    let run = workflows
        .start(
            org.id,
            coordinator.id,
            "deployment",
            Some(json!({"sha": "abc"})),
            &steps,
        )
        .await
        .expect("start");
    assert_eq!(
        (run.status, run.current_stage),
        (WorkflowStatus::Running, 0)
    );
    assert!(matches!(
        workflows
            .start(other.id, coordinator.id, "deployment", None, &steps)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let stored = workflows.steps(org.id, run.id).await.expect("steps");
    assert_eq!(
        stored
            .iter()
            .map(|step| (step.stage, step.name.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (0, "pre_deployment_check"),
            (1, "deploy"),
            (2, "monitor_health"),
            (2, "notify_team"),
        ]
    );
    let running = workflows
        .update_step(
            org.id,
            stored[0].id,
            WorkflowStepStatus::Running,
            None,
            None,
        )
        .await
        .expect("step");
    assert!(running.started_at.is_some() && running.completed_at.is_none());
    let done = workflows
        .update_step(
            org.id,
            stored[0].id,
            WorkflowStepStatus::Completed,
            None,
            Some(json!({"ok": true})),
        )
        .await
        .expect("step");
    assert!(done.completed_at.is_some());
    assert!(matches!(
        workflows
            .update_step(
                other.id,
                stored[1].id,
                WorkflowStepStatus::Running,
                None,
                None
            )
            .await,
        Err(StoreError::NotFound { .. })
    ));
    workflows.advance(org.id, run.id, 1).await.expect("advance");
    assert_eq!(
        workflows
            .runs_for(org.id, coordinator.id)
            .await
            .expect("runs")
            .len(),
        1
    );
    assert!(
        workflows
            .runs_for(other.id, coordinator.id)
            .await
            .expect("runs")
            .is_empty()
    );
    // What a restarted coordinator reads back.
    let unfinished = workflows
        .unfinished_for(org.id, coordinator.id)
        .await
        .expect("unfinished");
    assert_eq!(
        unfinished
            .iter()
            .map(|run| run.current_stage)
            .collect::<Vec<_>>(),
        vec![1]
    );
    let finished = workflows
        .finish(org.id, run.id, WorkflowStatus::Completed, None)
        .await
        .expect("finish");
    assert!(finished.completed_at.is_some());
    assert!(
        workflows
            .unfinished_for(org.id, coordinator.id)
            .await
            .expect("unfinished")
            .is_empty()
    );
    assert_eq!(
        workflows
            .get(org.id, run.id)
            .await
            .expect("get")
            .current_stage,
        1
    );
}

async fn schedules_fire_each_tick_once(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "standup").await;
    let schedules = db.store.schedules();
    let due_at = now() - Duration::minutes(5);
    let new = |name: &str, priority| NewSchedule {
        agent_id: agent.id,
        name: name.into(),
        cron_expression: "0 9 * * 1-5".into(),
        task_type: "daily_standup".into(),
        input_data: Some(json!({"channel": "#eng"})),
        priority,
        next_run_at: Some(due_at),
    };
    assert!(matches!(
        schedules.create(org.id, new("bad", 11)).await,
        Err(StoreError::Invalid {
            field: "priority",
            ..
        })
    ));
    let schedule = schedules
        .create(org.id, new("standup", 5))
        .await
        .expect("create");
    assert!(matches!(
        schedules.create(org.id, new("standup", 5)).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(schedules.due(now()).await.expect("due").len(), 1);
    let next = now() + Duration::days(1);
    assert!(
        schedules
            .record_run(schedule.id, due_at, now(), Some(next))
            .await
            .expect("record")
    );
    assert!(
        !schedules
            .record_run(schedule.id, due_at, now(), Some(next))
            .await
            .expect("record"),
        "the tick was taken"
    );
    assert!(schedules.due(now()).await.expect("due").is_empty());
    let disabled = schedules
        .set_enabled(org.id, schedule.id, false)
        .await
        .expect("disable");
    assert!(!disabled.enabled);
    assert!(
        schedules
            .get(org.id, schedule.id)
            .await
            .expect("get")
            .last_run_at
            .is_some()
    );
    assert_eq!(schedules.list(org.id).await.expect("list").len(), 1);
    schedules.delete(org.id, schedule.id).await.expect("delete");
    assert!(matches!(
        schedules.get(org.id, schedule.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

fn event(event_type: &str) -> NewEvent {
    NewEvent {
        event_type: event_type.into(),
        event_source: "github".into(),
        actor_type: Some(EventActorType::Webhook),
        actor_id: None,
        resource_type: Some(ResourceKind::PullRequest),
        resource_id: None,
        metadata: json!({"number": 1}),
    }
}

async fn events_and_metrics(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let events = db.store.events();
    let opened = events
        .record(org.id, event("pull_request.opened"))
        .await
        .expect("event");
    events.record(org.id, event("push")).await.expect("event");
    let filter = EventFilter {
        event_type: Some("push".into()),
        ..Default::default()
    };
    assert_eq!(
        events
            .list(org.id, &filter, &PageRequest::default())
            .await
            .expect("list")
            .items
            .len(),
        1
    );
    let window = EventFilter {
        created_after: Some(now() + Duration::hours(1)),
        ..Default::default()
    };
    assert!(
        events
            .list(org.id, &window, &PageRequest::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
    // The audit trail: what one member did.
    let member = uuid::Uuid::now_v7();
    events
        .record(
            org.id,
            NewEvent {
                event_source: "audit".into(),
                actor_type: Some(EventActorType::User),
                actor_id: Some(member),
                ..event("task.approved")
            },
        )
        .await
        .expect("audit event");
    let by_member = EventFilter {
        actor_id: Some(member),
        ..Default::default()
    };
    let found = events
        .list(org.id, &by_member, &PageRequest::default())
        .await
        .expect("list")
        .items;
    assert_eq!(
        found
            .iter()
            .map(|event| event.event_type.as_str())
            .collect::<Vec<_>>(),
        ["task.approved"]
    );
    assert_eq!(events.unrouted(10).await.expect("unrouted").len(), 3);
    events.mark_routed(org.id, opened.id).await.expect("routed");
    events
        .mark_routed(org.id, opened.id)
        .await
        .expect("routing twice is harmless");
    assert_eq!(events.unrouted(10).await.expect("unrouted").len(), 2);
    assert!(
        events
            .get(org.id, opened.id)
            .await
            .expect("get")
            .routed_at
            .is_some()
    );

    let metrics = db.store.metrics();
    for value in [10.0, 20.0, 30.0] {
        metrics
            .record(
                org.id,
                NewMetric {
                    metric_type: "pr_merge_time".into(),
                    value,
                    unit: Some("seconds".into()),
                    dimensions: json!({}),
                    recorded_at: None,
                },
            )
            .await
            .expect("metric");
    }
    assert!(matches!(
        metrics
            .record(
                org.id,
                NewMetric {
                    metric_type: "x".into(),
                    value: f64::NAN,
                    unit: None,
                    dimensions: json!({}),
                    recorded_at: None
                }
            )
            .await,
        Err(StoreError::Invalid { field: "value", .. })
    ));
    let (from, to) = (now() - Duration::hours(1), now() + Duration::hours(1));
    assert_eq!(
        metrics
            .series(org.id, "pr_merge_time", from, to)
            .await
            .expect("series")
            .len(),
        3
    );
    let summary = metrics
        .summary(org.id, "pr_merge_time", from, to)
        .await
        .expect("summary");
    assert_eq!(
        (summary.count, summary.min, summary.max, summary.average),
        (3, Some(10.0), Some(30.0), Some(20.0))
    );
}

async fn outbox_entries_are_published_once(db: &TestDb) {
    let (org, owner) = fixtures::organization(&db.store, "acme").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let agent = fixtures::agent(&db.store, org.id, "worker").await;
    // Without the transport the queue writes no entries.
    let plain = DbTaskQueue::new(db.store.clone());
    plain
        .enqueue(NewTask::new(org.id, agent.id, "unit"))
        .await
        .expect("enqueue");
    let outbox = db.store.outbox();
    assert!(outbox.pending(10).await.expect("pending").is_empty());

    // With it, a runnable task gets its entry in the same transaction; one that waits
    // for approval gets it when approved; a later one falls due at its time.
    let store = db.store.clone().with_task_outbox();
    let queue = DbTaskQueue::new(store.clone());
    let mut new = NewTask::new(org.id, agent.id, "unit");
    new.priority = 8;
    let task = queue.enqueue(new).await.expect("enqueue").task;
    let mut gated = NewTask::new(org.id, agent.id, "gated");
    gated.requires_human_approval = true;
    let gated = queue.enqueue(gated).await.expect("enqueue").task;
    let mut later = NewTask::new(org.id, agent.id, "later");
    let due_at = now() + chrono::Duration::hours(1);
    later.run_after = Some(due_at);
    queue.enqueue(later).await.expect("enqueue");
    let pending = outbox.pending(10).await.expect("pending");
    assert_eq!(pending.len(), 2, "{pending:?}");
    assert!(pending.iter().all(|entry| entry.organization_id == org.id));
    assert_eq!(
        pending
            .iter()
            .find(|entry| entry.task_id == task.id)
            .map(|entry| entry.priority),
        Some(8)
    );
    let by = DecidedBy {
        user: owner.id,
        via: ApprovalChannel::Api,
    };
    queue.approve(org.id, gated.id, by).await.expect("approve");
    assert_eq!(outbox.pending(10).await.expect("pending").len(), 3);
    assert_eq!(
        outbox.owed().await.expect("owed"),
        2,
        "the later one is not due"
    );

    // A relay takes the due ones (not the one due in an hour), and holds them.
    let taken = outbox
        .take_due(10, std::time::Duration::from_secs(30))
        .await
        .expect("take");
    let mut taken_tasks: Vec<_> = taken.iter().map(|entry| entry.task_id).collect();
    taken_tasks.sort();
    let mut expected = vec![task.id, gated.id];
    expected.sort();
    assert_eq!(taken_tasks, expected);
    assert!(
        outbox
            .take_due(10, std::time::Duration::from_secs(30))
            .await
            .expect("take")
            .is_empty(),
        "held by the first relay"
    );
    let next = outbox
        .next_due()
        .await
        .expect("next due")
        .expect("some due");
    assert!(next <= now(), "due entries still owed: {next}");

    // A failure frees the entry with its error; a confirmation publishes it once.
    let (first, second) = (taken[0].id, taken[1].id);
    outbox
        .record_failure(&[first], "broker unreachable")
        .await
        .expect("failure");
    let again = outbox
        .take_due(10, std::time::Duration::from_secs(30))
        .await
        .expect("take");
    assert_eq!(
        again
            .iter()
            .map(|entry| (
                entry.id,
                entry.publish_attempts,
                entry.last_error.as_deref()
            ))
            .collect::<Vec<_>>(),
        vec![(first, 1, Some("broker unreachable"))]
    );
    assert_eq!(
        outbox
            .mark_published(&[first, second])
            .await
            .expect("published"),
        2
    );
    assert_eq!(
        outbox.mark_published(&[first]).await.expect("published"),
        0,
        "published once"
    );
    let left = outbox.pending(10).await.expect("pending");
    assert_eq!(left.len(), 1);
    let next = outbox
        .next_due()
        .await
        .expect("next due")
        .expect("one owed");
    assert!(
        (next - due_at).num_milliseconds().abs() < 1000,
        "{next} vs {due_at}"
    );

    // Entries are added by hand only for a task of the organization named.
    assert!(matches!(
        outbox.add(other.id, task.id).await,
        Err(StoreError::NotFound { .. })
    ));
    outbox.add(org.id, task.id).await.expect("add");

    // Pruning: published entries older than the cutoff, and unpublished ones whose
    // task no longer waits (here, cancelled).
    queue.cancel(org.id, task.id).await.expect("cancel");
    let pruned = outbox
        .prune(now() + chrono::Duration::seconds(1))
        .await
        .expect("prune");
    assert_eq!(pruned, 3, "two published, one of a cancelled task");
    assert_eq!(outbox.pending(10).await.expect("pending").len(), 1);
}

async fn every_read_is_scoped_to_the_callers_organization(db: &TestDb) {
    let (mine, _) = fixtures::organization(&db.store, "mine").await;
    let (theirs, _) = fixtures::organization(&db.store, "theirs").await;
    let agent = fixtures::agent(&db.store, theirs.id, "their-agent").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let task = queue
        .enqueue(NewTask::new(theirs.id, agent.id, "secret"))
        .await
        .expect("enqueue")
        .task;
    let event = db
        .store
        .events()
        .record(theirs.id, event("push"))
        .await
        .expect("event");

    let agents = db.store.agents();
    assert!(matches!(
        agents.get(mine.id, agent.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        agents
            .update(mine.id, agent.id, AgentPatch::default())
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        agents
            .set_status(mine.id, agent.id, AgentStatus::Disabled, None)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        agents.delete(mine.id, agent.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        agents
            .list(mine.id, &AgentFilter::default(), &PageRequest::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
    assert!(matches!(
        db.store.tasks().get(mine.id, task.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        db.store
            .tasks()
            .list(mine.id, &TaskFilter::default(), &PageRequest::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
    assert!(matches!(
        queue.cancel(mine.id, task.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        db.store.events().get(mine.id, event.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        db.store
            .events()
            .list(mine.id, &EventFilter::default(), &PageRequest::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
    // The rows are untouched for their owner.
    assert_eq!(
        agents.get(theirs.id, agent.id).await.expect("get").status,
        AgentStatus::Idle
    );
    assert_eq!(
        db.store
            .tasks()
            .get(theirs.id, task.id)
            .await
            .expect("get")
            .status,
        TaskStatus::Pending
    );
}

async fn pages_are_stable_and_cursors_checked(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "worker").await;
    let queue = DbTaskQueue::new(db.store.clone());
    let mut created = Vec::new();
    for index in 0..7 {
        created.push(
            queue
                .enqueue(NewTask::new(org.id, agent.id, format!("t{index}")))
                .await
                .expect("enqueue")
                .task
                .id,
        );
    }
    created.reverse(); // newest first
    let mut seen = Vec::new();
    let mut request = PageRequest::first(3);
    loop {
        let page = db
            .store
            .tasks()
            .list(org.id, &TaskFilter::default(), &request)
            .await
            .expect("page");
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|task| task.id));
        // A task added meanwhile does not shift later pages.
        queue
            .enqueue(NewTask::new(org.id, agent.id, "late"))
            .await
            .expect("enqueue");
        match page.next {
            Some(cursor) => {
                request.after = Some(Cursor::decode(&cursor.encode()).expect("round trip"))
            }
            None => break,
        }
    }
    assert_eq!(seen, created);
    assert!(matches!(
        Cursor::decode("garbage"),
        Err(StoreError::InvalidCursor(_))
    ));
}

async fn invalid_enum_strings_in_the_database_are_errors(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let agent = fixtures::agent(&db.store, org.id, "reviewer").await;
    // Simulate data written by a newer version: bypass the CHECK constraint.
    if let Some(pool) = db.store.postgres_pool() {
        sqlx::query("ALTER TABLE agents DROP CONSTRAINT agents_status_check")
            .execute(pool)
            .await
            .expect("drop check");
        sqlx::query("UPDATE agents SET status = 'hibernating' WHERE id = $1")
            .bind(agent.id)
            .execute(pool)
            .await
            .expect("update");
    } else if let Some(pool) = db.store.sqlite_write_pool() {
        let mut connection = pool.acquire().await.expect("connection");
        sqlx::query("PRAGMA ignore_check_constraints = ON")
            .execute(&mut *connection)
            .await
            .expect("pragma");
        sqlx::query("UPDATE agents SET status = 'hibernating' WHERE id = $1")
            .bind(agent.id)
            .execute(&mut *connection)
            .await
            .expect("update");
        sqlx::query("PRAGMA ignore_check_constraints = OFF")
            .execute(&mut *connection)
            .await
            .expect("pragma");
    }
    match db.store.agents().get(org.id, agent.id).await {
        Err(StoreError::InvalidEnum { type_name, value }) => {
            assert_eq!((type_name, value.as_str()), ("AgentStatus", "hibernating"));
        }
        other => panic!("expected InvalidEnum, got {other:?}"),
    }
}

async fn deliveries_recorded_together_are_answered_one_by_one(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "batch").await;
    let github = fixtures::github(&db.store, org.id, "batch-token").await;
    let deliveries = db.store.deliveries();
    let new = |key: &str| NewDelivery {
        integration_id: github.id,
        service: Service::Github,
        delivery_key: key.into(),
        event_type: "push".into(),
        headers: json!({"x-github-delivery": key}),
        body: format!("{{\"key\": \"{key}\"}}").into_bytes(),
        status: DeliveryStatus::Received,
        error: None,
        traceparent: None,
    };
    let Recorded::New(earlier) = deliveries.record(org.id, new("a")).await.expect("record") else {
        panic!("new");
    };
    let batch: Vec<_> = ["b", "a", "c", "b"]
        .into_iter()
        .map(|key| (org.id, new(key)))
        .collect();
    let answers = deliveries.record_many(&batch).await.expect("record many");
    let Recorded::New(b) = answers[0] else {
        panic!("b is new: {answers:?}");
    };
    assert_eq!(
        answers[1],
        Recorded::Duplicate(earlier),
        "a was recorded before"
    );
    assert!(matches!(answers[2], Recorded::New(_)), "{answers:?}");
    assert_eq!(answers[3], Recorded::Duplicate(b), "b twice in one batch");
    for (answer, key) in answers.iter().zip(["b", "a", "c", "b"]) {
        let (Recorded::New(id) | Recorded::Duplicate(id)) = answer;
        let stored = deliveries.get(org.id, *id).await.expect("stored");
        assert_eq!(stored.delivery_key, key);
        assert_eq!(stored.body, format!("{{\"key\": \"{key}\"}}").into_bytes());
    }
    assert_eq!(
        deliveries
            .count(org.id, DeliveryStatus::Received)
            .await
            .expect("count"),
        3
    );
    let mut invalid = new("");
    invalid.delivery_key.clear();
    assert!(matches!(
        deliveries
            .record_many(&[(org.id, new("d")), (org.id, invalid)])
            .await,
        Err(StoreError::Invalid { .. })
    ));
    assert_eq!(
        deliveries
            .count(org.id, DeliveryStatus::Received)
            .await
            .expect("count"),
        3,
        "a refused batch writes nothing"
    );
    assert!(deliveries.record_many(&[]).await.expect("empty").is_empty());
}

async fn deliveries_left_unarchived_or_unnamed_are_found(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "sweep").await;
    let github = fixtures::github(&db.store, org.id, "sweep-token").await;
    let deliveries = db.store.deliveries();
    let new = |key: &str, traceparent: Option<&str>| NewDelivery {
        integration_id: github.id,
        service: Service::Github,
        delivery_key: key.into(),
        event_type: "push".into(),
        headers: json!({"x-github-delivery": key}),
        body: b"{}".to_vec(),
        status: DeliveryStatus::Received,
        error: None,
        traceparent: traceparent.map(str::to_owned),
    };
    let traced = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let mut ids = Vec::new();
    for (key, trace) in [("a", Some(traced)), ("b", None), ("c", None)] {
        let Recorded::New(id) = deliveries
            .record(org.id, new(key, trace))
            .await
            .expect("record")
        else {
            panic!("new");
        };
        ids.push(id);
    }
    let found = deliveries.find(ids[0]).await.expect("find by id alone");
    assert_eq!(found.traceparent.as_deref(), Some(traced));
    assert_eq!(found.archived_at, None);
    assert!(matches!(
        deliveries.find(DeliveryId::new()).await,
        Err(StoreError::NotFound { .. })
    ));

    let later = db.store.now() + Duration::seconds(60);
    let earlier = db.store.now() - Duration::seconds(3600);
    let unarchived: Vec<_> = deliveries
        .unarchived(later, 10)
        .await
        .expect("unarchived")
        .into_iter()
        .map(|row| row.id)
        .collect();
    assert_eq!(unarchived, ids, "oldest first");
    assert!(
        deliveries
            .unarchived(earlier, 10)
            .await
            .expect("unarchived")
            .is_empty(),
        "none recorded before an hour ago"
    );
    deliveries.mark_archived(&ids[..2]).await.expect("mark");
    deliveries
        .mark_archived(&[])
        .await
        .expect("nothing to mark");
    let left: Vec<_> = deliveries
        .unarchived(later, 10)
        .await
        .expect("unarchived")
        .into_iter()
        .map(|row| row.id)
        .collect();
    assert_eq!(left, [ids[2]]);
    assert!(
        deliveries
            .find(ids[0])
            .await
            .expect("find")
            .archived_at
            .is_some()
    );

    // Waiting: one entry per integration, its oldest delivery still received.
    assert_eq!(
        deliveries.waiting(later, 10).await.expect("waiting"),
        [(org.id, github.id, ids[0])]
    );
    assert!(
        deliveries
            .waiting(earlier, 10)
            .await
            .expect("waiting")
            .is_empty()
    );
    deliveries
        .fail(org.id, ids[0], "not this one")
        .await
        .expect("fail");
    assert_eq!(
        deliveries.waiting(later, 10).await.expect("waiting"),
        [(org.id, github.id, ids[1])],
        "a failed delivery is not waiting"
    );
}

async fn webhook_deliveries_dedupe_and_become_events_once(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "acme").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let github = db
        .store
        .integrations()
        .connect(
            org.id,
            Service::Github,
            "k1:cipher",
            json!({}),
            WebhookSetup {
                token: "t",
                secret_encrypted: Some("k1:s"),
            },
        )
        .await
        .expect("connect");
    let deliveries = db.store.deliveries();
    let body = b"{\"zen\": \"\\u00e9 bytes kept\"}\xff".to_vec();
    let new = NewDelivery {
        integration_id: github.id,
        service: Service::Github,
        delivery_key: "72d3162e".into(),
        event_type: "ping".into(),
        headers: json!({"x-github-event": "ping"}),
        body: body.clone(),
        status: DeliveryStatus::Received,
        error: None,
        traceparent: None,
    };
    let Recorded::New(id) = deliveries
        .record(org.id, new.clone())
        .await
        .expect("record")
    else {
        panic!("the first delivery is new");
    };
    assert_eq!(
        deliveries.record(org.id, new.clone()).await.expect("again"),
        Recorded::Duplicate(id)
    );
    let stored = deliveries.get(org.id, id).await.expect("get");
    assert_eq!(stored.body, body, "the raw body is kept byte for byte");
    assert_eq!(stored.status, DeliveryStatus::Received);
    assert!(matches!(
        deliveries.get(other.id, id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        deliveries
            .pending(github.id, 10)
            .await
            .expect("pending")
            .len(),
        1
    );

    let event = NewEvent {
        event_type: "github.ping".into(),
        event_source: "github".into(),
        actor_type: Some(EventActorType::Webhook),
        actor_id: None,
        resource_type: None,
        resource_id: None,
        metadata: json!({"delivery": id}),
    };
    let made = deliveries
        .complete(org.id, id, event.clone())
        .await
        .expect("complete")
        .expect("the first completion writes the event");
    assert!(
        deliveries
            .complete(org.id, id, event)
            .await
            .expect("again")
            .is_none(),
        "a processed delivery makes no second event"
    );
    let stored = deliveries.get(org.id, id).await.expect("get");
    assert_eq!(
        (stored.status, stored.event_id),
        (DeliveryStatus::Processed, Some(made.id))
    );
    assert_eq!(
        stored.event_type, "github.ping",
        "a processed delivery is named by its event, no longer by what its request said"
    );
    assert!(
        deliveries
            .pending(github.id, 10)
            .await
            .expect("pending")
            .is_empty()
    );
    assert_eq!(made.routed_at, None, "the router routes it");

    let malformed = NewDelivery {
        delivery_key: "other".into(),
        status: DeliveryStatus::Malformed,
        error: Some("expected value at line 1".into()),
        traceparent: None,
        ..new
    };
    deliveries.record(org.id, malformed).await.expect("kept");
    assert_eq!(
        deliveries
            .count(org.id, DeliveryStatus::Malformed)
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        deliveries
            .list(org.id, github.id, Some(DeliveryStatus::Processed), 10)
            .await
            .expect("list")
            .len(),
        1
    );
}

/// A drain's deliveries become events in one transaction: one event each, in the order
/// given, none for a delivery already processed, named twice or of another
/// organization.
async fn deliveries_completed_together_become_one_event_each(db: &TestDb) {
    let (org, _) = fixtures::organization(&db.store, "drain").await;
    let (other, _) = fixtures::organization(&db.store, "elsewhere").await;
    let github = fixtures::github(&db.store, org.id, "drain-token").await;
    let deliveries = db.store.deliveries();
    let mut ids = Vec::new();
    for key in ["a", "b", "c", "d"] {
        let new = NewDelivery {
            integration_id: github.id,
            service: Service::Github,
            delivery_key: key.into(),
            event_type: "pull_request".into(),
            headers: json!({"x-github-delivery": key}),
            body: b"{}".to_vec(),
            status: DeliveryStatus::Received,
            error: None,
            traceparent: None,
        };
        let Recorded::New(id) = deliveries.record(org.id, new).await.expect("record") else {
            panic!("new");
        };
        ids.push(id);
    }
    let event = |name: &str| NewEvent {
        event_type: format!("github.{name}"),
        event_source: "github".into(),
        actor_type: Some(EventActorType::Webhook),
        actor_id: None,
        resource_type: None,
        resource_id: None,
        metadata: json!({"name": name}),
    };
    deliveries
        .complete(org.id, ids[1], event("early"))
        .await
        .expect("complete one")
        .expect("written");
    assert!(
        deliveries
            .complete_many(other.id, vec![(ids[0], event("foreign"))])
            .await
            .expect("another organization's batch")
            .is_empty(),
        "a delivery is completed by its own organization only"
    );
    let made = deliveries
        .complete_many(
            org.id,
            vec![
                (ids[3], event("fourth")),
                (ids[1], event("again")),
                (ids[0], event("first")),
                (ids[3], event("fourth twice")),
                (ids[2], event("third")),
            ],
        )
        .await
        .expect("complete many");
    let names: Vec<(DeliveryId, &str)> = made
        .iter()
        .map(|(id, event)| (*id, event.event_type.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (ids[3], "github.fourth"),
            (ids[0], "github.first"),
            (ids[2], "github.third")
        ]
    );
    for (id, event) in &made {
        let id = *id;
        let stored = deliveries.get(org.id, id).await.expect("get");
        assert_eq!(
            (stored.status, stored.event_id, stored.event_type.as_str()),
            (
                DeliveryStatus::Processed,
                Some(event.id),
                event.event_type.as_str()
            )
        );
        assert_eq!(event.organization_id, org.id);
        assert_eq!(event.routed_at, None);
    }
    assert_eq!(
        db.store
            .events()
            .list(org.id, &EventFilter::default(), &PageRequest::default())
            .await
            .expect("events")
            .items
            .len(),
        4,
        "one event per delivery"
    );
    assert!(
        deliveries
            .complete_many(org.id, vec![(ids[2], event("late"))])
            .await
            .expect("again")
            .is_empty()
    );
    assert!(
        deliveries
            .complete_many(org.id, Vec::new())
            .await
            .expect("empty")
            .is_empty()
    );
}

/// Two owners demote (or remove) each other at the same instant, many times over: the
/// organization always keeps an owner, because the check and the change are one
/// serialised step.
async fn owners_demoting_each_other_at_once_leave_an_owner(db: &TestDb) {
    let orgs = db.store.organizations();
    for trial in 0..8 {
        let (org, first) = fixtures::organization(&db.store, &format!("race-{trial}")).await;
        let second = fixtures::user(&db.store, &format!("second-{trial}@acme.example")).await;
        orgs.add_member(org.id, second.id, MemberRole::Owner)
            .await
            .expect("second owner");
        let change = if trial % 2 == 0 {
            MemberChange::SetRole(MemberRole::Admin)
        } else {
            MemberChange::Remove
        };
        let owner = [MemberRole::Owner];
        let (one, two) = tokio::join!(
            orgs.change_member(org.id, first.id, &owner, second.id, change),
            orgs.change_member(org.id, second.id, &owner, first.id, change),
        );
        let succeeded = [&one, &two].iter().filter(|result| result.is_ok()).count();
        assert_eq!(succeeded, 1, "exactly one change wins: {one:?} {two:?}");
        let owners = orgs
            .list_members(org.id)
            .await
            .expect("members")
            .iter()
            .filter(|member| member.role == MemberRole::Owner)
            .count();
        assert_eq!(owners, 1, "trial {trial} left {owners} owners");
    }
}

async fn invitations_are_listed_revoked_and_voided(db: &TestDb) {
    let (org, owner) = fixtures::organization(&db.store, "acme").await;
    let (other, _) = fixtures::organization(&db.store, "other").await;
    let admin = fixtures::user(&db.store, "admin@acme.example").await;
    let orgs = db.store.organizations();
    orgs.add_member(org.id, admin.id, MemberRole::Admin)
        .await
        .expect("admin");
    let invitations = db.store.invitations();
    let week = now() + Duration::days(7);
    let invite = |email: &'static str, by: UserId, hash: &'static str| {
        invitations.create(org.id, email, MemberRole::Member, hash, by, week)
    };
    let by_owner = invite("a@x.example", owner.id, "h1").await.expect("a");
    let by_admin = invite("b@x.example", admin.id, "h2").await.expect("b");
    let revoked = invite("c@x.example", owner.id, "h3").await.expect("c");
    invitations
        .create(
            org.id,
            "d@x.example",
            MemberRole::Member,
            "h4",
            owner.id,
            now() - Duration::seconds(1),
        )
        .await
        .expect("expired");
    invitations
        .revoke(org.id, revoked.id)
        .await
        .expect("revoke");
    assert!(
        matches!(
            invitations.revoke(other.id, by_owner.id).await,
            Err(StoreError::NotFound { .. })
        ),
        "another organization's invitation is not found"
    );
    assert!(
        invitations
            .accept(revoked.id, owner.id)
            .await
            .expect("accept")
            .is_none()
    );
    let live: Vec<_> = invitations
        .list_live(org.id)
        .await
        .expect("list")
        .into_iter()
        .map(|invitation| invitation.id)
        .collect();
    assert_eq!(
        live,
        vec![by_admin.id, by_owner.id],
        "newest first, live only"
    );

    // The admin is demoted to member: what they sent is voided, in the same step.
    orgs.change_member(
        org.id,
        owner.id,
        &[MemberRole::Owner, MemberRole::Admin],
        admin.id,
        MemberChange::SetRole(MemberRole::Member),
    )
    .await
    .expect("demote");
    let voided = invitations
        .find_by_hash("h2")
        .await
        .expect("find")
        .expect("row");
    assert_eq!(
        voided.revoked_reason.as_deref(),
        Some(revoked_reason::INVITER_LOST_RIGHTS)
    );
    assert!(!voided.is_live(now()));
    assert!(
        invitations
            .accept(by_admin.id, admin.id)
            .await
            .expect("accept")
            .is_none()
    );
    // A member already: the invitation is used up, the role they have is kept.
    assert_eq!(
        invitations
            .accept(by_owner.id, admin.id)
            .await
            .expect("accept")
            .map(|(org, _)| org),
        Some(org.id)
    );
    assert_eq!(
        orgs.member_role(org.id, admin.id).await.expect("role"),
        Some(MemberRole::Member)
    );
    assert!(
        invitations
            .accept(by_owner.id, admin.id)
            .await
            .expect("once")
            .is_none()
    );
}
