//! Anthropic's Messages format: `POST {base}/v1/messages` with `x-api-key` and
//! `anthropic-version: 2023-06-01`, the system prompt in the top-level `system`,
//! `max_tokens` always sent (Anthropic requires it). rig's `Messages` wire writes and reads
//! the bodies; this file adds the rate-limit headers (`retry-after`, then the
//! `anthropic-ratelimit-*-reset` timestamps of a spent budget) and the stop reason as sent.
//! Anthropic has no JSON mode: a JSON answer is asked for in the system prompt alone.

use std::time::Duration;

use http::HeaderMap;
use rig_core::DynModel;
use rig_core::operation::Completion;
use rig_core::providers::anthropic::AnthropicConfig;
use serde_json::Value;

use super::limits::{self, Budget};
use super::transport::Transport;
use super::{LlmConfig, ProviderWire};

/// `https://api.anthropic.com`: `/v1/messages` is appended to it.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";

/// The Anthropic wire.
pub(super) struct Anthropic;

/// Anthropic's budgets: requests, and tokens in all, in and out.
const BUDGETS: [Budget; 4] = [
    Budget {
        remaining: "anthropic-ratelimit-requests-remaining",
        reset: "anthropic-ratelimit-requests-reset",
    },
    Budget {
        remaining: "anthropic-ratelimit-tokens-remaining",
        reset: "anthropic-ratelimit-tokens-reset",
    },
    Budget {
        remaining: "anthropic-ratelimit-input-tokens-remaining",
        reset: "anthropic-ratelimit-input-tokens-reset",
    },
    Budget {
        remaining: "anthropic-ratelimit-output-tokens-remaining",
        reset: "anthropic-ratelimit-output-tokens-reset",
    },
];

impl ProviderWire for Anthropic {
    fn model(config: &LlmConfig, transport: Transport) -> DynModel<Completion> {
        // rig's default `anthropic-version` is 2023-06-01, the one stable version. Every
        // request carries `max_tokens` (ours, or the configured one).
        AnthropicConfig::new(config.api_key.expose())
            .with_base_url(&config.base_url)
            .connect(transport)
            .completion(config.model.clone())
            .erase()
    }

    fn stop_reason(raw: &Value) -> Option<String> {
        raw.get("stop_reason")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
        limits::rate_limit_wait(headers, &BUDGETS, limits::until_rfc3339)
    }
}
