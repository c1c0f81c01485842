//! The size card: the largest message the path carries each way, with wsdoctor-server at
//! the other end, and how a larger one is lost (1009, a cut, or a silent drop), naming a
//! known limit it matches; every message tried is listed.

use leptos::prelude::*;
use wsdoctor_core::checks::size_limit::{self, Direction, Fate, SizeResult, SizeSettings, Tried};
use wsdoctor_core::report::size_check;
use wsdoctor_core::settings::{parse_seconds, seconds_field};

use super::data::check_json;
use super::number_field::NumberField;
use crate::session::{CheckView, SizeRunner};

/// The card. `target` is shared with the console's form: the companion to use.
#[component]
pub fn SizeCard(
    /// The companion's address.
    target: RwSignal<String>,
) -> impl IntoView {
    let runner = expect_context::<SizeRunner>();
    let view = runner.view();
    let running = move || view.with(|v| v.running);
    let wait = RwSignal::new(seconds_field(SizeSettings::default().answer_within_ms));
    let refused = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match parse_seconds("wait for each answer", &wait.get_untracked()) {
            Ok(answer_within_ms) if answer_within_ms >= 100 => {
                refused.set(None);
                runner.start(&target.get_untracked(), SizeSettings { answer_within_ms });
            }
            Ok(_) => refused.set(Some("wait for each answer: at least 0.1 s".into())),
            Err(why) => refused.set(Some(why)),
        }
    };
    view! {
        <section class="card" aria-labelledby="size-heading" data-testid="size-card">
            <h2 id="size-heading">"Message-size limit"</h2>
            <p class="muted">
                "Finds the largest message that gets through each way, doubling from 1 KiB and then halving the gap, up to wsdoctor-server's own limit: the page sends binary messages the server acknowledges, and asks the server to send some. A larger message may be refused with 1009, cut with the connection, or dropped without a word. Point the target above at wsdoctor-server."
            </p>
            <form class="settings" on:submit=on_submit>
                <NumberField id="size-wait" label="Wait for each answer (s)" hint="plus 10 ms per KiB; a message not answered by then was dropped" value=wait />
                <div class="actions">
                    <button type="submit" data-testid="size-start" disabled=running>"Find the limits"</button>
                    <button type="button" data-testid="size-stop" disabled=move || !running() on:click=move |_| runner.stop()>"Stop"</button>
                </div>
            </form>
            {move || refused.get().map(|why| view! { <p role="alert" class="error" data-testid="size-refused">{why}</p> })}
            <p role="status" data-testid="size-status">{move || view.with(status)}</p>
            {move || view.with(|v| v.result.clone()).map(|r| view! { <SizeFindings result=r /> })}
        </section>
    }
    .into_any()
}

fn status(v: &CheckView<SizeResult>) -> String {
    match (&v.result, v.running) {
        (_, true) => format!("{} messages tried…", v.progress.0),
        (Some(r), false) if r.cancelled => "Stopped.".into(),
        (Some(_), false) => "Done.".into(),
        (None, false) => String::new(),
    }
}

#[component]
fn SizeFindings(result: SizeResult) -> impl IntoView {
    let data = check_json(&size_check(&result));
    let headline = size_limit::headline(&result);
    let tried = result.tried.clone();
    view! {
        <div class="verdict" data-testid="size-result" data-result=data>
            <p data-testid="size-headline"><strong>{headline}</strong></p>
            <details class="snippet">
                <summary>{format!("Every message tried ({})", tried.len())}</summary>
                <ol data-testid="size-tried">
                    {tried.into_iter().map(|t| view! { <li>{line(&t)}</li> }).collect_view()}
                </ol>
            </details>
        </div>
    }
    .into_any()
}

fn line(tried: &Tried) -> String {
    let way = match tried.direction {
        Direction::Up => "page to server",
        Direction::Down => "server to page",
    };
    let fate = match &tried.fate {
        Fate::Arrived => "arrived".to_string(),
        Fate::Closed { code } => format!("closed with {code}"),
        Fate::Dropped => "no answer (dropped)".to_string(),
    };
    format!("{}, {way}: {fate}", size_limit::size(tried.bytes))
}
