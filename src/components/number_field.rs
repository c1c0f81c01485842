//! A labelled field for a number (seconds, counts) with a hint tied to it for screen
//! readers; the value stays text so that what the user typed is checked in core.

use leptos::prelude::*;

/// One labelled text field for a number, with a hint under it.
#[component]
pub fn NumberField(
    /// The field's id (also its test id).
    id: &'static str,
    /// The label.
    label: &'static str,
    /// A hint under the label.
    hint: &'static str,
    /// The value as typed.
    value: RwSignal<String>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                data-testid=id
                type="text"
                inputmode="decimal"
                autocomplete="off"
                aria-describedby=hint_id.clone()
                bind:value=value
            />
            <span class="muted hint" id=hint_id>{hint}</span>
        </div>
    }
}
