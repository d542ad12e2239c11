//! Lifting stored payloads written by older builds to the current shape before deserializing.
//!
//! Every stored event carries the `schema_version` it was written with. Version 1 is the first
//! shipped shape, so there is nothing to lift yet; when a payload shape changes, the step from the
//! old version to the new one goes here (one function per step, applied in order) and the old
//! golden file keeps proving it.

use serde_json::Value;

/// Returns `payload` in the shape of `domain::SCHEMA_VERSION`.
pub(crate) fn upcast(_kind: &str, schema_version: u32, payload: Value) -> Value {
    debug_assert!(schema_version <= domain::SCHEMA_VERSION);
    payload
}
