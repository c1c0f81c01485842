//! The whole page: the header and the connection console.

use leptos::prelude::*;

use super::{
    CatalogueReference, CloseForm, ClosePanel, ConnectForm, EventLogView, Header,
    IdleExperimentCard, LiveMetricsPanel, ReconnectHistory, SendBox, SettingsForm,
};
use crate::session::{self, Console, IdleRunner};

/// The root of the page.
#[component]
pub fn App() -> impl IntoView {
    let console = Console::new();
    let shown = console.view();
    provide_context(console);
    provide_context(shown);
    let idle = IdleRunner::new();
    provide_context(idle);
    session::watch_page_lifecycle(console, idle);
    let (saved_target, saved_protocols) = shown
        .settings
        .with_untracked(|s| (s.target.clone(), s.subprotocols.clone()));
    // One target and one subprotocols field for the console and the experiment, so a
    // support link's `?protocols=` reaches the experiment without a Connect first.
    let target = RwSignal::new(session::initial_target(&saved_target));
    let protocols = RwSignal::new(session::initial_protocols(&saved_protocols));
    view! {
        <Header />
        <main id="main" class="page">
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
            <IdleExperimentCard target=target protocols=protocols />
            <LiveMetricsPanel />
            <ReconnectHistory />
            <CatalogueReference />
        </main>
    }
}
