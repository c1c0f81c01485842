//! Support links: the query parameters that preset the page (`target`, `protocols`,
//! `checks`, `watch`, `every`, `companion`, `profile`), read with every bad value named and ignored
//! whole (never half-applied), and built back from the current settings by "Copy support
//! link". They only prefill: nothing connects until the user presses a button.

use crate::idle::{CompanionMode, IdleSettings, MAX_IDLE_LIMIT_MS, MIN_IDLE_MS};
use crate::profile::{ProfileChoice, ProfileKind};
use crate::report::CheckKind;
use crate::settings::parse_seconds;
use crate::target::{check_target, parse_subprotocols, without_secret_values};

/// The shortest heartbeat a link may set (the experiment's own floor).
const MIN_EVERY_MS: u64 = 500;

/// What a link presets. A field is `None` (or empty) when absent or refused.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkPresets {
    /// The target (`target=`), checked.
    pub target: Option<String>,
    /// The subprotocols field's text (`protocols=`), checked.
    pub protocols: Option<String>,
    /// The checks to run (`checks=idle`): a link with them opens the end user's view.
    pub checks: Vec<CheckKind>,
    /// The idle experiment's time watched, ms (`watch=` in seconds).
    pub watch_ms: Option<u64>,
    /// The idle experiment's heartbeat, ms (`every=` in seconds).
    pub every_ms: Option<u64>,
    /// Whether to offer the companion (`companion=auto|on|off`).
    pub companion: Option<CompanionMode>,
    /// The application protocol to speak (`profile=auto|raw|socketio|graphql-ws|...`).
    pub profile: Option<ProfileChoice>,
    /// Each refused value, in a sentence that says what was wrong and that it was ignored.
    pub problems: Vec<String>,
}

impl LinkPresets {
    /// Reads the presets; `get(name)` is the link's query parameter `name`, if any.
    /// `page_is_https` decides whether a ws:// target is refused as mixed content.
    pub fn read(get: impl Fn(&str) -> Option<String>, page_is_https: bool) -> LinkPresets {
        let mut presets = LinkPresets::default();
        let mut problems = Vec::new();
        let value = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        if let Some(target) = value("target") {
            match check_target(&target, page_is_https) {
                Ok(_) => presets.target = Some(target.trim().to_string()),
                Err(err) => problems.push(presets_problem("target", err.to_string())),
            }
        }
        if let Some(protocols) = value("protocols") {
            match parse_subprotocols(&protocols) {
                Ok(_) => presets.protocols = Some(protocols),
                Err(why) => problems.push(presets_problem("protocols", why)),
            }
        }
        if let Some(checks) = value("checks") {
            match read_checks(&checks) {
                Ok(kinds) => presets.checks = kinds,
                Err(why) => problems.push(presets_problem("checks", why)),
            }
        }
        if let Some(watch) = value("watch") {
            match parse_seconds("watch", &watch) {
                Ok(ms) if (MIN_IDLE_MS..=MAX_IDLE_LIMIT_MS).contains(&ms) => {
                    presets.watch_ms = Some(ms);
                }
                Ok(_) => problems.push(presets_problem(
                    "watch",
                    format!(
                        "from {} s to {} s",
                        MIN_IDLE_MS / 1000,
                        MAX_IDLE_LIMIT_MS / 1000
                    ),
                )),
                Err(why) => problems.push(presets_problem("watch", why)),
            }
        }
        if let Some(every) = value("every") {
            match parse_seconds("every", &every) {
                Ok(ms) if ms >= MIN_EVERY_MS => presets.every_ms = Some(ms),
                Ok(_) => problems.push(presets_problem("every", "at least 0.5 s".into())),
                Err(why) => problems.push(presets_problem("every", why)),
            }
        }
        if let (Some(watch), Some(every)) = (presets.watch_ms, presets.every_ms)
            && every >= watch
        {
            presets.every_ms = None;
            problems.push(presets_problem(
                "every",
                "the heartbeat must be shorter than the time watched (watch)".into(),
            ));
        }
        if let Some(companion) = value("companion") {
            match CompanionMode::from_name(companion.trim()) {
                Some(mode) => presets.companion = Some(mode),
                None => problems.push(presets_problem(
                    "companion",
                    format!("\"{}\" is not auto, on or off", companion.trim()),
                )),
            }
        }
        if let Some(profile) = value("profile") {
            match ProfileChoice::from_name(&profile) {
                Some(choice) => presets.profile = Some(choice),
                None => problems.push(presets_problem(
                    "profile",
                    format!(
                        "\"{}\" is not auto, {}",
                        profile.trim(),
                        ProfileKind::ALL.map(ProfileKind::name).join(", ")
                    ),
                )),
            }
        }
        presets.problems = problems;
        presets
    }

    /// The idle experiment's settings with this link's presets applied over `base`.
    pub fn idle_settings(&self, base: IdleSettings) -> IdleSettings {
        IdleSettings {
            max_idle_ms: self.watch_ms.unwrap_or(base.max_idle_ms),
            heartbeat_ms: self.every_ms.unwrap_or(base.heartbeat_ms),
            companion: self.companion.unwrap_or(base.companion),
            ..base
        }
    }
}

fn presets_problem(name: &str, why: String) -> String {
    format!("The link's {name}= was ignored: {why}.")
}

/// Reads `idle,sleep`: every name must be a check this version runs, else none is taken.
fn read_checks(text: &str) -> Result<Vec<CheckKind>, String> {
    let mut kinds = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(kind) = CheckKind::from_name(&name.to_ascii_lowercase()) else {
            let known: Vec<&str> = CheckKind::ALL.iter().map(|k| k.name()).collect();
            return Err(format!(
                "\"{name}\" is not a check (known: {})",
                known.join(", ")
            ));
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err("no check named".into());
    }
    Ok(kinds)
}

/// What "Copy support link" puts in a link.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SupportLink {
    /// The page's address without query or fragment (`https://diag.example.com/`).
    pub page: String,
    /// The target.
    pub target: String,
    /// Keep the target's secret values (the user chose to include them).
    pub include_secrets: bool,
    /// The subprotocols field's text.
    pub protocols: String,
    /// The checks to run.
    pub checks: Vec<CheckKind>,
    /// The idle experiment's time watched, ms.
    pub watch_ms: u64,
    /// Its heartbeat, ms.
    pub every_ms: u64,
    /// Whether to offer the companion.
    pub companion: CompanionMode,
    /// The application protocol the console speaks.
    pub profile: ProfileChoice,
}

impl SupportLink {
    /// The link: the page with the presets as query parameters (secret values left out
    /// unless included).
    pub fn to_url(&self) -> String {
        let target = if self.include_secrets {
            self.target.trim().to_string()
        } else {
            without_secret_values(self.target.trim())
        };
        let checks: Vec<&str> = self.checks.iter().map(|k| k.name()).collect();
        let mut pairs = vec![("target", target)];
        if !self.protocols.trim().is_empty() {
            pairs.push(("protocols", self.protocols.trim().to_string()));
        }
        pairs.push(("checks", checks.join(",")));
        pairs.push(("watch", seconds_text(self.watch_ms)));
        pairs.push(("every", seconds_text(self.every_ms)));
        if self.companion != CompanionMode::Auto {
            pairs.push(("companion", self.companion.name().to_string()));
        }
        if self.profile != ProfileChoice::Detect {
            pairs.push(("profile", self.profile.name().to_string()));
        }
        let query: Vec<String> = pairs
            .iter()
            .map(|(name, value)| format!("{name}={}", encode_query_value(value)))
            .collect();
        let page = self.page.split(['?', '#']).next().unwrap_or_default();
        format!("{page}?{}", query.join("&"))
    }
}

/// Milliseconds as the seconds a link carries ("2", "0.5").
fn seconds_text(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        (ms / 1000).to_string()
    } else {
        format!("{}", ms as f64 / 1000.0)
    }
}

/// `value` percent-encoded for a query string (unreserved characters kept).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&str, &str)]) -> LinkPresets {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LinkPresets::read(|name| map.get(name).cloned(), false)
    }

    #[test]
    fn a_full_support_link_presets_everything() {
        let presets = read(&[
            ("target", "wss://app.example/ws?room=7"),
            ("protocols", "graphql-transport-ws"),
            ("checks", "idle"),
            ("watch", "90"),
            ("every", "2.5"),
            ("companion", "off"),
        ]);
        assert_eq!(presets.problems, Vec::<String>::new());
        assert_eq!(
            presets.target.as_deref(),
            Some("wss://app.example/ws?room=7")
        );
        assert_eq!(presets.protocols.as_deref(), Some("graphql-transport-ws"));
        assert_eq!(presets.checks, [CheckKind::Idle]);
        let settings = presets.idle_settings(IdleSettings::default());
        assert_eq!(settings.max_idle_ms, 90_000);
        assert_eq!(settings.heartbeat_ms, 2_500);
        assert_eq!(settings.companion, CompanionMode::Off);
    }

    #[test]
    fn each_bad_value_is_named_and_ignored_whole() {
        let presets = read(&[
            ("target", "http://app.example/ws"),
            ("checks", "idle,nap"),
            ("watch", "1"),
            ("every", "soon"),
            ("companion", "maybe"),
        ]);
        assert_eq!(presets.target, None);
        assert!(presets.checks.is_empty(), "idle is not half-applied");
        assert_eq!((presets.watch_ms, presets.every_ms), (None, None));
        assert_eq!(presets.companion, None);
        let problems = presets.problems.join("\n");
        for needle in [
            "target= was ignored: That is a web page address",
            "checks= was ignored: \"nap\" is not a check",
            "watch= was ignored: from 2 s to 900 s",
            "every= was ignored: every: \"soon\" is not a number",
            "companion= was ignored: \"maybe\" is not auto, on or off",
        ] {
            assert!(problems.contains(needle), "{needle}\n{problems}");
        }
    }

    #[test]
    fn a_heartbeat_as_long_as_the_time_watched_is_refused() {
        let presets = read(&[("watch", "10"), ("every", "10")]);
        assert_eq!(presets.watch_ms, Some(10_000));
        assert_eq!(presets.every_ms, None);
        assert!(presets.problems[0].contains("shorter than the time watched"));
    }

    #[test]
    fn a_ws_target_from_an_https_page_is_refused_as_mixed_content() {
        let presets = LinkPresets::read(
            |n| (n == "target").then(|| "ws://a.example/".to_string()),
            true,
        );
        assert_eq!(presets.target, None);
        assert!(presets.problems[0].contains("mixed content"));
    }

    #[test]
    fn an_empty_link_presets_nothing_and_complains_about_nothing() {
        assert_eq!(read(&[]), LinkPresets::default());
        assert_eq!(read(&[("target", "  ")]), LinkPresets::default());
    }

    #[test]
    fn the_support_link_leaves_secrets_out_unless_included_and_reads_back_the_same() {
        let mut link = SupportLink {
            page: "https://diag.example/?old=1#x".into(),
            target: "wss://app.example/ws?token=sekrit&room=a/b".into(),
            include_secrets: false,
            protocols: "v1.chat, v2".into(),
            checks: vec![CheckKind::Idle],
            watch_ms: 90_000,
            every_ms: 2_500,
            companion: CompanionMode::On,
            profile: ProfileChoice::Fixed(ProfileKind::SocketIo),
        };
        let url = link.to_url();
        assert!(url.starts_with("https://diag.example/?target="), "{url}");
        assert!(!url.contains("sekrit"), "{url}");
        assert!(url.contains("token%3D%26room"), "{url}");
        assert!(
            url.contains("&checks=idle&watch=90&every=2.5&companion=on&profile=socketio"),
            "{url}"
        );
        link.include_secrets = true;
        assert!(link.to_url().contains("sekrit"));
        // Read back as the page would (the browser decodes the query).
        let query = url.split_once('?').unwrap().1;
        let decoded: HashMap<String, String> = query
            .split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap();
                (k.to_string(), crate::target::percent_decode(v))
            })
            .collect();
        let presets = LinkPresets::read(|n| decoded.get(n).cloned(), true);
        assert_eq!(presets.problems, Vec::<String>::new());
        assert_eq!(presets.checks, [CheckKind::Idle]);
        assert_eq!(presets.protocols.as_deref(), Some("v1.chat, v2"));
        assert_eq!(presets.companion, Some(CompanionMode::On));
        assert_eq!(presets.every_ms, Some(2_500));
        assert_eq!(
            presets.profile,
            Some(ProfileChoice::Fixed(ProfileKind::SocketIo))
        );
    }

    #[test]
    fn an_unknown_profile_is_named_and_ignored() {
        let presets = read(&[("profile", "stomp")]);
        assert_eq!(presets.profile, None);
        assert_eq!(presets.problems.len(), 1);
        assert!(presets.problems[0].contains("\"stomp\" is not auto, raw, socketio"));
        assert_eq!(
            read(&[("profile", "graphql-ws")]).profile,
            Some(ProfileChoice::Fixed(ProfileKind::GraphqlWs))
        );
    }
}
