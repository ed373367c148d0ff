//! The memory webhook bodies may hold while they are read: one budget for the node
//! (`webhooks.max_buffered_bytes`), charged as bytes arrive — never for what a request
//! only declares — and shares of it per integration and per client address, so that
//! one tenant's URL or one client cannot take what every other tenant's deliveries
//! need. A body must also keep coming: past a grace period, one that arrives slower
//! than a minimum rate is cut off, so a trickle cannot hold its share for long.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use companyos_store::IntegrationId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget's unit: bytes per permit.
pub(crate) const UNIT: usize = 1024;
/// Keyed shares kept at most; idle ones are dropped past it.
const SHARES_KEPT: usize = 10_000;

/// Why room for more bytes was not given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Short {
    /// The node holds as many webhook bytes as it may.
    Node,
    /// This integration's deliveries hold their share.
    Integration,
    /// This client address holds its share.
    Address,
}

/// Shares of the budget by key, created on first use.
struct Shares<K> {
    units: usize,
    by_key: Mutex<HashMap<K, Arc<Semaphore>>>,
}

impl<K: Eq + Hash + Copy> Shares<K> {
    fn new(units: usize) -> Self {
        Shares {
            units,
            by_key: Mutex::new(HashMap::new()),
        }
    }

    fn of(&self, key: K) -> Arc<Semaphore> {
        let mut by_key = self
            .by_key
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if by_key.len() >= SHARES_KEPT {
            let units = self.units;
            by_key.retain(|_, share| share.available_permits() < units);
        }
        by_key
            .entry(key)
            .or_insert_with(|| Arc::new(Semaphore::new(self.units)))
            .clone()
    }
}

/// The node's budget of buffered webhook bytes and its shares.
pub(crate) struct Budget {
    node: Arc<Semaphore>,
    integrations: Shares<IntegrationId>,
    addresses: Shares<IpAddr>,
    /// After this long, a body must have arrived at `min_rate` at least.
    pub grace: Duration,
    /// Bytes per second.
    pub min_rate: usize,
}

/// The room one request holds: released when it is dropped.
pub(crate) struct Held {
    permits: Vec<OwnedSemaphorePermit>,
    bytes: usize,
    semaphores: [Arc<Semaphore>; 3],
}

impl Budget {
    /// A budget of `max_buffered` bytes; each integration and each client address may
    /// hold a quarter of it, and at least one whole body of `max_body` bytes.
    pub(crate) fn new(max_buffered: usize, max_body: usize) -> Budget {
        let units = max_buffered.div_ceil(UNIT).max(1);
        let share = (units / 4).max(max_body.div_ceil(UNIT)).clamp(1, units);
        Budget {
            node: Arc::new(Semaphore::new(units)),
            integrations: Shares::new(share),
            addresses: Shares::new(share),
            grace: Duration::from_secs(10),
            min_rate: 1024,
        }
    }

    /// Room for a request, nothing held yet.
    pub(crate) fn open(&self, integration: IntegrationId, address: IpAddr) -> Held {
        Held {
            permits: Vec::new(),
            bytes: 0,
            semaphores: [
                self.node.clone(),
                self.integrations.of(integration),
                self.addresses.of(address),
            ],
        }
    }
}

impl Held {
    /// Grows the room to `bytes` (rounded up to whole units), from every budget or none.
    pub(crate) fn grow_to(&mut self, bytes: usize) -> Result<(), Short> {
        if bytes <= self.bytes {
            return Ok(());
        }
        let more = (bytes - self.bytes).div_ceil(UNIT);
        let Ok(more_units) = u32::try_from(more) else {
            return Err(Short::Node);
        };
        let mut taken = Vec::with_capacity(3);
        for (semaphore, short) in
            self.semaphores
                .iter()
                .zip([Short::Node, Short::Integration, Short::Address])
        {
            match semaphore.clone().try_acquire_many_owned(more_units) {
                Ok(permit) => taken.push(permit),
                // What was taken from the others is given back as `taken` drops.
                Err(_) => return Err(short),
            }
        }
        self.permits.extend(taken);
        self.bytes += more * UNIT;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integration(n: u128) -> IntegrationId {
        IntegrationId(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn bytes_are_charged_as_they_arrive_within_each_share() {
        // 96 units for the node; shares of 24 units (a body is at most 16).
        let budget = Budget::new(96 * UNIT, 16 * UNIT);
        let here: IpAddr = [127, 0, 0, 1].into();
        let there: IpAddr = [127, 0, 0, 2].into();
        let mut first = budget.open(integration(1), here);
        first.grow_to(20 * UNIT).expect("within every share");
        let mut second = budget.open(integration(1), there);
        assert_eq!(second.grow_to(8 * UNIT), Err(Short::Integration));
        let mut third = budget.open(integration(2), here);
        assert_eq!(third.grow_to(8 * UNIT), Err(Short::Address));
        let mut other = budget.open(integration(2), there);
        other
            .grow_to(16 * UNIT)
            .expect("another tenant, another client");
        // A refusal takes nothing: the node still has 96 - 20 - 16 units.
        assert_eq!(budget.node.available_permits(), 60);
        drop(first);
        second.grow_to(8 * UNIT).expect("the share was given back");
    }
}
