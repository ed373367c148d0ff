//! The registry of agent types: name → how to build its behaviour, its kind, what it
//! can do and its default configuration. The runtime looks a stored agent's
//! `agent_type` up here to (re)start it.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::behaviour::{AgentKind, Behaviour};

/// Builds a fresh behaviour from an agent's configuration.
pub type BehaviourFactory = Arc<dyn Fn(&Value) -> Box<dyn Behaviour> + Send + Sync>;

#[derive(Clone)]
pub struct AgentType {
    pub name: String,
    pub kind: AgentKind,
    pub capabilities: Vec<String>,
    pub default_configuration: Value,
    pub factory: BehaviourFactory,
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
