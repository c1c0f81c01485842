//! The reconnect and heartbeat knobs: waits, attempts, timeouts, and a heartbeat with
//! its answer deadline. Applied together; a bad value is named and nothing changes.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use wsdoctor_core::settings::{ConsoleSettings, parse_max_attempts, parse_seconds, seconds_field};

use super::number_field::NumberField;
use crate::session::{Console, ConsoleView};

/// The form's fields, as typed.
#[derive(Clone, Copy)]
struct Fields {
    initial: RwSignal<String>,
    max: RwSignal<String>,
    attempts: RwSignal<String>,
    connect_timeout: RwSignal<String>,
    stable: RwSignal<String>,
    heartbeat_every: RwSignal<String>,
    heartbeat_deadline: RwSignal<String>,
    heartbeat_payload: RwSignal<String>,
}

impl Fields {
    /// Fields showing `settings`.
    fn new(settings: &ConsoleSettings) -> Fields {
        let empty = || RwSignal::new(String::new());
        let fields = Fields {
            initial: empty(),
            max: empty(),
            attempts: empty(),
            connect_timeout: empty(),
            stable: empty(),
            heartbeat_every: empty(),
            heartbeat_deadline: empty(),
            heartbeat_payload: empty(),
        };
        fields.show(settings);
        fields
    }

    /// Puts `settings` into the fields, as the user would type them.
    fn show(&self, settings: &ConsoleSettings) {
        self.initial.set(seconds_field(settings.initial_delay_ms));
        self.max.set(seconds_field(settings.max_delay_ms));
        self.attempts.set(
            settings
                .max_attempts
                .map_or_else(String::new, |n| n.to_string()),
        );
        self.connect_timeout
            .set(seconds_field(settings.connect_timeout_ms));
        self.stable.set(seconds_field(settings.stable_after_ms));
        self.heartbeat_every
            .set(seconds_field(settings.heartbeat_every_ms));
        self.heartbeat_deadline
            .set(seconds_field(settings.heartbeat_deadline_ms));
        self.heartbeat_payload
            .set(settings.heartbeat_payload.clone());
    }

    /// The settings these fields describe, on top of `base`; the first bad field's message.
    fn read(&self, base: ConsoleSettings) -> Result<ConsoleSettings, String> {
        Ok(ConsoleSettings {
            initial_delay_ms: parse_seconds("first wait", &self.initial.get_untracked())?,
            max_delay_ms: parse_seconds("longest wait", &self.max.get_untracked())?,
            max_attempts: parse_max_attempts(&self.attempts.get_untracked())?,
            connect_timeout_ms: parse_seconds(
                "connect timeout",
                &self.connect_timeout.get_untracked(),
            )?,
            stable_after_ms: parse_seconds("stable after", &self.stable.get_untracked())?,
            heartbeat_every_ms: parse_seconds(
                "heartbeat every",
                &self.heartbeat_every.get_untracked(),
            )?,
            heartbeat_deadline_ms: parse_seconds(
                "answer within",
                &self.heartbeat_deadline.get_untracked(),
            )?,
            heartbeat_payload: self.heartbeat_payload.get_untracked(),
            ..base
        })
    }
}

/// Reconnect and heartbeat settings.
#[component]
pub fn SettingsForm() -> impl IntoView {
    let console = expect_context::<Console>();
    let settings = expect_context::<ConsoleView>().settings;
    let fields = Fields::new(&settings.get_untracked());
    let outcome: RwSignal<Option<Result<String, String>>> = RwSignal::new(None);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let result = fields
            .read(settings.get_untracked())
            .and_then(|new| console.apply_settings(new));
        outcome.set(Some(result.map(|()| "Applied.".to_string())));
    };
    let reset = move |_| {
        let defaults = ConsoleSettings {
            target: settings.with_untracked(|s| s.target.clone()),
            subprotocols: settings.with_untracked(|s| s.subprotocols.clone()),
            show_secrets: settings.with_untracked(|s| s.show_secrets),
            ..ConsoleSettings::default()
        };
        fields.show(&defaults);
        let result = console.apply_settings(defaults);
        outcome.set(Some(
            result.map(|()| "Back to the recommended settings.".to_string()),
        ));
    };
    view! {
        <details class="settings" data-testid="settings">
            <summary>"Reconnect and heartbeat settings"</summary>
            <form on:submit=on_submit>
                <fieldset>
                    <legend>"Reconnect (exponential backoff with full jitter)"</legend>
                    <div class="fields">
                        <NumberField
                            id="setting-initial-delay"
                            label="First wait (s)"
                            hint="before the first retry"
                            value=fields.initial
                        />
                        <NumberField
                            id="setting-max-delay"
                            label="Longest wait (s)"
                            hint="the waits double up to this"
                            value=fields.max
                        />
                        <NumberField
                            id="setting-max-attempts"
                            label="Give up after (reconnections failed in a row)"
                            hint="empty: never give up"
                            value=fields.attempts
                        />
                        <NumberField
                            id="setting-connect-timeout"
                            label="Connect timeout (s)"
                            hint="a browser can wait minutes otherwise"
                            value=fields.connect_timeout
                        />
                        <NumberField
                            id="setting-stable-after"
                            label="Stable after (s)"
                            hint="backoff resets only after this long open"
                            value=fields.stable
                        />
                    </div>
                </fieldset>
                <fieldset>
                    <legend>"Heartbeat (detects half-open connections, keeps proxies from cutting idle ones)"</legend>
                    <div class="fields">
                        <NumberField
                            id="setting-heartbeat-every"
                            label="Send every (s)"
                            hint="0: no heartbeat"
                            value=fields.heartbeat_every
                        />
                        <NumberField
                            id="setting-heartbeat-deadline"
                            label="Answer within (s)"
                            hint="any message counts as the answer"
                            value=fields.heartbeat_deadline
                        />
                        <div class="field">
                            <label for="setting-heartbeat-payload">"Message ({seq} = its number)"</label>
                            <input
                                id="setting-heartbeat-payload"
                                data-testid="setting-heartbeat-payload"
                                type="text"
                                autocomplete="off"
                                spellcheck="false"
                                bind:value=fields.heartbeat_payload
                            />
                        </div>
                    </div>
                </fieldset>
                <div class="row">
                    <button type="submit" data-testid="apply-settings">"Apply"</button>
                    <button type="button" data-testid="reset-settings" on:click=reset>
                        "Recommended settings"
                    </button>
                </div>
                {move || match outcome.get() {
                    Some(Ok(text)) => {
                        view! { <p role="status" data-testid="settings-outcome">{text}</p> }
                            .into_any()
                    }
                    Some(Err(text)) => {
                        view! {
                            <p role="alert" class="error" data-testid="settings-outcome">
                                {text}
                            </p>
                        }
                            .into_any()
                    }
                    None => ().into_any(),
                }}
            </form>
        </details>
    }
}
