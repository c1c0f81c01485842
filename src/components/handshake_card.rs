//! The handshake card: several opens in a row to the target above, timed; what the
//! server negotiated; with wsdoctor-server, what it saw of the upgrade (headers an
//! intermediary added, with the caveat that none proves nothing); and a failure in its
//! class, with how to tell the hidden causes apart by hand.

use leptos::prelude::*;
use wsdoctor_core::checks::handshake::{HandshakeResult, HandshakeSettings};
use wsdoctor_core::report::handshake_check;
use wsdoctor_core::target::parse_subprotocols;

use super::data::check_json;
use crate::session::{HandshakeCardView, HandshakeRunner, Support};

/// The card. `target` and `protocols` are shared with the console's form.
#[component]
pub fn HandshakeCard(
    /// The target to open.
    target: RwSignal<String>,
    /// The subprotocols field's text.
    protocols: RwSignal<String>,
) -> impl IntoView {
    let runner = expect_context::<HandshakeRunner>();
    let companion = expect_context::<Support>().companion_mode();
    let view = runner.view();
    let running = move || view.with(|v| v.running);
    let on_start = move |_| {
        let settings = HandshakeSettings {
            subprotocols: parse_subprotocols(&protocols.get_untracked()).unwrap_or_default(),
            companion,
            ..HandshakeSettings::default()
        };
        runner.start(&target.get_untracked(), settings);
    };
    view! {
        <section class="card" aria-labelledby="handshake-heading" data-testid="handshake-card">
            <h2 id="handshake-heading">"Handshake and who is in between"</h2>
            <p class="muted">
                "Opens the target above five times in a row and times each open. Against wsdoctor-server it also shows what the server saw of the upgrade: headers that something between you and the server added."
            </p>
            <button type="button" data-testid="handshake-start" disabled=running on:click=on_start>
                "Check the handshake"
            </button>
            <p role="status" data-testid="handshake-status">{move || view.with(status)}</p>
            {move || view.with(|v| v.result.clone()).map(|r| view! { <HandshakeFindings result=r /> })}
        </section>
    }
    .into_any()
}

fn status(v: &HandshakeCardView) -> String {
    match (&v.result, v.running) {
        (None, true) => format!("Opening {} of {}…", v.progress.0 + 1, v.progress.1),
        (Some(_), _) => "Done.".into(),
        (None, false) => String::new(),
    }
}

/// The result in words.
#[component]
fn HandshakeFindings(result: HandshakeResult) -> impl IntoView {
    let mut lines: Vec<String> = Vec::new();
    if let Some(failure) = &result.failure {
        lines.extend(failure.explained());
    }
    if let Some((min, median, max)) = result.latency_ms {
        lines.push(format!(
            "{} of {} opens succeeded; open time {min} ms fastest, {median} ms median, {max} ms slowest.",
            result
                .opens
                .iter()
                .filter(|o| matches!(o, wsdoctor_core::checks::handshake::OpenOutcome::Opened { .. }))
                .count(),
            result.opens.len()
        ));
        lines.push(format!(
            "Subprotocol: {}; extensions: {}.",
            if result.protocol.is_empty() {
                "none"
            } else {
                &result.protocol
            },
            if result.extensions.is_empty() {
                "none"
            } else {
                &result.extensions
            }
        ));
    }
    let headers: Vec<String> = result
        .server_saw
        .as_ref()
        .map(|saw| {
            saw.proxy_headers
                .iter()
                .map(|h| format!("{}: {}", h.name, h.value))
                .collect()
        })
        .unwrap_or_default();
    if let Some(saw) = &result.server_saw {
        lines.push(format!(
            "The server saw the connection come from {}.",
            saw.client_addr
        ));
        if headers.is_empty() {
            lines.push(
                "No header that an intermediary adds reached the server. That proves nothing: a proxy that tunnels (CONNECT) adds none."
                    .into(),
            );
        }
    }
    if result.compression_stripped == Some(true) {
        lines.push(
            "This browser offered compression (permessage-deflate) but the server received no offer: something in between removed Sec-WebSocket-Extensions."
                .into(),
        );
    }
    let failed = result.failure.is_some();
    let data = check_json(&handshake_check(&result));
    view! {
        <div class="verdict" data-testid="handshake-result" data-failure=failed.to_string() data-result=data>
            <ul class="findings">
                {lines.into_iter().map(|l| view! { <li data-testid="handshake-finding">{l}</li> }).collect_view()}
            </ul>
            <Show when={
                let any = !headers.is_empty();
                move || any
            }>
                <p>"Something between you and the server added these headers:"</p>
            </Show>
            <ul data-testid="handshake-proxy-headers">
                {headers.into_iter().map(|h| view! { <li><code>{h}</code></li> }).collect_view()}
            </ul>
        </div>
    }
    .into_any()
}
