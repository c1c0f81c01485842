//! Who the client is: the TCP peer, unless the peer is a proxy the server was told to
//! trust (`--trusted-proxy`). Behind such a proxy every connection comes from the
//! proxy's address, so limits per client would cap the whole site; the client is then
//! the rightmost `X-Forwarded-For` address that is not itself a trusted proxy. Never the
//! leftmost: a client can send any `X-Forwarded-For` it likes, and proxies append.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// The client's address for a connection from `peer` with `headers`.
pub fn client_address(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.ip();
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .map(|entry| entry.parse::<IpAddr>().ok())
        .collect::<Option<Vec<_>>>()
        // A malformed entry: nothing after it can be believed either.
        .unwrap_or_default();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    const PROXY: &str = "127.0.0.1:5000";

    #[test]
    fn without_a_trusted_proxy_the_peer_is_the_client_whatever_it_claims() {
        let peer: SocketAddr = "203.0.113.9:4000".parse().unwrap();
        let claimed = headers(&["198.51.100.1"]);
        assert_eq!(client_address(peer, &claimed, &[]), peer.ip());
        let trusted = ["127.0.0.1".parse().unwrap()];
        assert_eq!(client_address(peer, &claimed, &trusted), peer.ip());
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_forwarded_address_is_the_client() {
        let trusted: Vec<IpAddr> = vec!["127.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        let peer: SocketAddr = PROXY.parse().unwrap();
        // The client forged the first entry; nginx appended the real one.
        let forged = headers(&["1.2.3.4, 198.51.100.7"]);
        assert_eq!(
            client_address(peer, &forged, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // Two proxies in a row, the inner one trusted: skip it.
        let chain = headers(&["198.51.100.7", "10.0.0.2"]);
        assert_eq!(
            client_address(peer, &chain, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // No header, or garbage: the proxy itself (safe: all share its limit).
        assert_eq!(client_address(peer, &headers(&[]), &trusted), peer.ip());
        assert_eq!(
            client_address(peer, &headers(&["not-an-ip"]), &trusted),
            peer.ip()
        );
    }
}
