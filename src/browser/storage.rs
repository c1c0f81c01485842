//! The page's local storage, as strings under a key. Storage can be missing (privacy
//! modes) or full; both are reported as a message, never as a panic.

/// The stored text under `key`, if there is storage and something under the key.
pub fn load(key: &str) -> Option<String> {
    let storage = web_sys::window()?.local_storage().ok()??;
    storage.get_item(key).ok()?
}

/// Stores `text` under `key`; says why when the browser refuses (no storage, full).
pub fn save(key: &str, text: &str) -> Result<(), String> {
    let storage = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .ok_or("this browser gives the page no local storage")?;
    storage
        .set_item(key, text)
        .map_err(|_| "local storage refused the save (full, or disabled)".to_string())
}

/// Removes whatever is stored under `key`.
pub fn remove(key: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.remove_item(key);
    }
}
