//! Why a job failed, as a stable code clients can branch on, beside the human message.

use serde::{Deserialize, Serialize};

/// The class of a job failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCode {
    /// The file cannot be read (damaged, password-protected, a page too large to decode).
    BadFile,
    /// The recognition engine refused the job (e.g. a language model failed to load).
    EngineError,
    /// Attempts kept failing on errors that might have passed (database, engine unavailable).
    AttemptsExhausted,
    /// Workers kept dying while processing it (a file that crashes the engine).
    Interrupted,
    /// Anything else (and failures recorded before codes existed that match no known message).
    Unclassified,
}

impl FailureCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::BadFile => "bad_file",
            FailureCode::EngineError => "engine_error",
            FailureCode::AttemptsExhausted => "attempts_exhausted",
            FailureCode::Interrupted => "interrupted",
            FailureCode::Unclassified => "unclassified",
        }
    }

    /// Classifies a failure message written before codes existed (schema version 1), from the
    /// fixed catalogue of messages that version produced. Used only by the upcaster.
    pub fn classify_v1_message(message: &str) -> FailureCode {
        let m = message.to_ascii_lowercase();
        if m.starts_with("gave up after") {
            FailureCode::AttemptsExhausted
        } else if m.starts_with("processing was interrupted") {
            FailureCode::Interrupted
        } else if [
            "the file is empty",
            "file too large",
            "unsupported file type",
            "unreadable ",
            "the pdf is password-protected",
            "too many pages",
            "image too large",
        ]
        .iter()
        .any(|p| m.starts_with(p))
            || (m.starts_with("page ") && m.contains("does not exist"))
        {
            FailureCode::BadFile
        } else if m.contains("tesseract") || m.contains("language") {
            FailureCode::EngineError
        } else {
            FailureCode::Unclassified
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_one_messages_classify() {
        for (message, code) in [
            (
                "gave up after 3 attempts: database error",
                FailureCode::AttemptsExhausted,
            ),
            (
                "processing was interrupted 13 times; giving up",
                FailureCode::Interrupted,
            ),
            (
                "unreadable jpeg file: the file ends early",
                FailureCode::BadFile,
            ),
            (
                "image too large: it is 60000x60000 pixels",
                FailureCode::BadFile,
            ),
            (
                "page 3 does not exist; the file has 2 pages",
                FailureCode::BadFile,
            ),
            (
                "could not load tesseract language 'xyz'",
                FailureCode::EngineError,
            ),
            ("something new", FailureCode::Unclassified),
        ] {
            assert_eq!(FailureCode::classify_v1_message(message), code, "{message}");
        }
    }
}
