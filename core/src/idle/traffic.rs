//! Which traffic keeps a connection open on this path, worked out from the probes'
//! fates. Each probe carries bytes in known directions (a server Ping is answered by
//! the browser's Pong, so that probe carries both); each rule a path can follow says
//! which directions re-arm its idle timer; the rules that fit every probe are kept.
//!
//! | rule          | page heartbeats | server messages | server Pings | echoes |
//! | ------------- | --------------- | --------------- | ------------ | ------ |
//! | either way    | open            | open            | open         | open   |
//! | from the page | open            | cut             | open         | open   |
//! | from server   | cut             | open            | open         | open   |
//! | both ways     | cut             | cut             | open         | open   |
//! | nothing       | cut             | cut             | cut          | cut    |
//!
//! A probe that survived rules out every rule that would have cut it (a path never
//! keeps open what it counts as idle). A probe cut despite traffic that a rule says
//! counts is a drop that rule cannot explain; the rules with the fewest such drops
//! win, so one busy probe cut on a flaky path never makes "nothing keeps it open"
//! while another busy probe survived.

use serde::{Deserialize, Serialize};

use super::probe::{Directions, ProbeKind};

/// Which traffic re-arms the idle timer of the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficThatCounts {
    /// Traffic in either direction (nginx, HAProxy's tunnel timeout).
    EitherWay,
    /// Only traffic from the page (a proxy or NAT that counts client bytes).
    FromPage,
    /// Only traffic from the server.
    FromServer,
    /// Traffic both ways: each direction has its own idle timer.
    BothWays,
    /// No traffic: connections are cut whatever they carry (a lifetime limit, or a
    /// path that drops connections).
    Nothing,
}

impl TrafficThatCounts {
    /// Every rule, in the order ties are reported.
    pub const ALL: [TrafficThatCounts; 5] = [
        TrafficThatCounts::EitherWay,
        TrafficThatCounts::FromPage,
        TrafficThatCounts::FromServer,
        TrafficThatCounts::BothWays,
        TrafficThatCounts::Nothing,
    ];

    /// Whether traffic in `directions`, often enough, keeps a connection open.
    pub fn keeps_open(self, directions: Directions) -> bool {
        let Directions {
            from_page,
            from_server,
        } = directions;
        match self {
            TrafficThatCounts::EitherWay => from_page || from_server,
            TrafficThatCounts::FromPage => from_page,
            TrafficThatCounts::FromServer => from_server,
            TrafficThatCounts::BothWays => from_page && from_server,
            TrafficThatCounts::Nothing => false,
        }
    }
}

/// What happened to a busy probe, as evidence about the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Open at the end.
    Survived,
    /// Cut although it had not gone the idle timeout without its own kind of traffic:
    /// that traffic did not count, or something else dropped it.
    CutDespiteTraffic,
    /// Cut after going about the idle timeout without its own traffic (its heartbeat is
    /// slower than the timeout): says nothing about which direction counts.
    CutWhileIdle,
    /// It never carried its traffic (it did not open, or was not configured).
    NotRunning,
}

/// The rules that fit, and the drops they cannot explain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fit {
    /// Every rule that fits best (several when the probes cannot tell them apart;
    /// none when no probe is evidence).
    pub rules: Vec<TrafficThatCounts>,
    /// Probes cut despite traffic the best rule says counts.
    pub unexplained: Vec<ProbeKind>,
}

/// The rules that fit the busy probes' fates best.
pub fn fit(probes: &[(ProbeKind, Fate)]) -> Fit {
    let evidence = probes
        .iter()
        .filter(|(_, fate)| matches!(fate, Fate::Survived | Fate::CutDespiteTraffic));
    if evidence.clone().next().is_none() {
        return Fit {
            rules: Vec::new(),
            unexplained: Vec::new(),
        };
    }
    let candidates: Vec<(TrafficThatCounts, Vec<ProbeKind>)> = TrafficThatCounts::ALL
        .into_iter()
        .filter(|rule| {
            evidence
                .clone()
                .all(|(kind, fate)| *fate != Fate::Survived || rule.keeps_open(kind.directions()))
        })
        .map(|rule| {
            let drops = evidence
                .clone()
                .filter(|(kind, fate)| {
                    *fate == Fate::CutDespiteTraffic && rule.keeps_open(kind.directions())
                })
                .map(|(kind, _)| *kind)
                .collect();
            (rule, drops)
        })
        .collect();
    let fewest = candidates
        .iter()
        .map(|(_, drops)| drops.len())
        .min()
        .unwrap_or(0);
    let best: Vec<&(TrafficThatCounts, Vec<ProbeKind>)> = candidates
        .iter()
        .filter(|(_, drops)| drops.len() == fewest)
        .collect();
    Fit {
        rules: best.iter().map(|(rule, _)| *rule).collect(),
        unexplained: best
            .first()
            .map(|(_, drops)| drops.clone())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Fate::*;
    use ProbeKind::*;
    use TrafficThatCounts::*;

    fn busy(c: Fate, s: Fate, p: Fate, e: Fate) -> Fit {
        fit(&[
            (ClientHeartbeat, c),
            (ServerHeartbeat, s),
            (ServerPing, p),
            (EchoHeartbeat, e),
        ])
    }

    #[test]
    fn each_rule_is_told_apart_by_the_four_busy_probes() {
        let cases = [
            ((Survived, Survived, Survived, Survived), EitherWay),
            ((Survived, CutDespiteTraffic, Survived, Survived), FromPage),
            (
                (CutDespiteTraffic, Survived, Survived, Survived),
                FromServer,
            ),
            (
                (CutDespiteTraffic, CutDespiteTraffic, Survived, Survived),
                BothWays,
            ),
            (
                (
                    CutDespiteTraffic,
                    CutDespiteTraffic,
                    CutDespiteTraffic,
                    CutDespiteTraffic,
                ),
                Nothing,
            ),
        ];
        for ((c, s, p, e), rule) in cases {
            let fit = busy(c, s, p, e);
            assert_eq!(fit.rules, [rule], "{c:?} {s:?} {p:?} {e:?}");
            assert!(fit.unexplained.is_empty(), "{fit:?}");
        }
    }

    #[test]
    fn a_server_ping_survives_a_page_only_path_because_the_pong_is_page_traffic() {
        assert!(FromPage.keeps_open(ServerPing.directions()));
        assert!(!FromPage.keeps_open(ServerHeartbeat.directions()));
        assert!(FromServer.keeps_open(ServerPing.directions()));
        assert!(!FromServer.keeps_open(ClientHeartbeat.directions()));
        assert!(!EitherWay.keeps_open(Silent.directions()));
    }

    #[test]
    fn one_flaky_drop_never_makes_nothing_count_while_another_busy_probe_survived() {
        let fit = busy(Survived, Survived, Survived, CutDespiteTraffic);
        assert_eq!(fit.rules, [EitherWay]);
        assert_eq!(fit.unexplained, [EchoHeartbeat]);

        let fit = busy(CutDespiteTraffic, Survived, CutDespiteTraffic, Survived);
        assert_eq!(fit.rules, [FromServer]);
        assert_eq!(fit.unexplained, [ServerPing]);

        for fates in [
            (
                CutDespiteTraffic,
                CutDespiteTraffic,
                CutDespiteTraffic,
                Survived,
            ),
            (
                Survived,
                CutDespiteTraffic,
                CutDespiteTraffic,
                CutDespiteTraffic,
            ),
        ] {
            let fit = busy(fates.0, fates.1, fates.2, fates.3);
            assert!(!fit.rules.contains(&Nothing), "{fates:?}: {fit:?}");
            assert!(!fit.unexplained.is_empty(), "{fates:?}: {fit:?}");
        }
    }

    #[test]
    fn probes_that_did_not_run_or_were_too_slow_leave_the_rules_open() {
        let fit = fit(&[(EchoHeartbeat, Survived)]);
        assert_eq!(fit.rules, [EitherWay, FromPage, FromServer, BothWays]);

        let fit = busy(NotRunning, Survived, Survived, Survived);
        assert_eq!(fit.rules, [EitherWay, FromServer]);

        let fit = busy(CutWhileIdle, CutWhileIdle, CutWhileIdle, CutWhileIdle);
        assert!(fit.rules.is_empty());
    }
}
