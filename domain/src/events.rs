//! The job's events: the source of truth every projection is built from.
//!
//! Serialized names never change once shipped. A new fact is a new variant or a field with
//! `#[serde(default)]`; the stored `schema_version` says which shape a payload was written in, so
//! an upcaster can lift older shapes before they are deserialized.

use crate::{
    billing::Plan, engine::EngineChoice, failure::FailureCode, file_kind::FileKind, job::Owner,
    language::LanguageSpec, page::PageResult, tier::Tier, tool::Tool,
};
use serde::{Deserialize, Serialize};

/// The payload shape version written by this build; stored beside every event.
///
/// - 1: the first shipped shape.
/// - 2: `failed` carries `{code, message}` instead of `{reason}` (lifted by the upcaster).
pub const SCHEMA_VERSION: u32 = 2;

/// What was uploaded, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// The name the client gave the upload, if any (used for download file names).
    pub name: Option<String>,
    /// The format decided from the content.
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
}

/// Everything fixed when a job is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// Engine family.
    pub tier: Tier,
    /// The language as the caller wrote it (`auto`, `de`, `de+en`), echoed in the job JSON.
    pub language: String,
    /// The resolved Tesseract languages, fixed at submit so replay never depends on the table.
    pub language_spec: LanguageSpec,
    /// Optional tool preset.
    pub tool: Option<Tool>,
    /// Pages in the file, known at upload.
    pub page_count: u32,
    /// Who may read the job.
    pub owner: Owner,
    /// The uploaded file.
    pub file: FileMeta,
    /// The owner's plan when the job was accepted (decides queue priority). `None` in events
    /// recorded before plans existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// Where to POST the job summary when it ends (validated at submit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// Target language of the `translate` tool (Tesseract name, e.g. `eng`), checked at submit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translate_to: Option<String>,
    /// OCR every PDF page, even those whose text layer could be taken as it is.
    #[serde(default, skip_serializing_if = "is_false")]
    pub force_ocr: bool,
    /// Which engine reads the page images (`auto` unless the caller chose one).
    #[serde(default, skip_serializing_if = "EngineChoice::is_auto")]
    pub engine: EngineChoice,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// One fact in a job's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobEvent {
    /// The job was accepted and its file stored.
    Submitted(Submission),
    /// A worker began (or resumed) processing; one per attempt.
    ProcessingStarted {
        /// 1-based delivery attempt of the queue task.
        attempt: u32,
    },
    /// An attempt ended in an error that may pass on retry (the database or the engine was
    /// unavailable). Counted against the attempt limit; a killed worker records nothing.
    AttemptFailed {
        /// The attempt that failed.
        attempt: u32,
        /// What went wrong.
        error: String,
    },
    /// One page was recognised. Never appended twice for the same page.
    PageRecognized {
        /// The page's full result.
        page: PageResult,
    },
    /// Every page is recognised; the job is final.
    Done {},
    /// The job cannot complete; pages already recognised are kept.
    Failed {
        /// The class of failure, for clients to branch on.
        code: FailureCode,
        /// Why, in words a user understands.
        message: String,
    },
    /// One delivery attempt of the job's webhook, successful or not.
    WebhookAttempted {
        /// 1-based attempt number.
        attempt: u32,
        /// HTTP status of the receiver's answer, if it answered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        /// Why the attempt failed, if it did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// Whether the receiver accepted it (2xx).
        delivered: bool,
    },
    /// Webhook delivery stopped after its last attempt failed.
    WebhookAbandoned {
        /// Attempts made.
        attempts: u32,
    },
    /// The job was erased: its file, results and every earlier payload are gone. The last event
    /// of an erased stream.
    Erased {},
    /// What an earlier event's payload becomes when its job is erased: the kind, position, time
    /// and audit context stay; the content does not.
    Redacted {},
}

impl JobEvent {
    /// The stable kind name stored in its own column (same as the serde tag).
    pub fn kind(&self) -> &'static str {
        match self {
            JobEvent::Submitted(_) => "submitted",
            JobEvent::ProcessingStarted { .. } => "processing_started",
            JobEvent::AttemptFailed { .. } => "attempt_failed",
            JobEvent::PageRecognized { .. } => "page_recognized",
            JobEvent::Done {} => "done",
            JobEvent::Failed { .. } => "failed",
            JobEvent::WebhookAttempted { .. } => "webhook_attempted",
            JobEvent::WebhookAbandoned { .. } => "webhook_abandoned",
            JobEvent::Erased {} => "erased",
            JobEvent::Redacted {} => "redacted",
        }
    }
}

/// Who wrote an event and on which attempt: audit context kept beside the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EventMeta {
    /// Worker id (host and process) that appended the event, if a worker did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// Queue delivery attempt the event was written in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
}
