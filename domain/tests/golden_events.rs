//! Every shipped event shape keeps deserializing: one golden file per variant and schema
//! version (`events/<kind>.v<N>.json`), lifted by the upcaster to the current shape.

use domain::{upcast::upcast, FailureCode, JobEvent};
use std::path::PathBuf;

#[test]
fn every_golden_event_deserializes_at_its_version() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/events");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let (kind, rest) = name.split_once(".v").expect("name is <kind>.v<N>.json");
        let version: u32 = rest.trim_end_matches(".json").parse().unwrap();
        let payload: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let event: JobEvent = serde_json::from_value(upcast(kind, version, payload))
            .unwrap_or_else(|e| panic!("{name} no longer deserializes: {e}"));
        assert_eq!(event.kind(), kind, "{name}");
        seen += 1;
    }
    assert!(seen >= 12, "golden files went missing: {seen}");
}

#[test]
fn a_version_one_failure_gets_its_code_from_the_message() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/events");
    let payload =
        serde_json::from_str(&std::fs::read_to_string(dir.join("failed.v1.json")).unwrap())
            .unwrap();
    match serde_json::from_value(upcast("failed", 1, payload)).unwrap() {
        JobEvent::Failed { code, message } => {
            assert_eq!(code, FailureCode::BadFile);
            assert!(message.starts_with("the pdf is password-protected"));
        }
        other => panic!("not a failure: {other:?}"),
    }
}
