//! Serving the built page, with the headers a diagnostic page facing the internet needs:
//! a strict Content-Security-Policy (Trunk's inline start-up script allowed by its hash),
//! and cross-origin isolation (COOP + COEP), which gives `performance.now()` 5 µs
//! resolution instead of 100 µs, so sub-millisecond round trips can be measured.
//!
//! Caching: Trunk names its files with a hash of their content (`app-<16 hex>.js`), so
//! they are `immutable` for a year; everything else (`index.html`, which names them,
//! and the Worker script) is revalidated on every visit (`no-cache`).

use std::path::Path;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The security headers for every response, as (name, value) pairs.
pub fn security_headers(dist: &Path) -> Vec<(&'static str, HeaderValue)> {
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap_or_default();
    let hashes: String = inline_scripts(&index)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    let mut headers = vec![
        (
            "cross-origin-opener-policy",
            HeaderValue::from_static("same-origin"),
        ),
        (
            "cross-origin-embedder-policy",
            HeaderValue::from_static("require-corp"),
        ),
        (
            "cross-origin-resource-policy",
            HeaderValue::from_static("same-origin"),
        ),
        (
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        ),
        ("referrer-policy", HeaderValue::from_static("no-referrer")),
    ];
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.push(("content-security-policy", value));
    }
    headers
}

/// Sets `Cache-Control` on a response of the page, by the file asked for.
pub async fn cache_control(request: Request, next: Next) -> Response {
    let hashed = is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let value = if hashed && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// Whether the file at `path` is named by its content, as Trunk names its output
/// (`wsdoctor-995f823870e501eb_bg.wasm`, `main-f613bc5a113e6b03.css`).
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    stem.split(['-', '_'])
        .skip(1)
        .any(|part| part.len() == 16 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The contents of every inline `<script>` (one without `src`) in `html`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let open_end = rest.find('>')?;
        let attributes = &rest[..open_end];
        if attributes.contains("src=") {
            return None;
        }
        let body = &rest[open_end + 1..];
        Some(&body[..body.find("</script>")?])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunks_hashed_names_are_immutable_and_the_rest_is_not() {
        assert!(is_content_hashed("/wsdoctor-995f823870e501eb_bg.wasm"));
        assert!(is_content_hashed("/wsdoctor-995f823870e501eb.js"));
        assert!(is_content_hashed("/sub/main-f613bc5a113e6b03.css"));
        assert!(!is_content_hashed("/"));
        assert!(!is_content_hashed("/index.html"));
        assert!(!is_content_hashed("/timer-worker.js"));
        assert!(
            !is_content_hashed("/995f823870e501eb.js"),
            "a hash alone is a name"
        );
        assert!(!is_content_hashed("/app-995f823870e501ez.js"));
    }

    #[test]
    fn only_inline_scripts_are_hashed() {
        let html = r#"<script src="/a.js"></script><script type="module">
import init from '/x.js';
</script>"#;
        let scripts: Vec<&str> = inline_scripts(html).collect();
        assert_eq!(scripts, ["\nimport init from '/x.js';\n"]);
    }

    #[test]
    fn the_policy_allows_the_inline_script_by_its_sha256() {
        let dir = std::env::temp_dir().join(format!("wsdoctor-csp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "<script>alert(1)</script>").unwrap();
        let headers = security_headers(&dir);
        let csp = headers
            .iter()
            .find(|(name, _)| *name == "content-security-policy")
            .map(|(_, v)| v.to_str().unwrap().to_string())
            .unwrap();
        // sha256("alert(1)") in base64
        assert!(
            csp.contains("'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"),
            "{csp}"
        );
        assert!(csp.contains("connect-src 'self' ws: wss:"), "{csp}");
    }
}
