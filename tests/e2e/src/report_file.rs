//! Reports as files: the one a page downloaded, read back, and checked against
//! `docs/report.schema.json` with a maintained JSON Schema validator.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::package_dir;

/// Every way `report` breaks the schema (empty: valid).
pub fn schema_errors(report: &Value) -> Vec<String> {
    let path = package_dir().join("../../docs/report.schema.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// The one JSON file that appears in `folder` (a finished download): its name and content.
pub async fn downloaded_json(folder: &Path) -> (String, Value) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let done: Vec<_> = std::fs::read_dir(folder)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(path) = done.first() {
            let text = std::fs::read_to_string(path).expect("read the download");
            if let Ok(value) = serde_json::from_str(&text) {
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                return (name, value);
            }
        }
        assert!(Instant::now() < deadline, "no JSON was downloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
