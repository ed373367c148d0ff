//! `/api/openapi.json`: an OpenAPI 3.1 document that describes every REST route the
//! router serves — checked by calling each documented operation and each route the
//! seed lists, on a live node.

mod common;

use std::collections::BTreeSet;

use common::{Caller, serve};
use companyos_store::testing::TestDb;
use reqwest::{Method, StatusCode};
use serde_json::Value;

companyos_store::contract_tests!(
    the_document_covers_every_route,
    the_consoles_copy_is_the_document_and_answers_are_described,
    each_list_route_reads_exactly_the_query_parameters_it_documents
);

/// The seed's endpoint list (and the routes this node adds), as `METHOD /path`.
const SEED: &[&str] = &[
    "POST /api/auth/register",
    "GET /api/auth/permissions",
    "POST /api/auth/login",
    "POST /api/auth/logout",
    "POST /api/auth/refresh",
    "GET /api/auth/me",
    "GET /api/organizations",
    "GET /api/organizations/{id}",
    "POST /api/organizations",
    "PATCH /api/organizations/{id}",
    "DELETE /api/organizations/{id}",
    "GET /api/organizations/{id}/members",
    "POST /api/organizations/{id}/members",
    "PATCH /api/organizations/{id}/members/{user_id}",
    "DELETE /api/organizations/{id}/members/{user_id}",
    "GET /api/integrations",
    "GET /api/integrations/{service}",
    "POST /api/integrations/{service}/connect",
    "DELETE /api/integrations/{service}/disconnect",
    "POST /api/integrations/{service}/sync",
    "GET /api/integrations/{service}/status",
    "POST /api/webhooks/{service}/receive",
    "GET /api/webhooks/{service}/receive",
    "GET /api/repositories",
    "GET /api/repositories/{id}",
    "POST /api/repositories/{id}/sync",
    "GET /api/pull-requests",
    "GET /api/pull-requests/{id}",
    "POST /api/pull-requests/{id}/agent-review",
    "GET /api/deployments",
    "GET /api/deployments/{id}",
    "POST /api/deployments/{id}/rollback",
    "GET /api/figma/files",
    "GET /api/figma/files/{id}",
    "POST /api/figma/files/{id}/sync",
    "GET /api/design-components",
    "GET /api/design-components/{id}",
    "POST /api/design-components/{id}/generate-code",
    "GET /api/design-components/{id}/code",
    "GET /api/design/drift",
    "POST /api/design/drift",
    "GET /api/social/accounts",
    "GET /api/social/accounts/{id}",
    "POST /api/social/accounts/{platform}/connect",
    "GET /api/social/posts",
    "GET /api/social/posts/{id}",
    "POST /api/social/posts",
    "PATCH /api/social/posts/{id}",
    "DELETE /api/social/posts/{id}",
    "POST /api/social/posts/{id}/publish",
    "GET /api/agents",
    "GET /api/agents/{id}",
    "POST /api/agents",
    "PATCH /api/agents/{id}",
    "DELETE /api/agents/{id}",
    "GET /api/agents/{id}/tasks",
    "GET /api/agent-tasks/{id}",
    "POST /api/agent-tasks/{id}/approve",
    "POST /api/agent-tasks/{id}/reject",
    "GET /api/agent-tasks",
    "POST /api/agent-tasks",
    "GET /api/analytics/dashboard",
    "GET /api/analytics/metrics/{metric_type}",
    "GET /api/analytics/events",
    "POST /api/analytics/reports",
    "GET /api/analytics/delivery",
    "GET /api/analytics/risks",
    "GET /api/analytics/content-forecasts",
    "GET /api/search",
    // Beyond the seed.
    "POST /api/invitations/accept",
    "POST /api/invitations/preview",
    "GET /api/organizations/{id}/invitations",
    "DELETE /api/organizations/{id}/invitations/{invitation_id}",
    "POST /api/organizations/{id}/invitations/{invitation_id}/resend",
    "POST /api/auth/verify-email",
    "POST /api/auth/verify-email/resend",
    "POST /api/auth/password-reset",
    "POST /api/auth/password-reset/confirm",
    "POST /api/auth/github/link",
    "GET /api/supervision/tree",
    "GET /api/cluster",
    "GET /api/auth/github",
    "GET /api/auth/github/callback",
    "GET /api/agents/types",
    "POST /api/agents/{id}/enable",
    "POST /api/agents/{id}/disable",
    "POST /api/agent-tasks/{id}/cancel",
    "POST /api/agent-tasks/{id}/retry",
    "GET /api/schedules",
    "POST /api/schedules",
    "PATCH /api/schedules/{id}",
    "DELETE /api/schedules/{id}",
    "GET /api/settings/llm",
    "GET /api/auth/providers",
    "POST /api/social/drafts",
    "GET /api/team/standups",
];

async fn the_document_covers_every_route(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (status, document) = server.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|version| version.starts_with("3.1")),
        "{}",
        document["openapi"]
    );
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if !["get", "post", "patch", "delete", "put"].contains(&method.as_str()) {
                continue;
            }
            documented.insert(format!("{} {path}", method.to_uppercase()));
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                responses.contains_key("4XX"),
                "{method} {path} documents its problems"
            );
            assert!(
                operation["summary"].is_string(),
                "{method} {path} has a summary"
            );
        }
    }
    let seed: BTreeSet<String> = SEED.iter().map(|route| (*route).to_owned()).collect();
    let missing: Vec<&String> = seed.difference(&documented).collect();
    assert!(missing.is_empty(), "not documented: {missing:?}");
    let extra: Vec<&String> = documented.difference(&seed).collect();
    assert!(
        extra.is_empty(),
        "documented but not in the list: {extra:?}"
    );

    // Each documented operation is served (no 404/405 from the router itself): called
    // without credentials, a protected route answers 401, a public one validates.
    for route in &documented {
        let (method, path) = route.split_once(' ').expect("method and path");
        let concrete = path
            .replace("{service}", "github")
            .replace("{platform}", "twitter")
            .replace("{metric_type}", "deployment_frequency")
            .replace("{id}", "0190b1a2-b3c4-7d5e-8f70-8192a3b4c5d6")
            .replace("{user_id}", "0190b1a2-b3c4-7d5e-8f70-8192a3b4c5d6");
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let response = server
            .client
            .request(method, format!("{}{concrete}", server.base))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        let status = response.status();
        // The router's own 404/405 has no problem body; a handler's 404 (say, GitHub
        // login not configured) does.
        let problem = response
            .headers()
            .get("content-type")
            .is_some_and(|value| value == "application/problem+json");
        assert!(
            problem
                || (status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED),
            "{route} is documented but not served: {status}"
        );
        assert!(!status.is_server_error(), "{route}: {status}");
        let security = &document["paths"][path]
            [route.split(' ').next().unwrap_or("").to_lowercase()]["security"];
        let public = security.as_array().is_some_and(|list| {
            list.iter()
                .any(|entry| entry.as_object().is_some_and(|object| object.is_empty()))
        });
        if !public {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{route} without a token");
        }
        // Who may call it: the operation's `x-permission`, from the permission table,
        // public exactly where the document says no token is needed.
        let (method, _) = route.split_once(' ').expect("method");
        let named = document["paths"][path][method.to_lowercase()]["x-permission"].as_str();
        let access = companyos_api::rbac::access_of(method, path)
            .unwrap_or_else(|| panic!("{route} is not in the permission table"));
        assert_eq!(named, Some(access.name()), "{route}");
        assert_eq!(
            public,
            access == companyos_api::rbac::Access::Public,
            "{route}: documented public {public}, table {access:?}"
        );
    }
    let table: BTreeSet<String> = companyos_api::rbac::OPERATIONS
        .iter()
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect();
    assert_eq!(
        table, documented,
        "the permission table lists the routed operations"
    );
    let (status, matrix) = server.get("/api/auth/permissions", None).await;
    assert_eq!(status, StatusCode::OK, "{matrix}");
    assert_eq!(
        matrix["roles"],
        serde_json::json!(["owner", "admin", "member", "viewer"])
    );
    assert_eq!(
        matrix["permissions"]["roll_back_deployments"],
        serde_json::json!(["owner", "admin"])
    );
    assert_eq!(
        matrix["permissions"]["delete_organization"],
        serde_json::json!(["owner"])
    );
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    for body in [
        "CreateAgent",
        "CreateTask",
        "Connect",
        "CreatePost",
        "Register",
        "Problem",
    ] {
        let schema: &Value = &schemas[body];
        assert_eq!(schema["type"], "object", "{body} is described: {schema}");
    }
    assert_eq!(
        document["paths"]["/api/agents"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/CreateAgent"
    );
    server.stop().await;
}

/// The console generates its REST types from `web/openapi/openapi.json`: that copy is
/// the node's document, byte for byte in meaning. `UPDATE_OPENAPI=1 cargo test -p
/// companyos-api --test openapi` rewrites it after a change to the edge.
async fn the_consoles_copy_is_the_document_and_answers_are_described(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (status, document) = server.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let copy =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/openapi/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        let text = serde_json::to_string_pretty(&document).expect("a document") + "\n";
        std::fs::write(&copy, text).expect("write the console's copy");
    }
    let committed: Value =
        serde_json::from_slice(&std::fs::read(&copy).expect("the console's copy"))
            .expect("the console's copy is JSON");
    assert!(
        committed == document,
        "web/openapi/openapi.json differs from the node's document: run `UPDATE_OPENAPI=1 cargo test -p companyos-api --test openapi`, then `npm run generate --prefix web`"
    );
    // The answers of the agents' and development routes are described by their types.
    let schema = |path: &str, method: &str, status: &str| {
        document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(
        schema("/api/agents", "get", "200").as_deref(),
        Some("#/components/schemas/Page_Agent")
    );
    assert_eq!(
        schema("/api/deployments/{id}/rollback", "post", "202").as_deref(),
        Some("#/components/schemas/AgentTask")
    );
    // Every answer is described by a named schema; only the webhook entry, which
    // answers vendors in their own handshake shapes, answers a bare object.
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Some(responses) = operation["responses"].as_object() else {
                continue;
            };
            for (status, response) in responses {
                let described = &response["content"]["application/json"]["schema"];
                if !status.starts_with('2') || described.is_null() {
                    continue;
                }
                assert!(
                    described["$ref"].is_string() || path.starts_with("/api/webhooks/"),
                    "{method} {path} {status} answers an undescribed object: {described}"
                );
            }
        }
    }
    let task = &document["components"]["schemas"]["AgentTask"]["properties"];
    assert_eq!(task["status"]["$ref"], "#/components/schemas/TaskStatus");
    assert!(task["waiting_reason"].is_object(), "{task}");
    let statuses = &document["components"]["schemas"]["TaskStatus"]["enum"];
    assert!(
        statuses
            .as_array()
            .is_some_and(|values| values.contains(&Value::from("needs_approval"))),
        "{statuses}"
    );
}

/// The query parameters a list route documents are the ones it reads: asked with one it
/// does not know, each route refuses it (422 naming it) and lists what it accepts, and
/// that list is the document's. Both come from the same struct, so this holds by
/// construction; the test keeps it so.
async fn each_list_route_reads_exactly_the_query_parameters_it_documents(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (owner, org) = server.owner("owner@params.test", "Params").await;
    let owner = Caller::new(&owner, &org);
    let (_, document) = server.get("/api/openapi.json", None).await;
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        let Some(operation) = item.get("get") else {
            continue;
        };
        let documented: BTreeSet<String> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|parameter| parameter["in"] == "query")
            .filter_map(|parameter| parameter["name"].as_str().map(str::to_owned))
            .collect();
        // Login and webhooks take the parameters their vendors send (OAuth, CRC checks).
        if documented.is_empty()
            || path.starts_with("/api/auth/")
            || path.starts_with("/api/webhooks/")
        {
            continue;
        }
        let concrete = path
            .replace("{metric_type}", "deployment_frequency")
            .replace("{id}", "0190b1a2-b3c4-7d5e-8f70-8192a3b4c5d6");
        let (status, problem) = server
            .call(
                Method::GET,
                &format!("{concrete}?not_a_parameter=1"),
                &owner,
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {problem}"
        );
        assert_eq!(problem["field"], "not_a_parameter", "{path}: {problem}");
        let detail = problem["detail"].as_str().expect("detail");
        let accepted: BTreeSet<String> = detail
            .split_once("this route accepts: ")
            .map(|(_, list)| list.split(", ").map(str::to_owned).collect())
            .unwrap_or_default();
        assert_eq!(accepted, documented, "{path}: {detail}");
        checked += 1;
    }
    assert!(
        checked >= 8,
        "only {checked} list routes document query parameters"
    );
    server.stop().await;
}
