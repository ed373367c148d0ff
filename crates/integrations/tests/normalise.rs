//! Every payload fixture through `normalise`: each parses into its typed event with the
//! fields agents use, and no JSON whatsoever panics the parser.

use std::path::{Path, PathBuf};

use companyos_integrations::normalise::{DomainEvent, EventPayload, normalise, parse_body};
use companyos_store::{DeliveryId, Service};
use proptest::prelude::*;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn load(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The GitHub payload examples: `github/<event>/*.json`, 52 of them.
fn github_payloads() -> Vec<(String, PathBuf)> {
    let mut payloads = Vec::new();
    let root = fixtures().join("github");
    for entry in std::fs::read_dir(&root).expect("github fixtures") {
        let dir = entry.expect("entry").path();
        let event = dir
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_owned();
        if !dir.is_dir() || event == "schema" || event == "api" {
            continue;
        }
        for file in std::fs::read_dir(&dir).expect("event fixtures") {
            let file = file.expect("file").path();
            if file
                .extension()
                .is_some_and(|extension| extension == "json")
            {
                payloads.push((event.clone(), file));
            }
        }
    }
    payloads.sort();
    payloads
}

#[test]
fn every_github_payload_parses_into_its_typed_event() {
    let payloads = github_payloads();
    assert_eq!(
        payloads.len(),
        52,
        "the GitHub fixtures changed: review this suite"
    );
    for (event, path) in &payloads {
        let payload = load(path);
        let normalised = normalise(Service::Github, Some(event), &payload);
        let name = path.display();
        let action = payload.get("action").and_then(Value::as_str);
        match action {
            Some(action) => {
                assert_eq!(normalised.event_type, format!("{event}.{action}"), "{name}")
            }
            None => assert_eq!(&normalised.event_type, event, "{name}"),
        }
        let repository_id = payload.pointer("/repository/id").and_then(Value::as_i64);
        match normalised.event {
            DomainEvent::PullRequest {
                repository,
                pull_request,
                sender,
                ..
            } => {
                assert_eq!(repository.and_then(|r| r.id), repository_id, "{name}");
                assert_eq!(
                    pull_request.id,
                    payload.pointer("/pull_request/id").and_then(Value::as_i64),
                    "{name}"
                );
                assert_eq!(
                    pull_request.number,
                    payload
                        .pointer("/pull_request/number")
                        .and_then(Value::as_i64),
                    "{name}"
                );
                assert!(pull_request.title.is_some(), "{name}: title");
                assert!(
                    pull_request.head.and_then(|head| head.sha).is_some(),
                    "{name}: head sha"
                );
                assert_eq!(
                    pull_request.base.and_then(|base| base.git_ref).as_deref(),
                    payload
                        .pointer("/pull_request/base/ref")
                        .and_then(Value::as_str),
                    "{name}"
                );
                assert_eq!(
                    pull_request.body.as_deref(),
                    payload
                        .pointer("/pull_request/body")
                        .and_then(Value::as_str),
                    "{name}: the body, null when GitHub sends null"
                );
                assert!(sender.is_some(), "{name}: sender");
            }
            DomainEvent::PullRequestReview {
                review,
                pull_request,
                ..
            } => {
                assert_eq!(
                    review.state.as_deref(),
                    payload.pointer("/review/state").and_then(Value::as_str),
                    "{name}"
                );
                assert!(review.user.and_then(|user| user.login).is_some(), "{name}");
                assert!(pull_request.number.is_some(), "{name}");
            }
            DomainEvent::Push {
                repository,
                git_ref,
                after,
                commits,
                ..
            } => {
                assert_eq!(repository.and_then(|r| r.id), repository_id, "{name}");
                assert_eq!(git_ref.as_deref(), payload["ref"].as_str(), "{name}");
                assert_eq!(after.as_deref(), payload["after"].as_str(), "{name}");
                assert_eq!(
                    commits.len(),
                    payload["commits"].as_array().map_or(0, Vec::len),
                    "{name}: every commit"
                );
            }
            DomainEvent::Issue { issue, .. } => {
                assert_eq!(
                    issue.number,
                    payload.pointer("/issue/number").and_then(Value::as_i64),
                    "{name}"
                );
                assert!(issue.title.is_some(), "{name}");
            }
            DomainEvent::Deployment { deployment, .. } => {
                assert_eq!(
                    deployment.id,
                    payload.pointer("/deployment/id").and_then(Value::as_i64),
                    "{name}"
                );
                assert!(
                    deployment.sha.is_some() && deployment.environment.is_some(),
                    "{name}"
                );
            }
            DomainEvent::DeploymentStatus {
                deployment, status, ..
            } => {
                assert!(deployment.id.is_some(), "{name}");
                assert_eq!(
                    status.state.as_deref(),
                    payload
                        .pointer("/deployment_status/state")
                        .and_then(Value::as_str),
                    "{name}"
                );
            }
            DomainEvent::Check { source, check, .. } => {
                assert_eq!(&source, event, "{name}");
                assert_eq!(
                    check.id,
                    payload
                        .pointer(&format!("/{event}/id"))
                        .and_then(Value::as_i64),
                    "{name}"
                );
                assert!(check.head_sha.is_some(), "{name}: head sha");
                assert_eq!(
                    check.pull_requests.len(),
                    payload
                        .pointer(&format!("/{event}/pull_requests"))
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len),
                    "{name}: the pull requests it concerns"
                );
            }
            DomainEvent::Installation {
                installation_id,
                repositories,
                ..
            } => {
                assert!(installation_id.is_some(), "{name}");
                assert_eq!(
                    repositories.len(),
                    payload["repositories"].as_array().map_or(0, Vec::len),
                    "{name}"
                );
            }
            DomainEvent::Release { release, .. } => {
                assert_eq!(
                    release.tag_name.as_deref(),
                    payload.pointer("/release/tag_name").and_then(Value::as_str),
                    "{name}"
                );
            }
            DomainEvent::Ping { zen, .. } => assert!(zen.is_some(), "{name}"),
            other => panic!("{name}: unexpected {other:?}"),
        }
    }
}

#[test]
fn vercel_payloads_parse_with_their_deployment() {
    for outcome in ["created", "succeeded", "error", "canceled"] {
        let payload = load(&fixtures().join(format!("vercel/deployment.{outcome}.json")));
        let normalised = normalise(Service::Vercel, None, &payload);
        assert_eq!(
            normalised.event_type,
            format!("vercel.deployment.{outcome}")
        );
        let DomainEvent::VercelDeployment {
            outcome: read,
            deployment,
            vercel_event_id,
        } = normalised.event
        else {
            panic!("{outcome}: a Vercel deployment");
        };
        assert_eq!(read.as_str(), outcome);
        assert_eq!(vercel_event_id.as_deref(), payload["id"].as_str());
        assert_eq!(
            deployment.id.as_deref(),
            payload
                .pointer("/payload/deployment/id")
                .and_then(Value::as_str)
        );
        assert!(
            deployment.project_id.is_some() && deployment.name.is_some(),
            "{outcome}"
        );
        assert_eq!(
            deployment.commit_sha.as_deref(),
            payload
                .pointer("/payload/deployment/meta/githubCommitSha")
                .and_then(Value::as_str)
        );
    }
}

#[test]
fn figma_payloads_parse_leniently() {
    let dir = fixtures().join("figma");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("figma fixtures") {
        let path = entry.expect("entry").path();
        if !path.to_string_lossy().ends_with(".docs.json") {
            continue;
        }
        let payload = load(&path);
        let kind = payload["event_type"].as_str().expect("event_type");
        let normalised = normalise(Service::Figma, None, &payload);
        assert_eq!(
            normalised.event_type,
            format!("figma.{}", kind.to_ascii_lowercase())
        );
        let DomainEvent::Figma { file, .. } = normalised.event else {
            panic!("{}: a Figma event", path.display());
        };
        assert_eq!(
            file.webhook_id.is_some(),
            payload.get("webhook_id").is_some(),
            "{}",
            path.display()
        );
        if kind == "LIBRARY_PUBLISH" {
            assert_eq!(file.created_components, vec!["Simple button".to_owned()]);
            assert_eq!(file.deleted_components, vec!["Slider".to_owned()]);
        }
        if kind == "FILE_COMMENT" {
            assert_eq!(
                file.comment.as_deref(),
                Some("TODO: Change selection colors")
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 7);
}

#[test]
fn slack_events_and_commands_parse() {
    for name in [
        "event_callback.message.docs",
        "event_callback.message.bolt-python",
        "event_callback.app_mention.docs",
        "event_callback.app_mention.bolt-python",
    ] {
        let payload = load(&fixtures().join(format!("slack/events/{name}.json")));
        let normalised = normalise(Service::Slack, None, &payload);
        let inner = payload
            .pointer("/event/type")
            .and_then(Value::as_str)
            .expect("type");
        assert_eq!(normalised.event_type, format!("slack.{inner}"), "{name}");
        let DomainEvent::Slack { message, .. } = normalised.event else {
            panic!("{name}")
        };
        assert_eq!(
            message.text.as_deref(),
            payload.pointer("/event/text").and_then(Value::as_str),
            "{name}"
        );
        assert_eq!(
            message.channel.as_deref(),
            payload.pointer("/event/channel").and_then(Value::as_str),
            "{name}"
        );
    }
    let body = std::fs::read(fixtures().join("slack/signing/slash_command.docs-example.body.txt"))
        .expect("body");
    let payload = parse_body(Some("application/x-www-form-urlencoded"), &body).expect("form");
    let normalised = normalise(Service::Slack, None, &payload);
    assert_eq!(normalised.event_type, "slack.command");
    let DomainEvent::Slack { message, .. } = normalised.event else {
        panic!("a command")
    };
    assert_eq!(message.command.as_deref(), Some("/webhook-collect"));
    assert_eq!(message.channel.as_deref(), Some("G8PSS9T3V"));
}

#[test]
fn x_activity_parses() {
    let payload = load(&fixtures().join("twitter/account_activity.mention.skeleton.json"));
    let normalised = normalise(Service::Twitter, None, &payload);
    assert_eq!(normalised.event_type, "twitter.tweet_create");
    let DomainEvent::Twitter {
        for_user_id,
        activities,
        ..
    } = normalised.event
    else {
        panic!("X")
    };
    assert_eq!(for_user_id.as_deref(), Some("2244994945"));
    assert_eq!(activities, vec!["tweet_create_events".to_owned()]);
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("opened"),
            Just("pull_request"),
            Just("event_callback"),
            Just("deployment.cancelled"),
            Just("FILE_UPDATE")
        ]
        .prop_map(|text| Value::String(text.into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let names = prop_oneof![
            Just("action".to_owned()),
            Just("pull_request".to_owned()),
            Just("repository".to_owned()),
            Just("type".to_owned()),
            Just("event".to_owned()),
            Just("payload".to_owned()),
            Just("deployment".to_owned()),
            Just("commits".to_owned()),
            Just("user".to_owned()),
            Just("tweet_create_events".to_owned()),
            Just("comment".to_owned()),
            Just("id".to_owned()),
            "[a-z_]{1,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(names, inner, 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics_the_parser(payload in json(), event in "[a-z_]{0,20}") {
        for &service in Service::ALL {
            let normalised = normalise(service, Some(&event), &payload);
            prop_assert!(!normalised.event_type.is_empty());
            // What is stored reads back as the same typed event.
            let stored = EventPayload::new(None, None, normalised.event.clone()).to_metadata();
            let read = EventPayload::read(&stored).expect("a stored payload reads back");
            prop_assert_eq!(read.event, normalised.event);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_body_parser(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_body(Some("application/x-www-form-urlencoded"), &body);
        let _ = parse_body(Some("application/json"), &body);
    }
}

#[test]
fn every_github_payload_is_stored_and_read_back_as_the_same_typed_event() {
    let delivery = DeliveryId::new();
    for (event, path) in github_payloads() {
        let normalised = normalise(Service::Github, Some(&event), &load(&path));
        let stored =
            EventPayload::new(Some(delivery), None, normalised.event.clone()).to_metadata();
        assert_eq!(stored["schema"], 1, "{}", path.display());
        let read = EventPayload::read(&stored)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(read.delivery_id, Some(delivery));
        assert_eq!(read.event, normalised.event, "{}", path.display());
    }
}

#[test]
fn a_payload_of_a_newer_schema_or_another_shape_is_an_error() {
    let mut stored = EventPayload::new(
        None,
        None,
        normalise(
            Service::Github,
            Some("ping"),
            &serde_json::json!({"zen": "hi"}),
        )
        .event,
    )
    .to_metadata();
    stored["schema"] = 2.into();
    assert!(matches!(
        EventPayload::read(&stored),
        Err(companyos_integrations::normalise::PayloadError::Newer { found: 2 })
    ));
    assert!(matches!(
        EventPayload::read(&serde_json::json!({"task_id": "x"})),
        Err(companyos_integrations::normalise::PayloadError::Shape(_))
    ));
}
