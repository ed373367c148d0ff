//! Authentication and invitations through real HTTP (reqwest against the router on a
//! port of its own), on SQLite and on PostgreSQL.

mod common;

use std::time::Duration;

use common::{read, serve, token};
use companyos_store::testing::TestDb;
use reqwest::StatusCode;
use serde_json::{Value, json};

companyos_store::contract_tests!(
    the_first_registration_owns_the_instance_and_sessions_rotate,
    invitations_join_with_the_role_given,
    bad_input_is_a_problem_not_a_server_error,
    open_registration_creates_organizations,
    expired_access_tokens_are_refused,
    existing_accounts_accept_invitations,
    credential_routes_are_rate_limited_per_address,
    each_role_gets_what_the_matrix_says,
    racing_first_registrations_make_one_owner,
);

async fn racing_first_registrations_make_one_owner(db: &TestDb) {
    let server = std::sync::Arc::new(serve(db, |_| {}).await);
    let racers: Vec<_> = (0..8)
        .map(|n| {
            let server = server.clone();
            tokio::spawn(async move {
                server
                    .register(
                        &format!("racer{n}@example.com"),
                        json!({"organization": format!("Org {n}")}),
                    )
                    .await
                    .0
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for racer in racers {
        statuses.push(racer.await.expect("racer"));
    }
    let owners = statuses
        .iter()
        .filter(|status| **status == StatusCode::CREATED)
        .count();
    assert_eq!(owners, 1, "exactly one first registration: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|status| *status == StatusCode::CREATED || *status == StatusCode::FORBIDDEN),
        "{statuses:?}"
    );
    assert_eq!(db.store.users().count().await.expect("count"), 1);
    assert_eq!(
        db.store
            .organizations()
            .list_all()
            .await
            .expect("orgs")
            .len(),
        1
    );
}

async fn the_first_registration_owns_the_instance_and_sessions_rotate(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (status, first) = server
        .sign_up("Ada@Example.com", json!({"organization": "Acme Corp"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["organization"]["role"], "owner");
    assert_eq!(first["organization"]["slug"], "acme-corp");
    assert_eq!(first["user"]["email"], "ada@example.com");
    assert!(first["user"].get("password_hash").is_none(), "{first}");
    assert_eq!(first["token_type"], "Bearer");

    let (status, me) = server
        .get("/api/auth/me", Some(token(&first, "access_token")))
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["organizations"][0]["role"], "owner");
    assert_eq!(me["organizations"][0]["name"], "Acme Corp");
    let (status, _) = server.get("/api/auth/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.get("/api/auth/me", Some("not-a-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Later registrations need an invitation.
    let (status, refused) = server
        .sign_up("bob@example.com", json!({"organization": "Bob's"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("invitation"))
    );
    let (status, _) = server
        .sign_up("ada@example.com", json!({"organization": "Again"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _) = server
        .post(
            "/api/auth/login",
            None,
            json!({"email": "ada@example.com", "password": "wrong horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server
        .post(
            "/api/auth/login",
            None,
            json!({"email": "nobody@example.com", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let login = json!({"email": "ADA@example.com", "password": "correct horse"});
    let (status, session) = server.post("/api/auth/login", None, login.clone()).await;
    assert_eq!(status, StatusCode::OK, "{session}");

    // Rotation: each refresh token works once.
    let original = token(&session, "refresh_token").to_owned();
    let (status, rotated) = server
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": original}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_ne!(token(&rotated, "refresh_token"), original);
    let (status, _) = server
        .get("/api/auth/me", Some(token(&rotated, "access_token")))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Reusing the rotated token revokes the whole family, the new token included.
    let (status, reused) = server
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": original}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{reused}");
    assert!(
        reused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("already used"))
    );
    let (status, _) = server
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": token(&rotated, "refresh_token")}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the family is revoked");

    // Logout revokes; the first session's family is untouched.
    let (_, other) = server.post("/api/auth/login", None, login).await;
    let (status, body) = server
        .post(
            "/api/auth/logout",
            None,
            json!({"refresh_token": token(&other, "refresh_token")}),
        )
        .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, _) = server
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": token(&other, "refresh_token")}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": token(&first, "refresh_token")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "other logins keep working");
}

async fn invitations_join_with_the_role_given(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (_, owner) = server
        .sign_up("owner@example.com", json!({"organization": "Acme"}))
        .await;
    let owner_token = token(&owner, "access_token").to_owned();
    let org = owner["organization"]["id"]
        .as_str()
        .expect("org id")
        .to_owned();
    let members = format!("/api/organizations/{org}/members");

    let (status, invitation) = server
        .post(
            &members,
            Some(&owner_token),
            json!({"email": "Viewer@Example.com", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invitation}");
    assert_eq!(invitation["email"], "viewer@example.com");
    assert!(invitation.get("invitation_token").is_none(), "{invitation}");
    let invitation_token = server
        .mail
        .token("viewer@example.com", "accept-invitation")
        .await;

    let (status, wrong_person) = server
        .register(
            "someone-else@example.com",
            json!({"invitation_token": invitation_token}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_person["field"], "email");
    let (status, viewer) = server
        .register(
            "viewer@example.com",
            json!({"invitation_token": invitation_token}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{viewer}");
    assert_eq!(viewer["organization"]["id"], org.as_str());
    assert_eq!(viewer["organization"]["role"], "viewer");
    let (status, used) = server
        .register(
            "viewer2@example.com",
            json!({"invitation_token": invitation_token}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(used["field"], "invitation_token");

    // A viewer cannot manage members; a stranger's organization does not exist.
    let viewer_token = token(&viewer, "access_token").to_owned();
    let (status, _) = server
        .post(
            &members,
            Some(&viewer_token),
            json!({"email": "x@example.com", "role": "member"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for path in [
        format!("/api/organizations/{}/members", uuid::Uuid::now_v7()),
        "/api/organizations/not-an-id/members".to_owned(),
    ] {
        let (status, _) = server
            .post(
                &path,
                Some(&owner_token),
                json!({"email": "x@example.com", "role": "member"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, invalid) = server
        .post(
            &members,
            Some(&owner_token),
            json!({"email": "x@example.com", "role": "emperor"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid["field"], "role");
    let (status, _) = server
        .post(
            &members,
            Some(&owner_token),
            json!({"email": "viewer@example.com", "role": "member"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "already a member");

    // An admin manages members, but cannot make owners.
    let invitation = server
        .invite(&owner_token, &org, "admin@example.com", "admin")
        .await;
    let (status, admin) = server
        .sign_up("admin@example.com", json!({"invitation_token": invitation}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{admin}");
    let admin_token = token(&admin, "access_token").to_owned();
    let (status, _) = server
        .post(
            &members,
            Some(&admin_token),
            json!({"email": "member@example.com", "role": "member"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = server
        .post(
            &members,
            Some(&admin_token),
            json!({"email": "boss@example.com", "role": "owner"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn bad_input_is_a_problem_not_a_server_error(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let url = format!("{}/api/auth/register", server.base);
    let (status, _) = read(
        server
            .client
            .post(&url)
            .header("content-type", "text/plain")
            .body("email=a@b.c")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _) = read(
        server
            .client
            .post(&url)
            .header("content-type", "application/json")
            .body("{\"email\": ")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, wrong_type) = server
        .post(
            "/api/auth/register",
            None,
            json!({"email": "a@example.com", "name": "A", "password": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong_type}");
    assert_eq!(wrong_type["field"], "password");
    let (status, _) = server
        .post(
            "/api/auth/register",
            None,
            json!({"email": "a@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, short) = server
        .register(
            "a@example.com",
            json!({"password": "short", "organization": "A"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short["field"], "password");
    let (status, email) = server
        .sign_up("not an email", json!({"organization": "A"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email}");
    assert_eq!(email["field"], "email");
    let (status, no_org) = server.sign_up("a@example.com", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_org["field"], "organization");
    let huge = "x".repeat(companyos_api::BODY_LIMIT + 1);
    let (status, _) = server
        .post(
            "/api/auth/login",
            None,
            json!({"email": huge, "password": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Nothing above created anything: the first real registration still owns the instance.
    let (status, first) = server
        .sign_up("a@example.com", json!({"organization": "A"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
}

async fn open_registration_creates_organizations(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    for (email, name) in [("a@example.com", "Alpha"), ("b@example.com", "Alpha")] {
        let (status, body) = server.sign_up(email, json!({"organization": name})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["organization"]["role"], "owner");
    }
    // A taken address is answered as a new one (no account enumeration); its owner is
    // told by mail, and nothing is created.
    let (status, taken) = server
        .register("a@example.com", json!({"organization": "Gamma"}))
        .await;
    let (new_status, fresh) = server
        .register("c@example.com", json!({"organization": "Gamma"}))
        .await;
    assert_eq!(
        (status, new_status),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    assert_eq!(taken["status"], fresh["status"], "{taken} {fresh}");
    companyos_store::testing::until("the owner to be told someone tried", || async {
        server
            .mail
            .to("a@example.com")
            .iter()
            .any(|mail| mail.text.contains("which already has one"))
    })
    .await;
    // The new account has no password until its link chooses one.
    let (status, _) = server
        .post(
            "/api/auth/login",
            None,
            json!({"email": "c@example.com", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, owner) = server
        .post(
            "/api/auth/login",
            None,
            json!({"email": "a@example.com", "password": "correct horse"}),
        )
        .await;
    let (_, organizations) = server
        .get("/api/organizations", Some(token(&owner, "access_token")))
        .await;
    assert_eq!(
        organizations["items"].as_array().map(Vec::len),
        Some(1),
        "{organizations}"
    );
}

async fn expired_access_tokens_are_refused(db: &TestDb) {
    let server = serve(db, |auth| auth.access_ttl = Duration::ZERO).await;
    let (_, first) = server
        .sign_up("a@example.com", json!({"organization": "A"}))
        .await;
    // Issued with no lifetime: expired once the clock has moved past its second.
    db.store.clock().advance(Duration::from_secs(2));
    let (status, expired) = server
        .get("/api/auth/me", Some(token(&first, "access_token")))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        expired["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("expired")),
        "{expired}"
    );
}

async fn existing_accounts_accept_invitations(db: &TestDb) {
    let server = serve(db, |auth| auth.open_registration = true).await;
    let mut sessions = Vec::new();
    for (email, organization) in [
        ("alice@example.com", "Alpha"),
        ("bob@example.com", "Bravo"),
        ("carol@example.com", "Charlie"),
    ] {
        let (status, body) = server
            .sign_up(email, json!({"organization": organization}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        sessions.push(body);
    }
    let alpha = sessions[0]["organization"]["id"].as_str().expect("id");
    let (status, invitation) = server
        .post(
            &format!("/api/organizations/{alpha}/members"),
            Some(token(&sessions[0], "access_token")),
            json!({"email": "bob@example.com", "role": "member"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invitation}");
    let accept = json!({"token": server.mail.token("bob@example.com", "accept-invitation").await});
    let (status, _) = server
        .post("/api/invitations/accept", None, accept.clone())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server
        .post(
            "/api/invitations/accept",
            Some(token(&sessions[2], "access_token")),
            accept.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not the invitee");
    let bob = token(&sessions[1], "access_token");
    let (status, joined) = server
        .post("/api/invitations/accept", Some(bob), accept.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(
        (joined["id"].as_str(), joined["role"].as_str()),
        (Some(alpha), Some("member"))
    );
    let (_, me) = server.get("/api/auth/me", Some(bob)).await;
    assert_eq!(
        me["organizations"].as_array().map(Vec::len),
        Some(2),
        "{me}"
    );
    let (status, used) = server
        .post("/api/invitations/accept", Some(bob), accept)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(used["field"], "invitation_token");
}

async fn credential_routes_are_rate_limited_per_address(db: &TestDb) {
    let server = serve(db, |auth| {
        auth.rate_limiter = companyos_api::RateLimiter::new(3);
    })
    .await;
    let (_, first) = server
        .sign_up("a@example.com", json!({"organization": "A"}))
        .await;
    let access = token(&first, "access_token").to_owned();
    let login = json!({"email": "a@example.com", "password": "wrong password"});
    for _ in 0..2 {
        let (status, _) = server.post("/api/auth/login", None, login.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let response = server
        .client
        .post(format!("{}/api/auth/login", server.base))
        .json(&login)
        .send()
        .await
        .expect("request");
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .expect("a Retry-After header");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let (status, limited) = read(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{limited}");
    // Routes that do not take credentials are not limited this way.
    let (status, _) = server.get("/api/auth/me", Some(&access)).await;
    assert_eq!(status, StatusCode::OK);
}

/// The permission matrix over the organization routes that exist so far: for each role,
/// each action answers its expected status; a stranger gets 404 for all of them.
async fn each_role_gets_what_the_matrix_says(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (_, owner) = server
        .sign_up("owner@example.com", json!({"organization": "Acme"}))
        .await;
    let org = owner["organization"]["id"].as_str().expect("id").to_owned();
    let owner_token = token(&owner, "access_token").to_owned();
    let mut tokens = vec![("owner", owner_token.clone())];
    for role in ["admin", "member", "viewer"] {
        let email = format!("{role}@example.com");
        let invitation = server.invite(&owner_token, &org, &email, role).await;
        let (status, joined) = server
            .register(&email, json!({"invitation_token": invitation}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{joined}");
        tokens.push((role, token(&joined, "access_token").to_owned()));
    }
    let serve_open = serve(db, |auth| auth.open_registration = true).await;
    let (_, stranger) = serve_open
        .sign_up("stranger@example.com", json!({"organization": "Elsewhere"}))
        .await;
    tokens.push(("stranger", token(&stranger, "access_token").to_owned()));

    let view = |role: &str| match role {
        "stranger" => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    };
    let manage_members = |role: &str| match role {
        "owner" | "admin" => StatusCode::CREATED,
        "stranger" => StatusCode::NOT_FOUND,
        _ => StatusCode::FORBIDDEN,
    };
    for (index, (role, access)) in tokens.iter().enumerate() {
        let (status, body) = server
            .get(&format!("/api/organizations/{org}"), Some(access))
            .await;
        assert_eq!(status, view(role), "{role} views the organization: {body}");
        if status == StatusCode::OK {
            assert_eq!(body["role"], *role);
        }
        let (status, body) = server
            .get(&format!("/api/organizations/{org}/members"), Some(access))
            .await;
        assert_eq!(status, view(role), "{role} lists members: {body}");
        if status == StatusCode::OK {
            assert_eq!(body["items"].as_array().map(Vec::len), Some(4));
        }
        let (status, body) = server
            .post(
                &format!("/api/organizations/{org}/members"),
                Some(access),
                json!({"email": format!("new{index}@example.com"), "role": "member"}),
            )
            .await;
        assert_eq!(status, manage_members(role), "{role} invites: {body}");
    }
}

/// Two nodes on one Redis share each account's request budget; while Redis is down each
/// node counts alone (requests are served, none fails), and once it is back the budget
/// is shared again.
#[tokio::test]
async fn the_account_limit_is_shared_by_the_nodes_through_redis() {
    use companyos_store::shared::Redis;
    use companyos_store::testing::{RedisServer, redis_prefix, until};

    let db = TestDb::sqlite().await;
    let mut redis_server = RedisServer::start().await;
    let prefix = redis_prefix();
    let (one, two) = (
        Redis::new(&redis_server.url(), &prefix).expect("address"),
        Redis::new(&redis_server.url(), &prefix).expect("address"),
    );
    let limited = |redis: Redis| {
        move |auth: &mut companyos_api::AuthConfig| {
            auth.token_rate_limiter = companyos_api::RateLimiter::new(4).shared(redis, "tokens");
        }
    };
    let first = serve(&db, limited(one.clone())).await;
    let second = serve(&db, limited(two.clone())).await;
    let (_, signed_up) = first
        .sign_up("a@example.com", json!({"organization": "A"}))
        .await;
    let access = token(&signed_up, "access_token").to_owned();
    async fn me_on(server: &common::Server, access: &str) -> StatusCode {
        server.get("/api/auth/me", Some(access)).await.0
    }
    let me = |server| me_on(server, &access);
    for server in [&first, &second, &first, &second] {
        assert_eq!(me(server).await, StatusCode::OK);
    }
    for server in [&first, &second] {
        assert_eq!(
            me(server).await,
            StatusCode::TOO_MANY_REQUESTS,
            "four a minute across both nodes"
        );
    }

    // Redis down: each node counts alone, and serves.
    redis_server.stop();
    for server in [&first, &second] {
        assert_eq!(
            me(server).await,
            StatusCode::OK,
            "served while Redis is down"
        );
    }

    // Redis back: shared again.
    redis_server.resume().await;
    until("both nodes reach Redis again", || async {
        one.ping().await.is_ok() && two.ping().await.is_ok()
    })
    .await;
    for server in [&second, &first, &second, &first] {
        assert_eq!(me(server).await, StatusCode::OK);
    }
    assert_eq!(
        me(&first).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the budget is shared again"
    );
}
