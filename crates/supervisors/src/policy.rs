//! Restart policy, as in OTP: a strategy per subtree, restarts with exponential backoff
//! and jitter, and an intensity limit — more than `max_restarts` within `window` and
//! the supervisor gives up on the child (the agent is disabled) and escalates.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Which children restart when one fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Only the failed child (the default).
    OneForOne,
    /// Every child of the subtree.
    OneForAll,
    /// The failed child and every child started after it.
    RestForOne,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartPolicy {
    pub strategy: Strategy,
    /// Restarts allowed within `window`; one more and the supervisor gives up.
    pub max_restarts: u32,
    pub window: Duration,
    /// The delay before the second restart in a window; it doubles after that. The
    /// first restart is immediate.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            strategy: Strategy::OneForOne,
            max_restarts: 5,
            window: Duration::from_secs(60),
            base_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// What a supervisor does about one failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Restart after `delay`; this is restart number `restarts` within the window.
    Restart { delay: Duration, restarts: u32 },
    /// The intensity limit is exceeded: stop restarting and escalate.
    GiveUp { restarts: u32 },
}

/// The recent restarts of one child (or subtree).
#[derive(Clone, Debug, Default)]
pub struct RestartHistory {
    restarts: VecDeque<Instant>,
    total: u32,
}

impl RestartHistory {
    /// Records a failure at `now` and decides.
    pub fn record_failure(&mut self, policy: &RestartPolicy, now: Instant) -> Decision {
        while self
            .restarts
            .front()
            .is_some_and(|at| now.duration_since(*at) > policy.window)
        {
            self.restarts.pop_front();
        }
        let in_window = self.restarts.len() as u32;
        if in_window >= policy.max_restarts {
            return Decision::GiveUp {
                restarts: in_window,
            };
        }
        self.restarts.push_back(now);
        self.total += 1;
        Decision::Restart {
            delay: backoff(policy, in_window),
            restarts: in_window + 1,
        }
    }

    /// Every restart since the child was first started.
    pub fn total(&self) -> u32 {
        self.total
    }
}

/// 0 for the first restart in a window, then `base × 2^(n−1)` capped at `max`, with
/// ±25 % jitter so that children failing together do not restart in lockstep.
fn backoff(policy: &RestartPolicy, previous_restarts: u32) -> Duration {
    if previous_restarts == 0 {
        return Duration::ZERO;
    }
    let exponent = (previous_restarts - 1).min(20);
    let delay = policy
        .base_backoff
        .saturating_mul(1 << exponent)
        .min(policy.max_backoff);
    let jitter = rand::random_range(0.75..=1.25);
    delay.mul_f64(jitter).min(policy.max_backoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_restart_is_immediate_then_backoff_grows_until_the_limit() {
        let policy = RestartPolicy {
            max_restarts: 3,
            ..RestartPolicy::default()
        };
        let mut history = RestartHistory::default();
        let start = Instant::now();
        assert_eq!(
            history.record_failure(&policy, start),
            Decision::Restart {
                delay: Duration::ZERO,
                restarts: 1
            }
        );
        let Decision::Restart {
            delay: second,
            restarts: 2,
        } = history.record_failure(&policy, start)
        else {
            panic!("expected a second restart")
        };
        assert!(
            second >= policy.base_backoff.mul_f64(0.75)
                && second <= policy.base_backoff.mul_f64(1.25)
        );
        let Decision::Restart { delay: third, .. } = history.record_failure(&policy, start) else {
            panic!("third")
        };
        assert!(
            third >= policy.base_backoff.mul_f64(1.5),
            "doubles: {third:?}"
        );
        assert_eq!(
            history.record_failure(&policy, start),
            Decision::GiveUp { restarts: 3 }
        );
        // Once the window has passed, restarts are allowed again.
        let later = start + policy.window + Duration::from_secs(1);
        assert_eq!(
            history.record_failure(&policy, later),
            Decision::Restart {
                delay: Duration::ZERO,
                restarts: 1
            }
        );
        assert_eq!(history.total(), 4);
    }
}
