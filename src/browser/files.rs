//! Reading a file the user drops on the page or picks (a report to view), as text, with a
//! size limit checked before reading.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A file the user handed over.
pub struct PickedFile(web_sys::File);

impl PickedFile {
    /// The first file of a drop, if it carried one.
    pub fn from_drop(event: &web_sys::DragEvent) -> Option<PickedFile> {
        event.data_transfer()?.files()?.get(0).map(PickedFile)
    }

    /// The file chosen in an `<input type="file">` whose change event this is.
    pub fn from_input_event(event: &web_sys::Event) -> Option<PickedFile> {
        let input: web_sys::HtmlInputElement = event.target()?.dyn_into().ok()?;
        input.files()?.get(0).map(PickedFile)
    }

    /// Its name.
    pub fn name(&self) -> String {
        self.0.name()
    }

    /// Its text, refused unread when larger than `max` bytes.
    pub async fn text(&self, max: usize) -> Result<String, String> {
        let size = self.0.size();
        if size > max as f64 {
            return Err(format!(
                "the file is {} KiB, larger than any report ({} KiB at most)",
                (size / 1024.0).ceil(),
                max / 1024
            ));
        }
        JsFuture::from(self.0.text())
            .await
            .ok()
            .and_then(|text| text.as_string())
            .ok_or_else(|| "the browser could not read the file".to_string())
    }
}
