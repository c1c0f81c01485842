//! An on/off switch: a checkbox inside its label, so the whole text toggles it and a
//! screen reader reads the text with the state.

use leptos::prelude::*;

/// A labelled checkbox.
#[component]
pub fn Switch(
    /// The checkbox's test id.
    test_id: &'static str,
    /// Whether it is on.
    #[prop(into)]
    checked: Signal<bool>,
    /// Called when the user flips it.
    on_toggle: Callback<()>,
    /// The label's text.
    children: Children,
) -> impl IntoView {
    view! {
        <label class="switch">
            <input
                type="checkbox"
                data-testid=test_id
                prop:checked=move || checked.get()
                on:change=move |_| on_toggle.run(())
            />
            {children()}
        </label>
    }
}
