//! The "blocked or down" card: is it WebSockets, or the network? A WebSocket and a plain
//! HTTP request to the server that served this page, side by side, and what the pair
//! means. It says why it cannot test another server over plain HTTP.

use leptos::prelude::*;
use wsdoctor_core::checks::blocked::{self, BlockedResult, HttpSide, Verdict, WebSocketSide};
use wsdoctor_core::duration::seconds;
use wsdoctor_core::report::blocked_check;

use super::data::{check_json, serde_name};
use crate::session::{BlockedCardView, BlockedRunner};

/// The card.
#[component]
pub fn BlockedCard() -> impl IntoView {
    let runner = expect_context::<BlockedRunner>();
    let view = runner.view();
    let running = move || view.with(|v| v.running);
    view! {
        <section class="card" aria-labelledby="blocked-heading" data-testid="blocked-card">
            <h2 id="blocked-heading">"WebSockets blocked, or the network down?"</h2>
            <p class="muted">
                "Opens a WebSocket to the wsdoctor-server that served this page, then sends it a plain HTTP request on the same path. If HTTP gets through and the WebSocket does not, something in between blocks WebSockets; if neither does, it is the network, DNS, TLS or the server."
            </p>
            <p class="muted">
                "It checks the path to this page's own server, not the target above: the page's security policy (connect-src 'self') and other servers' CORS and CORP rules let it send plain HTTP nowhere else."
            </p>
            <button type="button" data-testid="blocked-start" disabled=running on:click=move |_| runner.start()>
                "Check: blocked or down?"
            </button>
            <p role="status" data-testid="blocked-status">{move || view.with(status)}</p>
            {move || view.with(|v| v.result.clone()).map(|r| view! { <BlockedFindings result=r /> })}
        </section>
    }
    .into_any()
}

fn status(v: &BlockedCardView) -> String {
    match (&v.result, v.under_way) {
        (Some(_), _) => "Done.".into(),
        (None, Some(side)) => format!("Trying {side}…"),
        (None, None) => String::new(),
    }
}

/// The verdict, then each side in words.
#[component]
fn BlockedFindings(result: BlockedResult) -> impl IntoView {
    let headline = blocked::headline(&result);
    let verdict = serde_name(&result.verdict);
    let data = check_json(&blocked_check(&result));
    let lines = side_lines(&result);
    let headers: Vec<String> = match &result.http {
        Some(HttpSide::Companion { seen, .. }) => seen
            .request
            .proxy_headers
            .iter()
            .map(|h| format!("{}: {}", h.name, h.value))
            .collect(),
        _ => Vec::new(),
    };
    let any_headers = !headers.is_empty();
    view! {
        <div class="verdict" data-testid="blocked-result" data-verdict=verdict data-result=data>
            <p data-testid="blocked-verdict"><strong>{headline}</strong></p>
            <ul class="findings">
                {lines.into_iter().map(|l| view! { <li data-testid="blocked-finding">{l}</li> }).collect_view()}
            </ul>
            <Show when=move || any_headers>
                <p>"Something between you and the server added these headers to the plain HTTP request:"</p>
            </Show>
            <ul data-testid="blocked-proxy-headers">
                {headers.into_iter().map(|h| view! { <li><code>{h}</code></li> }).collect_view()}
            </ul>
        </div>
    }
    .into_any()
}

fn side_lines(result: &BlockedResult) -> Vec<String> {
    let mut lines = Vec::new();
    let timeout = seconds(blocked::TIMEOUT_MS);
    if let Some(side) = &result.websocket {
        let how = match side {
            WebSocketSide::Opened {
                latency_ms,
                companion: true,
            } => format!("opened in {latency_ms} ms, and wsdoctor-server answered"),
            WebSocketSide::Opened { latency_ms, .. } => {
                format!("opened in {latency_ms} ms (not wsdoctor-server's companion)")
            }
            WebSocketSide::FailedBeforeOpen { code } => {
                format!("failed before opening (code {code}; the browser does not say why)")
            }
            WebSocketSide::TimedOut => format!("no answer within {timeout}"),
        };
        lines.push(format!("WebSocket to {}: {how}.", result.websocket_url));
    }
    if let Some(side) = &result.http {
        let how = match side {
            HttpSide::Companion { latency_ms, seen } => format!(
                "wsdoctor-server answered in {latency_ms} ms and saw the request come from {}",
                seen.request.client_addr
            ),
            HttpSide::OtherAnswer { status } => {
                format!("answered with status {status}, but not by wsdoctor-server")
            }
            HttpSide::Failed { why } => format!("no answer ({why})"),
            HttpSide::TimedOut => format!("no answer within {timeout}"),
        };
        lines.push(format!("Plain HTTP to {}: {how}.", result.http_url));
    }
    if let Some(HttpSide::Companion { seen, .. }) = &result.http {
        let n = seen.upgrades_without_upgrade_header;
        if n > 0 {
            lines.push(format!(
                "In the last minute the server received {n} WebSocket request{} from your address without the Upgrade header: a proxy in between drops it. The proxy must pass Upgrade and Connection on (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\").",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
    match result.verdict {
        Verdict::UpgradesBlocked => lines.push(
            "Also possible: a firewall or antivirus that inspects traffic and refuses upgrades, or a proxy that answers the upgrade itself with an error. Try another network (a phone's hotspot) to confirm it is this one.".into(),
        ),
        Verdict::NothingAnswers => lines.push(
            "Check that this device is online, that the server's name resolves and its certificate is valid (for https), and that the server is running; reloading this page shows whether plain HTTP works at all.".into(),
        ),
        _ => {}
    }
    lines
}
