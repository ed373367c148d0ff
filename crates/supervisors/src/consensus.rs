//! Consensus: ask several agents the same question and combine their answers by a
//! stated rule. Each answer is an object with a string `decision` (and anything else
//! the agent wants to say); an agent that fails or does not answer in time abstains.
//! The rule, every opinion and the decision are recorded in `agent_collaborations`.

use std::collections::BTreeMap;

use companyos_store::AgentId;

use crate::error::RemoteError;
use serde_json::{Value, json};

/// How opinions are combined.
#[derive(Clone, Debug, PartialEq)]
pub enum ConsensusRule {
    /// The decision more than half of the asked agents gave; otherwise no consensus.
    Majority,
    /// The decision with the greatest total weight (agents not listed weigh 1.0); a tie
    /// at the top is no consensus.
    Weighted(BTreeMap<AgentId, f64>),
}

impl ConsensusRule {
    pub fn name(&self) -> &'static str {
        match self {
            ConsensusRule::Majority => "majority",
            ConsensusRule::Weighted(_) => "weighted",
        }
    }
}

/// One agent's answer, or why it abstained.
#[derive(Clone, Debug, PartialEq)]
pub struct Opinion {
    pub agent_id: AgentId,
    pub answer: Result<Value, RemoteError>,
}

impl Opinion {
    pub fn decision(&self) -> Option<&str> {
        self.answer
            .as_ref()
            .ok()
            .and_then(|answer| answer.get("decision"))
            .and_then(Value::as_str)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConsensusOutcome {
    /// `None` when the rule reached no decision.
    pub decision: Option<String>,
    pub rule: ConsensusRule,
    pub opinions: Vec<Opinion>,
}

impl ConsensusOutcome {
    /// What is recorded with each collaboration.
    pub fn record(&self) -> Value {
        json!({
            "rule": self.rule.name(),
            "decision": self.decision,
            "opinions": self.opinions.iter().map(|opinion| json!({
                "agent_id": opinion.agent_id,
                "decision": opinion.decision(),
                "answer": opinion.answer.as_ref().ok(),
                "abstained": opinion.answer.as_ref().err().map(ToString::to_string),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Applies the rule to the opinions.
pub fn decide(rule: &ConsensusRule, opinions: &[Opinion]) -> Option<String> {
    let mut totals: BTreeMap<&str, f64> = BTreeMap::new();
    for opinion in opinions {
        if let Some(decision) = opinion.decision() {
            let weight = match rule {
                ConsensusRule::Majority => 1.0,
                ConsensusRule::Weighted(weights) => {
                    weights.get(&opinion.agent_id).copied().unwrap_or(1.0)
                }
            };
            *totals.entry(decision).or_default() += weight;
        }
    }
    let mut ranked: Vec<(&str, f64)> = totals.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (best, best_total) = *ranked.first()?;
    match rule {
        ConsensusRule::Majority => {
            (best_total > opinions.len() as f64 / 2.0).then(|| best.to_owned())
        }
        ConsensusRule::Weighted(_) => {
            let tied = ranked
                .get(1)
                .is_some_and(|(_, total)| (*total - best_total).abs() < f64::EPSILON);
            (!tied).then(|| best.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opinion(decision: Option<&str>) -> Opinion {
        Opinion {
            agent_id: AgentId::new(),
            answer: decision
                .map(|decision| json!({"decision": decision}))
                .ok_or(RemoteError::Timeout {
                    agent: AgentId::new(),
                    timeout_ms: 10,
                }),
        }
    }

    #[test]
    fn majority_needs_more_than_half_of_those_asked() {
        let two_of_three = [
            opinion(Some("approve")),
            opinion(Some("approve")),
            opinion(Some("reject")),
        ];
        assert_eq!(
            decide(&ConsensusRule::Majority, &two_of_three).as_deref(),
            Some("approve")
        );
        let split = [
            opinion(Some("approve")),
            opinion(Some("reject")),
            opinion(None),
        ];
        assert_eq!(
            decide(&ConsensusRule::Majority, &split),
            None,
            "an abstention counts against"
        );
    }

    #[test]
    fn weights_can_outvote_a_majority_and_ties_decide_nothing() {
        let opinions = [
            opinion(Some("approve")),
            opinion(Some("approve")),
            opinion(Some("reject")),
        ];
        let heavy = BTreeMap::from([(opinions[2].agent_id, 3.0)]);
        assert_eq!(
            decide(&ConsensusRule::Weighted(heavy), &opinions).as_deref(),
            Some("reject")
        );
        let tie = BTreeMap::from([(opinions[2].agent_id, 2.0)]);
        assert_eq!(decide(&ConsensusRule::Weighted(tie), &opinions), None);
    }
}
