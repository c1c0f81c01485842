//! The reconnection history: a timeline of connection segments, labelled by close code,
//! with the waits between them, the spans when the page was hidden shaded and the page's
//! other moments (offline, frozen, slept, reloaded) marked; and a table of the attempts.
//! What is drawn is bounded (core's `history_view`): the newest segments one by one and
//! the earlier ones summed up, the table a page at a time.

use leptos::prelude::*;
use wsdoctor_core::close_code;
use wsdoctor_core::history_view::{self, Earlier, TIMELINE_SEGMENTS};
use wsdoctor_core::page_marks::PageMarks;
use wsdoctor_core::supervisor::Attempt;

use super::format::seconds;
use crate::session::ConsoleView;

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 56.0;

/// The history of connection attempts.
#[component]
pub fn ReconnectHistory() -> impl IntoView {
    let shown = expect_context::<ConsoleView>();
    let history = shown.history;
    let marks = shown.page_marks;
    // The table's page (0: the newest), kept while new attempts arrive.
    let page = RwSignal::new(0usize);
    view! {
        <section class="card history" aria-labelledby="history-heading" data-testid="history">
            <h2 id="history-heading">"Reconnection history"</h2>
            {move || {
                let attempts = history.get();
                page.track();
                if attempts.is_empty() {
                    view! { <p class="muted">"No connection yet."</p> }.into_any()
                } else {
                    view! {
                        <Timeline attempts=attempts.clone() marks=marks.get() />
                        <p class="muted legend">
                            "Bars: connections, labelled with their close code. Shaded: the page was hidden. Ticks: offline, online, frozen, slept, reloaded (hover or focus for details)."
                        </p>
                        <AttemptTable attempts=attempts page=page />
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
    let (earlier, newest) = history_view::timeline(&attempts);
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
    let summary = earlier.map(|earlier| earlier_segment(&earlier, x(earlier.from), x(earlier.to)));
    let segments = newest
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
    let spans: Vec<_> = marks
        .hidden()
        .filter(|span| span.to.unwrap_or(end) >= start && span.from <= end)
        .collect();
    let hidden = spans[spans.len().saturating_sub(TIMELINE_SEGMENTS)..]
        .iter()
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
    let shown: Vec<_> = marks.marks().filter(|mark| in_range(mark.at)).collect();
    let ticks = shown[shown.len().saturating_sub(TIMELINE_SEGMENTS)..]
        .iter()
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
        <div class="timeline-scroll" tabindex="0" role="region" aria-label="Reconnection timeline (scrolls sideways)">
        <svg
            class="timeline"
            viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            role="img"
            aria-label=format!("{} connection attempts over {}", attempts.len(), seconds(end - start))
        >
            {hidden}
            <line x1=0.0 y1=17.0 x2=WIDTH y2=17.0 class="wait-line" />
            {summary}
            {segments}
            {ticks}
        </svg>
        </div>
    }
}

/// The attempts before the newest, as one bar with their count and close codes.
fn earlier_segment(earlier: &Earlier, from: f64, to: f64) -> impl IntoView + use<> {
    let codes = earlier
        .codes
        .iter()
        .map(|(code, count)| {
            format!(
                "{} ×{count}",
                code.map_or_else(|| "no close".to_string(), |c| c.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <g data-testid="timeline-earlier" data-count=earlier.count>
            <title>{format!("{} earlier connections: {codes}", earlier.count)}</title>
            <rect x=from y=8.0 width=(to - from).max(2.0) height=18.0 class="seg-earlier" />
            <text x=from + 2.0 y=40.0 class="seg-label">{format!("{} earlier", earlier.count)}</text>
        </g>
    }
}

/// The attempts, a page at a time (newest first among pages), with Newer and Older.
#[component]
fn AttemptTable(
    /// The attempts to list.
    attempts: Vec<Attempt>,
    /// The page shown (0: the newest).
    page: RwSignal<usize>,
) -> impl IntoView {
    let total = attempts.len();
    let pages = history_view::pages(total);
    let shown = page.get_untracked().min(pages - 1);
    let range = history_view::page(total, shown);
    let (newest_shown, oldest_shown) = (shown == 0, shown + 1 >= pages);
    let caption = format!("Attempts {} to {} of {total}", range.start + 1, range.end);
    let rows = attempts[range]
        .iter()
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
        <div class="row table-pages">
            <button
                type="button"
                data-testid="attempts-newer"
                disabled=newest_shown
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1))
            >
                "Newer"
            </button>
            <span data-testid="attempts-caption" aria-live="polite">{caption.clone()}</span>
            <button
                type="button"
                data-testid="attempts-older"
                disabled=oldest_shown
                on:click=move |_| page.update(|p| *p = (*p + 1).min(pages - 1))
            >
                "Older"
            </button>
        </div>
        <div class="table-scroll" tabindex="0" role="region" aria-label="Connection attempts (scrolls sideways)">
            <table data-testid="attempts">
                <caption class="visually-hidden">{caption}</caption>
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
