//! The page header: the product's name, what it is, and the app's version.

use leptos::prelude::*;

/// The header shown atop every page.
#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <h1 data-testid="title">"wsdoctor"</h1>
            <p class="tagline" data-testid="tagline">
                "WebSocket diagnostics from your own browser: close codes explained, proxy idle timeouts found, drops tied to sleep."
            </p>
            <p class="version">
                "version " <span data-testid="version">{crate::VERSION}</span>
            </p>
        </header>
    }
}
