//! The OpenMetrics project's parser conformance suite (`../shared/conformance/openmetrics`, 211
//! cases), run straight from its folder: the parser must accept every case marked
//! `shouldParse: true` and reject every case marked `false`.

use std::path::{Path, PathBuf};

use vitals_expfmt::parse::{parse, Syntax};

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/openmetrics")
}

#[test]
fn openmetrics_conformance_suite() {
    let dir = suite();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "cannot read the conformance suite at {}: {e} (it ships in shared/, beside the \
             repository)",
            dir.display()
        )
    });
    let mut cases: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("test.json").is_file())
        .collect();
    cases.sort();

    let mut failures = Vec::new();
    for case in &cases {
        let spec: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("test.json")).unwrap())
                .unwrap();
        assert_eq!(spec["type"], "text", "{}", case.display());
        let file = spec["file"].as_str().unwrap();
        let should_parse = spec["shouldParse"].as_bool().unwrap();
        // Some inputs are not valid UTF-8 on purpose; those must be rejected.
        let bytes = std::fs::read(case.join(file)).unwrap();
        let outcome = match std::str::from_utf8(&bytes) {
            Ok(text) => parse(text, Syntax::OpenMetrics)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("not UTF-8: {e}")),
        };
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        match (should_parse, outcome) {
            (true, Err(e)) => failures.push(format!("{name}: rejected a valid case: {e}")),
            (false, Ok(())) => failures.push(format!("{name}: accepted an invalid case")),
            _ => {}
        }
    }
    let passed = cases.len() - failures.len();
    eprintln!(
        "OpenMetrics conformance: {passed}/{} cases pass",
        cases.len()
    );
    assert_eq!(cases.len(), 211, "the suite has 211 cases");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
