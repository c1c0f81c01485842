//! The HTTP side of the page's "blocked or down" check: `GET /ws?http-check` answers, as
//! JSON, what the server saw of that plain request (client address, headers an
//! intermediary added), and how many WebSocket requests from the same address reached
//! the server lately without their `Upgrade` header: the mark of a proxy that drops it.
//!
//! Those broken upgrades are counted per client address, for a minute, in a table of
//! bounded size (the oldest address goes first), so no client can make it grow.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use wsdoctor_core::protocol::{HTTP_CHECK_SERVICE, HttpSeen};

use crate::upgrade::handshake_view;

/// How long a broken upgrade is remembered.
const REMEMBER: Duration = Duration::from_secs(60);
/// How many client addresses are remembered at most.
const MAX_ADDRESSES: usize = 1024;

/// Broken upgrades seen lately, per client address.
#[derive(Debug, Default)]
pub struct BrokenUpgrades {
    seen: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl BrokenUpgrades {
    /// Notes a WebSocket request from `client` that arrived without `Upgrade`.
    pub fn note(&self, client: IpAddr, now: Instant) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        seen.retain(|_, (_, at)| now.duration_since(*at) < REMEMBER);
        if seen.len() >= MAX_ADDRESSES && !seen.contains_key(&client) {
            let oldest = seen
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(ip, _)| *ip);
            if let Some(oldest) = oldest {
                seen.remove(&oldest);
            }
        }
        let entry = seen.entry(client).or_insert((0, now));
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now;
    }

    /// How many `client` sent within the last minute.
    pub fn count(&self, client: IpAddr, now: Instant) -> u32 {
        self.seen
            .lock()
            .ok()
            .and_then(|seen| {
                seen.get(&client)
                    .filter(|(_, at)| now.duration_since(*at) < REMEMBER)
                    .map(|(count, _)| *count)
            })
            .unwrap_or(0)
    }

    /// How many addresses are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.lock().map_or(0, |seen| seen.len())
    }
}

/// Whether a request that is not a valid upgrade still carries a WebSocket key: a
/// browser's upgrade whose hop-by-hop headers something in between dropped.
pub fn is_broken_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::SEC_WEBSOCKET_KEY)
}

/// The answer to `GET /ws?http-check`.
pub fn answer(
    broken: &BrokenUpgrades,
    peer: SocketAddr,
    client: IpAddr,
    headers: &HeaderMap,
) -> Response {
    let seen = HttpSeen {
        service: HTTP_CHECK_SERVICE.to_string(),
        request: handshake_view(peer, client, headers),
        upgrades_without_upgrade_header: broken.count(client, Instant::now()),
    };
    let body = serde_json::to_string(&seen).unwrap_or_default();
    let mut response = body.into_response();
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_upgrades_are_counted_per_address_for_a_minute() {
        let broken = BrokenUpgrades::default();
        let start = Instant::now();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        broken.note(a, start);
        broken.note(a, start + Duration::from_secs(1));
        assert_eq!(broken.count(a, start + Duration::from_secs(2)), 2);
        assert_eq!(broken.count(b, start + Duration::from_secs(2)), 0);
        assert_eq!(broken.count(a, start + Duration::from_secs(62)), 0);
    }

    #[test]
    fn the_table_never_holds_more_than_its_bound() {
        let broken = BrokenUpgrades::default();
        let start = Instant::now();
        for n in 0..(MAX_ADDRESSES as u32 + 50) {
            let ip: IpAddr = std::net::Ipv4Addr::from(0x0a00_0000 + n).into();
            broken.note(ip, start + Duration::from_millis(u64::from(n)));
        }
        assert_eq!(broken.len(), MAX_ADDRESSES);
        let first: IpAddr = std::net::Ipv4Addr::from(0x0a00_0000).into();
        assert_eq!(broken.count(first, start + Duration::from_secs(1)), 0);
    }
}
