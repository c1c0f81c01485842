//! A report, read-only: from a report link's fragment or a file support dropped on the
//! page. A banner says whose run it was and when, and that it is not live; the panels
//! show the checks (with the idle probes' timeline), why the last connection closed, the
//! connections and the page's life. Every string is rendered as text, never as HTML.

use leptos::prelude::*;
use wsdoctor_core::duration::seconds;
use wsdoctor_core::report::{CheckKind, CheckResult, Report, by_importance};

use super::support_view::CheckLine;
use crate::session::{self, OpenedReport, ShownReport, Support};

/// The read-only report, or why it could not be read.
#[component]
pub fn ReportView() -> impl IntoView {
    let support = expect_context::<Support>();
    let shown = support.opened();
    move || {
        match shown.get() {
        ShownReport::None => ().into_any(),
        ShownReport::Opening => view! {
            <section class="card" data-testid="report-view">
                <p role="status">"Opening the report…"</p>
            </section>
        }
        .into_any(),
        ShownReport::Failed(why) => view! {
            <section class="card" data-testid="report-view" aria-labelledby="report-heading">
                <h2 id="report-heading">"Report"</h2>
                <p role="alert" class="error" data-testid="report-error">
                    "This report cannot be shown: " {why} "."
                </p>
                <button type="button" on:click=move |_| support.close_report()>"Back to wsdoctor"</button>
            </section>
        }
        .into_any(),
        ShownReport::Opened(opened) => view! { <OpenedReportView opened=*opened /> }.into_any(),
    }
    }
}

#[component]
fn OpenedReportView(opened: OpenedReport) -> impl IntoView {
    let support = expect_context::<Support>();
    let OpenedReport { report, source } = opened;
    let Report {
        generated_at,
        app_version,
        target,
        environment,
        checks,
        connections,
        lifecycle,
        findings,
        redacted,
        ..
    } = report;
    let no_connections = connections.is_empty();
    let no_lifecycle = lifecycle.is_empty();
    let ordered: Vec<CheckResult> = by_importance(&checks).into_iter().cloned().collect();
    view! {
        <section class="card report" data-testid="report-view" aria-labelledby="report-heading">
            <h2 id="report-heading">"Report"</h2>
            <p class="banner" role="note" data-testid="report-banner">
                <strong>"Not live. "</strong>
                "A run from " <span data-testid="report-generated-at">{generated_at}</span>
                " by wsdoctor " {app_version} ", opened from " {source}
                ". Nothing here connects."
            </p>
            <p>"Target: " <code data-testid="report-target">{target}</code></p>
            <p class="muted">
                "Page " {environment.page_origin} " · "
                {if environment.online { "online" } else { "offline" }} " · "
                {if environment.companion_detected { "companion detected" } else { "no companion" }}
                " · " {environment.user_agent}
            </p>
            <h3>"Checks"</h3>
            <ul class="summary" data-testid="report-checks">
                {ordered.into_iter().map(|c| view! { <CheckLine result=c /> }).collect_view()}
            </ul>
            {checks
                .into_iter()
                .filter(|c| c.kind == CheckKind::Idle)
                .map(|c| view! { <IdleDetails check=c /> })
                .collect_view()}
            <Show when={
                let empty = findings.is_empty();
                move || !empty
            }>
                <h3>"Why the last connection closed"</h3>
            </Show>
            <ul class="findings" data-testid="report-findings">
                {findings
                    .clone()
                    .into_iter()
                    .map(|f| {
                        let confidence = f.confidence.clone();
                        view! {
                            <li data-testid="report-finding" data-confidence=confidence>
                                <strong>{f.finding}</strong>
                                " (confidence: " {f.confidence} ", connection #" {f.connection} ")"
                                <ul>
                                    {f.evidence.into_iter().map(|e| view! { <li>"Evidence: " {e}</li> }).collect_view()}
                                    {f.advice.into_iter().map(|a| view! { <li>"Advice: " {a}</li> }).collect_view()}
                                </ul>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <h3>"Connections"</h3>
            {no_connections.then(|| view! { <p class="muted">"The console made no connection in this run."</p> })}
            <div class="table-scroll" tabindex="0" role="region" aria-label="Connections (scrolls sideways)">
                <table data-testid="report-connections">
                    <thead>
                        <tr>
                            <th scope="col">"#"</th>
                            <th scope="col">"Started (UTC)"</th>
                            <th scope="col">"Open for"</th>
                            <th scope="col">"Code"</th>
                            <th scope="col">"Clean"</th>
                            <th scope="col">"Reason"</th>
                            <th scope="col">"Server saw"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {connections
                            .into_iter()
                            .map(|c| view! {
                                <tr data-testid="report-connection">
                                    <td>{c.id}</td>
                                    <td>{c.started_at}</td>
                                    <td>{c.lifetime_ms.map_or("-".into(), seconds)}</td>
                                    <td>{c.close_code.map_or("-".into(), |code| code.to_string())}</td>
                                    <td>{c.was_clean.map_or("-", |clean| if clean { "yes" } else { "no" })}</td>
                                    <td data-testid="report-connection-reason">{c.reason}</td>
                                    <td>
                                        {c.server.map_or("-".into(), |s| format!(
                                            "{}{}",
                                            s.closed_by,
                                            s.code.map(|code| format!(" {code}")).unwrap_or_default()
                                        ))}
                                    </td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            <h3>"The page's life"</h3>
            {no_lifecycle.then(|| view! { <p class="muted">"The page stayed visible and online: nothing to note."</p> })}
            <ul data-testid="report-lifecycle">
                {lifecycle
                    .into_iter()
                    .map(|e| view! { <li>{e.at} " " {e.label}</li> })
                    .collect_view()}
            </ul>
            <p class="muted">"Redacted before sharing: " {redacted.join("; ")} "."</p>
            <button type="button" data-testid="report-close" on:click=move |_| support.close_report()>
                "Back to wsdoctor"
            </button>
        </section>
    }
    .into_any()
}

/// The idle check's probes on one time axis, with the verdict's findings and advice.
#[component]
fn IdleDetails(check: CheckResult) -> impl IntoView {
    let details = &check.details;
    let watched = details
        .get("watched_ms")
        .and_then(|v| v.as_u64())
        .unwrap_or(1)
        .max(1);
    let probes: Vec<(String, bool, Option<u64>, Option<u64>)> = details
        .get("probes")
        .and_then(|p| p.as_array())
        .map(|probes| {
            probes
                .iter()
                .map(|p| {
                    (
                        p.get("label")
                            .or_else(|| p.get("name"))
                            .and_then(|l| l.as_str())
                            .unwrap_or("?")
                            .to_string(),
                        p.get("survived").and_then(|s| s.as_bool()).unwrap_or(false),
                        p.get("closed_after_ms").and_then(|c| c.as_u64()),
                        p.get("close_code").and_then(|c| c.as_u64()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let findings = check.lines("findings");
    view! {
        <h3>"Idle timeout: the probes"</h3>
        <ul class="probes" data-testid="report-idle-probes">
            {probes
                .into_iter()
                .map(|(label, survived, after, code)| {
                    let lived = after.unwrap_or(watched).min(watched);
                    let width = lived as f64 / watched as f64 * 100.0;
                    let state = match (survived, after, code) {
                        (true, _, _) => "survived".to_string(),
                        (false, Some(after), Some(code)) => format!("cut after {} ({code})", seconds(after)),
                        (false, Some(after), None) => format!("cut after {}", seconds(after)),
                        (false, None, _) => "did not run".to_string(),
                    };
                    let class = if survived { "bar-fill probe-open" } else { "bar-fill probe-cut" };
                    view! {
                        <li data-testid="report-idle-probe" data-survived=survived.to_string()>
                            <span class="probe-name">{label}</span>
                            <span class="bar-track" aria-hidden="true">
                                <span class=class style:width=format!("{width:.2}%")></span>
                            </span>
                            <span class="probe-state">{state}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <ul class="findings">
            {findings.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}
        </ul>
    }
    .into_any()
}

/// "View a report": choose a report file, or drop one here.
#[component]
pub fn OpenReportFile() -> impl IntoView {
    let support = expect_context::<Support>();
    let over = RwSignal::new(false);
    view! {
        <section
            class=move || if over.get() { "card drop-zone over" } else { "card drop-zone" }
            aria-labelledby="open-report-heading"
            data-testid="open-report"
            on:dragover=move |ev| {
                ev.prevent_default();
                over.set(true);
            }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev| {
                ev.prevent_default();
                over.set(false);
                if let Some(file) = session::dropped_file(&ev) {
                    support.open_file(file);
                }
            }
        >
            <h2 id="open-report-heading">"View a report"</h2>
            <label for="report-file">"A wsdoctor report (JSON): choose it, or drop it on this box"</label>
            <input
                id="report-file"
                type="file"
                accept="application/json,.json"
                data-testid="report-file"
                on:change=move |ev| {
                    if let Some(file) = session::chosen_file(&ev) {
                        support.open_file(file);
                    }
                }
            />
        </section>
    }
    .into_any()
}
