//! A snippet to copy (configuration or code with the measured numbers filled in), folded
//! under its title unless it is one of the likeliest.

use leptos::prelude::*;
use wsdoctor_core::idle::Snippet;

/// One snippet to copy, with what it is for.
#[component]
pub fn SnippetView(
    /// The snippet.
    snippet: Snippet,
    /// Whether it starts unfolded.
    open: bool,
    /// Its test id (`idle-snippet`, `sleep-snippet`, `finding-snippet`).
    test_id: &'static str,
) -> impl IntoView {
    view! {
        <details
            class="snippet"
            open=open
            data-testid=test_id
            data-title=snippet.title.clone()
            data-featured=snippet.featured.to_string()
        >
            <summary>{format!("{} ({})", snippet.title, snippet.language)}</summary>
            <pre><code>{snippet.code}</code></pre>
        </details>
    }
}
