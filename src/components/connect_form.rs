//! The target field, Connect and Disconnect, and the connection's status in words.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use wsdoctor_core::settings::seconds;
use wsdoctor_core::target::secrets_to_retype;

use super::profile_picker::ProfilePicker;
use super::switch::Switch;
use crate::session::{Console, ConsoleView};

/// Where the user says what to connect to.
#[component]
pub fn ConnectForm(
    /// The target, shared with the idle experiment.
    target: RwSignal<String>,
    /// The subprotocols field's text, shared with the idle experiment.
    protocols: RwSignal<String>,
) -> impl IntoView {
    let console = expect_context::<Console>();
    let shown = expect_context::<ConsoleView>();
    let settings = shown.settings;
    let status = shown.status;
    let is_live = shown.is_live;
    let auto = move || settings.with(|s| s.auto_reconnect);
    let preview = move || {
        shown
            .reconnect_preview(8, 0x5eed)
            .into_iter()
            .map(|(ceiling, example)| {
                format!(
                    "{:.0} s ({:.1} s)",
                    ceiling as f64 / 1000.0,
                    example as f64 / 1000.0
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let switch_text = move || {
        settings.with(|s| {
            format!(
                " Reconnect automatically (backoff {} doubling to {}, with jitter; {}never after a final code such as 1000 or 1008)",
                seconds(s.initial_delay_ms),
                seconds(s.max_delay_ms),
                s.max_attempts
                    .map_or_else(String::new, |n| format!("at most {n} reconnections in a row; ")),
            )
        })
    };
    // Secret parameters left without a value (a reload keeps none): ask for them.
    let retype = move || target.with(|t| secrets_to_retype(t));
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        console.connect(&target.get_untracked(), &protocols.get_untracked());
    };
    view! {
        <form class="connect-form" on:submit=on_submit>
            <label for="target-input">"Target URL"</label>
            <div class="row">
                <input
                    id="target-input"
                    data-testid="target-input"
                    type="text"
                    inputmode="url"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder="wss://example.com/socket"
                    aria-describedby="target-hint"
                    bind:value=target
                />
                <button type="submit" data-testid="connect-button">"Connect"</button>
                <button
                    type="button"
                    data-testid="disconnect-button"
                    disabled=move || !is_live.get()
                    on:click=move |_| console.disconnect()
                >
                    "Disconnect"
                </button>
            </div>
            <Show when=move || !retype().is_empty()>
                <p class="hint warning" id="target-hint" data-testid="target-retype" role="note">
                    {move || format!(
                        "No value for {}: secret values are never saved across a reload. Type them in before connecting.",
                        retype().join(", ")
                    )}
                </p>
            </Show>
            <label for="protocols-input">"Subprotocols (optional, comma-separated)"</label>
            <input
                id="protocols-input"
                data-testid="protocols-input"
                type="text"
                autocomplete="off"
                spellcheck="false"
                placeholder="e.g. wsdoctor.v1, graphql-transport-ws"
                aria-describedby="protocols-hint"
                bind:value=protocols
            />
            <span class="muted hint" id="protocols-hint">
                "With wsdoctor-server, ask for wsdoctor.v1 and each close is also explained as the server saw it."
            </span>
            <ProfilePicker />
            <Switch
                test_id="auto-reconnect"
                checked=Signal::derive(auto)
                on_toggle=Callback::new(move |()| {
                    console.set_auto_reconnect(!settings.with_untracked(|s| s.auto_reconnect))
                })
            >
                {switch_text}
            </Switch>
            <Show when=auto>
                <p class="muted" data-testid="reconnect-preview">
                    "Waits before the next retries (up to; one example with jitter): "
                    {preview}
                </p>
            </Show>
            <p class="status" role="status">
                "Status: "
                <span
                    data-testid="connection-status"
                    data-status=move || status.get().as_str()
                    class=move || format!("status-{}", status.get().as_str())
                >
                    {move || status.get().label()}
                </span>
            </p>
        </form>
    }
}
