//! The registry of agent types: name → how to build its behaviour, its kind, what it
//! can do and its configuration — a type the node checks before it keeps one, and
//! publishes as a JSON Schema. The runtime looks a stored agent's `agent_type` up here
//! to (re)start it.

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::behaviour::{AgentKind, Behaviour};

/// Builds a fresh behaviour from an agent's configuration, refusing one its type does
/// not accept.
pub type BehaviourFactory =
    Arc<dyn Fn(&Value) -> Result<Box<dyn Behaviour>, ConfigError> + Send + Sync>;

/// An agent type's configuration: read with serde (unknown keys refused), checked with
/// garde, published as JSON Schema by schemars — one set of attributes for all three.
pub trait Configuration:
    Serialize + DeserializeOwned + JsonSchema + garde::Validate<Context = ()> + Default + 'static
{
    /// Reads and checks a configuration as an agent of the type will use it.
    fn read(value: &Value) -> Result<Self, ConfigError> {
        let config: Self = serde_path_to_error::deserialize(value).map_err(|error| {
            let field = error.path().to_string();
            ConfigError {
                field: if field == "." { String::new() } else { field },
                message: error.into_inner().to_string(),
            }
        })?;
        config.validate().map_err(|report| {
            let (path, error) = report
                .iter()
                .next()
                .map(|(path, error)| (path.to_string(), error.to_string()))
                .unwrap_or_default();
            ConfigError {
                field: path,
                message: error,
            }
        })?;
        Ok(config)
    }
}

/// Why a configuration is refused: the key (`healthy_at`, `routes[0].channel`, empty for
/// the whole) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("configuration{}: {message}", if field.is_empty() { String::new() } else { format!(".{field}") })]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    /// Where the problem is, as a request names it: `configuration.<key>`.
    pub fn pointer(&self) -> String {
        if self.field.is_empty() {
            "configuration".into()
        } else {
            format!("configuration.{}", self.field)
        }
    }
}

/// What the registry knows of a type's configuration without knowing its type.
#[derive(Clone)]
pub struct ConfigSpec {
    check: fn(&Value) -> Result<(), ConfigError>,
    schema: fn() -> Value,
    default: Value,
}

impl ConfigSpec {
    pub fn of<C: Configuration>() -> Self {
        ConfigSpec {
            check: |value| C::read(value).map(drop),
            schema: || serde_json::to_value(schemars::schema_for!(C)).unwrap_or(Value::Null),
            default: serde_json::to_value(C::default()).unwrap_or(Value::Null),
        }
    }

    /// Checks a configuration; an agent of the type would run on it as it is.
    pub fn check(&self, value: &Value) -> Result<(), ConfigError> {
        (self.check)(value)
    }

    /// The configuration as a JSON Schema (draft 2020-12).
    pub fn schema(&self) -> Value {
        (self.schema)()
    }

    /// The configuration an agent of the type gets when none is given.
    pub fn default_value(&self) -> Value {
        self.default.clone()
    }
}

/// The configuration of a type that has none to set: an empty object.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema, garde::Validate,
)]
#[serde(deny_unknown_fields)]
pub struct NoConfiguration {}

impl Configuration for NoConfiguration {}

#[derive(Clone)]
pub struct AgentType {
    pub name: String,
    pub kind: AgentKind,
    pub capabilities: Vec<String>,
    pub configuration: ConfigSpec,
    pub factory: BehaviourFactory,
    /// What an agent of this type runs on its own, created with it.
    pub schedules: Vec<DefaultSchedule>,
}

/// A schedule an agent of a type gets when it is created: `task_type` (with no input)
/// whenever `cron` (five fields, UTC) matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultSchedule {
    /// The schedule's name; an organization's schedule names are unique.
    pub name: &'static str,
    pub cron: &'static str,
    pub task_type: &'static str,
}

impl AgentType {
    /// A type whose behaviour is built from its configuration `C`, read and checked.
    pub fn configured<C: Configuration>(
        name: &str,
        kind: AgentKind,
        capabilities: Vec<String>,
        build: impl Fn(C) -> Box<dyn Behaviour> + Send + Sync + 'static,
    ) -> Self {
        AgentType {
            name: name.to_owned(),
            kind,
            capabilities,
            configuration: ConfigSpec::of::<C>(),
            factory: Arc::new(move |value| Ok(build(C::read(value)?))),
            schedules: Vec::new(),
        }
    }

    /// A type with nothing to configure.
    pub fn plain(
        name: &str,
        kind: AgentKind,
        capabilities: Vec<String>,
        build: impl Fn() -> Box<dyn Behaviour> + Send + Sync + 'static,
    ) -> Self {
        AgentType::configured::<NoConfiguration>(name, kind, capabilities, move |_| build())
    }

    /// Gives agents of this type `default` when they are given no configuration (it
    /// must pass the type's check).
    pub fn with_default(mut self, default: Value) -> Self {
        debug_assert!(self.configuration.check(&default).is_ok(), "{default}");
        self.configuration.default = default;
        self
    }

    /// The configuration an agent of this type gets when none is given.
    pub fn default_configuration(&self) -> Value {
        self.configuration.default_value()
    }

    /// Gives agents of this type `schedule` when they are created.
    pub fn with_schedule(mut self, schedule: DefaultSchedule) -> Self {
        self.schedules.push(schedule);
        self
    }
}

impl std::fmt::Debug for AgentType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentType")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Default)]
pub struct AgentTypeRegistry {
    types: BTreeMap<String, AgentType>,
}

impl AgentTypeRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        AgentTypeRegistry::default()
    }

    /// The agents CompanyOS ships with.
    pub fn builtin() -> Self {
        let mut registry = AgentTypeRegistry::new();
        crate::builtin::register_all(&mut registry);
        crate::watchers::register(&mut registry);
        crate::code_review::register(&mut registry);
        crate::deployment::register(&mut registry);
        crate::notification::register(&mut registry);
        crate::operations::register(&mut registry);
        crate::analysts::register(&mut registry);
        crate::content::register(&mut registry);
        crate::standup::register(&mut registry);
        crate::design::register(&mut registry);
        registry
    }

    /// Adds (or replaces) a type.
    pub fn register(&mut self, agent_type: AgentType) {
        self.types.insert(agent_type.name.clone(), agent_type);
    }

    pub fn get(&self, name: &str) -> Option<&AgentType> {
        self.types.get(name)
    }

    pub fn types(&self) -> impl Iterator<Item = &AgentType> {
        self.types.values()
    }
}
