//! Selecting a field's text (the report or link to copy by hand when the clipboard is
//! not available).

use wasm_bindgen::JsCast;

/// Selects all the text of the text area or input the event came from.
pub fn select_all(event: &web_sys::Event) {
    let Some(target) = event.target() else {
        return;
    };
    if let Some(area) = target.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.select();
    } else if let Some(input) = target.dyn_ref::<web_sys::HtmlInputElement>() {
        input.select();
    }
}
