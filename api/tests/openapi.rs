//! The committed OpenAPI document must equal what the code generates (OpenAPI first: a change
//! to an endpoint or schema shows up as a reviewed diff of `openapi/openapi.json`).
//! `UPDATE_GOLDEN=1 just test` rewrites it.

use std::path::PathBuf;

#[test]
fn committed_openapi_document_matches_the_code() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    let generated = format!("{}\n", api::app::openapi_json());
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &generated).expect("write openapi/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `just openapi` (or UPDATE_GOLDEN=1 just test) \
         and commit the diff"
    );
}
