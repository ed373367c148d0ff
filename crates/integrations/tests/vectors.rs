//! Every vector of the fixtures' `vectors.json` through `webhooks::verify` and the
//! handshake functions: valid ones accepted, invalid ones rejected. The HTTP edge runs
//! the same vectors through the receive route (crates/api/tests/webhooks.rs).

use std::path::PathBuf;

use companyos_integrations::webhooks;
use companyos_store::Service;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn vectors() -> Vec<Value> {
    let path = fixtures().join("vectors.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let document: Value = serde_json::from_str(&text).expect("vectors.json is JSON");
    document["vectors"]
        .as_array()
        .expect("vectors.json has a vectors array")
        .clone()
}

fn body(vector: &Value) -> Vec<u8> {
    if let Some(inline) = vector["body_inline"].as_str() {
        return inline.as_bytes().to_vec();
    }
    let file = vector["body_file"]
        .as_str()
        .expect("a body_file or body_inline");
    std::fs::read(fixtures().join(file)).expect("the vector's body file")
}

fn headers(vector: &Value) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in vector["headers"].as_object().into_iter().flatten() {
        map.insert(
            HeaderName::try_from(name.as_str()).expect("header name"),
            HeaderValue::from_str(value.as_str().expect("header value")).expect("header value"),
        );
    }
    map
}

fn secret(vector: &Value) -> &str {
    [
        "secret",
        "consumer_secret",
        "client_secret",
        "configured_passcode",
    ]
    .iter()
    .find_map(|field| vector[*field].as_str())
    .expect("the vector names its secret")
}

/// The fixtures call X "x"; CompanyOS calls the service "twitter", as the seed does.
fn service(vector: &Value) -> Service {
    match vector["service"].as_str().expect("service") {
        "x" => Service::Twitter,
        other => other.parse().expect("a service the vectors name"),
    }
}

#[test]
fn all_thirty_vectors_are_checked() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 30, "vectors.json changed: review this suite");
    let mut checked = 0;
    for vector in &vectors {
        let id = vector["id"].as_str().expect("id");
        let secret = secret(vector).as_bytes();
        match vector["kind"].as_str() {
            Some("crc") => {
                let token = vector["crc_token"].as_str().expect("crc_token");
                assert_eq!(
                    webhooks::twitter_crc_response(secret, token),
                    vector["expected_response"]["response_token"]
                        .as_str()
                        .expect("response_token"),
                    "{id}"
                );
            }
            Some("challenge") => {
                let code = vector["challenge_code"].as_str().expect("challenge_code");
                assert_eq!(
                    webhooks::linkedin_challenge_response(secret, code),
                    vector["expected_response"]["challengeResponse"]
                        .as_str()
                        .expect("challengeResponse"),
                    "{id}"
                );
            }
            _ => {
                let now = vector["now"].as_i64().unwrap_or(0);
                let outcome = webhooks::verify(
                    service(vector),
                    secret,
                    &headers(vector),
                    &body(vector),
                    now,
                );
                match vector["valid"].as_bool() {
                    Some(true) => assert_eq!(outcome, Ok(()), "{id} must be accepted"),
                    Some(false) => assert!(outcome.is_err(), "{id} must be rejected"),
                    // LinkedIn's undocumented reading (interpretation B): we implement
                    // the documented one, so a header in the other form is refused.
                    None => {
                        assert_eq!(id, "linkedin.signature.interpretation-B");
                        assert_eq!(outcome, Err(webhooks::VerifyError::Mismatch), "{id}");
                    }
                }
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 30);
}

#[test]
fn a_valid_signature_over_a_changed_body_is_rejected() {
    for vector in vectors() {
        if vector["valid"].as_bool() != Some(true) || vector["service"] == "figma" {
            continue;
        }
        let mut body = body(&vector);
        body.push(b' ');
        let now = vector["now"].as_i64().unwrap_or(0);
        let outcome = webhooks::verify(
            service(&vector),
            secret(&vector).as_bytes(),
            &headers(&vector),
            &body,
            now,
        );
        assert!(outcome.is_err(), "{} verified a changed body", vector["id"]);
    }
}
