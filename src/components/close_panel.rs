//! The last close, explained: code, name, reason, wasClean, how long it was open, and
//! the findings with their evidence, advice and the configuration to copy for the
//! system a finding names.

use leptos::prelude::*;
use wsdoctor_core::close_code;
use wsdoctor_core::diagnosis::{Confidence, Finding, ServerSide};
use wsdoctor_core::protocol::ClosedBy;

use super::data::serde_name;
use super::format::seconds;
use super::snippet::SnippetView;
use crate::session::{CloseExplanation, ConsoleView};

/// The explanation of the most recent close.
#[component]
pub fn ClosePanel() -> impl IntoView {
    let last = expect_context::<ConsoleView>().last_close;
    view! {
        <section class="close-panel" aria-labelledby="close-heading" data-testid="close-panel">
            <h3 id="close-heading">"Why it closed"</h3>
            {move || match last.get() {
                None => view! { <p class="muted">"No connection has closed yet."</p> }.into_any(),
                Some(close) => view! { <CloseDetails close=close /> }.into_any(),
            }}
        </section>
    }
}

/// The facts of one close and its findings.
#[component]
fn CloseDetails(
    /// The close to explain.
    close: CloseExplanation,
) -> impl IntoView {
    let info = close_code::info(close.code);
    let open_for = match close.open_for_ms {
        Some(ms) => format!("after {} open", seconds(ms as f64)),
        None => "before it opened".to_string(),
    };
    let reason = if close.reason.is_empty() {
        "(no reason)".to_string()
    } else {
        format!("\"{}\"", close.reason)
    };
    view! {
        <p data-testid="close-summary">
            <strong data-testid="close-code">{close.code}</strong>
            " " <span data-testid="close-name">{info.name.clone()}</span>
            " — reason " {reason}
            ", wasClean " {close.was_clean.to_string()}
            ", " {open_for} " (connection " {close.conn.to_string()} ")"
        </p>
        {close.server.map(|server| view! {
            <p data-testid="close-server-view" data-closed-by=serde_name(&server.by)>
                <strong>"Seen from the server: "</strong>
                {server_saw(&server)}
            </p>
        })}
        <ol class="findings" data-testid="findings">
            {close.findings.into_iter().map(|finding| view! { <FindingItem finding=finding /> }).collect_view()}
        </ol>
    }
}

/// How the companion saw the close, in words.
fn server_saw(server: &ServerSide) -> String {
    let code = server
        .code
        .map_or_else(String::new, |code| format!(" (code {code})"));
    match server.by {
        ClosedBy::None => "no close frame reached it and it sent none: something between the \
                           browser and the server cut the connection."
            .into(),
        ClosedBy::Client => format!("the browser's close frame arrived{code}."),
        ClosedBy::Server => format!("the server closed the connection itself{code}."),
    }
}

/// One finding: confidence in words, the explanation, its evidence and advice.
#[component]
fn FindingItem(
    /// The finding to show.
    finding: Finding,
) -> impl IntoView {
    let confidence = match finding.confidence {
        Confidence::High => "likely",
        Confidence::Medium => "possible",
        Confidence::Low => "in general",
    };
    view! {
        <li data-testid="finding" data-kind=finding.kind.name() data-confidence=confidence class=format!("finding finding-{confidence}")>
            <p><span class="badge">{confidence}</span> " " <span data-testid="finding-title">{finding.title}</span></p>
            <p class="muted">"Evidence: " {finding.evidence.join("; ")}</p>
            <ul>{finding.advice.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}</ul>
            {finding
                .snippets
                .into_iter()
                .map(|snippet| view! { <SnippetView snippet=snippet open=true test_id="finding-snippet" /> })
                .collect_view()}
        </li>
    }
}
