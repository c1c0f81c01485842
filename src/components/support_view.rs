//! The end user's view, opened by a support link with `checks=`: the target (masked),
//! what will be tested and for how long, one "Run diagnostics" button, then progress with
//! the step under way and the time left, and after the run a summary in plain language
//! (the most important check first) and what to send to support.

use leptos::prelude::*;
use wsdoctor_core::duration::{minutes, seconds};
use wsdoctor_core::report::{CheckKind, CheckResult, CheckStatus, by_importance};
use wsdoctor_core::sleep::Phase as SleepPhase;
use wsdoctor_core::target::mask_secrets;

use super::data::serde_name;
use super::report_actions::ReportActions;
use crate::session::{
    BlockedRunner, HandshakeRunner, IdleRunner, LabRunner, RoundTripRunner, RunState, SizeRunner,
    SleepRunner, SoakRunner, Support,
};

/// The focused view for a customer who was sent a support link.
#[component]
pub fn EndUserView(
    /// The target field's text (preset by the link).
    target: RwSignal<String>,
    /// The subprotocols field's text.
    protocols: RwSignal<String>,
) -> impl IntoView {
    let support = expect_context::<Support>();
    let idle = expect_context::<IdleRunner>().view();
    let slept = expect_context::<SleepRunner>().view();
    let opens = expect_context::<HandshakeRunner>().view();
    let blocked = expect_context::<BlockedRunner>().view();
    let measured = expect_context::<RoundTripRunner>().view();
    let taught = expect_context::<LabRunner>().view();
    let soaked = expect_context::<SoakRunner>().view();
    let sized = expect_context::<SizeRunner>().view();
    let checks = support.checks();
    let run = support.run_state();
    let results = support.results();
    let planned = move || seconds(support.planned_ms(&protocols.get()));
    let plan = move || {
        checks.with(|c| {
            c.iter()
                .map(|k| k.title().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let running = move || matches!(run.get(), RunState::Running { .. });
    let timed_step = move || {
        matches!(
            run.get(),
            RunState::Running {
                kind: CheckKind::Idle,
                ..
            }
        )
    };
    // For automation: the check under way, and (during the sleep check) its phase.
    let step_kind = move || match run.get() {
        RunState::Running { kind, .. } => kind.name().to_string(),
        _ => String::new(),
    };
    let sleep_phase = move || slept.with(|v| v.phase.map(|p| serde_name(&p)).unwrap_or_default());
    let sleep_planned = move || checks.with(|c| c.contains(&CheckKind::Sleep));
    let step_text = move || match run.get() {
        RunState::Running {
            step,
            of,
            kind: CheckKind::Sleep,
        } => {
            let (watching, away) = slept.with(|v| {
                (
                    v.phase == Some(SleepPhase::Watching),
                    v.result.as_ref().map_or(0, |r| r.away_ms),
                )
            });
            let what = if watching && away == 0 {
                "now switch to another tab or app for at least 30 s, then come back to this tab."
                    .to_string()
            } else if watching {
                format!("away {} so far; come back when you like.", minutes(away))
            } else {
                "checking the connection…".to_string()
            };
            format!(
                "Step {} of {of}: {} — {what}",
                step + 1,
                CheckKind::Sleep.title()
            )
        }
        RunState::Running {
            step,
            of,
            kind: CheckKind::Handshake,
        } => {
            let (done, all) = opens.with(|v| v.progress);
            format!(
                "Step {} of {of}: {} — open {} of {all}.",
                step + 1,
                CheckKind::Handshake.title(),
                (done + 1).min(all)
            )
        }
        RunState::Running {
            step,
            of,
            kind: CheckKind::Roundtrip,
        } => {
            let (sent, all) = measured.with(|v| v.progress);
            format!(
                "Step {} of {of}: {} — echo {sent} of {all}.",
                step + 1,
                CheckKind::Roundtrip.title()
            )
        }
        RunState::Running {
            step,
            of,
            kind: CheckKind::Size,
        } => format!(
            "Step {} of {of}: {} — {} messages tried.",
            step + 1,
            CheckKind::Size.title(),
            sized.with(|v| v.progress.0)
        ),
        RunState::Running {
            step,
            of,
            kind: CheckKind::Soak,
        } => {
            let (ran, all) = soaked.with(|v| v.progress);
            format!(
                "Step {} of {of}: {} — {} of {}.",
                step + 1,
                CheckKind::Soak.title(),
                seconds(ran),
                seconds(all)
            )
        }
        RunState::Running {
            step,
            of,
            kind: CheckKind::Lab,
        } => {
            let (done, all) = taught.with(|v| v.progress);
            format!(
                "Step {} of {of}: {} — ending {} of {all}.",
                step + 1,
                CheckKind::Lab.title(),
                (done + 1).min(all)
            )
        }
        RunState::Running {
            step,
            of,
            kind: CheckKind::Blocked,
        } => {
            let side = blocked.with(|v| v.under_way).unwrap_or("…");
            format!(
                "Step {} of {of}: {} — trying {side}.",
                step + 1,
                CheckKind::Blocked.title()
            )
        }
        RunState::Running { step, of, kind } => {
            let (elapsed, left) = idle.with(|v| (v.elapsed_ms, v.left_ms));
            format!(
                "Step {} of {of}: {} — {} done, at most {} left.",
                step + 1,
                kind.title(),
                seconds(elapsed),
                seconds(left)
            )
        }
        RunState::Done => "Done.".to_string(),
        RunState::Refused(why) => format!("Could not start: {why}"),
        RunState::Ready => String::new(),
    };
    let on_run = move |_| support.run_checks(&target.get_untracked(), &protocols.get_untracked());
    view! {
        <section class="card end-user" aria-labelledby="end-user-heading" data-testid="end-user-view">
            <h2 id="end-user-heading">"Connection check"</h2>
            <p>
                "Your support team asked for a check of the connection from this browser to "
                <code data-testid="end-user-target">{move || mask_secrets(&target.get())}</code>
                "."
            </p>
            <p data-testid="end-user-plan">
                "It tests: " {plan} ". It takes at most " {planned}
                {move || if sleep_planned() { ", plus the time you spend away for the sleep check" } else { "" }}
                ". Keep this tab in front unless a step asks otherwise; nothing is sent anywhere until you choose to."
            </p>
            <button
                type="button"
                class="primary"
                data-testid="run-diagnostics"
                disabled=running
                on:click=on_run
            >
                "Run diagnostics"
            </button>
            <Show when=move || run.with(|r| *r != RunState::Ready)>
                <p role="status" data-testid="run-step" data-step=step_kind data-phase=sleep_phase>{step_text}</p>
            </Show>
            <Show when=timed_step>
                <progress
                    class="idle-progress"
                    aria-label="Diagnostics progress"
                    data-testid="run-progress"
                    max=move || idle.with(|v| v.total_ms.max(1))
                    value=move || idle.with(|v| v.elapsed_ms.min(v.total_ms))
                ></progress>
            </Show>
            <Show when=move || run.with(|r| *r == RunState::Done)>
                <Summary results=results />
                <h3>"What to send to support"</h3>
                <p class="muted">
                    "Download the report or copy it, and send it to whoever sent you the link. Secret values in the address are removed first."
                </p>
                <ReportActions place="end-user" />
            </Show>
        </section>
    }
    .into_any()
}

/// Each check's outcome in plain words, the most important first.
#[component]
pub fn Summary(results: ReadSignal<Vec<CheckResult>>) -> impl IntoView {
    let ordered = move || {
        results.with(|results| {
            by_importance(results)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <h3>"Summary"</h3>
        <ul class="summary" data-testid="run-summary">
            {move || ordered().into_iter().map(|r| view! { <CheckLine result=r /> }).collect_view()}
        </ul>
    }
    .into_any()
}

/// One check's status (symbol and word: colour is never the only signal) and summary.
#[component]
pub fn CheckLine(result: CheckResult) -> impl IntoView {
    let class = match result.status {
        CheckStatus::Pass => "check pass",
        CheckStatus::Warn => "check warn",
        CheckStatus::Fail => "check fail",
        CheckStatus::Error => "check error",
    };
    let advice = result.lines("advice");
    view! {
        <li
            class=class
            data-testid=format!("check-status-{}", result.kind.name())
            data-status=result.status.name()
        >
            <span class="check-symbol" aria-hidden="true">{result.status.symbol()}</span>
            <strong>{result.status.word_in_capitals()}</strong>
            " " {result.kind.title()} ": "
            <span data-testid="check-summary">{result.summary.clone()}</span>
            <ul class="advice">
                {advice.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}
            </ul>
        </li>
    }
    .into_any()
}
