//! The client-sleep experiment card: the heartbeat the app uses, a probe deadline, "behave
//! like a sleeping device", and a simulated sleep for a developer at a desk; Start and
//! Stop; while it runs, what to do (hide the page) and what has happened so far; then the
//! verdict and a chart of every timer, main thread and Worker, due against fired, with the
//! hidden span shaded.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use wsdoctor_core::duration::{minutes, seconds};
use wsdoctor_core::report::sleep_check;
use wsdoctor_core::settings::{parse_seconds, seconds_field};
use wsdoctor_core::sleep::{Phase, SleepResult, SleepSettings, TimerSample, sleep_snippets};
use wsdoctor_core::target::parse_subprotocols;

use super::data::{check_json, serde_name};
use super::number_field::NumberField;
use super::snippet::SnippetView;
use super::switch::Switch;
use crate::session::{ConsoleView, SleepRunner, SleepView, Support};

/// The card. `target` and `protocols` are shared with the console's form.
#[component]
pub fn SleepExperimentCard(
    /// The target to probe.
    target: RwSignal<String>,
    /// The subprotocols field's text.
    protocols: RwSignal<String>,
) -> impl IntoView {
    let runner = expect_context::<SleepRunner>();
    let shown = expect_context::<ConsoleView>();
    let companion = expect_context::<Support>().companion_mode();
    let view = runner.view();
    let defaults = SleepSettings::default();
    let every = RwSignal::new(seconds_field(defaults.heartbeat_ms));
    let deadline = RwSignal::new(seconds_field(defaults.probe_deadline_ms));
    let idle_close = RwSignal::new(seconds_field(defaults.client_idle_close_ms.unwrap_or(0)));
    let simulate = RwSignal::new(String::new());
    let sleepy = RwSignal::new(false);
    let running = move || view.with(|v| v.phase.is_some_and(|p| p != Phase::Done));
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let read = || -> Result<SleepSettings, String> {
            let simulate_text = simulate.get_untracked();
            Ok(SleepSettings {
                heartbeat_ms: parse_seconds("heartbeat every", &every.get_untracked())?,
                probe_deadline_ms: parse_seconds("probe deadline", &deadline.get_untracked())?,
                client_idle_close_ms: Some(parse_seconds(
                    "server closes a silent page after",
                    &idle_close.get_untracked(),
                )?)
                .filter(|ms| *ms > 0),
                simulate_ms: if simulate_text.trim().is_empty() {
                    None
                } else {
                    Some(parse_seconds("simulated sleep", &simulate_text)?)
                },
                sleepy: sleepy.get_untracked(),
                heartbeat_payload: shown
                    .settings
                    .with_untracked(|s| s.heartbeat_payload.clone()),
                subprotocols: parse_subprotocols(&protocols.get_untracked())?,
                companion,
                ..SleepSettings::default()
            })
        };
        match read() {
            Ok(settings) => runner.start(&target.get_untracked(), settings),
            Err(why) => runner.refuse(why),
        }
    };
    view! {
        <section class="card sleep" aria-labelledby="sleep-heading" data-testid="sleep-card">
            <h2 id="sleep-heading">"Client-sleep experiment"</h2>
            <p class="muted">
                "Holds one connection to the target above with your app's heartbeat. Press Start, then hide this page (switch tab, minimise, lock the phone) for as long as you like, and come back: it shows how late your timers ran (here and in a Worker), what became of the connection, and how the server saw it. Or let wsdoctor-server simulate a sleeping client."
            </p>
            <form class="sleep-form" on:submit=on_submit>
                <div class="fields">
                    <NumberField id="sleep-every" label="Heartbeat every (s)" hint="the interval your app uses" value=every />
                    <NumberField id="sleep-deadline" label="Probe deadline (s)" hint="on return, an answer must come within this" value=deadline />
                    <NumberField id="sleep-idle-close" label="Server closes a silent page after (s)" hint="wsdoctor-server only; 0: never" value=idle_close />
                    <NumberField id="sleep-simulate" label="Simulate a sleep of (s)" hint="wsdoctor-server only; empty: hide the page yourself" value=simulate />
                </div>
                <Switch
                    test_id="sleep-sleepy"
                    checked=sleepy
                    on_toggle=Callback::new(move |()| sleepy.update(|on| *on = !*on))
                >
                    " Behave like a sleeping device: send nothing while hidden"
                </Switch>
                <div class="row">
                    <button type="submit" data-testid="sleep-start" disabled=running>"Start"</button>
                    <button type="button" data-testid="sleep-stop" disabled=move || !running() on:click=move |_| runner.stop()>
                        "Stop"
                    </button>
                </div>
            </form>
            {move || view.with(|v| v.refused.clone()).map(|why| view! {
                <p role="alert" class="error" data-testid="sleep-refused">{why}</p>
            })}
            <p role="status" data-testid="sleep-status" data-phase=move || view.with(|v| v.phase.map(|p| serde_name(&p)).unwrap_or_default())>{move || view.with(status)}</p>
            <SleepVerdictView view=view />
            <TimerChart view=view />
        </section>
    }
    .into_any()
}

/// What is happening, in words.
fn status(v: &SleepView) -> String {
    let away = v.result.as_ref().map_or(0, |r| r.away_ms);
    match v.phase {
        None => String::new(),
        Some(Phase::Ready | Phase::Connecting) => "Connecting…".into(),
        Some(Phase::Watching) if v.result.as_ref().is_some_and(|r| r.simulated) => format!(
            "Simulating a sleeping client: the server is silent ({} so far).",
            minutes(away)
        ),
        Some(Phase::Watching) if away == 0 => {
            "Connected. Now hide this page (switch to another tab or app) for a while, then come back.".into()
        }
        Some(Phase::Watching) => format!("Away {} so far. Come back when you like.", minutes(away)),
        Some(Phase::Probing) => "Back: checking whether the connection still answers…".into(),
        Some(Phase::AskingServer) => "Asking the server how it saw the connection…".into(),
        Some(Phase::Done) => match v.result.as_ref() {
            Some(r) if r.failure.is_some() => "Could not run.".into(),
            Some(r) if r.cancelled => "Stopped.".into(),
            _ => "Done.".into(),
        },
    }
}

/// The verdict: headline, findings, advice.
#[component]
fn SleepVerdictView(view: ReadSignal<SleepView>) -> impl IntoView {
    move || {
        view.with(|v| v.verdict.clone()).map(|verdict| {
            let fate = view.with(|v| {
                v.result
                    .as_ref()
                    .map(|r| fate_name(r).to_string())
                    .unwrap_or_default()
            });
            let data = view.with(|v| {
                v.result
                    .as_ref()
                    .map(|r| check_json(&sleep_check(r)))
                    .unwrap_or_default()
            });
            let snippets = view.with(|v| {
                v.result
                    .as_ref()
                    .map(|r| sleep_snippets(r, v.deadline_ms))
                    .unwrap_or_default()
            });
            view! {
                <div class="verdict" data-testid="sleep-verdict" data-fate=fate data-result=data>
                    <h3 data-testid="sleep-headline">{verdict.headline}</h3>
                    <ul class="findings">
                        {verdict.findings.into_iter().map(|f| view! { <li data-testid="sleep-finding">{f}</li> }).collect_view()}
                    </ul>
                    <Show when={
                        let any = !verdict.advice.is_empty();
                        move || any
                    }>
                        <h4>"What to change"</h4>
                    </Show>
                    <ul class="advice">
                        {verdict.advice.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}
                    </ul>
                    <h4>"Code with these numbers"</h4>
                    {snippets.into_iter().map(|s| {
                        let open = s.featured;
                        view! { <SnippetView snippet=s open=open test_id="sleep-snippet" /> }
                    }).collect_view()}
                </div>
            }
            .into_any()
        })
    }
}

/// The fate's name for automation (`survived`, `half_open`, ...).
fn fate_name(result: &SleepResult) -> &'static str {
    use wsdoctor_core::sleep::Fate;
    match result.fate {
        Fate::Survived => "survived",
        Fate::ClosedWhileAway { .. } => "closed_while_away",
        Fate::ClosedBeforeSleep { .. } => "closed_before_sleep",
        Fate::HalfOpen { .. } => "half_open",
        Fate::Unknown => "unknown",
    }
}

/// Chart geometry (SVG user units; the SVG scales to the card's width).
const WIDTH: f64 = 600.0;
const ROW: f64 = 34.0;
const LEFT: f64 = 70.0;

/// Every timer on one time axis: for each, a line from when it was due to when it fired
/// (its lateness) and a dot when it fired; main thread above, Worker below; hidden spans
/// shaded. Words beside it say the same (colour is never the only signal).
#[component]
fn TimerChart(view: ReadSignal<SleepView>) -> impl IntoView {
    move || {
        view.with(|v| v.result.clone())
            .filter(|r| !r.main_timers.is_empty() || !r.worker_timers.is_empty())
            .map(|r| {
                let end = r
                    .main_timers
                    .iter()
                    .chain(&r.worker_timers)
                    .map(|s| s.fired)
                    .chain(r.hidden.iter().map(|(_, to)| *to as f64))
                    .fold(1.0_f64, f64::max);
                let x = move |t: f64| LEFT + (t.max(0.0) / end) * (WIDTH - LEFT - 10.0);
                let shade = r
                    .hidden
                    .iter()
                    .map(|(from, to)| {
                        let (a, b) = (x(*from as f64), x(*to as f64));
                        view! { <rect class="hidden-shade" x=a y=4.0 width=(b - a).max(1.0) height=ROW * 2.0 + 8.0></rect> }
                    })
                    .collect_view();
                let marks = |samples: &[TimerSample], row: f64, class: &'static str| {
                    samples
                        .iter()
                        .map(|s| {
                            let y = 10.0 + row * ROW + ROW / 2.0;
                            view! {
                                <line class=class x1=x(s.due) x2=x(s.fired) y1=y y2=y></line>
                                <circle class=class cx=x(s.fired) cy=y r=3.0></circle>
                            }
                        })
                        .collect_view()
                };
                let summary = format!(
                    "Main thread: {} timers, longest gap {}. Worker: {} timers, longest gap {}. Hidden {}.",
                    r.main_timers.len(),
                    r.main.longest_gap_ms.map_or("-".into(), seconds),
                    r.worker_timers.len(),
                    r.worker.longest_gap_ms.map_or("-".into(), seconds),
                    minutes(r.hidden.iter().map(|(a, b)| b - a).sum()),
                );
                view! {
                    <figure
                        class="timer-chart"
                        data-testid="sleep-chart"
                        data-main-typical-gap-ms=r.main.typical_gap_ms.map(|g| g.to_string()).unwrap_or_default()
                        data-worker-typical-gap-ms=r.worker.typical_gap_ms.map(|g| g.to_string()).unwrap_or_default()
                        data-main-fired-hidden=r.main.fired_while_hidden.to_string()
                        data-worker-fired-hidden=r.worker.fired_while_hidden.to_string()
                    >
                        <div class="timeline-scroll" tabindex="0" role="region" aria-label="Timers, due against fired (scrolls sideways)">
                            <svg class="timeline" viewBox=format!("0 0 {WIDTH} {}", ROW * 2.0 + 20.0) role="img" aria-label=summary.clone()>
                                {shade}
                                <text class="seg-label" x=4.0 y=10.0 + ROW / 2.0 + 4.0>"main"</text>
                                <text class="seg-label" x=4.0 y=10.0 + ROW * 1.5 + 4.0>"Worker"</text>
                                {marks(&r.main_timers, 0.0, "timer-main")}
                                {marks(&r.worker_timers, 1.0, "timer-worker")}
                            </svg>
                        </div>
                        <figcaption class="muted" data-testid="sleep-chart-caption">
                            {summary}
                            " Each line runs from when a timer was due to when it fired; the shaded span is the time hidden."
                        </figcaption>
                    </figure>
                }
                .into_any()
            })
    }
}
