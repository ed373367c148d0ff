//! How every supervisor owns its children, written once: a child is what the supervisor
//! knows about it (`spec`), its actor while it runs, and its restart history. A failure
//! is matched to its child by the actor's cell, the child is marked down and the policy
//! decides; a deliberate stop unlinks first (it is not a failure to supervise); on
//! shutdown every running child is stopped. What a supervisor does with a decision —
//! restart now or later, disable, mark an integration `error`, escalate — stays its own.

use std::time::{Duration, Instant};

use companyos_actors::AgentHandle;
use ractor::{ActorCell, ActorRef};

use crate::policy::{Decision, RestartHistory, RestartPolicy};

/// A running child as its supervisor holds it: anything with an actor cell.
pub(crate) trait Running {
    fn cell(&self) -> ActorCell;
}

impl Running for ActorCell {
    fn cell(&self) -> ActorCell {
        self.clone()
    }
}

impl<M> Running for ActorRef<M> {
    fn cell(&self) -> ActorCell {
        self.get_cell()
    }
}

impl Running for AgentHandle {
    fn cell(&self) -> ActorCell {
        self.actor().get_cell()
    }
}

/// How a deliberately stopped child ends.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ending {
    /// At once, whatever it is doing (an agent's task in hand is retried later).
    Kill,
    /// After the message in hand.
    Stop,
}

/// One supervised child.
pub(crate) struct Child<T, A> {
    pub(crate) spec: T,
    pub(crate) actor: Option<A>,
    pub(crate) history: RestartHistory,
}

impl<T, A: Running> Child<T, A> {
    pub(crate) fn new(spec: T) -> Child<T, A> {
        Child {
            spec,
            actor: None,
            history: RestartHistory::default(),
        }
    }

    /// Whether `cell` is this child's running actor.
    pub(crate) fn is(&self, cell: &ActorCell) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|actor| actor.cell().get_id() == cell.get_id())
    }

    /// If `cell` is this child's actor: it is down now, and `policy` decides what next.
    pub(crate) fn failed(&mut self, cell: &ActorCell, policy: &RestartPolicy) -> Option<Decision> {
        if !self.is(cell) {
            return None;
        }
        self.actor = None;
        Some(self.history.record_failure(policy, Instant::now()))
    }

    /// Stops the running actor, if any, unlinked from `supervisor` first so that the
    /// stop is not taken for a failure. Returns whether one was running.
    pub(crate) fn stop(&mut self, supervisor: &ActorCell, ending: Ending, reason: &str) -> bool {
        let Some(actor) = self.actor.take() else {
            return false;
        };
        let cell = actor.cell();
        cell.unlink(supervisor.clone());
        match ending {
            Ending::Kill => cell.kill(),
            Ending::Stop => cell.stop(Some(reason.to_owned())),
        }
        true
    }
}

impl<T, A: Running> Child<T, A> {
    /// Stops the running actor, if any (unlinked first), and waits up to `wait` for it
    /// to finish the message in hand; one that does not is logged and left to end.
    pub(crate) async fn stop_and_wait(
        &mut self,
        supervisor: &ActorCell,
        reason: &str,
        wait: Option<Duration>,
    ) {
        let Some(actor) = self.actor.take() else {
            return;
        };
        let cell = actor.cell();
        cell.unlink(supervisor.clone());
        if let Err(error) = cell.stop_and_wait(Some(reason.to_owned()), wait).await {
            tracing::warn!(actor = %cell.get_id(), %error, "child did not stop in time");
        }
    }
}

/// A supervisor's children, in start order (rest_for_one depends on it).
pub(crate) struct Children<T, A> {
    list: Vec<Child<T, A>>,
}

impl<T, A> Default for Children<T, A> {
    fn default() -> Self {
        Children { list: Vec::new() }
    }
}

impl<T, A: Running> Children<T, A> {
    pub(crate) fn position(&self, mut matches: impl FnMut(&T) -> bool) -> Option<usize> {
        self.list.iter().position(|child| matches(&child.spec))
    }

    pub(crate) fn find(&self, mut matches: impl FnMut(&T) -> bool) -> Option<&Child<T, A>> {
        self.list.iter().find(|child| matches(&child.spec))
    }

    pub(crate) fn find_mut(
        &mut self,
        mut matches: impl FnMut(&T) -> bool,
    ) -> Option<&mut Child<T, A>> {
        self.list.iter_mut().find(|child| matches(&child.spec))
    }

    pub(crate) fn push(&mut self, child: Child<T, A>) -> &mut Child<T, A> {
        self.list.push(child);
        let last = self.list.len() - 1;
        &mut self.list[last]
    }

    pub(crate) fn remove(&mut self, index: usize) -> Child<T, A> {
        self.list.remove(index)
    }

    pub(crate) fn retain_mut(&mut self, keep: impl FnMut(&mut Child<T, A>) -> bool) {
        self.list.retain_mut(keep);
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Child<T, A>> {
        self.list.iter()
    }

    pub(crate) fn iter_mut(&mut self) -> std::slice::IterMut<'_, Child<T, A>> {
        self.list.iter_mut()
    }

    /// The child whose actor `cell` was, now down: its position and `policy`'s decision.
    pub(crate) fn failed(
        &mut self,
        cell: &ActorCell,
        policy: &RestartPolicy,
    ) -> Option<(usize, Decision)> {
        self.list
            .iter_mut()
            .enumerate()
            .find_map(|(index, child)| child.failed(cell, policy).map(|decision| (index, decision)))
    }

    /// Stops every running child, the last started first, waiting up to `wait` for
    /// each to finish the message in hand.
    pub(crate) async fn stop_all_in_turn(
        &mut self,
        supervisor: &ActorCell,
        reason: &str,
        wait: Duration,
    ) {
        for child in self.list.iter_mut().rev() {
            child.stop_and_wait(supervisor, reason, Some(wait)).await;
        }
    }
}

impl<T, A> std::ops::Index<usize> for Children<T, A> {
    type Output = Child<T, A>;
    fn index(&self, index: usize) -> &Child<T, A> {
        &self.list[index]
    }
}

impl<T, A> std::ops::IndexMut<usize> for Children<T, A> {
    fn index_mut(&mut self, index: usize) -> &mut Child<T, A> {
        &mut self.list[index]
    }
}
