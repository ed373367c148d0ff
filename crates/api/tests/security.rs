//! What an outside probe of a node as an attacker and as a malicious tenant found, each
//! closed and proved here over real HTTP, on SQLite and PostgreSQL: e-mail addresses
//! are trusted only once proved (no pre-account takeover through invitations or GitHub
//! login), logins cost the same whether the account exists, owners cannot race each
//! other out of an organization, invitations are listed, revoked and voided, logout
//! ends access tokens, live connections follow tokens and memberships, the challenge
//! endpoints are no signing oracle, vendor ids are per organization, webhook bodies are
//! checked before they are read, webhook URLs never come from a Host header, NUL
//! characters are refused at the edge, and answers carry their security headers.

mod common;

use std::time::Duration;

use common::{Caller, Server, Socket, graphql_ws, serve, serve_with, token};
use companyos_api::WebhookConfig;
use companyos_api::oauth::GitHubOAuth;
use companyos_integrations::webhooks::twitter_crc_response;
use companyos_store::testing::{TestDb, eventually};
use futures::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

companyos_store::contract_tests!(
    an_unproved_address_is_never_taken_over,
    logins_cost_the_same_whether_the_account_exists,
    owners_demoting_each_other_at_once_leave_an_owner,
    invitations_are_listed_revoked_expired_and_voided,
    logout_ends_the_sessions_access_tokens,
    live_connections_follow_the_token_and_the_membership,
    challenge_endpoints_are_no_signing_oracle,
    vendor_ids_are_the_organizations_own,
    webhook_bodies_are_checked_before_they_are_kept,
    webhook_urls_never_come_from_a_host_header,
    nul_characters_are_refused_naming_the_field,
    answers_carry_their_security_headers,
    user_supplied_urls_and_organization_quota,
    metrics_ask_for_their_token_when_one_is_set,
);

fn fixture(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|error| panic!("{}: {error}", full.display()))
}

/// GitHub's OAuth and user API, for an account whose verified primary address is
/// `victim@corp.example`.
async fn github_stand_in() -> MockServer {
    let github = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/login/oauth/access_token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "gho_victim", "token_type": "bearer"})),
        )
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "login": "victim", "id": 777, "name": "Victim", "avatar_url": null, "email": "victim@corp.example"
        })))
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/user/emails"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"email": "victim@corp.example", "verified": true, "primary": true, "visibility": "public"}
        ])))
        .mount(&github)
        .await;
    github
}

fn github_login(stand_in: &MockServer) -> GitHubOAuth {
    GitHubOAuth {
        client_id: "app".into(),
        client_secret: "secret".into(),
        authorize_url: format!("{}/login/oauth/authorize", stand_in.uri()),
        token_url: format!("{}/login/oauth/access_token", stand_in.uri()),
        api_url: format!("{}/api", stand_in.uri()),
        redirect_uri: "http://companyos.test/api/auth/github/callback".into(),
        http: companyos_integrations::http::client(Duration::from_secs(5)).expect("client"),
    }
}

/// Runs GitHub login (or a link, with `start` = the authorize URL) to its callback.
async fn github_callback(server: &Server, start: Option<(String, String)>) -> (StatusCode, Value) {
    let client = companyos_integrations::http::builder()
        .expect("tls")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let (location, cookie) = match start {
        Some(started) => started,
        None => {
            let response = client
                .get(format!("{}/api/auth/github", server.base))
                .send()
                .await
                .expect("start");
            (
                response.headers()["location"]
                    .to_str()
                    .expect("location")
                    .to_owned(),
                response.headers()["set-cookie"]
                    .to_str()
                    .expect("cookie")
                    .to_owned(),
            )
        }
    };
    let url = reqwest::Url::parse(&location).expect("url");
    let state = url
        .query_pairs()
        .find(|(key, _)| key == "state")
        .map(|(_, value)| value.into_owned())
        .expect("state");
    let cookie = cookie.split(';').next().expect("pair").to_owned();
    let response = client
        .get(format!("{}/api/auth/github/callback", server.base))
        .query(&[("code", "any"), ("state", state.as_str())])
        .header("cookie", cookie)
        .send()
        .await
        .expect("callback");
    common::read(response).await
}

async fn an_unproved_address_is_never_taken_over(db: &TestDb) {
    let stand_in = github_stand_in().await;
    let server = serve(db, |auth| {
        auth.open_registration = true;
        auth.github = Some(github_login(&stand_in));
    })
    .await;
    let (owner, org) = server.owner("owner@acme.example", "Acme").await;
    // The first account's address is unproved until its link is followed.
    let verify = server
        .mail
        .token("owner@acme.example", "verify-email")
        .await;
    let (_, me) = server.get("/api/auth/me", Some(&owner)).await;
    assert!(me["email_verified_at"].is_null(), "{me}");
    // An unproved account links no GitHub account (its own or anyone's).
    let (status, refused) = server
        .post("/api/auth/github/link", Some(&owner), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("verify your e-mail address")),
        "{refused}"
    );
    // Following it sets the password (the one who holds the mailbox chooses it) and
    // ends every other session.
    let (status, short) = server
        .post("/api/auth/verify-email", None, json!({"token": verify}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a password: {short}"
    );
    let (status, verified) = server
        .post(
            "/api/auth/verify-email",
            None,
            json!({"token": verify, "password": "the owner's chosen one"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    let (status, _) = server.get("/api/auth/me", Some(&owner)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the earlier session ended"
    );
    let owner = token(&verified, "access_token").to_owned();
    let (status, again) = server
        .post(
            "/api/auth/verify-email",
            None,
            json!({"token": verify, "password": "the owner's chosen one"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a link works once: {again}");
    assert!(
        again["detail"]
            .as_str()
            .is_some_and(|detail| detail.starts_with("this link was already used")),
        "and says so: {again}"
    );
    let (_, me) = server.get("/api/auth/me", Some(&owner)).await;
    assert!(me["email_verified_at"].is_string(), "{me}");

    // The attack: an inviter never receives the invitation token, so cannot register
    // the victim's address from it…
    let invitation = server
        .invite(&owner, &org, "victim@corp.example", "member")
        .await;
    assert_eq!(invitation.len(), 64);
    // …and registering someone else's address (open registration) gives no session
    // and no password: the mailed link chooses the password, and only the mailbox's
    // holder has it.
    let (status, attacker) = server
        .register(
            "victim@corp.example",
            json!({"organization": "Attacker's", "password": "attacker-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{attacker}");
    assert!(attacker.get("access_token").is_none(), "{attacker}");

    // The victim signs in with GitHub (verified primary address): nothing is attached
    // to the account someone else registered with it.
    let (status, refused) = github_callback(&server, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("never verified")),
        "{refused}"
    );
    let account = db
        .store
        .users()
        .find_by_email("victim@corp.example")
        .await
        .expect("find")
        .expect("account");
    assert_eq!(account.github_id, None, "GitHub was not linked");

    // The owner of the address takes the account back through a reset link: the
    // attacker's password and sessions stop working.
    let (status, _) = server
        .post(
            "/api/auth/password-reset",
            None,
            json!({"email": "victim@corp.example"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let reset = server
        .mail
        .token("victim@corp.example", "reset-password")
        .await;
    let (status, taken_back) = server
        .post(
            "/api/auth/password-reset/confirm",
            None,
            json!({"token": reset, "password": "the victim's own"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{taken_back}");
    assert!(taken_back["user"]["email_verified_at"].is_string());
    let (status, _) = server
        .post(
            "/api/auth/login",
            None,
            json!({"email": "victim@corp.example", "password": "attacker-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the attacker's password");

    // Now the address is proved on both sides: GitHub login finds and links it.
    let (status, session) = github_callback(&server, None).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["user"]["id"], account.id.to_string());
    assert_eq!(session["user"]["github_id"], 777);

    // The owner of an address someone else registered proves it from the mailed link:
    // the password is theirs, the registrant's never worked.
    let (status, squatter) = server
        .register(
            "second@corp.example",
            json!({"organization": "Squatter's", "password": "squatter-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{squatter}");
    let proof = server
        .mail
        .token("second@corp.example", "verify-email")
        .await;
    let (status, proved) = server
        .post(
            "/api/auth/verify-email",
            None,
            json!({"token": proof, "password": "the real owner's"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{proved}");
    assert!(proved["user"]["email_verified_at"].is_string(), "{proved}");
    for (password, expected) in [
        ("squatter-password", StatusCode::UNAUTHORIZED),
        ("the real owner's", StatusCode::OK),
    ] {
        let (status, body) = server
            .post(
                "/api/auth/login",
                None,
                json!({"email": "second@corp.example", "password": password}),
            )
            .await;
        assert_eq!(status, expected, "{password}: {body}");
    }

    // A reset for an unknown address answers the same way and mails nothing.
    let (status, answer) = server
        .post(
            "/api/auth/password-reset",
            None,
            json!({"email": "nobody@corp.example"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert!(server.mail.to("nobody@corp.example").is_empty());
    server.stop().await;
}

/// The password checks the node counted for logins of accounts that do not exist.
async fn dummy_checks(server: &Server) -> f64 {
    let text = server
        .client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find(|line| {
            line.starts_with("companyos_auth_password_verifications_total")
                && line.contains("account=\"missing\"")
        })
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

/// The counter is the process's: the two databases' runs of this test take turns.
static DUMMY_COUNTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn logins_cost_the_same_whether_the_account_exists(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    server.owner("known@acme.example", "Acme").await;
    let _turn = DUMMY_COUNTER.lock().await;
    let mut answers = Vec::new();
    for email in ["known@acme.example", "unknown@acme.example"] {
        let before = dummy_checks(&server).await;
        let (status, body) = server
            .post(
                "/api/auth/login",
                None,
                json!({"email": email, "password": "wrong password"}),
            )
            .await;
        let dummies = dummy_checks(&server).await - before;
        // A missing account is verified against the dummy hash: the same argon2 work
        // as a wrong password, so the answer's timing does not tell them apart.
        let expected = if email.starts_with("unknown") {
            1.0
        } else {
            0.0
        };
        assert_eq!(dummies, expected, "{email}");
        answers.push((status, body["detail"].clone()));
    }
    assert_eq!(
        answers[0], answers[1],
        "the answers do not tell the accounts apart"
    );
    assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

async fn owners_demoting_each_other_at_once_leave_an_owner(db: &TestDb) {
    let server = std::sync::Arc::new(serve(db, |auth| auth.open_registration = true).await);
    for trial in 0..6 {
        let (first, org) = server
            .owner(&format!("first{trial}@race.example"), "Race")
            .await;
        let second_email = format!("second{trial}@race.example");
        let second = server.member(&first, &org, &second_email, "owner").await;
        let ids: Vec<String> = {
            let (_, members) = server
                .get(&format!("/api/organizations/{org}/members"), Some(&first))
                .await;
            members["items"]
                .as_array()
                .expect("members")
                .iter()
                .map(|member| member["user_id"].as_str().expect("id").to_owned())
                .collect()
        };
        let remove = trial % 2 == 1;
        let act = |actor: String, target: String| {
            let server = server.clone();
            let org = org.clone();
            tokio::spawn(async move {
                let path = format!("/api/organizations/{org}/members/{target}");
                let caller = Caller::new(&actor, &org);
                if remove {
                    server.call(Method::DELETE, &path, &caller, None).await.0
                } else {
                    server
                        .call(
                            Method::PATCH,
                            &path,
                            &caller,
                            Some(json!({"role": "admin"})),
                        )
                        .await
                        .0
                }
            })
        };
        let (one, two) = tokio::join!(
            act(first.clone(), ids[1].clone()),
            act(second, ids[0].clone())
        );
        let statuses = [one.expect("first"), two.expect("second")];
        assert_eq!(
            statuses.iter().filter(|status| status.is_success()).count(),
            1,
            "exactly one wins: {statuses:?}"
        );
        let org_id = companyos_store::OrgId(org.parse().expect("org"));
        let owners = db
            .store
            .organizations()
            .list_members(org_id)
            .await
            .expect("members")
            .iter()
            .filter(|member| member.role == companyos_store::MemberRole::Owner)
            .count();
        assert_eq!(owners, 1, "trial {trial}: {statuses:?}");
    }
    server.stop().await;
}

async fn invitations_are_listed_revoked_expired_and_voided(db: &TestDb) {
    let server = serve(db, |auth| {
        auth.invitation_ttl = Duration::from_secs(3600);
    })
    .await;
    let (owner, org) = server.owner("owner@acme.example", "Acme").await;
    let admin = server
        .member(&owner, &org, "admin@acme.example", "admin")
        .await;
    let viewer = server
        .member(&owner, &org, "viewer@acme.example", "viewer")
        .await;
    let invitations = format!("/api/organizations/{org}/invitations");

    let by_owner = server.invite(&owner, &org, "one@x.example", "member").await;
    let by_admin = server.invite(&admin, &org, "two@x.example", "member").await;
    let (status, listed) = server.get(&invitations, Some(&owner)).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let emails: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["email"].as_str().expect("email"))
        .collect();
    assert_eq!(emails, ["two@x.example", "one@x.example"]);
    assert!(!listed.to_string().contains(&by_owner), "never the token");
    let (status, _) = server.get(&invitations, Some(&viewer)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a viewer does not manage members"
    );

    // Revoked: the link no longer works.
    let one_id = listed["items"][1]["id"].as_str().expect("id").to_owned();
    let caller = Caller::new(&owner, &org);
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("{invitations}/{one_id}"),
            &caller,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, refused) = server
        .register("one@x.example", json!({"invitation_token": by_owner}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("{invitations}/{one_id}"),
            &caller,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "revoked already");

    // The admin who sent the other one is demoted: it is voided with it.
    let (_, members) = server
        .get(&format!("/api/organizations/{org}/members"), Some(&owner))
        .await;
    let admin_id = members["items"]
        .as_array()
        .expect("members")
        .iter()
        .find(|member| member["email"] == "admin@acme.example")
        .and_then(|member| member["user_id"].as_str())
        .expect("admin")
        .to_owned();
    let (status, _) = server
        .call(
            Method::PATCH,
            &format!("/api/organizations/{org}/members/{admin_id}"),
            &caller,
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, preview) = server
        .post("/api/invitations/preview", None, json!({"token": by_admin}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{preview}");
    let (_, listed) = server.get(&invitations, Some(&owner)).await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(0),
        "{listed}"
    );

    // A live one previews; an expired one does not.
    let live = server
        .invite(&owner, &org, "three@x.example", "viewer")
        .await;
    let (status, preview) = server
        .post("/api/invitations/preview", None, json!({"token": live}))
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        (
            preview["organization_name"].as_str(),
            preview["role"].as_str()
        ),
        (Some("Acme"), Some("viewer"))
    );
    let expiring = serve(db, |auth| auth.invitation_ttl = Duration::ZERO).await;
    let dead = expiring
        .invite(&owner, &org, "four@x.example", "viewer")
        .await;
    let (status, _) = expiring
        .post("/api/invitations/preview", None, json!({"token": dead}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "expired");
    expiring.stop().await;

    // GraphQL lists and revokes the same way.
    let graphql = |query: &str, variables: Value| {
        let server = &server;
        let caller = caller.clone();
        let body = json!({"query": query, "variables": variables});
        async move {
            server
                .call(Method::POST, "/graphql", &caller, Some(body))
                .await
                .1
        }
    };
    let listed = graphql("{ invitations { id email role } }", json!({})).await;
    let id = listed["data"]["invitations"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{listed}"))
        .to_owned();
    let revoked = graphql(
        "mutation($id: ID!) { revokeInvitation(id: $id) }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(revoked["data"]["revokeInvitation"], true, "{revoked}");
    let listed = graphql("{ invitations { id } }", json!({})).await;
    assert_eq!(listed["data"]["invitations"], json!([]));
    server.stop().await;
}

async fn logout_ends_the_sessions_access_tokens(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (status, session) = server
        .register("owner@acme.example", json!({"organization": "Acme"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let access = token(&session, "access_token").to_owned();
    let (status, other) = server
        .post(
            "/api/auth/login",
            None,
            json!({"email": "owner@acme.example", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{other}");
    let other_access = token(&other, "access_token").to_owned();
    let (status, _) = server
        .post(
            "/api/auth/logout",
            None,
            json!({"refresh_token": token(&session, "refresh_token")}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, refused) = server.get("/api/auth/me", Some(&access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    let (status, _) = server.get("/api/auth/me", Some(&other_access)).await;
    assert_eq!(status, StatusCode::OK, "another session goes on");
    // Logout with only the access token ends its session too.
    let response = server
        .client
        .post(format!("{}/api/auth/logout", server.base))
        .bearer_auth(&other_access)
        .json(&json!({}))
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = server.get("/api/auth/me", Some(&other_access)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

async fn ws(server: &Server, access: &str, org: &str) -> Socket {
    let url = format!(
        "{}/ws?organization_id={org}&token={access}",
        server.base.replace("http", "ws")
    );
    tokio_tungstenite::connect_async(url)
        .await
        .expect("connect")
        .0
}

/// Reads until the server closes the socket: its close code.
async fn close_code(socket: &mut Socket) -> u16 {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), socket.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => return frame.code.into(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    }
}

async fn live_connections_follow_the_token_and_the_membership(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (owner, org) = server.owner("owner@acme.example", "Acme").await;
    let member = server
        .member(&owner, &org, "member@acme.example", "member")
        .await;
    let mut channel = ws(&server, &member, &org).await;
    let mut subscriptions = graphql_ws(&server, &member).await;

    // Removing the member closes both at once.
    let (_, me) = server.get("/api/auth/me", Some(&member)).await;
    let member_id = me["id"].as_str().expect("id").to_owned();
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("/api/organizations/{org}/members/{member_id}"),
            &Caller::new(&owner, &org),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(close_code(&mut channel).await, 4403);
    assert_eq!(close_code(&mut subscriptions).await, 4403);
    server.stop().await;

    // A token that expires closes the socket, unless a fresh one arrives first.
    let short = serve(db, |auth| auth.access_ttl = Duration::from_secs(2)).await;
    let longer = serve(db, |auth| auth.access_ttl = Duration::from_secs(6)).await;
    let login = |server: &Server| {
        let request = server
            .client
            .post(format!("{}/api/auth/login", server.base))
            .json(&json!({"email": "owner@acme.example", "password": "correct horse"}));
        async move {
            let (status, session) = common::read(request.send().await.expect("login")).await;
            assert_eq!(status, StatusCode::OK, "{session}");
            token(&session, "access_token").to_owned()
        }
    };
    let first = login(&short).await;
    let mut expiring = ws(&short, &first, &org).await;
    let mut refreshed = ws(&short, &first, &org).await;
    let fresh = login(&longer).await;
    refreshed
        .send(Message::Text(
            json!({"type": "authenticate", "token": fresh})
                .to_string()
                .into(),
        ))
        .await
        .expect("authenticate");
    assert!(next_text(&mut refreshed).await.contains("authenticated"));
    assert_eq!(
        close_code(&mut expiring).await,
        4401,
        "the first token expired"
    );
    // Past the first token's expiry the refreshed socket still answers…
    refreshed
        .send(Message::Text(json!({"type": "ping"}).to_string().into()))
        .await
        .expect("ping");
    assert!(next_text(&mut refreshed).await.contains("pong"));
    // …until its own token expires.
    assert_eq!(close_code(&mut refreshed).await, 4401);
    short.stop().await;
    longer.stop().await;
}

async fn next_text(socket: &mut Socket) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return text.to_string(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no text message: {other:?}"),
        }
    }
}

async fn challenge_endpoints_are_no_signing_oracle(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (owner, org) = server.owner("owner@acme.example", "Acme").await;
    let caller = Caller::new(&owner, &org);
    let (status, connected) = server
        .call(
            Method::POST,
            "/api/integrations/twitter/connect",
            &caller,
            Some(json!({"credentials": {"token": "x"}, "webhook_secret": "consumer-secret"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{connected}");
    let url = connected["webhook_url"].as_str().expect("url");
    let path = &url[server.base.len()..];
    let body = br#"{"for_user_id":"1","tweet_create_events":[]}"#;

    // A body-shaped challenge is not answered at all.
    let encoded: String = url_encode(std::str::from_utf8(body).expect("utf8"));
    let (status, refused) = server
        .get(&format!("{path}&crc_token={encoded}"), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "crc_token");

    // A token-shaped one is answered — and a delivery signed with that answer is
    // refused, because its body was a challenge.
    let token_body = "abc-123";
    let (status, answer) = server
        .get(&format!("{path}&crc_token={token_body}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let signature = answer["response_token"]
        .as_str()
        .expect("response")
        .to_owned();
    assert_eq!(
        signature,
        twitter_crc_response(b"consumer-secret", token_body)
    );
    let response = server
        .client
        .post(format!("{}{path}", server.base))
        .header("x-twitter-webhooks-signature", &signature)
        .header("content-type", "application/json")
        .body(token_body)
        .send()
        .await
        .expect("deliver");
    let (status, refused) = common::read(response).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("answered as a challenge")),
        "{refused}"
    );

    // Challenges are limited per integration.
    let mut limited = false;
    for n in 0..20 {
        let (status, _) = server
            .get(&format!("{path}&crc_token=token-{n}"), None)
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(status, StatusCode::OK);
    }
    assert!(limited, "challenges are rate-limited");
    let metrics = server
        .client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(
            "companyos_webhooks_rejected_total{service=\"twitter\",reason=\"challenge_replay\"}"
        ),
        "rejections are counted"
    );
    server.stop().await;
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

async fn deliver_pull_request(
    server: &Server,
    path: &str,
    secret: &[u8],
    delivery: &str,
) -> StatusCode {
    let body = fixture("github/pull_request/opened.payload.json");
    server.deliver_github(path, secret, delivery, body).await
}

async fn vendor_ids_are_the_organizations_own(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let (victim, victim_org) = server.owner("victim@a.example", "Victim").await;
    let (squatter, squatter_org) = server.owner("squatter@b.example", "Squatter").await;
    let victim_caller = Caller::new(&victim, &victim_org);
    let squatter_caller = Caller::new(&squatter, &squatter_org);
    let squatter_path = server
        .connect_github(&squatter_caller, "ghp_x", "squat")
        .await;
    let victim_path = server.connect_github(&victim_caller, "ghp_x", "mine").await;
    // The squatter delivers the victim's repository first…
    assert_eq!(
        deliver_pull_request(&server, &squatter_path, b"squat", "delivery-1").await,
        StatusCode::ACCEPTED
    );
    // …and the victim's own delivery still makes the victim's rows.
    assert_eq!(
        deliver_pull_request(&server, &victim_path, b"mine", "delivery-2").await,
        StatusCode::ACCEPTED
    );
    for caller in [&victim_caller, &squatter_caller] {
        let found = eventually("each organization's pull request", || async {
            let (_, pulls) = server
                .call(Method::GET, "/api/pull-requests", caller, None)
                .await;
            if pulls["items"]
                .as_array()
                .is_some_and(|items| items.len() == 1)
            {
                Ok(pulls)
            } else {
                Err(pulls)
            }
        })
        .await;
        assert_eq!(
            found["items"][0]["number"], 2,
            "each organization has its own row"
        );
    }
    server.stop().await;
}

async fn webhook_bodies_are_checked_before_they_are_kept(db: &TestDb) {
    let webhooks = WebhookConfig::new(None, 16 * 1024)
        .with_max_buffered_bytes(96 * 1024)
        // One byte a second: a body that has come holds its share for as long as the
        // test needs, however loaded the machine; one that stops is still cut off. The
        // grace also covers a first frame read late on a loaded machine.
        .with_min_body_rate(1, Duration::from_secs(10));
    let server = serve_with(
        db,
        |auth| auth.open_registration = true,
        webhooks,
        common::registry(),
    )
    .await;
    let (owner, org) = server.owner("owner@acme.example", "Acme").await;
    let path = server
        .connect_github(&Caller::new(&owner, &org), "ghp_x", "secret")
        .await;
    let address = server.base.trim_start_matches("http://").to_owned();
    // Headers only, the body never sent: each is answered without waiting for it.
    let answer_without_body = |extra: &'static str, length: usize| {
        let address = address.clone();
        let path = path.clone();
        async move {
            let mut stream = tokio::net::TcpStream::connect(&address)
                .await
                .expect("connect");
            let request = format!(
                "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nX-GitHub-Event: pull_request\r\n{extra}Content-Length: {length}\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).await.expect("write");
            let mut answer = vec![0u8; 4096];
            let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
                .await
                .expect("answered before the body")
                .expect("read");
            String::from_utf8_lossy(&answer[..read]).into_owned()
        }
    };
    let unsigned = answer_without_body("", 1000).await;
    assert!(unsigned.starts_with("HTTP/1.1 401"), "{unsigned}");
    let too_large = answer_without_body("X-Hub-Signature-256: sha256=00\r\n", 10 << 20).await;
    assert!(too_large.starts_with("HTTP/1.1 413"), "{too_large}");
    // What a request only declares holds nothing: six bodies declared at the largest
    // size (the whole budget, had it been reserved) and left hanging after one byte do
    // not keep another tenant's delivery out.
    let (other, other_org) = server.owner("owner@other.example", "Other").await;
    let other_path = server
        .connect_github(&Caller::new(&other, &other_org), "ghp_x", "other")
        .await;
    let here: std::net::IpAddr = [127, 0, 0, 1].into();
    let there: std::net::IpAddr = [127, 0, 0, 2].into();
    let mut hanging = Vec::new();
    for _ in 0..6 {
        hanging.push(send_part(&address, here, &path, 16 * 1024, b"{").await);
    }
    let full = vec![b' '; 15 * 1024];
    let mut delivered = send_part(&address, there, &other_path, full.len(), &full).await;
    assert!(
        status_line(&mut delivered)
            .await
            .starts_with("HTTP/1.1 401"),
        "read whole (and refused for its signature), not turned away"
    );
    drop(hanging);
    // One integration's deliveries hold at most their share (here 24 KB of 96 KB)…
    // (15 KB at one byte a second after the grace: held for hours.)
    let mut held = send_part(&address, here, &path, 16 * 1024, &full).await;
    // Charged as the node reads them: asked until the held bytes are read. Should a
    // probe be read while the held body still arrives, it is the held delivery that
    // is refused (the share is taken first by the probe): then it is sent again.
    let deadline = tokio::time::Instant::now() + companyos_store::testing::EVENTUALLY;
    let mut held_answers = Vec::new();
    let refused = loop {
        let mut same_integration = send_part(&address, there, &path, full.len(), &full).await;
        let answer = status_line(&mut same_integration).await;
        if answer.starts_with("HTTP/1.1 503") {
            break answer;
        }
        let mut first = vec![0u8; 4096];
        match held.try_read(&mut first) {
            Ok(read) => {
                held_answers.push(String::from_utf8_lossy(&first[..read]).into_owned());
                held = send_part(&address, here, &path, 16 * 1024, &full).await;
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) => panic!("the held delivery's connection failed: {error}"),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the integration's share was never held; the last answer: {answer}; the held \
             deliveries' answers: {held_answers:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(refused.contains("integration"), "{refused}");
    assert!(
        refused.to_ascii_lowercase().contains("retry-after"),
        "{refused}"
    );
    // …while another tenant's are still read.
    let mut other_tenant = send_part(&address, there, &other_path, full.len(), &full).await;
    assert!(
        status_line(&mut other_tenant)
            .await
            .starts_with("HTTP/1.1 401")
    );
    drop(held);
    // A body that stops coming is cut off once the grace period has passed.
    let mut stalled = send_part(&address, there, &other_path, 1024, b"{").await;
    let cut = status_line(&mut stalled).await;
    assert!(cut.starts_with("HTTP/1.1 408"), "{cut}");
    server.stop().await;
}

/// Opens a connection from `from` and sends a signed-looking delivery's headers
/// declaring `declared` bytes, then `part` of the body; the connection stays open.
async fn send_part(
    address: &str,
    from: std::net::IpAddr,
    path: &str,
    declared: usize,
    part: &[u8],
) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(std::net::SocketAddr::new(from, 0))
        .expect("bind");
    let mut stream = socket
        .connect(address.parse().expect("address"))
        .await
        .expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nX-GitHub-Event: pull_request\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(part).await.expect("write");
    stream
}

/// The answer's status line and headers (and what else came in the first read).
async fn status_line(stream: &mut tokio::net::TcpStream) -> String {
    let mut answer = vec![0u8; 8192];
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut answer))
        .await
        .expect("an answer")
        .expect("read");
    String::from_utf8_lossy(&answer[..read]).into_owned()
}

async fn webhook_urls_never_come_from_a_host_header(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (owner, org) = server.owner("owner@acme.example", "Acme").await;
    let evil = server
        .client
        .post(format!("{}/api/integrations/github/connect", server.base))
        .bearer_auth(&owner)
        .header("x-organization-id", &org)
        .header("host", "evil.example")
        .json(&json!({"credentials": {"token": "ghp_x"}, "webhook_secret": "s"}))
        .send()
        .await
        .expect("connect");
    let (status, refused) = common::read(evil).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("public_url")),
        "{refused}"
    );
    let (status, _) = server
        .call(
            Method::GET,
            "/api/integrations/github",
            &Caller::new(&owner, &org),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was saved");
    server.stop().await;

    // With public_url set, the URL is built from it whatever the Host says.
    let configured = serve_with(
        db,
        |auth| auth.open_registration = true,
        WebhookConfig::new(Some("https://ops.acme.example".into()), 1 << 20),
        common::registry(),
    )
    .await;
    let (owner, _) = configured.owner("second@acme.example", "Second").await;
    let connected = configured
        .client
        .post(format!(
            "{}/api/integrations/github/connect",
            configured.base
        ))
        .bearer_auth(&owner)
        .header("host", "evil.example")
        .json(&json!({"credentials": {"token": "ghp_x"}, "webhook_secret": "s"}))
        .send()
        .await
        .expect("connect");
    let (status, body) = common::read(connected).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        body["webhook_url"]
            .as_str()
            .is_some_and(|url| url
                .starts_with("https://ops.acme.example/api/webhooks/github/receive?token=")),
        "{body}"
    );
    configured.stop().await;
}

async fn nul_characters_are_refused_naming_the_field(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (owner, org) = server.owner("owner@acme.example", "Acme").await;
    let (status, refused) = server
        .post(
            "/api/auth/login",
            None,
            json!({"email": "owner\u{0}@acme.example", "password": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "email");
    let caller = Caller::new(&owner, &org);
    let (status, refused) = server
        .call(
            Method::POST,
            "/api/agents",
            &caller,
            Some(json!({"name": "counter", "type": "text_stats", "config": {"labels": ["ok", "b\u{0}d"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "config.labels.1");
    let (status, refused) = server
        .call(Method::GET, "/api/agents?status=id%00le", &caller, None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "status");
    let (status, refused) = server
        .get("/api/webhooks/github/receive?token=ab%00cd", None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "token");
    let (status, refused) = server
        .call(
            Method::POST,
            "/graphql",
            &caller,
            Some(json!({"query": "mutation($t: String!) { spawnAgent(type: $t) { id } }", "variables": {"t": "text\u{0}stats"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "variables.t");
    // Written as an escape in the query's own text: refused as well, never a 500.
    let (status, refused) = server
        .call(
            Method::POST,
            "/graphql",
            &caller,
            Some(json!({"query": "mutation { spawnAgent(name: \"a\\u0000b\", type: \"text_stats\") { id } }"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "query");
    server.stop().await;
}

async fn answers_carry_their_security_headers(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let page = server
        .client
        .get(format!("{}/some/console/route", server.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers();
    let policy = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers.contains_key("referrer-policy"));

    let (status, session) = server
        .register("owner@acme.example", json!({"organization": "Acme"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let login = server
        .client
        .post(format!("{}/api/auth/login", server.base))
        .json(&json!({"email": "owner@acme.example", "password": "correct horse"}))
        .send()
        .await
        .expect("login");
    assert_eq!(
        login.headers()["cache-control"],
        "no-store",
        "token answers are not cached"
    );
    assert!(session["access_token"].is_string());

    // GraphiQL is the console's page: no third-party script is served or linked.
    let browser = companyos_integrations::http::builder()
        .expect("tls")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let graphiql = browser
        .get(format!("{}/graphql", server.base))
        .send()
        .await
        .expect("graphiql");
    assert!(graphiql.status().is_redirection());
    assert_eq!(graphiql.headers()["location"], "/graphiql");
    // Unknown API paths are API errors, never the console.
    let (status, _) = server.get("/api/no-such-route", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.stop().await;
}

async fn user_supplied_urls_and_organization_quota(db: &TestDb) {
    let server = serve(db, |auth| auth.max_organizations_per_user = 2).await;
    let (owner, org) = server.owner("owner@acme.example", "Acme").await;
    let caller = Caller::new(&owner, &org);
    for bad in [
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://x.example/logo.png",
        "/relative.png",
    ] {
        let (status, refused) = server
            .call(
                Method::PATCH,
                &format!("/api/organizations/{org}"),
                &caller,
                Some(json!({"logo_url": bad})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {refused}");
        assert_eq!(refused["field"], "logo_url");
    }
    let (status, _) = server
        .call(
            Method::PATCH,
            &format!("/api/organizations/{org}"),
            &caller,
            Some(json!({"logo_url": "https://acme.example/logo.png"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .call(
            Method::POST,
            "/api/organizations",
            &caller,
            Some(json!({"name": "Second"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, refused) = server
        .call(
            Method::POST,
            "/api/organizations",
            &caller,
            Some(json!({"name": "Third"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("max_organizations_per_user")),
        "{refused}"
    );
    server.stop().await;
}

/// Metrics name organizations and agents by id: with `metrics.token` set, only a
/// scraper holding it reads them.
async fn metrics_ask_for_their_token_when_one_is_set(db: &TestDb) {
    let server = serve(db, |auth| {
        auth.metrics_token = Some("a-scrapers-own-token".into());
    })
    .await;
    let scrape = |token: Option<&'static str>| {
        let mut request = server.client.get(format!("{}/metrics", server.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    for refused in [None, Some("a-scrapers-own-tokeN"), Some("short")] {
        let answer = scrape(refused).await.expect("scrape");
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{refused:?}");
    }
    let answer = scrape(Some("a-scrapers-own-token")).await.expect("scrape");
    assert_ne!(answer.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
}
