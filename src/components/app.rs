//! The whole page: the header and the connection console.

use leptos::prelude::*;

use super::{
    CatalogueReference, CloseForm, ClosePanel, ConnectForm, EventLogView, Header, LiveMetricsPanel,
    ReconnectHistory, SendBox, SettingsForm,
};
use crate::session::{self, Console};

/// The root of the page.
#[component]
pub fn App() -> impl IntoView {
    let console = Console::new();
    provide_context(console);
    session::watch_page_lifecycle(console);
    let saved_target = console.settings().with_untracked(|s| s.target.clone());
    view! {
        <Header />
        <main id="main" class="page">
            <p class="lede" data-testid="lede">
                "Open a WebSocket from this browser, through your own proxies, and find out why it drops."
            </p>
            <section class="card" aria-labelledby="console-heading">
                <h2 id="console-heading">"Connection console"</h2>
                <ConnectForm initial_target=session::initial_target(&saved_target) />
                <SettingsForm />
                <SendBox />
                <CloseForm />
                <ClosePanel />
                <EventLogView />
            </section>
            <LiveMetricsPanel />
            <ReconnectHistory />
            <CatalogueReference />
        </main>
    }
}
