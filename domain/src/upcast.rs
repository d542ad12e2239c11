//! Lifting stored payloads written by older builds to the current shape before deserializing.
//!
//! Every stored event carries the `schema_version` it was written with. Each step from one
//! version to the next is one function, applied in order, so a payload of any age replays. Golden
//! files of every shipped shape (`domain/tests/events/*.v<N>.json`) prove it.

use crate::{events::SCHEMA_VERSION, failure::FailureCode};
use serde_json::{json, Value};

/// Returns `payload` (of event `kind`, written at `schema_version`) in the current shape.
pub fn upcast(kind: &str, schema_version: u32, mut payload: Value) -> Value {
    let mut version = schema_version.max(1);
    while version < SCHEMA_VERSION {
        payload = match version {
            1 => v1_to_v2(kind, payload),
            _ => payload,
        };
        version += 1;
    }
    payload
}

/// Version 2: `failed {reason}` became `failed {code, message}`; the code of an old failure is
/// classified from its message.
fn v1_to_v2(kind: &str, payload: Value) -> Value {
    if kind != "failed" {
        return payload;
    }
    let reason = payload
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    json!({
        "type": "failed",
        "code": FailureCode::classify_v1_message(&reason),
        "message": reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JobEvent;

    #[test]
    fn a_version_one_failure_replays_with_a_code() {
        let v1 = json!({"type": "failed", "reason": "unreadable pdf file: no trailer"});
        let event: JobEvent = serde_json::from_value(upcast("failed", 1, v1)).unwrap();
        assert_eq!(
            event,
            JobEvent::Failed {
                code: FailureCode::BadFile,
                message: "unreadable pdf file: no trailer".into()
            }
        );
    }

    #[test]
    fn current_payloads_pass_unchanged() {
        let v2 = json!({"type": "failed", "code": "interrupted", "message": "m"});
        assert_eq!(upcast("failed", SCHEMA_VERSION, v2.clone()), v2);
        let other = json!({"type": "done"});
        assert_eq!(upcast("done", 1, other.clone()), other);
    }
}
