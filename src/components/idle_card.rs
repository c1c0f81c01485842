//! The idle-timeout experiment card: settings, Start and Cancel, a progress bar with a
//! countdown, every probe's live state on one shared timeline, and the verdict with
//! snippets to copy.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use wsdoctor_core::duration::seconds;
use wsdoctor_core::idle::{IdleSettings, Phase, ProbeResult, Snippet};
use wsdoctor_core::report::idle_check;
use wsdoctor_core::settings::parse_seconds;
use wsdoctor_core::target::parse_subprotocols;

use super::data::check_json;
use super::number_field::NumberField;
use super::snippet::SnippetView;
use crate::session::{ConsoleView, IdleRunner, IdleView, Support};

/// The experiment card. `target` and `protocols` are shared with the console's form.
#[component]
pub fn IdleExperimentCard(
    /// The target to probe.
    target: RwSignal<String>,
    /// The subprotocols field's text (offered next to `wsdoctor.v1`).
    protocols: RwSignal<String>,
    /// The "watch for" field's text, in seconds (a support link may preset it).
    watch: RwSignal<String>,
    /// The "heartbeat every" field's text, in seconds (a support link may preset it).
    every: RwSignal<String>,
) -> impl IntoView {
    let runner = expect_context::<IdleRunner>();
    let shown = expect_context::<ConsoleView>();
    let companion = expect_context::<Support>().companion_mode();
    let view = runner.view();
    let running = move || view.with(|v| v.phase.is_some_and(|p| p != Phase::Done));
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let console_settings = shown.settings.get_untracked();
        let settings = parse_seconds("watch for", &watch.get_untracked()).and_then(|max_idle_ms| {
            Ok(IdleSettings {
                max_idle_ms,
                heartbeat_ms: parse_seconds("heartbeat every", &every.get_untracked())?,
                heartbeat_payload: console_settings.heartbeat_payload.clone(),
                subprotocols: parse_subprotocols(&protocols.get_untracked())?,
                companion,
                profile: console_settings.profile,
                ..IdleSettings::default()
            })
        });
        match settings {
            Ok(settings) => runner.start(&target.get_untracked(), settings),
            Err(why) => runner.refuse(why),
        }
    };
    view! {
        <section class="card idle" aria-labelledby="idle-heading" data-testid="idle-card">
            <h2 id="idle-heading">"Idle-timeout experiment"</h2>
            <p class="muted">
                "Opens parallel connections to the target above (with its subprotocols): one silent, the others with heartbeats from the page, from the server, as Ping frames, and echoed. "
                "When the silent one is cut, the others prove which traffic keeps a connection open. Against wsdoctor-server all five run; against another server, the silent and the echoed one."
            </p>
            <form class="idle-form" on:submit=on_submit>
                <div class="fields">
                    <NumberField
                        id="idle-watch"
                        label="Watch for up to (s)"
                        hint="130 s catches the 60 s and 100 s defaults; up to 900 s (15 min)"
                        value=watch
                    />
                    <NumberField
                        id="idle-every"
                        label="Heartbeat every (s)"
                        hint="the busy probes' interval; the usual 25 s suits most proxies"
                        value=every
                    />
                </div>
                <div class="row">
                    <button type="submit" data-testid="idle-start" disabled=running>
                        "Start experiment"
                    </button>
                    <button
                        type="button"
                        data-testid="idle-cancel"
                        disabled=move || !running()
                        on:click=move |_| runner.cancel()
                    >
                        "Cancel"
                    </button>
                </div>
            </form>
            {move || view.with(|v| v.refused.clone()).map(|why| view! {
                <p role="alert" class="error" data-testid="idle-refused">{why}</p>
            })}
            <Progress view=view />
            <ProbeTimeline view=view />
            <VerdictView view=view />
        </section>
    }
}

/// The progress bar and countdown.
#[component]
fn Progress(view: ReadSignal<IdleView>) -> impl IntoView {
    let status = move || {
        view.with(|v| match v.phase {
            None => String::new(),
            Some(Phase::Ready | Phase::Detecting) => "Connecting…".into(),
            Some(Phase::Running) => format!(
                "Running: {} watched, at most {} left",
                seconds(v.elapsed_ms),
                seconds(v.left_ms)
            ),
            Some(Phase::AskingServer) => "Asking the server how it saw the cut…".into(),
            Some(Phase::Done) => match &v.result {
                Some(r) if r.failure.is_some() => format!(
                    "Could not run: {}.",
                    r.failure.as_deref().unwrap_or_default()
                ),
                Some(r) if r.cancelled => format!("Cancelled after {}.", seconds(v.elapsed_ms)),
                _ => format!("Done after {}.", seconds(v.elapsed_ms)),
            },
        })
    };
    let failed = move || view.with(|v| v.result.as_ref().is_some_and(|r| r.failure.is_some()));
    view! {
        <Show when=move || view.with(|v| v.phase.is_some())>
            <p role="status" data-testid="idle-status">{status}</p>
        </Show>
        <Show when=move || view.with(|v| v.phase.is_some()) && !failed()>
            <progress
                class="idle-progress"
                aria-label="Experiment progress"
                max=move || view.with(|v| v.total_ms.max(1))
                value=move || view.with(|v| v.elapsed_ms.min(v.total_ms))
            ></progress>
        </Show>
    }
}

/// A probe's state in words (colour is never the only signal).
fn probe_state(p: &ProbeResult) -> String {
    let alive = || p.alive_for_ms.map_or_else(String::new, seconds);
    match (p.opened, p.closed_after_ms, p.close_code) {
        (false, _, Some(code)) => format!("never opened ({code})"),
        (false, _, None) if p.running => "opening…".into(),
        (false, _, None) => "never opened".into(),
        (true, Some(after), Some(code)) => format!(
            "cut after {} ({code}{}), idle {}",
            seconds(after),
            if p.was_clean == Some(true) {
                ", clean"
            } else {
                ""
            },
            p.idle_before_close_ms.map_or_else(|| "?".into(), seconds)
        ),
        _ if !p.carried_traffic && p.running => "setting up…".into(),
        _ if !p.carried_traffic => "never carried its traffic".into(),
        _ if p.survived && !p.running => format!("survived {}", alive()),
        _ => format!("open {}", alive()),
    }
}

/// One row per probe on a shared time axis: a bar as long as the probe has lived, and its
/// state in words beside it (colour is never the only signal).
#[component]
fn ProbeTimeline(view: ReadSignal<IdleView>) -> impl IntoView {
    let rows = move || {
        view.with(|v| {
            let span = v.total_ms.max(v.elapsed_ms).max(1) as f64;
            v.probes
                .iter()
                .map(|p| {
                    // Drawn through the CSSOM (`style:width`), which the page's CSP allows;
                    // an inline style attribute would be blocked and draw full width.
                    let width = (p.alive_for_ms.unwrap_or(0) as f64 / span * 100.0).min(100.0);
                    let class = if p.closed_after_ms.is_some() || (!p.opened && !p.running) {
                        "bar-fill probe-cut"
                    } else {
                        "bar-fill probe-open"
                    };
                    view! {
                        <li
                            data-testid="idle-probe"
                            data-name=p.name.clone()
                            data-survived=p.survived.to_string()
                            data-close-code=p.close_code.map(|c| c.to_string()).unwrap_or_default()
                            data-closed-after-ms=p
                                .closed_after_ms
                                .map(|c| c.to_string())
                                .unwrap_or_default()
                            data-alive-ms=p.alive_for_ms.unwrap_or(0).to_string()
                        >
                            <span class="probe-name" title=p.kind.describe()>{p.label.clone()}</span>
                            <span class="bar-track" aria-hidden="true">
                                <span
                                    class=class
                                    data-testid="idle-probe-bar"
                                    style:width=format!("{width:.2}%")
                                ></span>
                            </span>
                            <span class="probe-state">{probe_state(p)}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    let marks = expect_context::<ConsoleView>().page_marks;
    // The spans the page was hidden during the run, as (left %, width %) of the axis.
    let hidden = move || {
        view.with(|v| {
            let Some(start) = v.started_at else {
                return Vec::new();
            };
            let span = v.total_ms.max(v.elapsed_ms).max(1) as f64;
            let end = start + v.elapsed_ms as f64;
            marks.with(|m| {
                m.hidden()
                    .filter(|h| h.from <= end && h.to.is_none_or(|to| to >= start))
                    .map(|h| {
                        let from = (h.from.max(start) - start) / span * 100.0;
                        let to = (h.to.unwrap_or(end).min(end) - start) / span * 100.0;
                        (from, (to - from).max(0.5))
                    })
                    .collect::<Vec<_>>()
            })
        })
    };
    view! {
        <Show when=move || view.with(|v| !v.probes.is_empty())>
            <ul class="probes" data-testid="idle-timeline" aria-label="Probe connections">
                {rows}
                <Show when=move || !hidden().is_empty()>
                    <li data-testid="idle-hidden-row">
                        <span class="probe-name">"page hidden"</span>
                        <span class="bar-track hidden-track" aria-hidden="true">
                            {move || {
                                hidden()
                                    .into_iter()
                                    .map(|(left, width)| {
                                        view! {
                                            <span
                                                class="hidden-span"
                                                data-testid="idle-hidden-span"
                                                style:left=format!("{left:.2}%")
                                                style:width=format!("{width:.2}%")
                                            ></span>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </span>
                        <span class="probe-state">
                            {move || format!(
                                "hidden {} time(s) during the run: heartbeats may have been throttled",
                                hidden().len()
                            )}
                        </span>
                    </li>
                </Show>
            </ul>
        </Show>
    }
}

/// The verdict, its findings and advice, and the snippets.
#[component]
fn VerdictView(view: ReadSignal<IdleView>) -> impl IntoView {
    move || {
        view.with(|v| {
            let (Some(verdict), Some(result)) = (v.verdict.clone(), v.result.clone()) else {
                return ().into_any();
            };
            let (featured, more): (Vec<Snippet>, Vec<Snippet>) =
                v.snippets.iter().cloned().partition(|s| s.featured);
            let more_count = more.len();
            view! {
                <div
                    class="verdict"
                    data-testid="idle-verdict"
                    data-result=check_json(&idle_check(&result))
                    data-idle-timeout-ms=result.idle_timeout_ms.map(|t| t.to_string()).unwrap_or_default()
                    data-recommended-heartbeat-ms=result
                        .recommended_heartbeat_ms
                        .map(|t| t.to_string())
                        .unwrap_or_default()
                >
                    <h3 data-testid="idle-headline">{verdict.headline.clone()}</h3>
                    <ul>
                        {verdict.findings.iter().map(|f| view! { <li>{f.clone()}</li> }).collect_view()}
                    </ul>
                    {(!verdict.advice.is_empty()).then(|| view! {
                        <h4>"What to do"</h4>
                        <ul>
                            {verdict.advice.iter().map(|a| view! { <li>{a.clone()}</li> }).collect_view()}
                        </ul>
                    })}
                    {(!v.snippets.is_empty()).then(|| view! { <h4>"Snippets with these numbers"</h4> })}
                    {featured.into_iter().map(|s| view! { <SnippetView snippet=s open=true test_id="idle-snippet" /> }).collect_view()}
                    {(more_count > 0).then(|| view! {
                        <details class="snippet more-snippets" data-testid="idle-more-snippets">
                            <summary>{format!("More platforms ({more_count})")}</summary>
                            {more.into_iter().map(|s| view! { <SnippetView snippet=s open=false test_id="idle-snippet" /> }).collect_view()}
                        </details>
                    })}
                </div>
            }
                .into_any()
        })
    }
}
