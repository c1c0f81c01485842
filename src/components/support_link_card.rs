//! "Copy support link": a link that opens this page with the current target, subprotocols
//! and idle-experiment settings preset, in the end user's view with one "Run diagnostics"
//! button that runs the checks chosen here. Secret values in the target are left out
//! unless the user includes them.

use leptos::prelude::*;
use wsdoctor_core::idle::CompanionMode;
use wsdoctor_core::link::SupportLink;
use wsdoctor_core::report::CheckKind;
use wsdoctor_core::settings::parse_seconds;
use wsdoctor_core::target::secrets_to_retype;

use super::report_actions::ReportActions;
use super::switch::Switch;
use crate::session::Support;

/// The support link builder.
#[component]
pub fn SupportLinkCard(
    /// The target field's text.
    target: RwSignal<String>,
    /// The subprotocols field's text.
    protocols: RwSignal<String>,
    /// The idle experiment's "watch for" field (s).
    watch: RwSignal<String>,
    /// Its "heartbeat every" field (s).
    every: RwSignal<String>,
) -> impl IntoView {
    let support = expect_context::<Support>();
    let shown = expect_context::<crate::session::ConsoleView>();
    let include_secrets = RwSignal::new(false);
    let companion = RwSignal::new(support.companion_mode().name().to_string());
    let problem = RwSignal::new(None::<String>);
    // The checks the link asks for: this page's own link's, else the idle experiment.
    let preset = support.checks().get_untracked();
    let chosen = RwSignal::new(if preset.is_empty() {
        vec![CheckKind::Idle]
    } else {
        preset
    });
    let has_secrets = move || {
        target.with(|t| {
            wsdoctor_core::target::mask_secrets(t) != *t || !secrets_to_retype(t).is_empty()
        })
    };
    let on_copy = move |_| {
        let read = parse_seconds("watch for", &watch.get_untracked()).and_then(|watch_ms| {
            Ok((
                watch_ms,
                parse_seconds("heartbeat every", &every.get_untracked())?,
            ))
        });
        let (watch_ms, every_ms) = match read {
            Ok(pair) => pair,
            Err(why) => return problem.set(Some(why)),
        };
        let checks: Vec<CheckKind> = CheckKind::ALL
            .into_iter()
            .filter(|k| chosen.with_untracked(|c| c.contains(k)))
            .collect();
        if checks.is_empty() {
            return problem.set(Some("choose at least one check for the link".into()));
        }
        problem.set(None);
        support.copy_support_link(
            "share",
            SupportLink {
                page: String::new(),
                target: target.get_untracked(),
                include_secrets: include_secrets.get_untracked(),
                protocols: protocols.get_untracked(),
                checks,
                watch_ms,
                every_ms,
                companion: CompanionMode::from_name(&companion.get_untracked()).unwrap_or_default(),
                profile: shown.settings.with_untracked(|s| s.profile),
            },
        );
    };
    view! {
        <section class="card" aria-labelledby="support-link-heading" data-testid="support-link-card">
            <h2 id="support-link-heading">"Share: support link and report"</h2>
            <p class="muted">
                "Send a customer a link that opens this page with the target and the idle experiment above preset, and one Run diagnostics button that runs the checks chosen here. Nothing connects until they press it."
            </p>
            <fieldset class="checks" data-testid="support-checks">
                <legend>"Checks to run"</legend>
                {CheckKind::ALL
                    .into_iter()
                    .map(|kind| {
                        let id = format!("support-check-{}", kind.name());
                        let (input_id, test_id) = (id.clone(), id.clone());
                        view! {
                            <label for=id>
                                <input
                                    type="checkbox"
                                    id=input_id
                                    data-testid=test_id
                                    prop:checked=move || chosen.with(|c| c.contains(&kind))
                                    on:change=move |_| chosen.update(|c| {
                                        if let Some(at) = c.iter().position(|k| *k == kind) {
                                            c.remove(at);
                                        } else {
                                            c.push(kind);
                                        }
                                    })
                                />
                                " " {kind.title()}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="row">
                <label for="support-companion">"Companion"</label>
                <select
                    id="support-companion"
                    data-testid="support-companion"
                    prop:value=move || companion.get()
                    on:change=move |ev| companion.set(event_target_value(&ev))
                >
                    <option value="auto">"auto: use it if the target is wsdoctor-server"</option>
                    <option value="on">"on: the target must be wsdoctor-server"</option>
                    <option value="off">"off: treat the target as any server"</option>
                </select>
            </div>
            <Show when=has_secrets>
                <Switch
                    test_id="support-include-secrets"
                    checked=include_secrets
                    on_toggle=Callback::new(move |()| include_secrets.update(|on| *on = !*on))
                >
                    " Include the target's secret values (tokens, keys) in the link"
                </Switch>
            </Show>
            <button type="button" data-testid="copy-support-link" on:click=on_copy>
                "Copy support link"
            </button>
            {move || problem.get().map(|why| view! { <p role="alert" class="error">{why}</p> })}
            <h3>"Report"</h3>
            <p class="muted">
                "Everything this page found (the idle experiment's result, the connections and why they closed, the page's life), with secret values removed: to attach to a ticket, or to send as a link."
            </p>
            <ReportActions place="share" />
        </section>
    }
    .into_any()
}
