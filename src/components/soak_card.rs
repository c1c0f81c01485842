//! The reconnect soak's card: for a chosen time, wsdoctor-server ends three connections
//! at random at a chosen rate, each reconnecting by its own policy (wsdoctor's, the seed
//! article's, a fixed delay); a table puts uptime, reconnections, time to recover and the
//! busiest minute's attempts side by side.

use leptos::prelude::*;
use wsdoctor_core::checks::soak::{self, LaneResult, SoakResult, SoakSettings};
use wsdoctor_core::report::soak_check;
use wsdoctor_core::settings::seconds_field;

use super::data::check_json;
use super::number_field::NumberField;
use crate::session::{CheckView, SoakRunner};

/// The card. `target` is shared with the console's form: the companion to use.
#[component]
pub fn SoakCard(
    /// The companion's address.
    target: RwSignal<String>,
) -> impl IntoView {
    let runner = expect_context::<SoakRunner>();
    let view = runner.view();
    let running = move || view.with(|v| v.running);
    let defaults = SoakSettings::default();
    let seconds = RwSignal::new(seconds_field(defaults.duration_ms));
    let rate = RwSignal::new(defaults.closes_per_minute.to_string());
    let refused = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match SoakSettings::from_fields(&seconds.get_untracked(), &rate.get_untracked()) {
            Ok(settings) => {
                refused.set(None);
                runner.start(&target.get_untracked(), settings);
            }
            Err(why) => refused.set(Some(why)),
        }
    };
    view! {
        <section class="card" aria-labelledby="soak-heading" data-testid="soak-card">
            <h2 id="soak-heading">"Reconnect soak"</h2>
            <p class="muted">
                "wsdoctor-server ends three connections at random (1001, 1012, 1013, or a drop without a close frame), and each reconnects by its own policy: wsdoctor's (1 s doubling to 30 s, full jitter, reset after 10 s open), the seed article's createWebSocket (1 s doubling to 30 s, reset on open) and a fixed 1 s delay. Point the target above at wsdoctor-server."
            </p>
            <form class="settings" on:submit=on_submit>
                <NumberField id="soak-seconds" label="Run for (s)" hint="5 to 3600" value=seconds />
                <NumberField id="soak-rate" label="Endings per minute" hint="per connection, on average: 1 to 120" value=rate />
                <div class="actions">
                    <button type="submit" data-testid="soak-start" disabled=running>"Start the soak"</button>
                    <button type="button" data-testid="soak-stop" disabled=move || !running() on:click=move |_| runner.stop()>"Stop"</button>
                </div>
            </form>
            {move || refused.get().map(|why| view! { <p role="alert" class="error" data-testid="soak-refused">{why}</p> })}
            <p role="status" data-testid="soak-status">{move || view.with(status)}</p>
            {move || view.with(|v| v.result.clone()).map(|r| view! { <SoakTable result=r /> })}
        </section>
    }
    .into_any()
}

fn status(v: &CheckView<SoakResult>) -> String {
    match (&v.result, v.running) {
        (_, true) => format!(
            "Running: {} s of {} s…",
            v.progress.0 / 1000,
            v.progress.1 / 1000
        ),
        (Some(r), false) if r.cancelled => "Stopped.".into(),
        (Some(_), false) => "Done.".into(),
        (None, false) => String::new(),
    }
}

/// One row per policy.
#[component]
fn SoakTable(result: SoakResult) -> impl IntoView {
    let data = check_json(&soak_check(&result));
    let headline = soak::headline(&result);
    view! {
        <div class="verdict" data-testid="soak-result" data-result=data>
            <p data-testid="soak-headline"><strong>{headline}</strong></p>
            <div class="table-scroll">
                <table data-testid="soak-table">
                    <thead>
                        <tr>
                            <th scope="col">"Policy"</th>
                            <th scope="col">"Uptime"</th>
                            <th scope="col">"Endings"</th>
                            <th scope="col">"Reconnections"</th>
                            <th scope="col">"Back in, p50 / p95"</th>
                            <th scope="col">"Attempts, busiest minute"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {result.lanes.into_iter().map(|lane| view! { <LaneRow lane=lane /> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn LaneRow(lane: LaneResult) -> impl IntoView {
    let seconds =
        |ms: Option<f64>| ms.map_or_else(|| "—".to_string(), |ms| format!("{:.2} s", ms / 1000.0));
    let recover = format!(
        "{} / {}",
        seconds(lane.recover_p50_ms),
        seconds(lane.recover_p95_ms)
    );
    let gave_up = lane
        .gave_up
        .map(|why| format!(" (gave up: {why})"))
        .unwrap_or_default();
    view! {
        <tr data-testid="soak-row">
            <th scope="row">{lane.policy}{gave_up}</th>
            <td>{format!("{:.1} %", lane.uptime_pct)}</td>
            <td>{lane.endings}</td>
            <td>{lane.reconnects}</td>
            <td>{recover}</td>
            <td>{format!("{:.0}", lane.peak_attempts_per_minute)}</td>
        </tr>
    }
}
