//! The close-code catalogue as a searchable reference.

use leptos::prelude::*;
use wsdoctor_core::close_code::{self, CloseCodeInfo, Reconnect, Sender};

/// Every named close code, filtered by what the user types.
#[component]
pub fn CatalogueReference() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let entries = move || close_code::search(&query.get());
    view! {
        <details class="card catalogue" data-testid="catalogue">
            <summary>"Close codes: the reference"</summary>
            <label for="catalogue-search">"Search by code (any number), name, cause or system"</label>
            <input id="catalogue-search" data-testid="catalogue-search" type="search" bind:value=query />
            <p class="muted">
                "Any code can be looked up: 1000-1015 are standard (1005, 1006 and 1015 are only reported, never sent), 1016-2999 reserved, 3000-3999 registered by libraries, 4000-4999 private to applications."
            </p>
            <ul class="catalogue-list">
                <For each=entries key=|entry| (entry.system, entry.code) let:entry>
                    <CatalogueEntry entry=entry />
                </For>
            </ul>
        </details>
    }
}

/// One code of the catalogue.
#[component]
fn CatalogueEntry(
    /// The entry to show.
    entry: CloseCodeInfo,
) -> impl IntoView {
    let sender = match entry.sender {
        Sender::Either => "either side",
        Sender::Server => "the server",
        Sender::Client => "the client",
        Sender::BrowserOnly => "reported by the browser only",
        Sender::Nobody => "nobody (reserved)",
        Sender::Application => "the application",
    };
    let reconnect = match entry.reconnect {
        Reconnect::Yes => "reconnect: yes",
        Reconnect::Later => "reconnect: later, with backoff",
        Reconnect::No => "reconnect: no, it is final",
        Reconnect::Depends => "reconnect: depends on the application",
    };
    let system = entry
        .system
        .map(|s| format!(" ({})", s.name()))
        .unwrap_or_default();
    let known = entry
        .known
        .iter()
        .map(|k| {
            view! {
                <li>{format!("If this is {}: \"{}\", {}", k.system.name(), k.name, k.meaning)}</li>
            }
        })
        .collect_view();
    view! {
        <li
            data-testid="catalogue-entry"
            data-code=entry.code
            data-system=entry.system.map(|s| s.name()).unwrap_or("standard")
        >
            <strong>{entry.code} " " {entry.name.clone()}</strong> {system}
            <p>{entry.meaning.clone()}</p>
            <p class="muted">"Sent by " {sender} "; " {reconnect} ". " {entry.advice.clone()}</p>
            {(!entry.known.is_empty()).then(|| view! { <ul class="known-meanings">{known}</ul> })}
        </li>
    }
}
