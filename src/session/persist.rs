//! Keeping the console's state across a reload: core's `SavedConsole` as JSON in the
//! page's local storage, under one versioned key.

use wsdoctor_core::saved::SavedConsole;

use crate::browser::{clock, storage};

/// The local-storage key. The format's version is inside the value; a copy of another
/// version is ignored (and says so), never misread.
const KEY: &str = "wsdoctor.console";

/// The saved state, moved onto this page's clock; `Ok(None)`: nothing saved; `Err`: a
/// saved copy that could not be used, in words for the log (it is removed).
pub fn load() -> Result<Option<SavedConsole>, String> {
    let Some(text) = storage::load(KEY) else {
        return Ok(None);
    };
    match SavedConsole::from_json(&text, clock::now(), clock::wall_now()) {
        Ok(saved) => Ok(Some(saved)),
        Err(err) => {
            storage::remove(KEY);
            Err(err.to_string())
        }
    }
}

/// Saves the state (bounded by core); says why when the browser refuses.
pub fn save(saved: &SavedConsole) -> Result<(), String> {
    storage::save(KEY, &saved.to_json()).map_err(|why| format!("could not save the console: {why}"))
}
