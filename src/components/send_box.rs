//! The message box and Send.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::session::{ConnectionStatus, Console};

/// Where the user types a text message to send.
#[component]
pub fn SendBox() -> impl IntoView {
    let console = expect_context::<Console>();
    let message = RwSignal::new(String::new());
    let status = console.status();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        console.send(&message.get_untracked());
    };
    view! {
        <form class="send-box" on:submit=on_submit>
            <label for="message-input">"Message"</label>
            <div class="row">
                <input
                    id="message-input"
                    data-testid="message-input"
                    type="text"
                    autocomplete="off"
                    bind:value=message
                />
                <button
                    type="submit"
                    data-testid="send-button"
                    disabled=move || status.get() != ConnectionStatus::Open
                >
                    "Send"
                </button>
            </div>
        </form>
    }
}
