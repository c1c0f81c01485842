//! Accessibility checks in the page: axe-core (npm, installed by `cargo xtask test`, named
//! by `WSDOCTOR_AXE`) injected over WebDriver (scripts run this way are not subject to the
//! page's CSP) and run on the document as it stands.

use fantoccini::Client;
use serde_json::Value;

/// The serious and critical violations axe finds in the page now, one line each (rule,
/// impact, how many nodes, the first node's selector).
pub async fn serious_violations(client: &Client) -> Vec<String> {
    let path = std::env::var("WSDOCTOR_AXE").unwrap_or_else(|_| {
        panic!("WSDOCTOR_AXE is not set: run the end-to-end tests through `cargo xtask test`")
    });
    let axe = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read axe-core at {path}: {e}"));
    client
        .execute(&axe, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("axe-core did not load: {e}"));
    let outcome = client
        .execute_async(
            "const done = arguments[0];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations.map(v => ({
                   id: v.id, impact: v.impact, nodes: v.nodes.length,
                   first: (v.nodes[0] && v.nodes[0].target.join(' ')) || '' }))))
               .catch(e => done({ error: String(e) }));",
            Vec::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("axe-core did not run: {e}"));
    if let Some(error) = outcome.get("error") {
        panic!("axe-core failed: {error}");
    }
    outcome
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v: &Value| {
            format!(
                "{} ({}): {} node(s), first {}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["nodes"],
                v["first"].as_str().unwrap_or("")
            )
        })
        .collect()
}
