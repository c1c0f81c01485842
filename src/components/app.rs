//! The whole page: the header and, below it, the tools.

use leptos::prelude::*;

use super::Header;

/// The root of the page.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Header />
        <main id="main" class="page">
            <p class="lede" data-testid="lede">
                "Open a WebSocket from this browser, through your own proxies, and find out why it drops."
            </p>
        </main>
    }
}
