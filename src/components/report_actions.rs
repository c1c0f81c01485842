//! What to send to support: "Download JSON", "Copy Markdown", "Copy report link", and
//! what the last action did here, with the text to copy by hand when the browser would
//! not copy it.

use leptos::prelude::*;

use crate::session::{self, Support};

/// The report buttons; `place` tells this set's outcome apart from another's.
#[component]
pub fn ReportActions(
    /// Where on the page these buttons are (`end-user`, `share`).
    place: &'static str,
) -> impl IntoView {
    let support = expect_context::<Support>();
    view! {
        <div class="row report-actions">
            <button type="button" data-testid="report-download" on:click=move |_| support.download_json(place)>
                "Download JSON"
            </button>
            <button type="button" data-testid="report-copy-markdown" on:click=move |_| support.copy_markdown(place)>
                "Copy Markdown"
            </button>
            <button type="button" data-testid="report-copy-link" on:click=move |_| support.copy_report_link(place)>
                "Copy report link"
            </button>
        </div>
        <CopyOutcome place=place />
    }
    .into_any()
}

/// What the last action asked for at `place` did, and the text to copy by hand if the
/// clipboard refused.
#[component]
pub fn CopyOutcome(
    /// The place whose outcome to show.
    place: &'static str,
) -> impl IntoView {
    let outcome = expect_context::<Support>().outcome();
    let here = move || outcome.get().filter(|o| o.place == place);
    let field_id = format!("copy-by-hand-{place}");
    view! {
        <p role="status" data-testid="report-outcome">{move || here().map(|o| o.said).unwrap_or_default()}</p>
        {move || here().and_then(|o| o.by_hand).map(|copy| {
            let label = format!("Copy {} by hand", copy.what);
            let id = field_id.clone();
            view! {
                <label for=id.clone()>{label}</label>
                <textarea
                    id=id
                    data-testid="copy-by-hand"
                    readonly=true
                    rows="4"
                    on:focus=move |ev| session::select_field_text(&ev)
                    prop:value=copy.text
                ></textarea>
            }
        })}
    }
    .into_any()
}
