//! The application protocol the console speaks: detected or chosen by hand, the evidence
//! for the one in force, and the switch between behaving like the real client and staying
//! silent to watch the server's own timeout fire.

use leptos::prelude::*;
use wsdoctor_core::profile::{Mode, ProfileChoice, ProfileKind};

use super::switch::Switch;
use crate::session::{Console, ConsoleView};

/// The protocol select, the mode switch and the detected profile.
#[component]
pub fn ProfilePicker() -> impl IntoView {
    let console = expect_context::<Console>();
    let shown = expect_context::<ConsoleView>();
    let settings = shown.settings;
    let profile = shown.profile;
    let chosen = move || settings.with(|s| s.profile.name());
    let silent = move || settings.with(|s| s.profile_mode == Mode::Silent);
    let in_force = move || profile.with(|p| p.as_ref().map_or("raw", |d| d.kind.name()));
    let evidence = move || {
        profile.with(|p| match p {
            Some(found) => found.summary(),
            None => "Raw WebSocket: nothing points to a protocol on top (the page sends only what you send).".into(),
        })
    };
    let options = ProfileKind::ALL
        .into_iter()
        .map(|kind| {
            view! { <option value=kind.name()>{kind.title()}</option> }
        })
        .collect_view();
    view! {
        <label for="profile-select">"Application protocol"</label>
        <select
            id="profile-select"
            data-testid="profile-select"
            aria-describedby="profile-status"
            prop:value=chosen
            on:change=move |ev| {
                if let Some(choice) = ProfileChoice::from_name(&event_target_value(&ev)) {
                    console.set_profile(choice);
                }
            }
        >
            <option value="auto">"Detect (URL, subprotocol, first frame)"</option>
            {options}
        </select>
        <p class="muted hint" id="profile-status" role="status">
            "Protocol in force: "
            <span data-testid="profile-status" data-profile=in_force>
                {evidence}
            </span>
        </p>
        <Switch
            test_id="profile-silent"
            checked=Signal::derive(silent)
            on_toggle=Callback::new(move |()| {
                let mode = if silent() { Mode::LikeTheClient } else { Mode::Silent };
                console.set_profile_mode(mode)
            })
        >
            " Stay silent: answer no protocol heartbeat and send no init, to watch the server's own timeout fire (off: behave like the real client)"
        </Switch>
    }
}
