//! The LLM clients against local stand-ins for OpenAI's Chat Completions and Anthropic's
//! Messages APIs. Answers and errors are the bodies and headers the providers document
//! (OpenAI's API reference and error codes page; Anthropic's Messages reference, errors
//! and rate-limits pages); each test checks the request the client sent as well as what it
//! made of the answer.

use std::time::{Duration, Instant};

use companyos_integrations::clients::RetryPolicy;
use companyos_integrations::llm::{
    ChatMessage, Completion, CompletionRequest, LlmConfig, LlmError, LlmProvider, Usage, client,
};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const OPENAI_KEY: &str = "sk-proj-test-0123456789abcdef";
const ANTHROPIC_KEY: &str = "sk-ant-api03-test-0123456789abcdef";

/// Retries in milliseconds so the tests stay quick; provider waits up to 2 s in place.
fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        max_wait: Duration::from_secs(2),
    }
}

/// A client for `provider` pointed at `server` the way a person would configure it.
fn config(provider: LlmProvider, server: &MockServer) -> LlmConfig {
    let (model, key, base_url) = match provider {
        LlmProvider::OpenAiCompatible => {
            ("gpt-4o-mini", OPENAI_KEY, format!("{}/v1", server.uri()))
        }
        LlmProvider::Anthropic => ("claude-sonnet-4-5", ANTHROPIC_KEY, server.uri()),
    };
    let mut config = LlmConfig::new(provider, model, key);
    config.base_url = base_url;
    config.timeout = Duration::from_secs(5);
    config.retry = fast_retries();
    config
}

fn endpoint(provider: LlmProvider) -> &'static str {
    match provider {
        LlmProvider::OpenAiCompatible => "/v1/chat/completions",
        LlmProvider::Anthropic => "/v1/messages",
    }
}

fn a_question() -> CompletionRequest {
    CompletionRequest {
        messages: vec![ChatMessage::user("Say hello.")],
        ..CompletionRequest::default()
    }
}

async fn complete(config: &LlmConfig, request: CompletionRequest) -> Result<Completion, LlmError> {
    client(config).unwrap().complete(request).await
}

/// The bodies of every request the stand-in received.
async fn sent_bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| request.body_json::<Value>().unwrap())
        .collect()
}

/// A message's text whether sent as a string or as text blocks (both are valid on both
/// wires).
fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .map(|block| {
                assert_eq!(block["type"], "text", "{block}");
                block["text"].as_str().unwrap().to_owned()
            })
            .collect(),
        other => panic!("unexpected content {other}"),
    }
}

/// `(role, text)` of each sent message.
fn roles_and_texts(messages: &Value) -> Vec<(String, String)> {
    messages
        .as_array()
        .unwrap()
        .iter()
        .map(|message| {
            (
                message["role"].as_str().unwrap().to_owned(),
                text_of(&message["content"]),
            )
        })
        .collect()
}

fn conversation(json: bool, max_tokens: Option<u32>) -> CompletionRequest {
    CompletionRequest {
        system: Some("You review pull requests for CompanyOS.".into()),
        messages: vec![
            ChatMessage::user("Is this diff risky?"),
            ChatMessage::assistant("Which diff?"),
            ChatMessage::user("The one that drops the users table."),
        ],
        max_tokens,
        temperature: Some(0.2),
        json,
    }
}

fn expected_turns() -> Vec<(String, String)> {
    [
        ("user", "Is this diff risky?"),
        ("assistant", "Which diff?"),
        ("user", "The one that drops the users table."),
    ]
    .map(|(role, text)| (role.to_owned(), text.to_owned()))
    .to_vec()
}

// ---- OpenAI ---------------------------------------------------------------------------

/// A chat completion as OpenAI's API reference shows it.
fn openai_answer(content: &str) -> Value {
    json!({
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1741569952,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": content,
                "refusal": null,
                "annotations": []
            },
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {
            "prompt_tokens": 19,
            "completion_tokens": 10,
            "total_tokens": 29,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0
            }
        },
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306"
    })
}

fn openai_error(message: &str, kind: &str, code: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

#[tokio::test]
async fn openai_completes_a_conversation_in_its_format() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header(
            "authorization",
            format!("Bearer {OPENAI_KEY}").as_str(),
        ))
        .and(header("content-type", "application/json"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(openai_answer("Yes: it drops a table.")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let completion = complete(
        &config(LlmProvider::OpenAiCompatible, &server),
        conversation(false, None),
    )
    .await
    .unwrap();

    assert_eq!(
        completion,
        Completion {
            text: "Yes: it drops a table.".into(),
            usage: Usage {
                input_tokens: 19,
                output_tokens: 10
            },
            model: "gpt-4o-mini-2024-07-18".into(),
            stop_reason: Some("stop".into()),
        }
    );
    let [body] = sent_bodies(&server).await.try_into().unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    // The system prompt leads the messages; the conversation follows in order.
    let mut turns = roles_and_texts(&body["messages"]);
    assert_eq!(
        turns.remove(0),
        (
            "system".to_owned(),
            "You review pull requests for CompanyOS.".to_owned()
        )
    );
    assert_eq!(turns, expected_turns());
    assert_eq!(
        body["max_tokens"], 1024,
        "the configured limit when the request sets none"
    );
    assert_eq!(body["temperature"], json!(0.2));
    assert!(body.get("response_format").is_none(), "{body}");
    assert!(
        body.get("stream").is_none_or(|stream| stream == false),
        "{body}"
    );
}

#[tokio::test]
async fn openai_json_mode_sends_response_format_and_says_json_in_the_prompt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_answer(r#"{"risky": true}"#)))
        .expect(1)
        .mount(&server)
        .await;

    let completion = complete(
        &config(LlmProvider::OpenAiCompatible, &server),
        conversation(true, Some(200)),
    )
    .await
    .unwrap();

    assert_eq!(completion.text, r#"{"risky": true}"#);
    let [body] = sent_bodies(&server).await.try_into().unwrap();
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
    assert_eq!(body["max_tokens"], 200, "the request's own limit");
    // OpenAI refuses JSON mode unless the messages mention JSON.
    let (role, system) = roles_and_texts(&body["messages"]).remove(0);
    assert_eq!(role, "system");
    assert!(
        system.starts_with("You review pull requests for CompanyOS."),
        "{system}"
    );
    assert!(system.contains("JSON object"), "{system}");
}

#[tokio::test]
async fn openai_rate_limit_reset_headers_give_the_wait() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(openai_error(
                    "Rate limit reached for gpt-4o-mini on tokens per min (TPM): Limit 200000, Used 200000, Requested 512.",
                    "tokens",
                    "rate_limit_exceeded",
                ))
                .insert_header("x-ratelimit-limit-requests", "500")
                .insert_header("x-ratelimit-remaining-requests", "499")
                .insert_header("x-ratelimit-reset-requests", "120ms")
                .insert_header("x-ratelimit-limit-tokens", "200000")
                .insert_header("x-ratelimit-remaining-tokens", "0")
                .insert_header("x-ratelimit-reset-tokens", "6m0s"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let error = complete(
        &config(LlmProvider::OpenAiCompatible, &server),
        a_question(),
    )
    .await
    .unwrap_err();

    assert!(
        matches!(error, LlmError::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(360)),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn openai_exhausted_quota_is_not_a_rate_limit() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(429).set_body_json(openai_error(
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            "insufficient_quota",
        )))
        .expect(1)
        .mount(&server)
        .await;

    let error = complete(
        &config(LlmProvider::OpenAiCompatible, &server),
        a_question(),
    )
    .await
    .unwrap_err();

    assert!(
        matches!(&error, LlmError::BadRequest(message) if message.contains("exceeded your current quota")),
        "{error:?}"
    );
    assert!(!error.is_retryable());
}

// ---- Anthropic ------------------------------------------------------------------------

/// A message as Anthropic's Messages reference shows it, with the answer in two text
/// blocks.
fn anthropic_answer(first: &str, second: &str) -> Value {
    json!({
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [
            {"type": "text", "text": first},
            {"type": "text", "text": second}
        ],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {
            "input_tokens": 2095,
            "output_tokens": 503,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "service_tier": "standard"
        }
    })
}

fn anthropic_error(kind: &str, message: &str) -> Value {
    json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
    })
}

#[tokio::test]
async fn anthropic_completes_a_conversation_in_its_format() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", ANTHROPIC_KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .and(header("content-type", "application/json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(anthropic_answer("Yes: ", "it drops a table.")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let completion = complete(
        &config(LlmProvider::Anthropic, &server),
        conversation(false, None),
    )
    .await
    .unwrap();

    assert_eq!(
        completion,
        Completion {
            text: "Yes: it drops a table.".into(),
            usage: Usage {
                input_tokens: 2095,
                output_tokens: 503
            },
            model: "claude-sonnet-4-5-20250929".into(),
            stop_reason: Some("end_turn".into()),
        }
    );
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests[0].headers.get("authorization").is_none(),
        "the key goes in x-api-key only"
    );
    let [body] = sent_bodies(&server).await.try_into().unwrap();
    assert_eq!(body["model"], "claude-sonnet-4-5");
    assert_eq!(body["max_tokens"], 1024);
    assert_eq!(body["temperature"], json!(0.2));
    // The system prompt is top-level; the messages are only the conversation.
    assert_eq!(
        text_of(&body["system"]),
        "You review pull requests for CompanyOS."
    );
    assert_eq!(roles_and_texts(&body["messages"]), expected_turns());
}

#[tokio::test]
async fn anthropic_json_requests_ask_in_the_system_prompt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(anthropic_answer(r#"{"risky""#, r#": true}"#)),
        )
        .expect(1)
        .mount(&server)
        .await;

    let completion = complete(
        &config(LlmProvider::Anthropic, &server),
        conversation(true, Some(300)),
    )
    .await
    .unwrap();

    assert_eq!(completion.text, r#"{"risky": true}"#);
    let [body] = sent_bodies(&server).await.try_into().unwrap();
    assert_eq!(body["max_tokens"], 300);
    let system = text_of(&body["system"]);
    assert!(
        system.starts_with("You review pull requests for CompanyOS."),
        "{system}"
    );
    assert!(system.contains("JSON object"), "{system}");
    assert!(
        body.get("response_format").is_none(),
        "Anthropic has no JSON mode: {body}"
    );
}

#[tokio::test]
async fn anthropic_rate_limit_reset_headers_give_the_wait() {
    let server = MockServer::start().await;
    // Anthropic writes resets as RFC 3339 times.
    let reset = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc3339();
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(anthropic_error(
                    "rate_limit_error",
                    "This request would exceed the rate limit for your organization of 50 requests per minute.",
                ))
                .insert_header("anthropic-ratelimit-requests-limit", "50")
                .insert_header("anthropic-ratelimit-requests-remaining", "0")
                .insert_header("anthropic-ratelimit-requests-reset", reset.as_str())
                .insert_header("anthropic-ratelimit-tokens-remaining", "30000"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let error = complete(&config(LlmProvider::Anthropic, &server), a_question())
        .await
        .unwrap_err();

    match error {
        LlmError::RateLimited {
            retry_after: Some(wait),
        } => assert!(
            wait > Duration::from_secs(80) && wait <= Duration::from_secs(90),
            "{wait:?}"
        ),
        other => panic!("expected RateLimited with a wait, got {other:?}"),
    }
}

// ---- Both providers --------------------------------------------------------------------

/// One error reply and what the client must make of it.
struct ErrorCase {
    name: &'static str,
    provider: LlmProvider,
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    body: Value,
    /// How many requests the client sends before giving up.
    requests: u64,
    check: fn(&LlmError) -> bool,
}

fn error_cases() -> Vec<ErrorCase> {
    use LlmProvider::{Anthropic, OpenAiCompatible};
    vec![
        ErrorCase {
            name: "openai 429 with retry-after",
            provider: OpenAiCompatible,
            status: 429,
            headers: &[("retry-after", "20")],
            body: openai_error(
                "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.",
                "requests",
                "rate_limit_exceeded",
            ),
            requests: 1,
            check: |error| matches!(error, LlmError::RateLimited { retry_after: Some(wait) } if *wait == Duration::from_secs(20)),
        },
        ErrorCase {
            name: "anthropic 429 with retry-after",
            provider: Anthropic,
            status: 429,
            headers: &[("retry-after", "30")],
            body: anthropic_error(
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit",
            ),
            requests: 1,
            check: |error| matches!(error, LlmError::RateLimited { retry_after: Some(wait) } if *wait == Duration::from_secs(30)),
        },
        ErrorCase {
            name: "anthropic 529 overloaded with a long retry-after",
            provider: Anthropic,
            status: 529,
            headers: &[("retry-after", "30")],
            body: anthropic_error("overloaded_error", "Overloaded"),
            requests: 1,
            check: |error| matches!(error, LlmError::Overloaded { retry_after: Some(wait) } if *wait == Duration::from_secs(30)),
        },
        ErrorCase {
            name: "anthropic 529 overloaded, retried with backoff until the attempts run out",
            provider: Anthropic,
            status: 529,
            headers: &[],
            body: anthropic_error("overloaded_error", "Overloaded"),
            requests: 3,
            check: |error| matches!(error, LlmError::Overloaded { retry_after: None }),
        },
        ErrorCase {
            name: "openai 401 echoing the key",
            provider: OpenAiCompatible,
            status: 401,
            headers: &[],
            body: openai_error(
                &format!(
                    "Incorrect API key provided: {OPENAI_KEY}. You can find your API key at https://platform.openai.com/account/api-keys."
                ),
                "invalid_request_error",
                "invalid_api_key",
            ),
            requests: 1,
            check: |error| matches!(error, LlmError::Unauthorized),
        },
        ErrorCase {
            name: "anthropic 401",
            provider: Anthropic,
            status: 401,
            headers: &[],
            body: anthropic_error(
                "authentication_error",
                &format!("invalid x-api-key {ANTHROPIC_KEY}"),
            ),
            requests: 1,
            check: |error| matches!(error, LlmError::Unauthorized),
        },
        ErrorCase {
            name: "anthropic 403",
            provider: Anthropic,
            status: 403,
            headers: &[],
            body: anthropic_error(
                "permission_error",
                "Your API key does not have permission to use the specified resource.",
            ),
            requests: 1,
            check: |error| matches!(error, LlmError::Unauthorized),
        },
        ErrorCase {
            name: "openai 404 unknown model",
            provider: OpenAiCompatible,
            status: 404,
            headers: &[],
            body: openai_error(
                "The model `gpt-9` does not exist or you do not have access to it.",
                "invalid_request_error",
                "model_not_found",
            ),
            requests: 1,
            check: |error| matches!(error, LlmError::BadRequest(message) if message == "The model `gpt-9` does not exist or you do not have access to it."),
        },
        ErrorCase {
            name: "anthropic 404 unknown model",
            provider: Anthropic,
            status: 404,
            headers: &[],
            body: anthropic_error("not_found_error", "model: claude-nope"),
            requests: 1,
            check: |error| matches!(error, LlmError::BadRequest(message) if message == "model: claude-nope"),
        },
        ErrorCase {
            name: "anthropic 400 invalid request",
            provider: Anthropic,
            status: 400,
            headers: &[],
            body: anthropic_error(
                "invalid_request_error",
                "max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5",
            ),
            requests: 1,
            check: |error| matches!(error, LlmError::BadRequest(message) if message.starts_with("max_tokens: 100000 > 64000")),
        },
        ErrorCase {
            name: "openai 500 every time",
            provider: OpenAiCompatible,
            status: 500,
            headers: &[],
            body: openai_error(
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
                "server_error",
            ),
            requests: 3,
            check: |error| matches!(error, LlmError::Unavailable(message) if message.contains("500") && message.contains("The server had an error")),
        },
        ErrorCase {
            name: "openai 503 with a long retry-after",
            provider: OpenAiCompatible,
            status: 503,
            headers: &[("retry-after", "60")],
            body: openai_error(
                "The engine is currently overloaded, please try again later.",
                "server_error",
                "server_error",
            ),
            requests: 1,
            check: |error| matches!(error, LlmError::Overloaded { retry_after: Some(wait) } if *wait == Duration::from_secs(60)),
        },
    ]
}

#[tokio::test]
async fn provider_errors_map_to_what_a_caller_can_act_on() {
    for case in error_cases() {
        let server = MockServer::start().await;
        let mut reply = ResponseTemplate::new(case.status).set_body_json(case.body.clone());
        for (name, value) in case.headers {
            reply = reply.insert_header(*name, *value);
        }
        Mock::given(method("POST"))
            .and(path(endpoint(case.provider)))
            .respond_with(reply)
            .mount(&server)
            .await;

        let error = complete(&config(case.provider, &server), a_question())
            .await
            .unwrap_err();

        assert!((case.check)(&error), "{}: got {error:?}", case.name);
        let sent = server.received_requests().await.unwrap().len() as u64;
        assert_eq!(sent, case.requests, "{}: requests sent", case.name);
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(
                !text.contains(OPENAI_KEY) && !text.contains(ANTHROPIC_KEY),
                "{}: the key leaked into {text:?}",
                case.name
            );
        }
        let retryable = matches!(case.status, 429 | 500 | 503 | 529);
        assert_eq!(error.is_retryable(), retryable, "{}: {error}", case.name);
    }
}

#[tokio::test]
async fn a_server_error_is_retried_and_the_next_answer_returned() {
    for provider in LlmProvider::ALL {
        let server = MockServer::start().await;
        let (failure, answer) = match provider {
            LlmProvider::OpenAiCompatible => (
                openai_error(
                    "The server had an error while processing your request.",
                    "server_error",
                    "server_error",
                ),
                openai_answer("Hello."),
            ),
            LlmProvider::Anthropic => (
                anthropic_error("api_error", "Internal server error"),
                anthropic_answer("Hel", "lo."),
            ),
        };
        Mock::given(method("POST"))
            .and(path(endpoint(provider)))
            .respond_with(ResponseTemplate::new(500).set_body_json(failure))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(endpoint(provider)))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .expect(1)
            .mount(&server)
            .await;

        let completion = complete(&config(provider, &server), a_question())
            .await
            .unwrap();

        assert_eq!(completion.text, "Hello.", "{provider}");
        assert!(
            completion.usage.input_tokens > 0,
            "{provider}: usage read on the retried answer"
        );
        server.verify().await;
    }
}

#[tokio::test]
async fn a_short_rate_limit_is_waited_out_in_place() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(anthropic_error("rate_limit_error", "Rate limited"))
                .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(anthropic_answer("Hello", ".")))
        .expect(1)
        .mount(&server)
        .await;

    let started = Instant::now();
    let completion = complete(&config(LlmProvider::Anthropic, &server), a_question())
        .await
        .unwrap();

    assert_eq!(completion.text, "Hello.");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the wait was honoured"
    );
    server.verify().await;
}

#[tokio::test]
async fn an_answer_that_does_not_parse_is_malformed() {
    for provider in LlmProvider::ALL {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(endpoint(provider)))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                r#"{"id": "chatcmpl-1", "choices": [{"index": 0, "message": "#,
                "application/json",
            ))
            .expect(1)
            .mount(&server)
            .await;

        let error = complete(&config(provider, &server), a_question())
            .await
            .unwrap_err();

        assert!(
            matches!(error, LlmError::Malformed(_)),
            "{provider}: {error:?}"
        );
        assert!(!error.is_retryable());
        server.verify().await;
    }
}

#[tokio::test]
async fn a_slow_server_past_the_timeout_is_unavailable_and_not_retried_in_place() {
    for provider in LlmProvider::ALL {
        let server = MockServer::start().await;
        let answer = match provider {
            LlmProvider::OpenAiCompatible => openai_answer("Too late."),
            LlmProvider::Anthropic => anthropic_answer("Too ", "late."),
        };
        Mock::given(method("POST"))
            .and(path(endpoint(provider)))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(answer)
                    .set_delay(Duration::from_secs(3)),
            )
            .expect(1)
            .mount(&server)
            .await;
        let mut config = config(provider, &server);
        config.timeout = Duration::from_millis(300);

        let started = Instant::now();
        let error = complete(&config, a_question()).await.unwrap_err();

        assert!(
            matches!(&error, LlmError::Unavailable(message) if message.contains("timeout")),
            "{provider}: {error:?}"
        );
        assert!(error.is_retryable());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{provider}: gave up at the timeout"
        );
        server.verify().await;
    }
}

#[tokio::test]
async fn a_refused_connection_is_unavailable_after_the_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let mut config = LlmConfig::new(LlmProvider::OpenAiCompatible, "gpt-4o-mini", OPENAI_KEY);
    config.base_url = format!("http://{address}/v1");
    config.retry = fast_retries();

    let error = complete(&config, a_question()).await.unwrap_err();

    assert!(matches!(error, LlmError::Unavailable(_)), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_request_without_messages_is_refused_before_sending() {
    let server = MockServer::start().await;
    let error = complete(
        &config(LlmProvider::Anthropic, &server),
        CompletionRequest::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, LlmError::BadRequest(_)), "{error:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
