//! The event log: one line per event, newest last, with time and connection.

use leptos::prelude::*;
use wsdoctor_core::event_log::LogEntry;

use wsdoctor_core::event_log::LIVE_ROWS;

use super::switch::Switch;
use crate::session::{Console, ConsoleView};

/// The console's log of events.
#[component]
pub fn EventLogView() -> impl IntoView {
    let console = expect_context::<Console>();
    let shown = expect_context::<ConsoleView>();
    let log = shown.log;
    let query = RwSignal::new(String::new());
    // While paused, the view shows a frozen copy; the log itself keeps counting.
    let frozen: RwSignal<Option<Vec<LogEntry>>> = RwSignal::new(None);
    // Live, the newest LIVE_ROWS matching entries are drawn (a flood redraws few rows);
    // paused, every kept entry is, to scroll through.
    let entries = move || {
        let query = query.get();
        match frozen.get() {
            Some(entries) => entries
                .into_iter()
                .filter(|entry| entry.matches(&query))
                .collect::<Vec<_>>(),
            None => log.with(|log| {
                let mut newest: Vec<LogEntry> = log
                    .entries()
                    .rev()
                    .filter(|entry| entry.matches(&query))
                    .take(LIVE_ROWS)
                    .cloned()
                    .collect();
                newest.reverse();
                newest
            }),
        }
    };
    let kept = move || log.with(|log| log.entries().len());
    let toggle_pause = move |_| {
        if frozen.with_untracked(Option::is_some) {
            frozen.set(None);
        } else {
            frozen.set(Some(
                log.with_untracked(|log| log.entries().cloned().collect()),
            ));
        }
    };
    let settings = shown.settings;
    let show_secrets = move || settings.with(|s| s.show_secrets);
    let dropped = move || log.with(|log| log.dropped());
    let counts = move || log.with(|log| (log.received(), log.sent()));
    view! {
        <div class="event-log">
            <div class="row log-header">
                <h3 id="log-heading">"Event log"</h3>
                <div class="row">
                    <button
                        type="button"
                        data-testid="pause-log"
                        aria-pressed=move || frozen.with(Option::is_some).to_string()
                        on:click=toggle_pause
                    >
                        {move || if frozen.with(Option::is_some) { "Resume" } else { "Pause" }}
                    </button>
                    <button type="button" data-testid="export-log" on:click=move |_| console.export_log()>
                        "Export (JSON lines)"
                    </button>
                    <button type="button" data-testid="clear-log" on:click=move |_| console.clear_log()>
                        "Clear"
                    </button>
                </div>
            </div>
            <Switch
                test_id="show-secrets"
                checked=Signal::derive(show_secrets)
                on_toggle=Callback::new(move |()| console.set_show_secrets(!show_secrets()))
            >
                " Show secrets in target URLs (tokens, keys; masked by default, also in exports)"
            </Switch>
            <label for="log-filter">"Filter (kind or text)"</label>
            <input id="log-filter" data-testid="log-filter" type="search" bind:value=query />
            <p class="muted" aria-live="off">
                "Received " <span data-testid="received-count">{move || counts().0}</span>
                " messages, sent " <span data-testid="sent-count">{move || counts().1}</span>
                " (counts include entries no longer kept)"
            </p>
            <Show when=move || { frozen.with(Option::is_none) && kept() > LIVE_ROWS }>
                <p class="muted" data-testid="log-kept" data-kept=move || kept().to_string()>
                    {move || format!(
                        "Showing the newest {LIVE_ROWS} of {} kept entries; pause to see them all.",
                        kept()
                    )}
                </p>
            </Show>
            <Show when=move || { dropped() > 0 }>
                <p class="muted" data-testid="log-dropped">
                    {move || format!("{} older entries not kept", dropped())}
                </p>
            </Show>
            <div role="log" aria-labelledby="log-heading">
                <ol data-testid="event-log">
                    <For each=entries key=move |entry| (entry.seq, show_secrets()) let:entry>
                        <LogLine entry=entry show_secrets=show_secrets() />
                    </For>
                </ol>
            </div>
        </div>
    }
}

/// One line of the log.
#[component]
fn LogLine(
    /// The entry to show.
    entry: LogEntry,
    /// Whether secrets in target URLs are shown.
    show_secrets: bool,
) -> impl IntoView {
    let text = if show_secrets {
        entry.event.to_string()
    } else {
        entry.event.masked().to_string()
    };
    let kind = entry.event.kind();
    let conn = entry
        .conn
        .map(|c| c.to_string())
        .unwrap_or_else(|| "page".into());
    let direction = match kind {
        "sent" => "↑ ",
        "received" => "↓ ",
        _ => "",
    };
    view! {
        <li data-testid="log-entry" data-kind=kind class=format!("log-{kind}")>
            <span class="time">{format!("{:.3} s", entry.at / 1000.0)}</span>
            " "
            <span class="direction" aria-hidden="true">{direction}</span>
            " "
            <span class="conn">{conn}</span>
            " "
            <span class="text" data-testid="log-text">{text}</span>
        </li>
    }
}
