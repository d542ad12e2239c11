//! The rules of ocrchat, with no IO.
//!
//! This crate owns the vocabulary every other crate speaks: identifiers, the job's events and
//! the aggregate they fold into, the decide functions that turn a command into events, the
//! recognised page with its blocks, lines and words, and the pure renderings of a job (plain text,
//! Markdown). It never touches a database, a file, a socket or a clock: whatever a rule needs (the
//! time, an OCR result, a price) arrives in its arguments, so every rule is testable in
//! microseconds and replaying history is deterministic.
//!
//! Design choices a newcomer may question:
//! - Events are the source of truth and their serialized names never change once shipped; new
//!   facts become new variants or `#[serde(default)]` fields (see `events.rs`).
//! - `Job::apply` cannot fail: validation lives in the decide functions (`record_page`, …), so a
//!   stored history always replays.
//! - Page indices are 0-based everywhere except where a human reads them (`PageIndex::human`).

pub mod billing;
pub mod chat;
pub mod engine;
pub mod error;
pub mod events;
pub mod failure;
pub mod file_kind;
pub mod ids;
pub mod job;
pub mod language;
pub mod listing;
pub mod markdown;
pub mod page;
pub mod pdf_page;
pub mod rate;
pub mod reading;
pub mod tier;
pub mod tool;
pub mod upcast;

pub use engine::EngineChoice;
pub use error::{Error, Result};
pub use events::{EventMeta, JobEvent, SCHEMA_VERSION};
pub use failure::FailureCode;
pub use file_kind::FileKind;
pub use ids::{AccountId, JobId, PageIndex};
pub use job::{Job, JobStatus, Owner};
pub use language::LanguageSpec;
pub use page::{
    mean_word_confidence, BBox, Block, Cell, Detection, Line, PageResult, Table, Translation, Word,
};
pub use pdf_page::PageSource;
pub use tier::Tier;
pub use tool::Tool;
