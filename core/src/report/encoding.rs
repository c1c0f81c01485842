//! Reading a report back (from a dropped file or a report link) and the text encoding a
//! link's fragment uses. The page compresses the JSON with the browser's own
//! `CompressionStream('deflate-raw')`; this module turns those bytes into URL-safe text
//! and back (base64url, no padding), and checks what it reads: a damaged, tampered,
//! oversized or foreign file gets one clear sentence, never a panic.

use super::{Report, SCHEMA_VERSION};

/// The longest report JSON read back (a file, or a link's inflated fragment): 1 MiB.
pub const MAX_REPORT_BYTES: usize = 1024 * 1024;
/// The longest fragment a report link may carry: beyond it, the page offers the JSON.
pub const MAX_LINK_FRAGMENT_BYTES: usize = 8 * 1024;

/// Why a report could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// Larger than a report can be.
    #[error("this is {bytes} bytes, larger than any wsdoctor report ({max} bytes at most)")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The most accepted.
        max: usize,
    },
    /// The link's text is not base64url (cut short, or edited).
    #[error("the report link is damaged: {0} (was it cut short when copied?)")]
    BadEncoding(String),
    /// It decompressed to nothing readable.
    #[error("the report link is damaged: its data does not decompress")]
    BadCompression,
    /// Not JSON, or not a report's JSON.
    #[error("this is not a wsdoctor report: {0}")]
    NotAReport(String),
    /// A report of another format version.
    #[error(
        "this report is format version {0}; this page reads version {SCHEMA_VERSION}: open it with the wsdoctor that made it"
    )]
    OtherVersion(u64),
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `bytes` as base64url without padding (safe in a URL fragment).
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// Reads base64url (padding and surrounding blanks tolerated); says where it is wrong.
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, ReportError> {
    let text = text.trim().trim_end_matches('=');
    if text.len() % 4 == 1 {
        return Err(ReportError::BadEncoding(format!(
            "{} characters cannot be base64",
            text.len()
        )));
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut n = 0u32;
    let mut bits = 0;
    for (at, c) in text.chars().enumerate() {
        let value = ALPHABET
            .iter()
            .position(|a| char::from(*a) == c)
            .ok_or_else(|| {
                ReportError::BadEncoding(format!("{c:?} at character {} is not base64url", at + 1))
            })?;
        n = n << 6 | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((n >> bits) as u8);
            n &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Reads a report's JSON: at most `MAX_REPORT_BYTES`, of format `SCHEMA_VERSION`, with
/// every field a report has and no other.
pub fn parse_report(json: &str) -> Result<Report, ReportError> {
    if json.len() > MAX_REPORT_BYTES {
        return Err(ReportError::TooLarge {
            bytes: json.len(),
            max: MAX_REPORT_BYTES,
        });
    }
    // The version first (a report of another version may have other fields), then the
    // report itself, straight from the text.
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: Option<serde_json::Number>,
    }
    let version: Version = serde_json::from_str(json)
        .map_err(|e| ReportError::NotAReport(format!("not a JSON object ({e})")))?;
    match version
        .schema_version
        .as_ref()
        .and_then(serde_json::Number::as_u64)
    {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => return Err(ReportError::OtherVersion(v)),
        None => {
            return Err(ReportError::NotAReport(
                "it has no schema_version".to_string(),
            ));
        }
    }
    serde_json::from_str(json).map_err(|e| ReportError::NotAReport(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_known_vectors_without_padding() {
        let cases: [(&[u8], &str); 6] = [
            (b"", ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (&[0xfb, 0xff, 0xbf], "-_-_"),
        ];
        for (bytes, text) in cases {
            assert_eq!(base64url_encode(bytes), text);
            assert_eq!(base64url_decode(text).unwrap(), bytes);
        }
        assert_eq!(base64url_decode(" Zm8= ").unwrap(), b"fo");
    }

    #[test]
    fn damaged_base64_says_where() {
        let err = base64url_decode("Zm9v!g").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the report link is damaged: '!' at character 5 is not base64url (was it cut short when copied?)"
        );
        assert!(matches!(
            base64url_decode("Zm9vY"),
            Err(ReportError::BadEncoding(_))
        ));
    }

    #[test]
    fn other_versions_and_foreign_json_are_refused_by_name() {
        assert_eq!(
            parse_report(r#"{"schema_version": 2}"#),
            Err(ReportError::OtherVersion(2))
        );
        assert!(matches!(
            parse_report(r#"{"hello": 1}"#),
            Err(ReportError::NotAReport(_))
        ));
        assert!(matches!(
            parse_report("<html>"),
            Err(ReportError::NotAReport(_))
        ));
        let err = parse_report(r#"{"schema_version": 1, "app_version": "0.1.0"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
        let huge = " ".repeat(MAX_REPORT_BYTES + 1);
        assert!(matches!(
            parse_report(&huge),
            Err(ReportError::TooLarge { .. })
        ));
    }
}
