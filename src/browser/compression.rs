//! Compressing a report for a link, with the browser's own `CompressionStream` and
//! `DecompressionStream` (`deflate-raw`): no compression code in the wasm. Inflating reads
//! chunk by chunk and stops at a size limit, so a hostile link cannot make the page
//! allocate without bound.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, ReadableStreamDefaultReader, ReadableWritablePair, WritableStream};

#[wasm_bindgen]
extern "C" {
    /// A `CompressionStream` or `DecompressionStream` (both have the same shape).
    type TransformStream;

    #[wasm_bindgen(constructor, js_class = "CompressionStream", catch)]
    fn new_compression(format: &str) -> Result<TransformStream, JsValue>;

    #[wasm_bindgen(constructor, js_class = "DecompressionStream", catch)]
    fn new_decompression(format: &str) -> Result<TransformStream, JsValue>;

    #[wasm_bindgen(method, getter)]
    fn readable(this: &TransformStream) -> ReadableStream;

    #[wasm_bindgen(method, getter)]
    fn writable(this: &TransformStream) -> WritableStream;
}

const FORMAT: &str = "deflate-raw";

/// `bytes` compressed as raw deflate.
pub async fn deflate(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let stream = TransformStream::new_compression(FORMAT)
        .map_err(|_| "this browser cannot compress (no CompressionStream)".to_string())?;
    read_all(through(bytes, &stream)?, usize::MAX).await
}

/// Raw deflate `bytes` inflated, refused past `max` bytes.
pub async fn inflate(bytes: &[u8], max: usize) -> Result<Vec<u8>, String> {
    let stream = TransformStream::new_decompression(FORMAT)
        .map_err(|_| "this browser cannot decompress (no DecompressionStream)".to_string())?;
    read_all(through(bytes, &stream)?, max).await
}

/// A stream of `bytes` piped through `transform`.
fn through(bytes: &[u8], transform: &TransformStream) -> Result<ReadableStream, String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts)
        .map_err(|_| "the browser could not hold the data".to_string())?;
    let pair = ReadableWritablePair::new(&transform.readable(), &transform.writable());
    Ok(blob.stream().pipe_through(&pair))
}

/// Every chunk of `stream`, at most `max` bytes in all.
async fn read_all(stream: ReadableStream, max: usize) -> Result<Vec<u8>, String> {
    let reader: ReadableStreamDefaultReader = stream
        .get_reader()
        .dyn_into()
        .map_err(|_| "the browser could not read the stream".to_string())?;
    let mut out = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|_| "the data is damaged: it does not decompress".to_string())?;
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .map(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            return Ok(out);
        }
        let value = js_sys::Reflect::get(&chunk, &"value".into()).unwrap_or(JsValue::UNDEFINED);
        let bytes = js_sys::Uint8Array::new(&value);
        if out.len() + bytes.length() as usize > max {
            let _ = reader.cancel();
            return Err(format!("the data inflates to more than {max} bytes"));
        }
        out.extend(bytes.to_vec());
    }
}
