//! Agents' use of a language model: the node's model (settings `llm.*`), which an agent's
//! configuration may narrow (`{"llm": {"model": "…", "tokens_per_day": 200000,
//! "requests_per_minute": 20, "max_tokens": 900, "enabled": false}}`), and the budgets
//! that are supervision policy: a request that would pass an agent's tokens per day or
//! requests per minute is not sent, and its task waits ([`TaskFailure::Later`]) until the
//! budget allows it.
//!
//! The node's API key goes only to the node's own provider address (`llm.base_url`): an
//! agent chooses neither the provider nor the address, and its model only among those
//! the operator allows (`llm.model` and `llm.allowed_models`). An agent's budgets and
//! answer length may only lower the node's. What a provider answers in an error is
//! logged for the operator, never put in a task's output: a task says only what kind of
//! failure it was.
//!
//! Nothing a rule flags as secret reaches a model: every prompt is masked with
//! [`crate::review::redact`] before it is sent. Usage is counted per organization and
//! agent (`companyos_llm_tokens_total`, `companyos_llm_requests_total`).
//!
//! Budgets are counted in the cluster's Redis when there is one (`redis.url`): the
//! windows are the UTC day and the clock's minute, and an agent that moves to another
//! node, or a node that restarts, keeps its count. Without Redis — or while it does not
//! answer (`companyos_redis_fallbacks_total{use="llm_budget"}`) — the node that runs the
//! agent counts in memory, each window starting with its first request; a restarted
//! node then starts the day's count again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use companyos_integrations::llm::{
    self, Completion, CompletionRequest, LlmClient, LlmConfig, LlmError, LlmProvider,
};
use companyos_store::AgentId;
use companyos_store::shared::{Redis, Spent};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::behaviour::{TaskContext, TaskFailure};

/// The node's model and default budgets (per agent).
#[derive(Clone, Debug)]
pub struct LlmSettings {
    pub config: LlmConfig,
    pub tokens_per_day: Option<u64>,
    pub requests_per_minute: Option<u32>,
    /// Models an agent may choose besides `config.model`, at the same address.
    pub allowed_models: Vec<String>,
}

impl LlmSettings {
    /// The models an agent may name: the node's own first, then the operator's list.
    pub fn models(&self) -> Vec<String> {
        let mut models = vec![self.config.model.clone()];
        for model in &self.allowed_models {
            if !models.contains(model) {
                models.push(model.clone());
            }
        }
        models
    }
}

/// What an agent's configuration may change of its use of the node's model (`llm` in
/// its configuration).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, JsonSchema, garde::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct AgentLlm {
    /// Whether the agent asks the model at all (it does when the node has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[garde(skip)]
    pub enabled: Option<bool>,
    /// Read only to be refused: an agent never chooses where the node's key goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    #[garde(skip)]
    provider: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    #[garde(skip)]
    base_url: Option<Value>,
    /// The model it asks, one the operator allows (the node's own when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[garde(length(min = 1, max = 200))]
    pub model: Option<String>,
    /// The most tokens it may use in a day.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[garde(range(min = 1))]
    pub tokens_per_day: Option<u64>,
    /// The most requests it may send in a minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[garde(range(min = 1))]
    pub requests_per_minute: Option<u32>,
    /// The most tokens one answer may have.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[garde(range(min = 1))]
    pub max_tokens: Option<u32>,
}

/// Puts the models an agent may choose into a configuration schema that has an `llm`
/// (as the `enum` of its `model`), so that a form offers exactly those.
pub fn publish_models(schema: &mut Value, settings: Option<&LlmSettings>) {
    let Some(settings) = settings else {
        return;
    };
    if let Some(model) = schema
        .pointer_mut("/$defs/AgentLlm/properties/model")
        .and_then(Value::as_object_mut)
    {
        let mut models: Vec<Value> = settings.models().into_iter().map(Value::from).collect();
        models.push(Value::Null);
        model.insert("enum".into(), Value::Array(models));
    }
}

#[derive(Default)]
struct Spend {
    day_started: Option<Instant>,
    tokens_today: u64,
    minute_started: Option<Instant>,
    requests_this_minute: u32,
}

const DAY: Duration = Duration::from_secs(24 * 60 * 60);
const MINUTE: Duration = Duration::from_secs(60);

impl Spend {
    /// Rolls the windows forward, then says how long to wait, if the next request would
    /// pass a budget.
    fn wait(
        &mut self,
        now: Instant,
        tokens: Option<u64>,
        requests: Option<u32>,
    ) -> Option<(Duration, String)> {
        if self
            .day_started
            .is_none_or(|started| now.duration_since(started) >= DAY)
        {
            self.day_started = Some(now);
            self.tokens_today = 0;
        }
        if self
            .minute_started
            .is_none_or(|started| now.duration_since(started) >= MINUTE)
        {
            self.minute_started = Some(now);
            self.requests_this_minute = 0;
        }
        if let Some(limit) = tokens
            && self.tokens_today >= limit
        {
            let started = self.day_started.unwrap_or(now);
            return Some((
                DAY.saturating_sub(now.duration_since(started)),
                format!("the agent's LLM budget of {limit} tokens per day is spent"),
            ));
        }
        if let Some(limit) = requests
            && self.requests_this_minute >= limit
        {
            let started = self.minute_started.unwrap_or(now);
            return Some((
                MINUTE.saturating_sub(now.duration_since(started)),
                format!("the agent's LLM budget of {limit} requests per minute is spent"),
            ));
        }
        None
    }
}

/// A client's identity: provider, address, model.
type ModelKey = (LlmProvider, String, String);

/// The node's language models, shared by its agents: clients by provider, address and
/// model, and each agent's spend.
pub struct LlmGate {
    settings: Option<LlmSettings>,
    clients: Mutex<HashMap<ModelKey, Arc<dyn LlmClient>>>,
    spend: Mutex<HashMap<AgentId, Spend>>,
    redis: Option<Redis>,
}

impl std::fmt::Debug for LlmGate {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LlmGate")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl LlmGate {
    pub fn new(settings: Option<LlmSettings>) -> Self {
        LlmGate {
            settings,
            clients: Mutex::default(),
            spend: Mutex::default(),
            redis: None,
        }
    }

    /// Counts budgets in the cluster's Redis (falling back to this node's count while it
    /// does not answer).
    pub fn with_redis(mut self, redis: Option<Redis>) -> Self {
        self.redis = redis;
        self
    }

    /// Whether the next request would pass a budget, counting it if not: in Redis when
    /// it answers, and in this node's count in any case (the fallback's).
    async fn reserve(
        &self,
        agent: AgentId,
        tokens: Option<u64>,
        requests: Option<u32>,
    ) -> Option<(Duration, String)> {
        let shared = match &self.redis {
            Some(redis) => match redis.reserve_request(agent, tokens, requests).await {
                Ok(spent) => Some(spent),
                Err(_) => {
                    metrics::counter!("companyos_redis_fallbacks_total", "use" => "llm_budget")
                        .increment(1);
                    None
                }
            },
            None => None,
        };
        let mut spend = self
            .spend
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = spend.entry(agent).or_default();
        let local = entry.wait(Instant::now(), tokens, requests);
        let verdict = match shared {
            Some(Some(Spent::TokensToday { limit, wait })) => Some((
                wait,
                format!("the agent's LLM budget of {limit} tokens per day is spent"),
            )),
            Some(Some(Spent::RequestsThisMinute { limit, wait })) => Some((
                wait,
                format!("the agent's LLM budget of {limit} requests per minute is spent"),
            )),
            Some(None) => None,
            None => local,
        };
        if verdict.is_none() {
            entry.requests_this_minute += 1;
        }
        verdict
    }

    /// Adds the tokens an answer used to the agent's day, in Redis and here.
    async fn record(&self, agent: AgentId, used: u64) {
        self.spend
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(agent)
            .or_default()
            .tokens_today += used;
        if let Some(redis) = &self.redis
            && redis.record_tokens(agent, used).await.is_err()
        {
            metrics::counter!("companyos_redis_fallbacks_total", "use" => "llm_budget")
                .increment(1);
        }
    }

    /// Whether an agent of this configuration may use a model: the node has one and the
    /// agent did not turn it off.
    /// (An `llm` object the agent cannot read counts as not turned off: asking the model
    /// then fails the task, saying why.)
    pub fn available_to(&self, configuration: &Value) -> bool {
        self.settings.is_some()
            && agent_llm(configuration).map_or(true, |own| own.enabled != Some(false))
    }

    fn client(&self, config: &LlmConfig) -> Result<Arc<dyn LlmClient>, LlmError> {
        let key = (
            config.provider,
            config.base_url.clone(),
            config.model.clone(),
        );
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = llm::client(config)?;
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// Asks the agent's model, within its budgets, with every message masked. `None`:
    /// no model is configured for the agent (the caller does without).
    pub async fn complete(
        &self,
        ctx: &TaskContext,
        mut request: CompletionRequest,
    ) -> Result<Option<Completion>, TaskFailure> {
        let Some(settings) = &self.settings else {
            return Ok(None);
        };
        let own = agent_llm(&ctx.configuration).map_err(|error| {
            TaskFailure::Permanent(format!("the agent's configuration: {error}"))
        })?;
        if own.enabled == Some(false) {
            return Ok(None);
        }
        let mut config = settings.config.clone();
        // Stored before addresses were the operator's alone: refused, never followed.
        if let Err(error) = own.check(Some(settings)) {
            return Err(TaskFailure::Permanent(format!(
                "the agent's configuration: {error}"
            )));
        }
        if let Some(model) = &own.model {
            config.model = model.clone();
        }
        // An agent's settings may lower the operator's limits, never lift them.
        config.max_tokens = own
            .max_tokens
            .map_or(config.max_tokens, |own| own.min(config.max_tokens));
        let tokens = lower(own.tokens_per_day, settings.tokens_per_day);
        let requests = lower(own.requests_per_minute, settings.requests_per_minute);
        let agent = ctx.agent.id;
        if let Some((after, reason)) = self.reserve(agent, tokens, requests).await {
            count_request(ctx, "deferred");
            remember(
                ctx,
                LLM_DEFERRED,
                1.0,
                json!({"agent": agent, "reason": reason}),
            )
            .await;
            return Err(TaskFailure::Later { reason, after });
        }
        request.system = request.system.map(|system| crate::review::redact(&system));
        for message in &mut request.messages {
            message.content = crate::review::redact(&message.content);
        }
        let client = self.client(&config).map_err(|error| {
            tracing::warn!(%error, "no client for the node's model");
            TaskFailure::Permanent(error.public_message())
        })?;
        match client.complete(request).await {
            Ok(completion) => {
                let used = u64::from(completion.usage.input_tokens)
                    + u64::from(completion.usage.output_tokens);
                self.record(agent, used).await;
                count_request(ctx, "completed");
                remember(
                    ctx,
                    LLM_TOKENS,
                    used as f64,
                    json!({"agent": agent, "model": config.model}),
                )
                .await;
                let org = ctx.agent.organization_id.to_string();
                let agent = agent.to_string();
                metrics::counter!("companyos_llm_tokens_total", "organization" => org.clone(), "agent" => agent.clone(), "direction" => "input")
                    .increment(u64::from(completion.usage.input_tokens));
                metrics::counter!("companyos_llm_tokens_total", "organization" => org, "agent" => agent, "direction" => "output")
                    .increment(u64::from(completion.usage.output_tokens));
                Ok(Some(completion))
            }
            Err(error) => {
                count_request(ctx, "failed");
                // The provider's own words stay in the operator's log.
                tracing::warn!(%error, agent = %ctx.agent.id, "the model's request failed");
                let reason = error.public_message();
                Err(match (error.retry_after(), error.is_retryable()) {
                    (Some(after), _) => TaskFailure::Later { reason, after },
                    (None, true) => TaskFailure::Retryable(reason),
                    (None, false) => TaskFailure::Permanent(reason),
                })
            }
        }
    }
}

/// The metric of the tokens each answer used (`dimensions.agent`, `dimensions.model`):
/// what the recommendations read of an agent's spend, on any node.
pub const LLM_TOKENS: &str = "llm.tokens";
/// The metric of each request an agent's budget held back (`dimensions.agent`,
/// `dimensions.reason`).
pub const LLM_DEFERRED: &str = "llm.deferred";

/// Keeps a point of the agent's spend in `metrics`. A failure to write it is logged: the
/// answer is not lost for it.
async fn remember(ctx: &TaskContext, metric: &str, value: f64, dimensions: Value) {
    let point = companyos_store::NewMetric {
        metric_type: metric.to_owned(),
        value,
        unit: (metric == LLM_TOKENS).then(|| "tokens".to_owned()),
        dimensions,
        recorded_at: None,
    };
    if let Err(error) = ctx
        .store
        .metrics()
        .record(ctx.agent.organization_id, point)
        .await
    {
        tracing::warn!(%error, metric, agent = %ctx.agent.id, "cannot record the agent's model spend");
    }
}

impl LlmGate {
    /// The tokens per day an agent of this configuration may use: the lower of its own
    /// and the node's (`None`: no model, or no limit).
    pub fn tokens_per_day(&self, configuration: &Value) -> Option<u64> {
        let settings = self.settings.as_ref()?;
        let own = agent_llm(configuration).ok()?;
        if own.enabled == Some(false) {
            return None;
        }
        lower(own.tokens_per_day, settings.tokens_per_day)
    }
}

fn count_request(ctx: &TaskContext, outcome: &'static str) {
    metrics::counter!(
        "companyos_llm_requests_total",
        "organization" => ctx.agent.organization_id.to_string(),
        "agent" => ctx.agent.id.to_string(),
        "outcome" => outcome
    )
    .increment(1);
}

/// Why an agent's `llm` configuration cannot be used: serde's words, naming the key.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LlmConfigError(String);

/// Checks the `llm` object of an agent's configuration as the agent will read it. Absent
/// or `null` is fine; anything else must be the keys an agent may set, with their types —
/// the agent reads the object whole, so one unknown or mistyped key would otherwise make
/// it ignore every key (`enabled: false` included) and fall back to the node's settings.
/// A provider or address is refused, and a model must be one the operator allows (any,
/// where the node has no model: none is asked).
pub fn check_agent_llm(
    configuration: &Value,
    settings: Option<&LlmSettings>,
) -> Result<(), LlmConfigError> {
    match configuration.get("llm") {
        None | Some(Value::Null) => Ok(()),
        Some(llm) => serde_json::from_value::<AgentLlm>(llm.clone())
            .map_err(|error| LlmConfigError(error.to_string()))?
            .check(settings),
    }
}

impl AgentLlm {
    fn check(&self, settings: Option<&LlmSettings>) -> Result<(), LlmConfigError> {
        for (key, value) in [("provider", &self.provider), ("base_url", &self.base_url)] {
            if value.as_ref().is_some_and(|value| !value.is_null()) {
                return Err(LlmConfigError(format!(
                    "llm.{key}: an agent cannot choose the model's provider or address — the node sends its API key only to the operator's llm.base_url; remove the key (an operator may allow other models with llm.allowed_models)"
                )));
            }
        }
        if let (Some(model), Some(settings)) = (&self.model, settings) {
            let models = settings.models();
            if !models.contains(model) {
                return Err(LlmConfigError(format!(
                    "llm.model: {model:?} is not a model the operator allows; choose one of {} (llm.allowed_models)",
                    models.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// The tighter of an agent's limit and the node's (no limit on one side: the other's).
fn lower<T: Ord>(agent: Option<T>, node: Option<T>) -> Option<T> {
    match (agent, node) {
        (Some(agent), Some(node)) => Some(agent.min(node)),
        (agent, node) => agent.or(node),
    }
}

/// The agent's `llm` object (the node's settings when absent). One the agent cannot
/// read is an error, never a silent fall back to every default: the runtime refuses such
/// a configuration, so only a row written around it can hold one.
fn agent_llm(configuration: &Value) -> Result<AgentLlm, LlmConfigError> {
    match configuration.get("llm") {
        None | Some(Value::Null) => Ok(AgentLlm::default()),
        Some(llm) => serde_json::from_value(llm.clone())
            .map_err(|error| LlmConfigError(format!("llm: {error}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_llm_object_that_the_agent_would_ignore_is_refused_naming_the_key() {
        assert!(check_agent_llm(&serde_json::json!({}), None).is_ok());
        assert!(check_agent_llm(&serde_json::json!({"llm": null}), None).is_ok());
        assert!(
            check_agent_llm(
                &serde_json::json!({"llm": {"enabled": false, "model": "m"}}),
                None
            )
            .is_ok()
        );
        let key = check_agent_llm(
            &serde_json::json!({"llm": {"enabled": false, "api_key": "k"}}),
            None,
        )
        .expect_err("an agent brings no key");
        assert!(key.to_string().contains("api_key"), "{key}");
        let mistyped = check_agent_llm(
            &serde_json::json!({"llm": {"tokens_per_day": "lots"}}),
            None,
        )
        .expect_err("a number");
        assert!(!mistyped.to_string().is_empty());
    }

    fn settings() -> LlmSettings {
        LlmSettings {
            config: LlmConfig::new(LlmProvider::OpenAiCompatible, "small", "sk-node"),
            tokens_per_day: None,
            requests_per_minute: None,
            allowed_models: vec!["large".into(), "small".into()],
        }
    }

    #[test]
    fn an_agent_chooses_no_address_and_only_the_operators_models() {
        let settings = settings();
        assert_eq!(settings.models(), ["small", "large"]);
        for refused in [
            serde_json::json!({"llm": {"base_url": "http://127.0.0.1:9/v1"}}),
            serde_json::json!({"llm": {"provider": "anthropic"}}),
        ] {
            let error = check_agent_llm(&refused, Some(&settings)).expect_err("an address");
            assert!(error.to_string().contains("cannot choose"), "{error}");
        }
        let error = check_agent_llm(
            &serde_json::json!({"llm": {"model": "gpt-secret"}}),
            Some(&settings),
        )
        .expect_err("not allowed");
        assert!(error.to_string().contains("small, large"), "{error}");
        assert!(
            check_agent_llm(
                &serde_json::json!({"llm": {"model": "large"}}),
                Some(&settings)
            )
            .is_ok()
        );
    }

    #[test]
    fn a_spent_budget_says_how_long_to_wait_and_refills_with_its_window() {
        let start = Instant::now();
        let mut spend = Spend::default();
        assert!(spend.wait(start, Some(100), Some(2)).is_none());
        spend.requests_this_minute = 2;
        let (wait, reason) = spend
            .wait(start + Duration::from_secs(10), Some(100), Some(2))
            .expect("minute budget");
        assert_eq!(wait, Duration::from_secs(50));
        assert!(reason.contains("2 requests per minute"));
        assert!(
            spend
                .wait(start + Duration::from_secs(61), Some(100), Some(2))
                .is_none()
        );
        spend.tokens_today = 150;
        let (wait, reason) = spend
            .wait(start + Duration::from_secs(62), Some(100), None)
            .expect("day budget");
        assert!(wait > Duration::from_secs(23 * 3600) && reason.contains("100 tokens per day"));
        assert!(spend.wait(start + DAY, Some(100), None).is_none());
    }

    #[test]
    fn an_agents_budget_only_lowers_the_nodes() {
        assert_eq!(lower(Some(100_000_u32), Some(20)), Some(20), "never lifted");
        assert_eq!(lower(Some(5_u32), Some(20)), Some(5), "lowered");
        assert_eq!(
            lower(Some(5_u32), None),
            Some(5),
            "set where the node has none"
        );
        assert_eq!(lower(None, Some(20_u32)), Some(20), "the node's by default");
        assert_eq!(lower::<u32>(None, None), None);
    }

    #[test]
    fn an_agent_may_turn_its_model_off_but_not_bring_its_own_key() {
        assert_eq!(
            agent_llm(&serde_json::json!({"llm": {"enabled": false}}))
                .expect("readable")
                .enabled,
            Some(false)
        );
        let key = agent_llm(&serde_json::json!({"llm": {"api_key": "sk-x"}}))
            .expect_err("a key of its own is not read");
        assert!(key.to_string().contains("api_key"), "{key}");
        assert_eq!(
            agent_llm(&serde_json::json!({})).expect("absent"),
            AgentLlm::default()
        );
    }
}
