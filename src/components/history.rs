//! The reconnection history: a timeline of connection segments, labelled by close code,
//! with the waits between them, the spans when the page was hidden shaded and the page's
//! other moments (offline, frozen, slept, reloaded) marked; and a table of every attempt.

use leptos::prelude::*;
use wsdoctor_core::close_code;
use wsdoctor_core::page_marks::PageMarks;
use wsdoctor_core::supervisor::Attempt;

use super::format::seconds;
use crate::session::Console;

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 56.0;

/// The history of connection attempts.
#[component]
pub fn ReconnectHistory() -> impl IntoView {
    let console = expect_context::<Console>();
    let history = console.history();
    let marks = console.page_marks();
    view! {
        <section class="card history" aria-labelledby="history-heading" data-testid="history">
            <h2 id="history-heading">"Reconnection history"</h2>
            {move || {
                let attempts = history.get();
                if attempts.is_empty() {
                    view! { <p class="muted">"No connection yet."</p> }.into_any()
                } else {
                    view! {
                        <Timeline attempts=attempts.clone() marks=marks.get() />
                        <p class="muted legend">
                            "Bars: connections, labelled with their close code. Shaded: the page was hidden. Ticks: offline, online, frozen, slept, reloaded (hover or focus for details)."
                        </p>
                        <AttemptTable attempts=attempts />
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// A CSS class for a close code's kind, so styles can tell them apart (the code is
/// always written out too: colour is never the only signal).
fn code_class(code: Option<u16>) -> &'static str {
    match code {
        None => "seg-open",
        Some(1000) => "seg-normal",
        Some(1006) => "seg-abnormal",
        Some(1001 | 1012 | 1013) => "seg-restart",
        Some(_) => "seg-other",
    }
}

/// A short text for a mark, so that its kind never rests on colour alone.
fn mark_symbol(kind: &str) -> &'static str {
    match kind {
        "offline" => "off",
        "online" => "on",
        "page-frozen" => "frz",
        "page-resumed" => "res",
        "clock-jump" => "zz",
        "restored" => "reload",
        "page-hide" => "left",
        "page-show" => "back",
        _ => "•",
    }
}

/// Connection segments on one line, from the first attempt to the last event.
#[component]
fn Timeline(
    /// The attempts to draw.
    attempts: Vec<Attempt>,
    /// The page's hidden spans and marks.
    marks: PageMarks,
) -> impl IntoView {
    let start = attempts.first().map_or(0.0, |a| a.started);
    let end = attempts
        .iter()
        .map(|a| {
            a.ended
                .unwrap_or(a.started)
                .max(a.opened.unwrap_or(a.started))
        })
        .chain(marks.hidden().filter_map(|span| span.to))
        .chain(marks.marks().map(|mark| mark.at))
        .fold(start + 1.0, f64::max);
    // An open connection at the end gets room to show: at least a tenth of the width.
    let still_open = attempts
        .last()
        .is_some_and(|a| a.ended.is_none() && a.opened.is_some());
    let end = if still_open {
        end + (end - start) / 9.0 + 1.0
    } else {
        end
    };
    let x = move |t: f64| (t - start) / (end - start) * WIDTH;
    let segments = attempts
        .iter()
        .map(|a| {
            let from = x(a.opened.unwrap_or(a.started));
            // A connection still open runs to the right edge: it goes on now.
            let to = a.ended.map_or(WIDTH, x).max(from + 2.0);
            let label = a.code.map_or_else(|| "open".to_string(), |c| c.to_string());
            let data_code = label.clone();
            let title = format!(
                "connection {}: {}",
                a.conn,
                a.code.map_or_else(
                    || "still open".to_string(),
                    |c| format!("closed {c} {}", close_code::info(c).name)
                )
            );
            view! {
                <g data-testid="timeline-segment" data-code=data_code>
                    <title>{title}</title>
                    <rect x=from y=8.0 width=to - from height=18.0 class=code_class(a.code) />
                    <text x=from + 2.0 y=40.0 class="seg-label">{label}</text>
                </g>
            }
        })
        .collect_view();
    let in_range = move |t: f64| t >= start && t <= end;
    let hidden = marks
        .hidden()
        .filter(|span| span.to.unwrap_or(end) >= start && span.from <= end)
        .map(|span| {
            let from = x(span.from.max(start));
            let to = x(span.to.unwrap_or(end).min(end)).max(from + 2.0);
            let title = format!(
                "page hidden from {} to {}",
                seconds(span.from),
                span.to.map_or_else(|| "now".to_string(), seconds)
            );
            view! {
                <rect data-testid="hidden-span" x=from y=0.0 width=to - from height=30.0 class="hidden-span">
                    <title>{title}</title>
                </rect>
            }
        })
        .collect_view();
    let ticks = marks
        .marks()
        .filter(|mark| in_range(mark.at))
        .map(|mark| {
            let at = x(mark.at);
            view! {
                <g data-testid="page-mark" data-kind=mark.kind.clone() tabindex="0">
                    <title>{format!("{}: {}", seconds(mark.at), mark.label)}</title>
                    <line x1=at y1=0.0 x2=at y2=30.0 class=format!("mark mark-{}", mark.kind) />
                    <text x=at y=54.0 class="mark-label">{mark_symbol(&mark.kind)}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <div class="timeline-scroll">
        <svg
            class="timeline"
            viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            role="img"
            aria-label=format!("{} connection attempts over {}", attempts.len(), seconds(end - start))
        >
            {hidden}
            <line x1=0.0 y1=17.0 x2=WIDTH y2=17.0 class="wait-line" />
            {segments}
            {ticks}
        </svg>
        </div>
    }
}

/// One row per attempt.
#[component]
fn AttemptTable(
    /// The attempts to list.
    attempts: Vec<Attempt>,
) -> impl IntoView {
    let rows = attempts
        .into_iter()
        .map(|a| {
            let latency = a.opened.map_or_else(
                || "never opened".into(),
                |o| format!("{:.0} ms", o - a.started),
            );
            let lifetime = match (a.opened, a.ended) {
                (Some(o), Some(e)) => seconds(e - o),
                (Some(_), None) => "open".into(),
                _ => "—".into(),
            };
            let close = match a.code {
                Some(code) => format!("{code} {} {}", close_code::info(code).name, a.reason),
                None if a.ended.is_some() => a.reason.clone(),
                None => String::new(),
            };
            let wait = a
                .next_delay_ms
                .map_or_else(String::new, |d| seconds(d as f64));
            view! {
                <tr data-testid="attempt-row">
                    <td>{a.conn.to_string()}</td>
                    <td>{seconds(a.started)}</td>
                    <td>{latency}</td>
                    <td>{lifetime}</td>
                    <td>{close}</td>
                    <td>{wait}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table data-testid="attempts">
                <thead>
                    <tr>
                        <th scope="col">"Connection"</th>
                        <th scope="col">"Started"</th>
                        <th scope="col">"Open after"</th>
                        <th scope="col">"Lifetime"</th>
                        <th scope="col">"Close"</th>
                        <th scope="col">"Wait before next"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
