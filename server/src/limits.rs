//! Connection slots: how many WebSockets are open in all and per client address.
//!
//! A connection holds a `Slot` for as long as it is open; dropping it frees the place.
//! Beyond a limit the upgrade still completes and the connection is closed at once with
//! 1013 and a reason, because a browser would see a refused upgrade only as a bare 1006.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// Why a connection got no slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The server holds its maximum of connections.
    Total,
    /// This client address holds its maximum.
    PerClient,
}

impl Refusal {
    /// The close reason sent with 1013 (at most 123 bytes).
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Total => "try again later: the server is at its connection limit",
            Refusal::PerClient => "try again later: too many connections from your address",
        }
    }

    /// A label for metrics.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::Total => "total_limit",
            Refusal::PerClient => "per_client_limit",
        }
    }
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
}

/// The shared counts and their limits.
pub struct ConnectionSlots {
    max_total: usize,
    max_per_client: usize,
    counts: Mutex<Counts>,
    freed: Notify,
}

impl ConnectionSlots {
    /// Slots with these limits.
    pub fn new(max_total: usize, max_per_client: usize) -> Arc<ConnectionSlots> {
        Arc::new(ConnectionSlots {
            max_total,
            max_per_client,
            counts: Mutex::new(Counts::default()),
            freed: Notify::new(),
        })
    }

    /// Takes a slot for a connection from `client`, or says which limit is reached.
    pub fn acquire(self: &Arc<Self>, client: IpAddr) -> Result<Slot, Refusal> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.total >= self.max_total {
            return Err(Refusal::Total);
        }
        let mine = counts.per_client.entry(client).or_insert(0);
        if *mine >= self.max_per_client {
            return Err(Refusal::PerClient);
        }
        *mine += 1;
        counts.total += 1;
        Ok(Slot {
            slots: self.clone(),
            client,
        })
    }

    /// How many connections are open.
    pub fn open(&self) -> usize {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).total
    }

    /// Waits until no connection is open, or `within` has passed.
    pub async fn wait_all_closed(&self, within: Duration) {
        let _ = tokio::time::timeout(within, async {
            while self.open() > 0 {
                let freed = self.freed.notified();
                if self.open() == 0 {
                    break;
                }
                freed.await;
            }
        })
        .await;
    }
}

/// One open connection's place; freed on drop.
pub struct Slot {
    slots: Arc<ConnectionSlots>,
    client: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.slots.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.total = counts.total.saturating_sub(1);
        if let Some(mine) = counts.per_client.get_mut(&self.client) {
            *mine -= 1;
            if *mine == 0 {
                counts.per_client.remove(&self.client);
            }
        }
        drop(counts);
        self.slots.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn per_client_limit_leaves_room_for_others() {
        let slots = ConnectionSlots::new(10, 2);
        let _a = slots.acquire(ip(1)).unwrap();
        let _b = slots.acquire(ip(1)).unwrap();
        assert_eq!(slots.acquire(ip(1)).err(), Some(Refusal::PerClient));
        assert!(slots.acquire(ip(2)).is_ok());
    }

    #[test]
    fn total_limit_refuses_everyone_until_a_slot_is_freed() {
        let slots = ConnectionSlots::new(2, 5);
        let a = slots.acquire(ip(1)).unwrap();
        let _b = slots.acquire(ip(2)).unwrap();
        assert_eq!(slots.acquire(ip(3)).err(), Some(Refusal::Total));
        drop(a);
        assert_eq!(slots.open(), 1);
        assert!(slots.acquire(ip(3)).is_ok());
    }

    #[test]
    fn refusal_reasons_fit_a_close_frame() {
        for refusal in [Refusal::Total, Refusal::PerClient] {
            assert!(refusal.reason().len() <= 123);
        }
    }
}
