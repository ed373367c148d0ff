//! Small builders shared by the contract tests.

use companyos_store::{
    Agent, Integration, NewAgent, NewUser, OrgId, Organization, Service, Store, User, WebhookSetup,
};

pub async fn user(store: &Store, email: &str) -> User {
    store
        .users()
        .create(NewUser {
            email: email.into(),
            name: format!("User {email}"),
            ..NewUser::default()
        })
        .await
        .expect("create user")
}

/// An organization with a fresh owner.
pub async fn organization(store: &Store, slug: &str) -> (Organization, User) {
    companyos_store::testing::organization_with_owner(store, slug).await
}

pub async fn agent(store: &Store, org: OrgId, name: &str) -> Agent {
    store
        .agents()
        .create(
            org,
            NewAgent {
                name: name.into(),
                agent_type: "code_review".into(),
                capabilities: vec!["analyze_pr".into()],
                configuration: serde_json::json!({"depth": 2}),
            },
        )
        .await
        .expect("create agent")
}

/// A GitHub integration of the organization, connected with a webhook `token` and no
/// secret.
pub async fn github(store: &Store, org: OrgId, token: &str) -> Integration {
    store
        .integrations()
        .connect(
            org,
            Service::Github,
            "k1:cipher",
            serde_json::json!({}),
            WebhookSetup {
                token,
                secret_encrypted: None,
            },
        )
        .await
        .expect("connect")
}
