//! GitHub login end to end against a local stand-in for GitHub (wiremock) that speaks
//! GitHub's documented formats: the redirect with a signed state, the callback that
//! exchanges the code, reads the user and their emails, and signs them in — and every
//! way the flow is refused.

mod common;

use std::time::Duration;

use common::serve;
use companyos_api::oauth::GitHubOAuth;
use companyos_store::testing::TestDb;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

companyos_store::contract_tests!(github_accounts_sign_in_and_are_linked_once);

/// GitHub's token exchange, `GET /user` (email hidden) and `GET /user/emails`.
async fn github() -> MockServer {
    let github = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/login/oauth/access_token"))
        .and(body_string_contains("code=good-code"))
        .and(body_string_contains("client_secret=shh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a",
            "scope": "read:user,user:email",
            "token_type": "bearer"
        })))
        .mount(&github)
        .await;
    Mock::given(method("POST"))
        .and(path("/login/oauth/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
            "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"
        })))
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/user"))
        .and(header(
            "authorization",
            "Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "login": "octocat", "id": 583231, "node_id": "MDQ6VXNlcjE=",
            "avatar_url": "https://github.com/images/error/octocat_happy.gif",
            "type": "User", "site_admin": false, "name": "The Octocat",
            "company": "@github", "email": null
        })))
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/user/emails"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"email": "octocat@old.example.com", "verified": true, "primary": false, "visibility": null},
            {"email": "Octocat@GitHub.com", "verified": true, "primary": true, "visibility": "public"}
        ])))
        .mount(&github)
        .await;
    github
}

struct Flow {
    client: reqwest::Client,
    base: String,
}

impl Flow {
    /// Starts a login: (state, cookie).
    async fn start(&self, query: &str) -> (String, String) {
        let response = self
            .client
            .get(format!("{}/api/auth/github{query}", self.base))
            .send()
            .await
            .expect("start");
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .to_owned();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        let url = reqwest::Url::parse(&location).expect("a URL");
        assert!(url.path().ends_with("/login/oauth/authorize"), "{location}");
        let parameter = |name: &str| {
            url.query_pairs()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
                .unwrap_or_else(|| panic!("no {name} in {location}"))
        };
        assert_eq!(parameter("client_id"), "app-id");
        assert!(parameter("redirect_uri").ends_with("/api/auth/github/callback"));
        let cookie = cookie.split(';').next().expect("pair").to_owned();
        (parameter("state"), cookie)
    }

    async fn callback(&self, query: &str, cookie: Option<&str>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .get(format!("{}/api/auth/github/callback{query}", self.base));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        common::read(request.send().await.expect("callback")).await
    }
}

async fn github_accounts_sign_in_and_are_linked_once(db: &TestDb) {
    let stand_in = github().await;
    let server = serve(db, |auth| {
        auth.github = Some(GitHubOAuth {
            client_id: "app-id".into(),
            client_secret: "shh".into(),
            authorize_url: format!("{}/login/oauth/authorize", stand_in.uri()),
            token_url: format!("{}/login/oauth/access_token", stand_in.uri()),
            api_url: format!("{}/api", stand_in.uri()),
            redirect_uri: "http://companyos.test/api/auth/github/callback".into(),
            http: companyos_integrations::http::client(Duration::from_secs(5)).expect("client"),
        });
    })
    .await;
    let flow = Flow {
        client: companyos_integrations::http::builder()
            .expect("tls")
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        base: server.base.clone(),
    };

    // The first account of the instance: created, owner of a new organization.
    let (state, cookie) = flow.start("").await;
    let (status, session) = flow
        .callback(&format!("?code=good-code&state={state}"), Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(
        session["user"]["email"], "octocat@github.com",
        "the primary verified email"
    );
    assert_eq!(session["user"]["github_id"], 583231);
    let token = common::token(&session, "access_token").to_owned();
    let (status, me) = server.get("/api/auth/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["organizations"][0]["name"], "octocat's organization");
    assert_eq!(me["organizations"][0]["role"], "owner");
    let user_id = me["id"].clone();

    // Signing in again finds the same account.
    let (state, cookie) = flow.start("").await;
    let (status, again) = flow
        .callback(&format!("?code=good-code&state={state}"), Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["user"]["id"], user_id);

    // Refusals: no cookie, a state from another login, a forged state, a refused code,
    // GitHub's own error.
    let (state, _) = flow.start("").await;
    let (status, _) = flow
        .callback(&format!("?code=good-code&state={state}"), None)
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the state is bound to the browser"
    );
    let (_, other_cookie) = flow.start("").await;
    let (status, _) = flow
        .callback(
            &format!("?code=good-code&state={state}"),
            Some(&other_cookie),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = flow
        .callback("?code=good-code&state=forged.state.value", Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (state, cookie) = flow.start("").await;
    let (status, refused) = flow
        .callback(&format!("?code=stale&state={state}"), Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("incorrect or expired"))
    );
    let (status, _) = flow
        .callback(
            "?error=access_denied&error_description=The+user+has+denied",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An access token is not a state, and a state is not an access token.
    let (status, _) = flow
        .callback(&format!("?code=good-code&state={token}"), Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = server.get("/api/auth/me", Some(&state)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.stop().await;

    // A node without GitHub configured says so.
    let plain = serve(db, |_| {}).await;
    let (status, body) = plain.get("/api/auth/github", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    plain.stop().await;
}
