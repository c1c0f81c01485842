//! The message box and Send: text as typed, or binary typed as hex.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::switch::Switch;
use crate::session::{Console, ConsoleView};

/// Where the user types a message to send.
#[component]
pub fn SendBox() -> impl IntoView {
    let console = expect_context::<Console>();
    let message = RwSignal::new(String::new());
    let binary = RwSignal::new(false);
    let is_open = expect_context::<ConsoleView>().is_open;
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let typed = message.get_untracked();
        if binary.get_untracked() {
            console.send_hex(&typed);
        } else {
            console.send(&typed);
        }
    };
    view! {
        <form class="send-box" on:submit=on_submit>
            <label for="message-input">
                {move || if binary.get() { "Message (binary, as hex bytes: de ad be ef)" } else { "Message (text)" }}
            </label>
            <div class="row">
                <input
                    id="message-input"
                    data-testid="message-input"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    bind:value=message
                />
                <button
                    type="submit"
                    data-testid="send-button"
                    disabled=move || !is_open.get()
                >
                    "Send"
                </button>
            </div>
            <Switch
                test_id="send-binary"
                checked=binary
                on_toggle=Callback::new(move |()| binary.update(|b| *b = !*b))
            >
                " Send as binary (type hex)"
            </Switch>
        </form>
    }
}
