//! Language models: one [`LlmClient`] trait the agents call, with a client for OpenAI's
//! Chat Completions format (OpenAI and the servers that copy it) and one for Anthropic's
//! Messages API, chosen by [`LlmConfig::provider`] and built by [`client`]. Nothing here
//! runs unless an LLM is configured; every agent must work without one.
//!
//! **How the wire calls are made.** rig-core `=0.44.0` (as the design decided) carries
//! the requests and answers: its `Chat` and `Messages` wires write the bodies and read
//! the text, usage and finish reason, and our trait hides it, so rig's types appear in no
//! public signature. rig 0.44 sends through any `HttpClientExt`; ours
//! (`transport.rs`) is the reqwest client [`crate::http::client`] builds, so with
//! rig's default features off it brings no HTTP stack or TLS of its own. Measured when
//! it was added (`cargo tree`): 16 new crates in the lock (rig-core, rig-http, schemars
//! and their helpers), 149 → 173 crates under `companyos-integrations` (async-trait
//! included); no `ring`, no `native-tls`/`openssl`, one reqwest (0.12) and one hyper; the
//! workspace's duplicate versions unchanged (rig's `getrandom 0.4` is already there
//! through uuid). rig-core alone takes about two minutes of a debug build on two busy
//! cores. rig keeps a non-success reply's status, body and headers on its error, so the
//! rate-limit headers are ours to read; it neither retries nor waits.
//!
//! **Failures and retries.** Each provider's status codes and headers map into one
//! [`LlmError`] (see `error.rs`). In place, with backoff and jitter, up to
//! [`RetryPolicy::max_attempts`] in all: connection failures, 5xx, 408, and Anthropic's
//! 529 — unless the provider asks for a wait longer than [`RetryPolicy::max_wait`], which
//! returns the error for the caller to re-queue. A 429 is waited out in place only when
//! its wait is that short; no other 4xx is ever retried. A request that timed out is not
//! retried in place (the provider may have done, and billed, the work; the same prompt
//! would likely time out again): it returns `Unavailable`, retryable by the caller.

mod anthropic;
pub mod embeddings;
mod error;
mod limits;
mod openai;
mod transport;

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, StatusCode};
use rig_core::completion::AssistantContent;
use rig_core::http_client::Error as HttpError;
use rig_core::message::Message;
use rig_core::operation::Completion as CompletionOperation;
use rig_core::{DynModel, ProviderError};
use serde::{Deserialize, Serialize};

pub use error::LlmError;

use crate::clients::{RetryPolicy, Secret};
use transport::{FailureKind, SendFailure, Transport};

/// The wire formats CompanyOS can speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LlmProvider {
    /// OpenAI's Chat Completions, at OpenAI or any server that speaks it.
    #[serde(rename = "openai")]
    OpenAiCompatible,
    /// Anthropic's Messages API.
    #[serde(rename = "anthropic")]
    Anthropic,
}

impl LlmProvider {
    /// Every provider, in the order error messages list them.
    pub const ALL: [Self; 2] = [Self::OpenAiCompatible, Self::Anthropic];

    /// The name in configuration: `openai` or `anthropic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAiCompatible => "openai",
            Self::Anthropic => "anthropic",
        }
    }

    /// The provider's own API: `https://api.openai.com/v1`, `https://api.anthropic.com`.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::OpenAiCompatible => openai::DEFAULT_BASE_URL,
            Self::Anthropic => anthropic::DEFAULT_BASE_URL,
        }
    }
}

impl fmt::Display for LlmProvider {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for LlmProvider {
    type Err = LlmError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|provider| provider.as_str() == name)
            .ok_or_else(|| {
                let choices: Vec<&str> =
                    Self::ALL.iter().map(|provider| provider.as_str()).collect();
                LlmError::InvalidConfig(format!(
                    "unknown llm provider {name:?}; expected one of {}",
                    choices.join(", ")
                ))
            })
    }
}

/// Which model to ask, where, and how patiently.
#[derive(Clone, Debug)]
pub struct LlmConfig {
    pub provider: LlmProvider,
    /// The API root: `https://api.openai.com/v1` (paths such as `/chat/completions` are
    /// appended) or `https://api.anthropic.com` (`/v1/messages` is appended).
    pub base_url: String,
    /// The provider's model id, as its API names it (`gpt-4o-mini`, `claude-sonnet-4-5`).
    pub model: String,
    pub api_key: Secret,
    /// Bounds each whole request, answer included.
    pub timeout: Duration,
    /// The answer's length limit when a request sets none.
    pub max_tokens: u32,
    /// Attempts, backoff, and the longest provider-requested wait slept in place.
    pub retry: RetryPolicy,
}

impl LlmConfig {
    /// `model` at `provider`'s own API, with a two-minute timeout, 1024 answer tokens and
    /// [`LlmConfig::default_retry`].
    pub fn new(
        provider: LlmProvider,
        model: impl Into<String>,
        api_key: impl Into<Secret>,
    ) -> Self {
        Self {
            provider,
            base_url: provider.default_base_url().to_owned(),
            model: model.into(),
            api_key: api_key.into(),
            timeout: Duration::from_secs(120),
            max_tokens: 1024,
            retry: Self::default_retry(),
        }
    }

    /// Three attempts, backoff from one second, and waits of up to five seconds slept in
    /// place: a longer one goes back to the caller, whose task can be re-queued.
    pub fn default_retry() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(8),
            max_wait: Duration::from_secs(5),
        }
    }
}

/// Who said a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
}

/// One turn of the conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// What to ask. The last message is the one answered; at least one is needed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CompletionRequest {
    pub system: Option<String>,
    pub messages: Vec<ChatMessage>,
    /// Overrides [`LlmConfig::max_tokens`] for this request.
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    /// Ask for one JSON object as the answer: OpenAI's JSON mode, and an instruction in
    /// the system prompt (which OpenAI's JSON mode requires, and Anthropic, having no JSON
    /// mode, relies on). The answer is not checked: parse it.
    pub json: bool,
}

/// Tokens a completion consumed, as the provider counted them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// The model's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    pub text: String,
    pub usage: Usage,
    /// The model that answered, as the provider reports it (often a dated snapshot of the
    /// configured one).
    pub model: String,
    /// Why the answer ended, in the provider's words: OpenAI `stop` or `length`,
    /// Anthropic `end_turn` or `max_tokens`.
    pub stop_reason: Option<String>,
}

/// A language model that completes conversations.
#[async_trait::async_trait]
pub trait LlmClient: Send + Sync {
    /// Asks for the next assistant message. Retries in place what is worth it (see the
    /// module documentation); any other failure comes back for the caller to judge with
    /// [`LlmError::is_retryable`] and [`LlmError::retry_after`].
    async fn complete(&self, request: CompletionRequest) -> Result<Completion, LlmError>;
}

/// The client for `config`'s provider. Fails only on a configuration that cannot work
/// (a base url that is not http(s), an empty model, a key no header can carry); a wrong
/// key or model shows on the first call.
pub fn client(config: &LlmConfig) -> Result<Arc<dyn LlmClient>, LlmError> {
    let base_url = reqwest::Url::parse(&config.base_url).map_err(|error| {
        LlmError::InvalidConfig(format!(
            "base url {:?} is not a url: {error}",
            config.base_url
        ))
    })?;
    if !matches!(base_url.scheme(), "http" | "https") {
        return Err(LlmError::InvalidConfig(format!(
            "base url {:?} must start with https:// (or http:// for a local server)",
            config.base_url
        )));
    }
    if config.model.trim().is_empty() {
        return Err(LlmError::InvalidConfig(
            "no model is set; name one the provider serves".to_owned(),
        ));
    }
    if config.max_tokens == 0 {
        return Err(LlmError::InvalidConfig(
            "max_tokens must be at least 1".to_owned(),
        ));
    }
    if http::HeaderValue::from_str(config.api_key.expose()).is_err() {
        return Err(LlmError::InvalidConfig(
            "the api key holds characters a header cannot carry; paste it again without spaces or line breaks"
                .to_owned(),
        ));
    }
    let http = crate::http::client(config.timeout)
        .map_err(|error| LlmError::InvalidConfig(error.to_string()))?;
    let transport = Transport::new(http);
    Ok(match config.provider {
        LlmProvider::OpenAiCompatible => {
            Arc::new(RigClient::<openai::OpenAi>::new(config, transport))
        }
        LlmProvider::Anthropic => {
            Arc::new(RigClient::<anthropic::Anthropic>::new(config, transport))
        }
    })
}

/// What differs between the providers besides what rig's wires already handle.
trait ProviderWire: 'static {
    /// rig's wire for `config`'s model, sending through `transport`.
    fn model(config: &LlmConfig, transport: Transport) -> DynModel<CompletionOperation>;

    /// Asks the provider's JSON mode for a JSON object, where it has one.
    fn ask_for_json(_request: &mut rig_core::completion::CompletionRequest) {}

    /// The finish reason, as the provider spelled it in `raw`, its answer.
    fn stop_reason(raw: &serde_json::Value) -> Option<String>;

    /// How long a 429 asks us to wait, from its headers.
    fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration>;

    /// Whether a 429 with this body is one that waiting does not cure.
    fn is_lasting_refusal(_body: &str) -> bool {
        false
    }
}

/// The system prompt's addition when a JSON answer is asked for.
const JSON_INSTRUCTION: &str =
    "Answer with one JSON object and nothing else: no prose and no code fences around it.";

/// An [`LlmClient`] over one of rig's wires.
struct RigClient<P> {
    provider: LlmProvider,
    model: DynModel<CompletionOperation>,
    model_name: String,
    max_tokens: u32,
    timeout: Duration,
    retry: RetryPolicy,
    api_key: Secret,
    wire: PhantomData<fn() -> P>,
}

/// Whether and how a failed attempt is tried again here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InPlace {
    Never,
    Backoff,
    After(Duration),
}

/// A failed attempt: the error it would return, and whether it may be retried here.
#[derive(Debug)]
struct Failure {
    error: LlmError,
    in_place: InPlace,
}

impl<P: ProviderWire> RigClient<P> {
    fn new(config: &LlmConfig, transport: Transport) -> Self {
        Self {
            provider: config.provider,
            model: P::model(config, transport),
            model_name: config.model.clone(),
            max_tokens: config.max_tokens,
            timeout: config.timeout,
            retry: config.retry.clone(),
            api_key: config.api_key.clone(),
            wire: PhantomData,
        }
    }

    fn rig_request(
        &self,
        request: CompletionRequest,
    ) -> Result<rig_core::completion::CompletionRequest, LlmError> {
        let CompletionRequest {
            system,
            messages,
            max_tokens,
            temperature,
            json,
        } = request;
        let mut history: Vec<Message> = messages
            .into_iter()
            .map(|message| match message.role {
                Role::User => Message::user(message.content),
                Role::Assistant => Message::assistant(message.content),
            })
            .collect();
        let Some(prompt) = history.pop() else {
            return Err(LlmError::BadRequest(
                "a completion needs at least one message".to_owned(),
            ));
        };
        let mut rig_request =
            rig_core::completion::CompletionRequest::new(prompt).messages(history);
        let system = match (system.filter(|text| !text.trim().is_empty()), json) {
            (Some(system), true) => Some(format!("{system}\n\n{JSON_INSTRUCTION}")),
            (None, true) => Some(JSON_INSTRUCTION.to_owned()),
            (system, false) => system,
        };
        if let Some(system) = system {
            rig_request = rig_request.preamble(system);
        }
        rig_request.max_tokens = Some(u64::from(max_tokens.unwrap_or(self.max_tokens)));
        // Through its decimal text, so 0.2 goes on the wire as 0.2 and not 0.20000000298.
        rig_request.temperature = temperature.and_then(|value| value.to_string().parse().ok());
        if json {
            P::ask_for_json(&mut rig_request);
        }
        Ok(rig_request)
    }

    fn completion(&self, response: rig_core::completion::CompletionResponse) -> Completion {
        let text: String = response
            .choice
            .iter()
            .filter_map(|content| match content {
                AssistantContent::Text(text) => Some(text.text()),
                _ => None,
            })
            .collect();
        let tokens = |count: Option<u64>| u32::try_from(count.unwrap_or(0)).unwrap_or(u32::MAX);
        Completion {
            text,
            usage: Usage {
                input_tokens: tokens(response.usage.input_tokens),
                output_tokens: tokens(response.usage.output_tokens),
            },
            model: response
                .origin
                .response_model
                .clone()
                .unwrap_or_else(|| self.model_name.clone()),
            stop_reason: P::stop_reason(&response.raw),
        }
    }

    /// What a failed attempt means.
    fn failure(&self, error: &ProviderError) -> Failure {
        if let Some(status) = error.provider_response_status()
            && !status.is_success()
        {
            return self.status_failure(
                status,
                error.provider_response_headers(),
                error.provider_response_body().unwrap_or_default(),
            );
        }
        let scrubbed = |text: String| self.api_key.scrub(&text);
        match error {
            ProviderError::Http(transport_error) => self.transport_failure(transport_error),
            ProviderError::Json(_) | ProviderError::Response(_) | ProviderError::Truncated => {
                Failure {
                    error: LlmError::Malformed(scrubbed(error.to_string())),
                    in_place: InPlace::Never,
                }
            }
            ProviderError::Url(_) => Failure {
                error: LlmError::InvalidConfig(scrubbed(error.to_string())),
                in_place: InPlace::Never,
            },
            ProviderError::Request(_) | ProviderError::UnsupportedOption(_) => Failure {
                error: LlmError::BadRequest(scrubbed(error.to_string())),
                in_place: InPlace::Never,
            },
            // An error in a success reply (an envelope some gateways send with 200), or a
            // failure rig reports without one.
            _ => {
                let message = match error.provider_response_body() {
                    Some(body) => crate::clients::vendor_message(body.as_bytes()),
                    None => error.to_string(),
                };
                Failure {
                    error: LlmError::Unavailable(scrubbed(message)),
                    in_place: InPlace::Never,
                }
            }
        }
    }

    fn status_failure(
        &self,
        status: StatusCode,
        headers: Option<&HeaderMap>,
        body: &str,
    ) -> Failure {
        let message = self
            .api_key
            .scrub(&crate::clients::vendor_message(body.as_bytes()));
        let waited =
            |wait: Option<Duration>, otherwise: InPlace| wait.map_or(otherwise, InPlace::After);
        match status.as_u16() {
            401 | 403 => Failure {
                error: LlmError::Unauthorized,
                in_place: InPlace::Never,
            },
            429 if P::is_lasting_refusal(body) => Failure {
                error: LlmError::BadRequest(message),
                in_place: InPlace::Never,
            },
            429 => {
                let wait = headers.and_then(P::rate_limit_wait);
                Failure {
                    error: LlmError::RateLimited { retry_after: wait },
                    in_place: waited(wait, InPlace::Never),
                }
            }
            503 | 529 => {
                let wait = headers.and_then(limits::retry_after);
                Failure {
                    error: LlmError::Overloaded { retry_after: wait },
                    in_place: waited(wait, InPlace::Backoff),
                }
            }
            408 | 500..=599 => Failure {
                error: LlmError::Unavailable(format!("the provider answered {status}: {message}")),
                in_place: waited(headers.and_then(limits::retry_after), InPlace::Backoff),
            },
            400..=499 => Failure {
                error: LlmError::BadRequest(message),
                in_place: InPlace::Never,
            },
            _ => Failure {
                error: LlmError::Unavailable(format!("unexpected status {status}: {message}")),
                in_place: InPlace::Never,
            },
        }
    }

    fn transport_failure(&self, error: &HttpError) -> Failure {
        let send_failure = match error {
            HttpError::Instance(source) => source.downcast_ref::<SendFailure>(),
            _ => None,
        };
        let message = self.api_key.scrub(&match send_failure {
            Some(failure) => failure.message.clone(),
            None => crate::clients::error_chain(error),
        });
        match send_failure.map(|failure| failure.kind) {
            Some(FailureKind::Timeout) => Failure {
                error: LlmError::Unavailable(format!(
                    "no answer within the {}s timeout ({message})",
                    self.timeout.as_secs_f64()
                )),
                in_place: InPlace::Never,
            },
            Some(FailureKind::Connect | FailureKind::Other) | None => Failure {
                error: LlmError::Unavailable(message),
                in_place: InPlace::Backoff,
            },
        }
    }
}

#[async_trait::async_trait]
impl<P: ProviderWire> LlmClient for RigClient<P> {
    #[tracing::instrument(name = "model call", skip_all, fields(provider = %self.provider, model = %self.model_name))]
    async fn complete(&self, request: CompletionRequest) -> Result<Completion, LlmError> {
        let rig_request = self.rig_request(request)?;
        let max_attempts = self.retry.max_attempts.max(1);
        let mut attempt = 1_u32;
        loop {
            let failure = match self.model.call(rig_request.clone()).await {
                Ok(response) => return Ok(self.completion(response)),
                Err(error) => self.failure(&error),
            };
            let pause = match failure.in_place {
                InPlace::Never => None,
                InPlace::Backoff => Some(self.retry.backoff(attempt)),
                InPlace::After(wait) => (wait <= self.retry.max_wait).then_some(wait),
            };
            match pause {
                Some(pause) if attempt < max_attempts => {
                    tracing::warn!(
                        attempt,
                        pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                        error = %failure.error,
                        "llm request failed; retrying"
                    );
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                _ => return Err(failure.error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_parse_from_their_configuration_names_only() {
        assert_eq!(
            "openai".parse::<LlmProvider>().ok(),
            Some(LlmProvider::OpenAiCompatible)
        );
        assert_eq!(
            "anthropic".parse::<LlmProvider>().ok(),
            Some(LlmProvider::Anthropic)
        );
        let error = "claude".parse::<LlmProvider>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid llm configuration: unknown llm provider \"claude\"; expected one of openai, anthropic"
        );
        assert_eq!(
            serde_json::to_value(LlmProvider::OpenAiCompatible).unwrap(),
            serde_json::json!("openai")
        );
        assert_eq!(
            serde_json::from_value::<LlmProvider>(serde_json::json!("anthropic")).unwrap(),
            LlmProvider::Anthropic
        );
    }

    #[test]
    fn a_configuration_never_prints_its_key() {
        let config = LlmConfig::new(
            LlmProvider::Anthropic,
            "claude-sonnet-4-5",
            "sk-ant-secret-key",
        );
        assert!(!format!("{config:?}").contains("sk-ant-secret-key"));
        assert_eq!(config.base_url, "https://api.anthropic.com");
        assert_eq!(
            LlmConfig::new(LlmProvider::OpenAiCompatible, "gpt-4o-mini", "k").base_url,
            "https://api.openai.com/v1"
        );
    }

    #[test]
    fn configurations_that_cannot_work_are_refused_before_any_call() {
        let good = LlmConfig::new(LlmProvider::OpenAiCompatible, "gpt-4o-mini", "sk-test");
        assert!(client(&good).is_ok());
        type Break = fn(&mut LlmConfig);
        let cases: [(&str, Break); 4] = [
            ("not a url", |config| {
                config.base_url = "api.openai.com".into()
            }),
            ("https://", |config| {
                config.base_url = "ftp://example.com".into()
            }),
            ("no model", |config| config.model = " ".into()),
            ("header", |config| {
                config.api_key = Secret::new("sk-test\nsecond line")
            }),
        ];
        for (expected, break_it) in cases {
            let mut config = good.clone();
            break_it(&mut config);
            match client(&config) {
                Err(LlmError::InvalidConfig(message)) => {
                    assert!(message.contains(expected), "{message:?} lacks {expected:?}")
                }
                Err(other) => panic!("{expected}: expected InvalidConfig, got {other:?}"),
                Ok(_) => panic!("{expected}: a client was built"),
            }
        }
    }
}
