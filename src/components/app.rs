//! The whole page: the header and the connection console.

use leptos::prelude::*;

use super::{
    CatalogueReference, CloseForm, ClosePanel, ConnectForm, EventLogView, Header, ReconnectHistory,
    SendBox,
};
use crate::session::{self, Console};

/// The root of the page.
#[component]
pub fn App() -> impl IntoView {
    let console = Console::new();
    provide_context(console);
    session::watch_page_lifecycle(console);
    view! {
        <Header />
        <main id="main" class="page">
            <p class="lede" data-testid="lede">
                "Open a WebSocket from this browser, through your own proxies, and find out why it drops."
            </p>
            <section class="card" aria-labelledby="console-heading">
                <h2 id="console-heading">"Connection console"</h2>
                <ConnectForm initial_target=session::initial_target() />
                <SendBox />
                <CloseForm />
                <ClosePanel />
                <EventLogView />
            </section>
            <ReconnectHistory />
            <CatalogueReference />
        </main>
    }
}
