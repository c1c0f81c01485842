//! Property tests: every parser and truncation in core takes arbitrary unicode (and
//! arbitrary sizes) without a panic, and keeps its promise about what it returns.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use wsdoctor_core::event_log::{MessageSummary, PREVIEW_CHARS};
use wsdoctor_core::hex::parse_hex;
use wsdoctor_core::profile::{Mode, ProfileChoice, ProfileKind, ProfileSession};
use wsdoctor_core::protocol::parse_client_message;
use wsdoctor_core::saved::{SAVED_MAX_BYTES, SAVED_VERSION, SavedConsole};
use wsdoctor_core::settings::ConsoleSettings;
use wsdoctor_core::target::{
    MASK, check_target, mask_secrets, mask_secrets_in_text, parse_subprotocols,
    without_secret_values,
};
use wsdoctor_core::text::prefix;

/// Any text, often with multi-byte characters, blanks and controls.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~€😀\u{200b}\u{a0}\t\n]{0,200}",
        "(ws|wss|http)://[a-z0-9.:%\\[\\]€-]{0,20}/[ -~€]{0,40}",
    ]
}

proptest! {
    #[test]
    fn a_prefix_never_splits_a_character_and_never_grows(text in any_text(), max in 0usize..300) {
        let cut = prefix(&text, max);
        prop_assert!(cut.len() <= max || text.len() <= max);
        prop_assert!(text.starts_with(cut));
        prop_assert!(cut.len() + 4 > max.min(text.len()), "at most one character is lost");
    }

    #[test]
    fn a_target_check_never_panics_and_keeps_what_it_accepts(text in any_text(), https in any::<bool>()) {
        if let Ok(url) = check_target(&text, https) {
            prop_assert_eq!(url.as_str(), text.trim());
            let lower = url.to_ascii_lowercase();
            prop_assert!(lower.starts_with("ws://") || lower.starts_with("wss://"));
        }
    }

    #[test]
    fn masking_never_panics_and_hides_every_secret_value(
        text in any_text(),
        name in "(token|api_key|Secret|password|sig|session_id|jwt)",
        encode in proptest::collection::vec(any::<bool>(), 16),
        value in "SECRET[a-zA-Z0-9€_.~-]{1,30}",
    ) {
        let _ = mask_secrets(&text);
        let _ = mask_secrets_in_text(&text);
        // Some of the name's characters percent-encoded, as a link may have them.
        let name: String = name
            .chars()
            .zip(encode.iter().cycle())
            .map(|(c, &e)| if e { format!("%{:02X}", c as u32) } else { c.to_string() })
            .collect();
        let url = format!("wss://example.com/ws?room=7&{name}={value}&x=1");
        let masked = mask_secrets(&url);
        prop_assert!(!masked.contains(&value), "{}", masked);
        prop_assert!(masked.contains(MASK));
        let error = format!("{text} The URL '{url}' is invalid. {text}");
        prop_assert!(!mask_secrets_in_text(&error).contains(&value));
        prop_assert!(!without_secret_values(&url).contains(&value));
    }

    #[test]
    fn hex_reads_back_whatever_bytes_it_was_given(
        bytes in proptest::collection::vec(any::<u8>(), 1..200),
        text in any_text(),
    ) {
        let _ = parse_hex(&text);
        let typed: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        prop_assert_eq!(parse_hex(&typed.join(" ")).unwrap(), bytes);
    }

    #[test]
    fn the_protocol_parser_answers_any_text_without_a_panic(text in any_text()) {
        let _ = parse_client_message(&text);
        let _ = parse_client_message(&format!("{{\"type\":\"configure\",\"tick_every_ms\":{text:?}}}"));
        let _ = parse_client_message(&format!("{{\"type\":\"close\",\"code\":4000,\"reason\":{text:?}}}"));
    }

    #[test]
    fn any_frame_under_any_profile_reads_without_a_panic_and_a_bounded_preview(
        frames in proptest::collection::vec(protocol_frame(), 1..8),
        profile in 1usize..4,
        silent in any::<bool>(),
    ) {
        let mode = if silent { Mode::Silent } else { Mode::LikeTheClient };
        let choice = ProfileChoice::Fixed(ProfileKind::ALL[profile]);
        let mut session = ProfileSession::new(choice, mode, "ws://h/socket.io/?EIO=3");
        session.opened(0.0, "");
        for (at, frame) in frames.iter().enumerate() {
            let (reading, _) = session.received(at as f64, frame);
            let reading = reading.expect("a profile reads every frame");
            // The preview is cut; the reading adds at most its words around it.
            prop_assert!(reading.text.chars().count() <= 3 * PREVIEW_CHARS + 80);
            session.sent(at as f64, frame);
            session.timer(at as f64);
        }
        prop_assert!(session.facts(100.0).is_some());
    }

    #[test]
    fn subprotocols_are_tokens_or_refused(text in any_text()) {
        if let Ok(names) = parse_subprotocols(&text) {
            for name in names {
                prop_assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_graphic()));
            }
        }
    }

    #[test]
    fn a_message_preview_is_a_prefix_of_any_text(text in any_text()) {
        let summary = MessageSummary::text(&text);
        prop_assert!(text.starts_with(&summary.preview));
        prop_assert_eq!(summary.bytes, text.len());
    }

    #[test]
    fn the_saved_console_stays_bounded_and_readable_whatever_the_fields_hold(
        target in any_text(),
        repeat in 0usize..120_000,
        payload in any_text(),
    ) {
        let settings = ConsoleSettings {
            target: format!("{target}{}", "€".repeat(repeat)),
            heartbeat_payload: payload.repeat(1 + repeat / 100),
            ..ConsoleSettings::default()
        };
        let saved = SavedConsole {
            version: SAVED_VERSION,
            saved_wall_ms: 0.0,
            saved_at: 0.0,
            settings,
            history: Vec::new(),
            page: Default::default(),
            log: Vec::new(),
        };
        let json = saved.to_json();
        prop_assert!(json.len() <= SAVED_MAX_BYTES);
        prop_assert!(SavedConsole::from_json(&json, 0.0, 0.0).is_ok());
    }
}

/// Text a hostile server or user could put in a report: markup, quotes, controls.
/// Frames that look like Socket.IO and GraphQL messages, broken in every way, and any text.
fn protocol_frame() -> impl Strategy<Value = String> {
    prop_oneof![
        any_text(),
        "[0-6][0-6]?[0-9-]{0,4}(/[a-z€]{0,1000},)?[0-9]{0,30}[\\[\\]{}\"a-z:,0-9€ ]{0,80}",
        "\\{\"(type|id|payload)\":[\"a-z_{}:, 0-9€\\[\\]]{0,80}",
        "\\{\"type\":\"[a-z€]{0,1000}\",\"id\":\"[a-z0-9€]{0,1000}\"\\}",
        "4[25](1-)?(/[a-z]{0,1000},)?[0-9]{0,3}\\[\"[a-z€]{0,1000}\",\"[a-z]{0,1000}\"\\]",
    ]
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any_text(),
        Just("<img src=x onerror=alert(1)>".to_string()),
        Just("\"}],\"schema_version\":2,{\"".to_string()),
        Just("`![x](http://evil)`\r\n| a | b |".to_string()),
    ]
}

fn any_report() -> impl Strategy<Value = wsdoctor_core::report::Report> {
    use wsdoctor_core::report::{
        CheckKind, CheckResult, CheckStatus, Connection, Environment, LifecycleEvent, Report,
        ReportFinding, SCHEMA_VERSION,
    };
    (
        hostile_text(),
        hostile_text(),
        hostile_text(),
        proptest::option::of(0u16..5000),
        proptest::option::of(any::<bool>()),
        proptest::option::of(0u64..u64::MAX / 2),
        0usize..4,
    )
        .prop_map(
            |(target, summary, reason, code, clean, lifetime, n)| Report {
                schema_version: SCHEMA_VERSION,
                app_version: "0.1.0".into(),
                generated_at: "2026-11-26T14:45:00Z".into(),
                target: target.clone(),
                environment: Environment {
                    user_agent: reason.clone(),
                    ..Environment::default()
                },
                checks: (0..n)
                    .map(|i| CheckResult {
                        kind: CheckKind::ALL[i],
                        status: [
                            CheckStatus::Pass,
                            CheckStatus::Warn,
                            CheckStatus::Fail,
                            CheckStatus::Error,
                        ][i],
                        summary: summary.clone(),
                        details: serde_json::json!({ "findings": [reason.clone()], "n": lifetime }),
                    })
                    .collect(),
                connections: (0..n as u32)
                    .map(|id| Connection {
                        id,
                        url: target.clone(),
                        started_at: "2026-11-26T14:45:00Z".into(),
                        opened_at: None,
                        closed_at: Some("2026-11-26T14:45:01Z".into()),
                        close_code: code,
                        reason: reason.clone(),
                        was_clean: clean,
                        lifetime_ms: lifetime,
                        server: None,
                    })
                    .collect(),
                lifecycle: vec![LifecycleEvent {
                    at: "2026-11-26T14:45:00Z".into(),
                    kind: "hidden".into(),
                    label: summary.clone(),
                }],
                findings: vec![ReportFinding {
                    connection: 1,
                    finding: summary,
                    confidence: "high".into(),
                    evidence: vec![reason.clone()],
                    advice: vec![target],
                }],
                redacted: vec![reason],
            },
        )
}

proptest! {
    #[test]
    fn any_report_reads_back_from_its_json_and_from_base64url(report in any_report()) {
        use wsdoctor_core::report::{base64url_decode, base64url_encode, parse_report};
        prop_assert_eq!(parse_report(&report.to_json()), Ok(report.clone()));
        let compact = report.to_compact_json();
        let text = base64url_encode(compact.as_bytes());
        prop_assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let bytes = base64url_decode(&text).unwrap();
        prop_assert_eq!(parse_report(std::str::from_utf8(&bytes).unwrap()), Ok(report));
    }

    #[test]
    fn markdown_keeps_every_value_on_its_line_in_a_code_span(report in any_report()) {
        let text = wsdoctor_core::report::markdown(&report);
        for line in text.lines() {
            // A value broken onto its own line could start a heading, a list or HTML.
            prop_assert!(!line.starts_with('<'), "{}", line);
        }
        prop_assert_eq!(text.matches('`').count() % 2, 0, "code spans are balanced");
    }

    #[test]
    fn any_bytes_survive_base64url(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        use wsdoctor_core::report::{base64url_decode, base64url_encode};
        prop_assert_eq!(base64url_decode(&base64url_encode(&bytes)), Ok(bytes));
    }

    #[test]
    fn reading_any_text_as_a_report_or_a_link_never_panics(text in hostile_text()) {
        let _ = wsdoctor_core::report::parse_report(&text);
        let _ = wsdoctor_core::report::base64url_decode(&text);
        let presets = wsdoctor_core::link::LinkPresets::read(|_| Some(text.clone()), true);
        // Whatever was accepted is usable; whatever was refused is said.
        prop_assert!(presets.target.is_some() || presets.problems.iter().any(|p| p.contains("target=")) || text.trim().is_empty());
    }
}
