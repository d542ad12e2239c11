//! Golden files of the text exports, rendered from the fixed fixture job: any change to an
//! exporter's output shows up as a reviewed diff of `api/tests/golden/export/`.
//! `UPDATE_GOLDEN=1` rewrites them. The fixture's uuid and timestamps are fixed, and redacted
//! anyway, so a changed fixture id does not masquerade as a format change.

use crate::export::{fixtures, render, Format, Inputs};
use std::path::PathBuf;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/export")
}

/// Replaces UUIDs and RFC 3339 timestamps with placeholders.
fn redact(text: &str) -> String {
    let job = fixtures::job();
    text.replace(&job.id.0.to_string(), "<UUID>")
        .replace("2025-01-02T03:04:05Z", "<TIMESTAMP>")
        .replace("2025-01-02T03:04:05+00:00", "<TIMESTAMP>")
}

fn check(format: Format) {
    let bytes = render(format, &fixtures::job(), &Inputs::default()).expect("renders");
    let text = redact(&String::from_utf8(bytes).expect("text formats are UTF-8"));
    let path = golden_dir().join(format!("report.{}", format.extension()));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_dir()).expect("create golden dir");
        std::fs::write(&path, &text).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == text,
        "{} differs from the export; run with UPDATE_GOLDEN=1 and review the diff.\n--- got:\n{text}",
        path.display()
    );
}

#[test]
fn txt_matches_its_golden_file() {
    check(Format::Txt);
}

#[test]
fn md_matches_its_golden_file() {
    check(Format::Md);
}

#[test]
fn csv_matches_its_golden_file() {
    check(Format::Csv);
}

#[test]
fn json_matches_its_golden_file() {
    check(Format::Json);
}

#[test]
fn hocr_matches_its_golden_file() {
    check(Format::Hocr);
}

#[test]
fn alto_matches_its_golden_file() {
    check(Format::Alto);
}
