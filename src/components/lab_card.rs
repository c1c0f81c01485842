//! The close-code lab's card: run the standard set of endings, or try one code with a
//! reason (a code that never travels is refused with why); each ending's row shows what
//! the server sent next to what this browser reported (code, reason, wasClean), with the
//! catalogue's name and meaning for what the browser saw.

use leptos::prelude::*;
use wsdoctor_core::checks::close_lab::{self, LabCase, LabResult, LabRow};
use wsdoctor_core::close_code;
use wsdoctor_core::protocol::{CloseView, ClosedBy};
use wsdoctor_core::report::lab_check;

use super::data::check_json;
use crate::session::{CheckView, LabRunner};

/// The card. `target` is shared with the console's form: the companion to use.
#[component]
pub fn LabCard(
    /// The companion's address.
    target: RwSignal<String>,
) -> impl IntoView {
    let runner = expect_context::<LabRunner>();
    let view = runner.view();
    let running = move || view.with(|v| v.running);
    let code = RwSignal::new("4001".to_string());
    let reason = RwSignal::new("bye".to_string());
    let refused = RwSignal::new(None::<String>);
    let run_all = move |_| {
        refused.set(None);
        runner.start(&target.get_untracked(), LabCase::standard_set());
    };
    let try_one = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match LabCase::close(&code.get_untracked(), &reason.get_untracked()) {
            Ok(case) => {
                refused.set(None);
                runner.start(&target.get_untracked(), vec![case]);
            }
            Err(why) => refused.set(Some(why)),
        }
    };
    view! {
        <section class="card" aria-labelledby="lab-heading" data-testid="lab-card">
            <h2 id="lab-heading">"Close-code lab"</h2>
            <p class="muted">
                "wsdoctor-server ends a connection on purpose, each way a connection can end, and each row shows what the server sent next to what this browser reported: what your own client will see. Point the target above at wsdoctor-server (this page's own /ws)."
            </p>
            <div class="actions">
                <button type="button" data-testid="lab-run" disabled=running on:click=run_all>"Run the lab"</button>
                <button type="button" data-testid="lab-stop" disabled=move || !running() on:click=move |_| runner.stop()>"Stop"</button>
            </div>
            <form class="settings" on:submit=try_one>
                <div class="field">
                    <label for="lab-code">"Close code"</label>
                    <input id="lab-code" data-testid="lab-code" inputmode="numeric" bind:value=code aria-describedby="lab-code-hint" />
                    <span class="muted hint" id="lab-code-hint">"any code the wire allows: 1000-1003, 1007-1014, 3000-4999"</span>
                </div>
                <div class="field">
                    <label for="lab-reason">"Reason"</label>
                    <input id="lab-reason" data-testid="lab-reason" maxlength="123" bind:value=reason />
                </div>
                <div class="actions">
                    <button type="submit" data-testid="lab-try" disabled=running>"Try this code"</button>
                </div>
            </form>
            {move || refused.get().map(|why| view! { <p role="alert" class="error" data-testid="lab-refused">{why}</p> })}
            <p role="status" data-testid="lab-status">{move || view.with(status)}</p>
            {move || {
                view.with(|v| (!v.running).then(|| v.result.clone()).flatten())
                    .map(|r| view! { <LabTable result=r /> })
            }}
        </section>
    }
    .into_any()
}

fn status(v: &CheckView<LabResult>) -> String {
    match (&v.result, v.running) {
        (_, true) => format!("Ending {} of {}…", v.progress.0 + 1, v.progress.1),
        (Some(r), false) if r.cancelled => "Stopped.".into(),
        (Some(_), false) => "Done.".into(),
        (None, false) => String::new(),
    }
}

/// Each row: the case, the server's side, the browser's, and the meaning.
#[component]
fn LabTable(result: LabResult) -> impl IntoView {
    let data = check_json(&lab_check(&result));
    let headline = close_lab::headline(&result);
    view! {
        <div class="verdict" data-testid="lab-result" data-result=data>
            <p data-testid="lab-headline"><strong>{headline}</strong></p>
            <div class="table-scroll">
                <table data-testid="lab-table">
                    <thead>
                        <tr>
                            <th scope="col">"Ending"</th>
                            <th scope="col">"The server"</th>
                            <th scope="col">"This browser reported"</th>
                            <th scope="col">"What it means"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {result.rows.into_iter().map(|row| view! { <LabRowView row=row /> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn LabRowView(row: LabRow) -> impl IntoView {
    let server = row.server.as_ref().map_or_else(
        || row.failure.clone().unwrap_or_else(|| "unknown".into()),
        server_side,
    );
    let (browser, meaning) = match &row.browser {
        Some(b) => {
            let info = close_code::info(b.code);
            (
                format!(
                    "{} {}, wasClean {}",
                    b.code,
                    if b.reason.is_empty() {
                        "(no reason)".to_string()
                    } else {
                        format!("\"{}\"", b.reason)
                    },
                    b.was_clean
                ),
                format!("{}: {}", info.name, info.meaning),
            )
        }
        None => ("no close event".into(), String::new()),
    };
    view! {
        <tr data-testid="lab-row">
            <th scope="row">{row.case.label()}</th>
            <td>{server}</td>
            <td data-testid="lab-browser">{browser}</td>
            <td>{meaning}</td>
        </tr>
    }
}

/// How the server saw the end, in words.
fn server_side(close: &CloseView) -> String {
    let frame = |code: Option<u16>, reason: &Option<String>| match (code, reason) {
        (Some(code), Some(reason)) if !reason.is_empty() => format!("{code} \"{reason}\""),
        (Some(code), _) => code.to_string(),
        (None, _) => "no code".into(),
    };
    match close.by {
        ClosedBy::Server if close.code.is_none() => "dropped it without a close frame".into(),
        ClosedBy::Server => format!("sent a close frame: {}", frame(close.code, &close.reason)),
        ClosedBy::Client => format!(
            "got the browser's close frame: {}",
            frame(close.code, &close.reason)
        ),
        ClosedBy::None => "saw the connection end without a close frame either way".into(),
    }
}
