//! Close the connection with a chosen code and reason (only what `close()` accepts).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use wsdoctor_core::close_code;

use crate::session::{Console, ConsoleView};

/// The code and reason fields and the Close button.
#[component]
pub fn CloseForm() -> impl IntoView {
    let console = expect_context::<Console>();
    let is_open = expect_context::<ConsoleView>().is_open;
    let code = RwSignal::new("4000".to_string());
    let reason = RwSignal::new(String::new());
    let problem = move || match code.get().trim().parse::<u16>() {
        Ok(n) => close_code::why_page_may_not_close_with(n),
        Err(_) => Some("Enter a number: 1000, or 3000 to 4999.".to_string()),
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Ok(n) = code.get_untracked().trim().parse::<u16>() {
            console.close_with(n, &reason.get_untracked());
        }
    };
    view! {
        <form class="close-form" on:submit=on_submit>
            <div class="row">
                <div>
                    <label for="close-code">"Close code"</label>
                    <input id="close-code" data-testid="close-code-input" inputmode="numeric" bind:value=code aria-describedby="close-code-help" />
                </div>
                <div class="grow">
                    <label for="close-reason">"Reason"</label>
                    <input id="close-reason" data-testid="close-reason-input" maxlength="123" bind:value=reason />
                </div>
                <button
                    type="submit"
                    data-testid="close-button"
                    disabled=move || problem().is_some() || !is_open.get()
                >
                    "Close"
                </button>
            </div>
            <p id="close-code-help" class="muted" data-testid="close-code-help">
                {move || problem().unwrap_or_else(|| "A page may close with 1000 or 3000-4999; no reconnect follows.".into())}
            </p>
        </form>
    }
}
