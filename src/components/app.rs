//! The whole page: the header, then one of three views. A report link (`#report=`) opens
//! the report read-only; a support link with `checks=` opens the end user's view, with
//! the full console one click away; otherwise the connection console and its cards.

use leptos::prelude::*;
use wsdoctor_core::idle::IdleSettings;
use wsdoctor_core::settings::seconds_field;

use super::{
    BlockedCard, CatalogueReference, CloseForm, ClosePanel, ConnectForm, EndUserView, EventLogView,
    HandshakeCard, Header, IdleExperimentCard, LabCard, LiveMetricsPanel, OpenReportFile,
    ReconnectHistory, ReportView, RoundTripCard, SendBox, SettingsForm, SizeCard,
    SleepExperimentCard, SoakCard, SupportLinkCard,
};
use crate::session::{
    self, BlockedRunner, Console, HandshakeRunner, IdleRunner, LabRunner, RoundTripRunner, Runners,
    ShownReport, SizeRunner, SleepRunner, SoakRunner, Support,
};

/// The root of the page.
#[component]
pub fn App() -> impl IntoView {
    let console = Console::new();
    let shown = console.view();
    provide_context(console);
    provide_context(shown);
    let idle = IdleRunner::new();
    provide_context(idle);
    let sleep = SleepRunner::new();
    provide_context(sleep);
    let handshake = HandshakeRunner::new();
    provide_context(handshake);
    let blocked = BlockedRunner::new();
    provide_context(blocked);
    let round_trips = RoundTripRunner::new();
    provide_context(round_trips);
    let lab = LabRunner::new();
    provide_context(lab);
    let soak = SoakRunner::new();
    provide_context(soak);
    let size = SizeRunner::new();
    provide_context(size);
    let support = Support::new(
        Runners {
            idle,
            sleep,
            handshake,
            blocked,
            round_trips,
            lab,
            soak,
            size,
        },
        shown,
    );
    provide_context(support);
    session::watch_page_lifecycle(console, idle, sleep);
    let presets = support.presets();
    if let Some(profile) = presets.profile {
        console.set_profile(profile);
    }
    let (saved_target, saved_protocols) = shown
        .settings
        .with_untracked(|s| (s.target.clone(), s.subprotocols.clone()));
    // One target and one subprotocols field for the console, the experiment and the
    // support link, so a link's `?protocols=` reaches the experiment without a Connect.
    let target = RwSignal::new(session::initial_target(
        presets.target.clone(),
        &saved_target,
    ));
    let protocols = RwSignal::new(session::initial_protocols(
        presets.protocols.clone(),
        &saved_protocols,
    ));
    let defaults = IdleSettings::default();
    let watch = RwSignal::new(seconds_field(
        presets.watch_ms.unwrap_or(defaults.max_idle_ms),
    ));
    let every = RwSignal::new(seconds_field(
        presets.every_ms.unwrap_or(defaults.heartbeat_ms),
    ));
    let end_user = !presets.checks.is_empty();
    let full_console = RwSignal::new(!end_user);
    let report_shown = support.opened();
    let live = move || report_shown.with(|r| *r == ShownReport::None);
    let problems = StoredValue::new(presets.problems);
    view! {
        <Header />
        <main id="main" class="page">
            <ReportView />
            <Show when=live>
                <Show when=move || problems.with_value(|p| !p.is_empty())>
                    <div role="alert" class="card link-problems" data-testid="link-problems">
                        <p>"Some of this link's settings could not be used:"</p>
                        <ul>
                            {problems
                                .get_value()
                                .into_iter()
                                .map(|p| view! { <li>{p}</li> })
                                .collect_view()}
                        </ul>
                    </div>
                </Show>
                <Show when=move || end_user>
                    <EndUserView target=target protocols=protocols />
                    <button
                        type="button"
                        class="link-button"
                        data-testid="toggle-console"
                        aria-expanded=move || full_console.get().to_string()
                        on:click=move |_| full_console.update(|on| *on = !*on)
                    >
                        {move || if full_console.get() { "Hide the full console" } else { "Open the full console" }}
                    </button>
                </Show>
                <Show when=move || full_console.get()>
                    <FullConsole target=target protocols=protocols watch=watch every=every />
                </Show>
            </Show>
        </main>
    }
}

/// The connection console and its cards (type-erased: one view type, less code).
#[component]
fn FullConsole(
    /// The target field's text, shared by the console, the experiment and the link.
    target: RwSignal<String>,
    /// The subprotocols field's text, shared the same way.
    protocols: RwSignal<String>,
    /// The idle experiment's "watch for" field.
    watch: RwSignal<String>,
    /// Its "heartbeat every" field.
    every: RwSignal<String>,
) -> impl IntoView {
    view! {
        <p class="lede" data-testid="lede">
            "Open a WebSocket from this browser, through your own proxies, and find out why it drops."
        </p>
        <section class="card" aria-labelledby="console-heading">
            <h2 id="console-heading">"Connection console"</h2>
            <ConnectForm target=target protocols=protocols />
            <SettingsForm />
            <SendBox />
            <CloseForm />
            <ClosePanel />
            <EventLogView />
        </section>
        <IdleExperimentCard target=target protocols=protocols watch=watch every=every />
        <SleepExperimentCard target=target protocols=protocols />
        <BlockedCard />
        <HandshakeCard target=target protocols=protocols />
        <RoundTripCard target=target protocols=protocols />
        <SizeCard target=target />
        <LabCard target=target />
        <SoakCard target=target />
        <SupportLinkCard target=target protocols=protocols watch=watch every=every />
        <LiveMetricsPanel />
        <ReconnectHistory />
        <CatalogueReference />
        <OpenReportFile />
    }
    .into_any()
}
