//! OpenAI's Chat Completions format, spoken by api.openai.com and by the servers that copy
//! it (vLLM, Ollama's `/v1`, LiteLLM, llama.cpp's server): `POST {base}/chat/completions`
//! with `Authorization: Bearer`, the system prompt as the first message, JSON mode as
//! `response_format: {"type": "json_object"}`. rig's `Chat` wire writes and reads the
//! bodies (it sends `max_completion_tokens` instead of `max_tokens` to OpenAI's reasoning
//! models, which refuse the older field); this file adds what rig leaves to us: the
//! rate-limit headers, the finish reason as sent, and telling an exhausted quota (a 429
//! that waiting does not cure) from a rate limit.

use std::time::Duration;

use http::HeaderMap;
use rig_core::DynModel;
use rig_core::operation::Completion;
use rig_core::providers::openai::OpenAIConfig;
use serde_json::{Value, json};

use super::limits::{self, Budget};
use super::transport::Transport;
use super::{LlmConfig, ProviderWire};

/// `https://api.openai.com/v1`: paths are appended to it.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// The OpenAI-compatible wire.
pub(super) struct OpenAi;

/// OpenAI's budgets, each with its own remaining count and reset duration.
const BUDGETS: [Budget; 2] = [
    Budget {
        remaining: "x-ratelimit-remaining-requests",
        reset: "x-ratelimit-reset-requests",
    },
    Budget {
        remaining: "x-ratelimit-remaining-tokens",
        reset: "x-ratelimit-reset-tokens",
    },
];

impl ProviderWire for OpenAi {
    fn model(config: &LlmConfig, transport: Transport) -> DynModel<Completion> {
        OpenAIConfig::new(config.api_key.expose())
            .with_base_url(config.base_url.trim_end_matches('/'))
            .connect(transport)
            .chat(config.model.clone())
            .erase()
    }

    fn ask_for_json(request: &mut rig_core::completion::CompletionRequest) {
        request.additional_params = Some(json!({ "response_format": { "type": "json_object" } }));
    }

    fn stop_reason(raw: &Value) -> Option<String> {
        raw.pointer("/choices/0/finish_reason")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
        limits::rate_limit_wait(headers, &BUDGETS, limits::go_duration)
    }

    /// OpenAI answers 429 `insufficient_quota` when the account is out of credit: no wait
    /// cures that, a person must.
    fn is_lasting_refusal(body: &str) -> bool {
        serde_json::from_str::<Value>(body).is_ok_and(|json| {
            [json.pointer("/error/code"), json.pointer("/error/type")]
                .into_iter()
                .flatten()
                .any(|value| value.as_str() == Some("insufficient_quota"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exhausted_quota_is_told_from_a_rate_limit() {
        let quota = r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let rate = r#"{"error":{"message":"Rate limit reached for gpt-4o on requests per min (RPM): Limit 3, Used 3, Requested 1.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
        assert!(OpenAi::is_lasting_refusal(quota));
        assert!(!OpenAi::is_lasting_refusal(rate));
        assert!(!OpenAi::is_lasting_refusal("upstream error"));
    }
}
