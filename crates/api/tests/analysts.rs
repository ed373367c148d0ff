//! The analysts and search end to end over HTTP, on SQLite and PostgreSQL, fed signed
//! Vercel deliveries (the vendor's fixtures, their ids and names varied):
//!
//! - search finds an organization's deployments and events for every role of it, and
//!   never another organization's — over REST and GraphQL; bad queries are 400s;
//! - connecting Vercel brings the analysts and their schedules; the delivery report
//!   counts the deployments and failures; the prediction agent attaches a risk with its
//!   factors to each recent deployment;
//! - with an embeddings endpoint (a stand-in speaking OpenAI's `/v1/embeddings`), search
//!   also finds by meaning — words never typed in the document — fused with the hits by
//!   words, still per organization; when the endpoint fails, words alone answer, saying
//!   so;
//! - the prediction agent forecasts each draft's chance to beat the organization's
//!   typical post, with its factors (the prior while nothing is published);
//! - a burst of failed production deployments in an organization a week old is an
//!   anomaly: an event, a notice, and an incident the incident coordinator opens.

mod common;

use std::time::Duration;

use common::{Caller, Server, agent_of_type, create_task, fixture, serve, task_where, tasks_of};
use companyos_store::testing::{TestDb, eventually};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

companyos_store::contract_tests!(
    search_is_scoped_to_the_organization_for_every_role,
    search_finds_by_meaning_with_an_embeddings_endpoint,
    drafts_get_a_forecast_with_its_factors,
    delivery_metrics_risk_and_an_anomaly_that_opens_an_incident,
);

/// A signed Vercel delivery of `kind` (`succeeded`, `error`) for deployment `id` of
/// project `name`, with `message` as its commit message.
fn deployment(kind: &str, id: &str, name: &str, message: &str) -> Value {
    let mut payload = fixture(&format!("vercel/deployment.{kind}.json"));
    payload["id"] = json!(format!("whd_{id}"));
    payload["payload"]["deployment"]["id"] = json!(id);
    payload["payload"]["deployment"]["name"] = json!(name);
    payload["payload"]["deployment"]["meta"]["githubCommitMessage"] = json!(message);
    payload
}

async fn deployments_of(server: &Server, caller: &Caller, count: usize) -> Vec<Value> {
    eventually(format!("{count} deployments"), || async {
        let (status, page) = server
            .call(Method::GET, "/api/deployments?limit=100", caller, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if items.len() == count {
            Ok(items)
        } else {
            Err(page)
        }
    })
    .await
}

async fn search(server: &Server, caller: &Caller, query: &str) -> Vec<Value> {
    let (status, found) = server
        .call(
            Method::GET,
            &format!("/api/search?q={}", urlencode(query)),
            caller,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["query"], query.trim());
    found["hits"].as_array().cloned().expect("hits")
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn ids(hits: &[Value], kind: &str) -> Vec<String> {
    let mut ids: Vec<String> = hits
        .iter()
        .filter(|hit| hit["kind"] == kind)
        .filter_map(|hit| hit["id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

async fn search_is_scoped_to_the_organization_for_every_role(db: &TestDb) {
    // Two tenants of one node: each registers an organization of its own.
    let server = serve(db, |auth| auth.open_registration = true).await;
    let (acme_token, acme) = server.owner("owner@acme.test", "Acme").await;
    let (globex_token, globex) = server.owner("owner@globex.test", "Globex").await;
    let acme_owner = Caller::new(&acme_token, &acme);
    let globex_owner = Caller::new(&globex_token, &globex);
    let (_, acme_hook) = server.connect_vercel(&acme_owner, "acme-token").await;
    let (_, globex_hook) = server.connect_vercel(&globex_owner, "globex-token").await;

    // Both ship a change with the same words; only the project names differ.
    for (hook, id, name) in [
        (&acme_hook, "dpl_acme_1", "storefront"),
        (&acme_hook, "dpl_acme_2", "storefront"),
        (&globex_hook, "dpl_globex_1", "portal"),
    ] {
        let delivery = deployment("succeeded", id, name, "Add checkout coupons");
        server.deliver_vercel(hook, &delivery).await;
    }
    let acme_rows = deployments_of(&server, &acme_owner, 2).await;
    let globex_rows = deployments_of(&server, &globex_owner, 1).await;
    let mut acme_ids: Vec<String> = acme_rows
        .iter()
        .filter_map(|row| row["id"].as_str().map(str::to_owned))
        .collect();
    acme_ids.sort();
    let globex_id = globex_rows[0]["id"].as_str().expect("id").to_owned();

    let mut acme_callers = vec![("owner", acme_owner.clone())];
    for role in ["admin", "member", "viewer"] {
        let token = server
            .member(&acme_token, &acme, &format!("{role}@acme.test"), role)
            .await;
        acme_callers.push((role, Caller::new(&token, &acme)));
    }
    for (role, caller) in &acme_callers {
        // The words of the commit message, the last one as a prefix.
        let hits = search(&server, caller, "checkout coup").await;
        assert_eq!(ids(&hits, "deployment"), acme_ids, "{role}: {hits:?}");
        assert!(
            hits.iter().all(|hit| hit["id"] != globex_id.as_str()),
            "{role} sees Globex: {hits:?}"
        );
        // Their deliveries' events are found too, and none of Globex's.
        let events = ids(&search(&server, caller, "storefront").await, "event");
        assert_eq!(events.len(), 2, "{role}: {events:?}");
        assert!(search(&server, caller, "portal").await.is_empty(), "{role}");
        // Another organization's search is refused, not answered.
        let (status, refused) = server
            .call(
                Method::GET,
                "/api/search?q=checkout",
                &Caller {
                    organization: Some(globex.clone()),
                    ..caller.clone()
                },
                None,
            )
            .await;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{role}: {status} {refused}"
        );
        // GraphQL answers the same.
        let (status, answer) = server
            .call(
                Method::POST,
                "/graphql",
                caller,
                Some(json!({"query": "{ search(query: \"checkout coupons\", kind: DEPLOYMENT) { kind id title snippet } }"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let hits = answer["data"]["search"].as_array().cloned().expect("hits");
        let mut found: Vec<String> = hits
            .iter()
            .filter_map(|hit| hit["id"].as_str().map(str::to_owned))
            .collect();
        found.sort();
        assert_eq!(found, acme_ids, "{role}: {answer}");
        assert!(
            hits.iter()
                .all(|hit| hit["snippet"].as_str().is_some_and(|s| s.contains('«'))),
            "{answer}"
        );
    }
    let hits = search(&server, &globex_owner, "checkout").await;
    assert_eq!(ids(&hits, "deployment"), vec![globex_id.clone()]);

    // Bad queries are the caller's to fix.
    for (path, expected, field) in [
        (
            "/api/search?q=%20%20",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("q"),
        ),
        (
            "/api/search?q=checkout&limit=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("limit"),
        ),
        ("/api/search", StatusCode::UNPROCESSABLE_ENTITY, Some("q")),
        (
            "/api/search?q=checkout&kind=planet",
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
    ] {
        let (status, problem) = server.call(Method::GET, path, &acme_owner, None).await;
        assert_eq!(status, expected, "{path}: {problem}");
        if let Some(field) = field {
            assert_eq!(problem["field"], field, "{problem}");
        }
        assert!(problem["detail"].is_string(), "{problem}");
    }
    // A query of punctuation alone finds nothing rather than failing.
    assert!(search(&server, &acme_owner, "\"*:&|(").await.is_empty());
    server.stop().await;
}

/// A stand-in embeddings model in OpenAI's format: each text's vector counts its words
/// in three concepts (failure, payment, design) beside a small constant, so that texts
/// sharing a concept and no word are near.
struct ConceptModel;

const CONCEPTS: [&[&str]; 3] = [
    &[
        "error", "failed", "failure", "broken", "outage", "crash", "incident",
    ],
    &[
        "checkout", "coupons", "payment", "payments", "billing", "invoice",
    ],
    &["button", "colour", "typography", "component", "spacing"],
];

fn concepts(text: &str) -> Vec<f32> {
    let mut vector = vec![0.0, 0.0, 0.0, 0.1];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
    {
        for (dimension, words) in CONCEPTS.iter().enumerate() {
            if words.contains(&word.as_str()) {
                vector[dimension] += 1.0;
            }
        }
    }
    vector
}

impl wiremock::Respond for ConceptModel {
    fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return wiremock::ResponseTemplate::new(400);
        };
        let inputs = body["input"].as_array().cloned().unwrap_or_default();
        let data: Vec<Value> = inputs
            .iter()
            .enumerate()
            .map(|(index, input)| {
                json!({"object": "embedding", "index": index,
                       "embedding": concepts(input.as_str().unwrap_or_default())})
            })
            .collect();
        wiremock::ResponseTemplate::new(200).set_body_json(json!({
            "object": "list", "data": data, "model": body["model"],
            "usage": {"prompt_tokens": inputs.len() * 8, "total_tokens": inputs.len() * 8}
        }))
    }
}

async fn search_finds_by_meaning_with_an_embeddings_endpoint(db: &TestDb) {
    use companyos_integrations::llm::embeddings::EmbeddingsConfig;
    use companyos_supervisors::semantic::SemanticSettings;
    use wiremock::matchers::{body_partial_json, header, method, path};

    let model = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .and(header("authorization", "Bearer sk-embed-test"))
        .and(body_partial_json(
            json!({"model": "concepts-1", "encoding_format": "float"}),
        ))
        .respond_with(ConceptModel)
        .mount(&model)
        .await;
    let embeddings =
        EmbeddingsConfig::new(format!("{}/v1", model.uri()), "concepts-1", "sk-embed-test");
    let server = common::serve_tuned(
        db,
        |auth| auth.open_registration = true,
        companyos_api::WebhookConfig::default(),
        common::registry(),
        Default::default(),
        None,
        None,
        |config| {
            config.semantic = Some(SemanticSettings {
                embeddings,
                kinds: SemanticSettings::default_kinds(),
                interval: Duration::from_millis(100),
                min_similarity: 0.5,
            });
        },
    )
    .await;
    let (acme_token, acme) = server.owner("owner@acme.test", "Acme").await;
    let (globex_token, globex) = server.owner("owner@globex.test", "Globex").await;
    let acme_owner = Caller::new(&acme_token, &acme);
    let globex_owner = Caller::new(&globex_token, &globex);
    let (_, acme_hook) = server.connect_vercel(&acme_owner, "acme-token").await;
    let (_, globex_hook) = server.connect_vercel(&globex_owner, "globex-token").await;
    for (hook, kind, id, message) in [
        (
            &acme_hook,
            "succeeded",
            "dpl_acme_pay",
            "Add checkout coupons",
        ),
        (&acme_hook, "error", "dpl_acme_type", "Tighten typography"),
        (
            &globex_hook,
            "succeeded",
            "dpl_globex_pay",
            "Add checkout coupons",
        ),
    ] {
        let delivery = deployment(kind, id, "storefront", message);
        server.deliver_vercel(hook, &delivery).await;
    }
    let acme_rows = deployments_of(&server, &acme_owner, 2).await;
    let id_of = |message: &str| {
        acme_rows
            .iter()
            .find(|row| row.to_string().contains(message))
            .and_then(|row| row["id"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no deployment {message}: {acme_rows:?}"))
    };
    let (paying, styling) = (id_of("checkout coupons"), id_of("typography"));
    let globex_id = deployments_of(&server, &globex_owner, 1).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let answer = |query: &'static str, caller: Caller| {
        let server = &server;
        async move {
            let (status, found) = server
                .call(
                    Method::GET,
                    &format!("/api/search?q={}", urlencode(query)),
                    &caller,
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{found}");
            found
        }
    };
    // "billing" is in no document: found by meaning once the indexer has embedded the
    // deployments, and only Acme's.
    let found = eventually("the checkout deployment found by meaning", || async {
        let found = answer("billing", acme_owner.clone()).await;
        if found["hits"]
            .as_array()
            .is_some_and(|hits| !hits.is_empty())
        {
            Ok(found)
        } else {
            Err(found)
        }
    })
    .await;
    assert_eq!(found["mode"], "hybrid", "{found}");
    let hits = found["hits"].as_array().expect("hits");
    assert_eq!(ids(hits, "deployment"), vec![paying.clone()], "{found}");
    assert_eq!(hits[0]["matched_by"], "meaning", "{found}");
    assert!(
        hits[0]["similarity"].as_f64().is_some_and(|s| s > 0.9),
        "{found}"
    );
    assert!(
        hits[0]["snippet"]
            .as_str()
            .is_some_and(|s| s.contains("checkout")),
        "{found}"
    );

    // Words and meaning fused: the failed build is the outage, by meaning; a query
    // whose words match comes back found both ways.
    let found = eventually("the failed build found by meaning", || async {
        let found = answer("outage", acme_owner.clone()).await;
        if found["hits"].to_string().contains(&styling) {
            Ok(found)
        } else {
            Err(found)
        }
    })
    .await;
    assert_eq!(
        ids(found["hits"].as_array().expect("hits"), "deployment"),
        vec![styling.clone()]
    );
    let found = answer("checkout", acme_owner.clone()).await;
    let hits = found["hits"].as_array().expect("hits");
    let first = hits.first().expect("a hit");
    assert_eq!(
        (first["id"].as_str(), &first["matched_by"]),
        (Some(paying.as_str()), &json!("both")),
        "{found}"
    );
    assert!(!found.to_string().contains(&globex_id), "{found}");

    // Globex finds its own by meaning, never Acme's; GraphQL says how each was found.
    let found = answer("billing", globex_owner.clone()).await;
    let hits = found["hits"].as_array().expect("hits");
    assert_eq!(ids(hits, "deployment"), vec![globex_id.clone()], "{found}");
    let (status, graphql) = server
        .call(
            Method::POST,
            "/graphql",
            &acme_owner,
            Some(
                json!({"query": "{ search(query: \"invoice\") { kind id matchedBy similarity } }"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{graphql}");
    assert_eq!(
        graphql["data"]["search"],
        json!([{"kind": "DEPLOYMENT", "id": paying, "matchedBy": "MEANING",
                "similarity": graphql["data"]["search"][0]["similarity"]}]),
        "{graphql}"
    );
    // The vectors are kept in the database, one per deployment of each organization.
    let acme_id: companyos_store::OrgId = acme.parse().expect("an organization id");
    assert_eq!(
        db.store
            .embeddings()
            .count(acme_id, "concepts-1")
            .await
            .expect("count"),
        2
    );

    // The endpoint fails: search answers by words alone and says so.
    model.reset().await;
    wiremock::Mock::given(method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(503))
        .mount(&model)
        .await;
    let found = answer("payments checkout", acme_owner.clone()).await;
    assert_eq!(found["mode"], "full_text_fallback", "{found}");
    let found = answer("storefront", acme_owner.clone()).await;
    assert_eq!(found["mode"], "full_text_fallback", "{found}");
    assert!(
        found["hits"].as_array().is_some_and(|hits| hits.len() >= 2),
        "{found}"
    );
    server.stop().await;
}

async fn drafts_get_a_forecast_with_its_factors(db: &TestDb) {
    let server = serve(db, |_| {}).await;
    let (token, org) = server.owner("owner@forecast.test", "Forecast").await;
    let owner = Caller::new(&token, &org);
    server.connect_vercel(&owner, "forecast-token").await;
    let (status, account) = server
        .call(
            Method::POST,
            "/api/social/accounts/twitter/connect",
            &owner,
            Some(json!({"account_id": "42", "handle": "forecast", "credentials": {"token": "x"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let account = account["id"].as_str().expect("id").to_owned();
    let mut drafts = Vec::new();
    for content in [
        "Which build cache do you trust? Tell us, @rustlang",
        "Release notes https://example.com/notes #release #news #devops #ci",
    ] {
        let (status, post) = server
            .call(
                Method::POST,
                "/api/social/posts",
                &owner,
                Some(json!({"social_account_id": account, "content": content})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{post}");
        drafts.push(post["id"].as_str().expect("id").to_owned());
    }
    let prediction = agent_of_type(&server, &owner, "prediction").await;
    let run = create_task(
        &server,
        &owner,
        json!({"agent_id": prediction, "task_type": "forecast_content", "idempotency_key": "forecast"}),
    )
    .await;
    let run_id = run["id"].as_str().expect("id").to_owned();
    let done = task_where(&server, &owner, "forecast_content", "completed", |task| {
        task["id"] == run_id.as_str()
    })
    .await;
    assert_eq!(done["output_data"]["posts"], 2, "{done}");
    assert_eq!(done["output_data"]["model"], "prior", "{done}");
    assert!(
        done["output_data"]["kept_prior_because"]
            .as_str()
            .is_some_and(|why| why.contains("0 published posts")),
        "{done}"
    );

    let (status, page) = server
        .call(
            Method::GET,
            "/api/analytics/content-forecasts",
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().cloned().expect("items");
    let of = |id: &str| {
        items
            .iter()
            .find(|item| item["post_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no forecast of {id}: {page}"))
    };
    let (question, link) = (of(&drafts[0]), of(&drafts[1]));
    let chance = |forecast: &Value| forecast["chance"].as_i64().expect("chance");
    assert!(
        chance(&question) > 50 && chance(&link) < 50,
        "{question} {link}"
    );
    assert_eq!(
        question["typical_engagement"],
        Value::Null,
        "nothing published yet"
    );
    assert_eq!(question["model"], "prior");
    let names = |forecast: &Value| -> Vec<String> {
        forecast["factors"]
            .as_array()
            .expect("factors")
            .iter()
            .filter_map(|factor| factor["name"].as_str().map(str::to_owned))
            .collect()
    };
    assert!(
        names(&question).contains(&"asks_a_question".to_owned()),
        "{question}"
    );
    assert!(names(&link).contains(&"hashtags".to_owned()), "{link}");
    let (status, problem) = server
        .call(
            Method::GET,
            "/api/analytics/content-forecasts?limit=0",
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    server.stop().await;
}

async fn delivery_metrics_risk_and_an_anomaly_that_opens_an_incident(db: &TestDb) {
    // The store's clock is moved a day at a time: the session outlives it.
    let server = serve(db, |auth| {
        auth.access_ttl = Duration::from_secs(30 * 24 * 3600);
        auth.refresh_ttl = Duration::from_secs(60 * 24 * 3600);
    })
    .await;
    let (token, org) = server.owner("owner@initech.test", "Initech").await;
    let owner = Caller::new(&token, &org);
    let (connected, hook) = server.connect_vercel(&owner, "initech-token").await;

    // The analysts came with Vercel, and their schedules with them.
    let started: Vec<&str> = connected["agents_started"]
        .as_array()
        .expect("agents")
        .iter()
        .filter_map(|agent| agent["type"].as_str())
        .collect();
    for analyst in [
        "analytics",
        "anomaly_detection",
        "prediction",
        "recommendation",
    ] {
        assert!(started.contains(&analyst), "{analyst} in {started:?}");
    }
    let (status, schedules) = server
        .call(Method::GET, "/api/schedules", &owner, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{schedules}");
    let names: Vec<&str> = schedules["items"]
        .as_array()
        .expect("schedules")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    for name in [
        "Delivery metrics, daily",
        "Anomaly detection, hourly",
        "Deployment risk model, daily",
        "Deployment risk, every ten minutes",
        "Recommendations, daily",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }

    // A quiet week: one good production deployment a day.
    for day in 0..8 {
        let delivery = deployment(
            "succeeded",
            &format!("dpl_day_{day}"),
            "intranet",
            "Tidy up",
        );
        server.deliver_vercel(&hook, &delivery).await;
        deployments_of(&server, &owner, day + 1).await;
        db.store.clock().advance(Duration::from_secs(24 * 3600));
    }
    // Then a day of four failed builds.
    for n in 0..4 {
        let delivery = deployment(
            "error",
            &format!("dpl_broken_{n}"),
            "intranet",
            "Upgrade the framework",
        );
        server.deliver_vercel(&hook, &delivery).await;
    }
    deployments_of(&server, &owner, 12).await;

    // The delivery report over the last 30 days: 8 ready, 4 failed of 12 finished.
    let (status, report) = server
        .call(Method::GET, "/api/analytics/delivery", &owner, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let overall = &report["overall"];
    assert_eq!(overall["deployments"], 8, "{report}");
    assert_eq!(overall["failures"], 4, "{report}");
    let rate = overall["change_failure_rate"]["value"]
        .as_f64()
        .expect("rate");
    assert!((rate - 100.0 / 3.0).abs() < 1e-6, "{report}");
    assert_eq!(overall["change_failure_rate"]["band"], "low");
    let frequency = overall["deployment_frequency"]["value"]
        .as_f64()
        .expect("frequency");
    assert!((frequency - 8.0 / 30.0).abs() < 1e-6, "{report}");
    assert_eq!(overall["deployment_frequency"]["band"], "high");
    assert_eq!(report["projects"][0]["project"], "intranet");
    assert!(
        (report["business"]["deployments_per_day"]
            .as_f64()
            .expect("per day")
            - 0.4)
            .abs()
            < 1e-6
    );
    let (status, problem) = server
        .call(
            Method::GET,
            "/api/analytics/delivery?from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z",
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // The analytics agent writes the same keys to the metrics.
    let analytics = agent_of_type(&server, &owner, "analytics").await;
    create_task(&server, &owner, json!({"agent_id": analytics, "task_type": "compute_delivery_metrics", "input": {"days": 30}})).await;
    let computed = task(&server, &owner, "compute_delivery_metrics").await;
    assert_eq!(
        computed["output_data"]["overall"]["failures"], 4,
        "{computed}"
    );
    let (_, series) = server
        .call(
            Method::GET,
            "/api/analytics/metrics/dora.change_failure_rate",
            &owner,
            None,
        )
        .await;
    assert!(
        series["points"]
            .as_array()
            .is_some_and(|points| points.iter().any(|p| p["dimensions"]["band"] == "low")),
        "{series}"
    );

    // The prediction agent assesses the recent deployments with the prior (too little
    // history to train).
    let prediction = agent_of_type(&server, &owner, "prediction").await;
    create_task(
        &server,
        &owner,
        json!({"agent_id": prediction, "task_type": "train_risk_model"}),
    )
    .await;
    let trained = task(&server, &owner, "train_risk_model").await;
    assert_eq!(
        trained["output_data"]["model"]["kind"], "prior",
        "{trained}"
    );
    assert!(
        trained["output_data"]["kept_prior_because"].is_string(),
        "{trained}"
    );
    create_task(
        &server,
        &owner,
        json!({"agent_id": prediction, "task_type": "predict_risk"}),
    )
    .await;
    let predicted = task(&server, &owner, "predict_risk").await;
    assert!(
        predicted["output_data"]["deployments"].as_u64() >= Some(4),
        "{predicted}"
    );
    let (status, risks) = server
        .call(
            Method::GET,
            "/api/analytics/risks?subject=deployment",
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{risks}");
    let risks = risks["items"].as_array().cloned().expect("risks");
    assert!(risks.len() >= 4, "{risks:?}");
    for risk in &risks {
        let value = risk["risk"].as_i64().expect("risk");
        assert!((0..=100).contains(&value), "{risk}");
        assert_eq!(risk["model"], "prior");
        assert_eq!(risk["factors"].as_array().map(Vec::len), Some(3), "{risk}");
    }

    // The anomaly: an incident coordinator takes the incident it opens. (Each failed
    // production build opened an incident of its own, waiting for a coordinator; they
    // are cancelled first so that the coordinator's one slot goes to the anomaly's.)
    let detector = agent_of_type(&server, &owner, "anomaly_detection").await;
    create_task(
        &server,
        &owner,
        json!({"agent_id": detector, "task_type": "detect_anomalies"}),
    )
    .await;
    let scan = task(&server, &owner, "detect_anomalies").await;
    let anomalies = scan["output_data"]["anomalies"]
        .as_array()
        .cloned()
        .expect("anomalies");
    let failures = anomalies
        .iter()
        .find(|a| a["series"] == "deployment_failures")
        .unwrap_or_else(|| panic!("no anomaly in {scan}"));
    assert_eq!(failures["observed"], 4.0, "{failures}");
    assert_eq!(failures["expected"], 0.0, "{failures}");
    assert!(failures["upper"].as_f64() < Some(4.0), "{failures}");
    let incident = failures["incident_task_id"]
        .as_str()
        .expect("an incident")
        .to_owned();
    let waiting = tasks_of(&server, &owner, "open_incident").await;
    assert_eq!(waiting.len(), 5, "{waiting:?}");
    for other in waiting.iter().filter(|t| t["id"] != incident.as_str()) {
        let id = other["id"].as_str().expect("id");
        let (status, cancelled) = server
            .call(
                Method::POST,
                &format!("/api/agent-tasks/{id}/cancel"),
                &owner,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{cancelled}");
    }
    let (status, incident_agent) = server
        .call(
            Method::POST,
            "/api/agents",
            &owner,
            Some(json!({"name": "Incidents", "type": "incident_response"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{incident_agent}");
    let opened = task_where(&server, &owner, "open_incident", "in_progress", |t| {
        t["id"] == incident.as_str()
    })
    .await;
    assert!(
        opened["input_data"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("an anomaly in failed production deployments")),
        "{opened}"
    );
    eventually("the incident's timeline", || async {
        let (_, events) = server
            .call(
                Method::GET,
                "/api/analytics/events?type=incident.opened",
                &owner,
                None,
            )
            .await;
        let items = events["items"].as_array().cloned().unwrap_or_default();
        if items
            .iter()
            .any(|e| e["metadata"]["incident"] == incident.as_str())
        {
            Ok(())
        } else {
            Err(events)
        }
    })
    .await;
    let (_, anomaly_events) = server
        .call(
            Method::GET,
            "/api/analytics/events?type=anomaly.detected",
            &owner,
            None,
        )
        .await;
    let reported = anomaly_events["items"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["metadata"]["series"] == "deployment_failures")
        .count();
    assert_eq!(reported, 1, "{anomaly_events}");
    let notices = tasks_of(&server, &owner, "notify").await;
    assert!(
        notices
            .iter()
            .any(|n| n["input_data"]["kind"] == "anomaly.detected"),
        "{notices:?}"
    );
    // A second scan the same day reports nothing new.
    create_task(
        &server,
        &owner,
        json!({"agent_id": detector, "task_type": "detect_anomalies"}),
    )
    .await;
    let again = task_where(&server, &owner, "detect_anomalies", "completed", |t| {
        t["output_data"]["already_reported"]
            .as_array()
            .is_some_and(|series| series.iter().any(|s| s == "deployment_failures"))
    })
    .await;
    assert_eq!(again["output_data"]["anomalies"], json!([]), "{again}");
    server.stop().await;
}

async fn task(server: &Server, caller: &Caller, task_type: &str) -> Value {
    task_where(server, caller, task_type, "completed", |_| true).await
}
