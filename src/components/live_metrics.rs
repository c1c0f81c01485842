//! The four numbers operators watch, live: open connections, disconnects per close code
//! (bars, each labelled with its code and count), the round trip of the page's own
//! messages (p50/p95 to 0.01 ms, and a sparkline) and reconnections in the last minute.

use leptos::prelude::*;
use wsdoctor_core::close_code;
use wsdoctor_core::live_metrics::LiveMetrics;

use crate::session::ConsoleView;

const SPARK_WIDTH: f64 = 240.0;
const SPARK_HEIGHT: f64 = 40.0;

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{v:.2} ms"))
}

/// The live metrics panel.
#[component]
pub fn LiveMetricsPanel() -> impl IntoView {
    let shown = expect_context::<ConsoleView>();
    let metrics = shown.metrics;
    let active = move || metrics.with(LiveMetrics::active);
    let p50 = move || metrics.with(|m| ms(m.latency_percentile(50.0)));
    let p95 = move || metrics.with(|m| ms(m.latency_percentile(95.0)));
    let samples = move || metrics.with(|m| m.latencies().len());
    let reconnects =
        move || metrics.with(|m| (m.reconnects_last_minute(shown.now()), m.reconnects_total()));
    view! {
        <section class="card metrics" aria-labelledby="metrics-heading" data-testid="metrics">
            <h2 id="metrics-heading">"Live metrics"</h2>
            <dl class="metric-grid">
                <div>
                    <dt>"Open connections"</dt>
                    <dd data-testid="metric-active">{active}</dd>
                </div>
                <div>
                    <dt>"Round trip, p50 / p95"</dt>
                    <dd>
                        <span data-testid="metric-p50">{p50}</span>
                        " / "
                        <span data-testid="metric-p95">{p95}</span>
                    </dd>
                </div>
                <div>
                    <dt>"Reconnections, last minute (total)"</dt>
                    <dd data-testid="metric-reconnects">
                        {move || {
                            let (minute, total) = reconnects();
                            format!("{minute} ({total})")
                        }}
                    </dd>
                </div>
            </dl>
            <p class="muted">
                "From a message the page sent to its answer: an echo of the same text, or a reply with the same \"seq\" (a heartbeat numbered with {seq}). A server's own pushes never count. "
                {move || format!("{} samples.", samples())}
            </p>
            <Sparkline />
            <h3 id="disconnects-heading">"Disconnects by close code"</h3>
            <DisconnectBars />
        </section>
    }
}

/// The latency samples as a line, newest right.
#[component]
fn Sparkline() -> impl IntoView {
    let metrics = expect_context::<ConsoleView>().metrics;
    let points = move || {
        metrics.with(|m| {
            let values: Vec<f64> = m.latencies().collect();
            let top = values.iter().copied().fold(1.0, f64::max);
            let step = SPARK_WIDTH / (values.len().max(2) - 1) as f64;
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let x = i as f64 * step;
                    let y = SPARK_HEIGHT - v / top * (SPARK_HEIGHT - 2.0) - 1.0;
                    format!("{x:.1},{y:.1}")
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    let label = move || {
        metrics.with(|m| {
            let max = m.latencies().fold(0.0, f64::max);
            format!(
                "Round trips, last {} samples, highest {max:.2} ms",
                m.latencies().len()
            )
        })
    };
    view! {
        <svg
            class="sparkline"
            data-testid="latency-sparkline"
            viewBox=format!("0 0 {SPARK_WIDTH} {SPARK_HEIGHT}")
            role="img"
            aria-label=label
        >
            <polyline points=points class="spark-line" />
        </svg>
    }
}

/// One bar per close code seen, longest = most frequent, code and count written out.
#[component]
fn DisconnectBars() -> impl IntoView {
    let metrics = expect_context::<ConsoleView>().metrics;
    let rows = move || {
        metrics.with(|m| {
            let most = m.disconnects().values().copied().max().unwrap_or(1).max(1);
            m.disconnects()
                .iter()
                .map(|(code, count)| (*code, *count, *count as f64 / most as f64 * 100.0))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <Show
            when=move || metrics.with(|m| !m.disconnects().is_empty())
            fallback=|| view! { <p class="muted">"No disconnects yet."</p> }
        >
            <ul class="bars" aria-labelledby="disconnects-heading">
                <For each=rows key=|row| (row.0, row.1) let:row>
                    <li data-testid="disconnect-bar" data-code=row.0.to_string()>
                        <span class="bar-label">
                            {format!("{} {}", row.0, close_code::info(row.0).name)}
                        </span>
                        <span class="bar-track" aria-hidden="true">
                            <span
                                class="bar-fill"
                                data-testid="disconnect-bar-fill"
                                style:width=format!("{:.2}%", row.2)
                            ></span>
                        </span>
                        <span class="bar-count" data-testid="disconnect-count">{row.1}</span>
                    </li>
                </For>
            </ul>
        </Show>
    }
}
