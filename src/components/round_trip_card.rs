//! The round-trip card: numbered echoes timed by the page, beside the protocol Ping
//! round trips wsdoctor-server measures, each to 0.01 ms (p50, p95, max, jitter); echoes
//! lost; the offset between the page's clock and the server's; and the resolution of the
//! page's clock, which bounds what can be told apart.

use leptos::prelude::*;
use wsdoctor_core::checks::round_trips::{
    self, RoundTripResult, RoundTripSettings, RoundTripStats, ms,
};
use wsdoctor_core::report::round_trip_check;
use wsdoctor_core::target::parse_subprotocols;

use super::data::check_json;
use super::number_field::NumberField;
use crate::session::{CheckView, RoundTripRunner, Support};

/// The card. `target` and `protocols` are shared with the console's form.
#[component]
pub fn RoundTripCard(
    /// The target to measure.
    target: RwSignal<String>,
    /// The subprotocols field's text.
    protocols: RwSignal<String>,
) -> impl IntoView {
    let runner = expect_context::<RoundTripRunner>();
    let companion = expect_context::<Support>().companion_mode();
    let view = runner.view();
    let running = move || view.with(|v| v.running);
    let defaults = RoundTripSettings::default();
    let echoes = RwSignal::new(defaults.echoes.to_string());
    let every = RwSignal::new(defaults.every_ms.to_string());
    let refused = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let base = RoundTripSettings {
            subprotocols: parse_subprotocols(&protocols.get_untracked()).unwrap_or_default(),
            companion,
            ..RoundTripSettings::default()
        };
        match RoundTripSettings::from_fields(base, &echoes.get_untracked(), &every.get_untracked())
        {
            Ok(settings) => {
                refused.set(None);
                runner.start(&target.get_untracked(), settings);
            }
            Err(why) => refused.set(Some(why)),
        }
    };
    view! {
        <section class="card" aria-labelledby="roundtrip-heading" data-testid="roundtrip-card">
            <h2 id="roundtrip-heading">"Round trips"</h2>
            <p class="muted">
                "Sends numbered echo messages to the target above at a steady pace and times each answer, matched by its number. Against wsdoctor-server the server also sends protocol Pings and reports each Pong's round trip, and its clock gives the offset between this page's clock and the server's."
            </p>
            <form class="settings" on:submit=on_submit>
                <NumberField id="roundtrip-echoes" label="Echoes" hint="how many to send (1 to 1000)" value=echoes />
                <NumberField id="roundtrip-every" label="One echo every (ms)" hint="10 to 10000" value=every />
                <div class="actions">
                    <button type="submit" data-testid="roundtrip-start" disabled=running>"Measure round trips"</button>
                    <button type="button" data-testid="roundtrip-stop" disabled=move || !running() on:click=move |_| runner.stop()>
                        "Stop"
                    </button>
                </div>
            </form>
            {move || refused.get().map(|why| view! {
                <p role="alert" class="error" data-testid="roundtrip-refused">{why}</p>
            })}
            <p role="status" data-testid="roundtrip-status">{move || view.with(status)}</p>
            {move || {
                view.with(|v| (!v.running).then(|| v.result.clone()).flatten())
                    .map(|r| view! { <RoundTripFindings result=r /> })
            }}
        </section>
    }
    .into_any()
}

fn status(v: &CheckView<RoundTripResult>) -> String {
    match (&v.result, v.running) {
        (_, true) => {
            let answered = v.result.as_ref().map_or(0, |r| r.answered);
            format!(
                "Echo {} of {} sent, {answered} answered…",
                v.progress.0, v.progress.1
            )
        }
        (Some(r), false) if r.cancelled => "Stopped.".into(),
        (Some(_), false) => "Done.".into(),
        (None, false) => String::new(),
    }
}

/// The figures side by side, then loss, clock and resolution in words.
#[component]
fn RoundTripFindings(result: RoundTripResult) -> impl IntoView {
    let data = check_json(&round_trip_check(&result));
    let headline = round_trips::headline(&result);
    let mut notes = Vec::new();
    if let Some(failure) = &result.failure
        && result.answered > 0
    {
        notes.push(format!("It ended early: {failure}."));
    }
    if let (Some(offset), Some(within)) = (result.clock_offset_ms, result.clock_offset_within_ms) {
        notes.push(format!(
            "The server's clock is {} {} this page's (within {}).",
            ms(offset.abs()),
            if offset >= 0.0 { "ahead of" } else { "behind" },
            ms(within)
        ));
    }
    if result.other_messages > 0 {
        notes.push(format!(
            "Other messages that arrived (the server's own), not counted as answers: {}.",
            result.other_messages
        ));
    }
    notes.push(format!(
        "This page's clock steps by {} ms: {}.",
        result.resolution_ms,
        if result.resolution_ms <= 0.01 {
            "the page is cross-origin isolated, so round trips are exact to 0.01 ms"
        } else {
            "the page is not cross-origin isolated, so the browser coarsens its clock"
        }
    ));
    let server_row = if result.companion {
        row(
            "The server's Ping/Pong (server measures)",
            result.ping.as_ref(),
        )
    } else {
        None
    };
    view! {
        <div class="verdict" data-testid="roundtrip-result" data-result=data>
            <p data-testid="roundtrip-headline"><strong>{headline}</strong></p>
            <div class="table-scroll">
                <table data-testid="roundtrip-table">
                    <caption class="muted">"Round trips, in ms"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Measured by"</th>
                            <th scope="col">"Count"</th>
                            <th scope="col">"p50"</th>
                            <th scope="col">"p95"</th>
                            <th scope="col">"Max"</th>
                            <th scope="col">"Jitter"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {row("Echoes (this page measures)", result.echo.as_ref())}
                        {server_row}
                    </tbody>
                </table>
            </div>
            <ul class="findings">
                {notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        </div>
    }
    .into_any()
}

/// One row of the table, or `None` without figures.
fn row(label: &'static str, stats: Option<&RoundTripStats>) -> Option<impl IntoView + use<>> {
    let stats = stats?;
    let cells =
        [stats.p50_ms, stats.p95_ms, stats.max_ms, stats.jitter_ms].map(|v| format!("{v:.2}"));
    let [p50, p95, max, jitter] = cells;
    Some(view! {
        <tr data-testid="roundtrip-row">
            <th scope="row">{label}</th>
            <td>{stats.count}</td>
            <td>{p50}</td>
            <td>{p95}</td>
            <td>{max}</td>
            <td>{jitter}</td>
        </tr>
    })
}
