//! Rule violations: the only errors the domain knows. Database and IO errors live elsewhere.

use crate::ids::{JobId, PageIndex};

/// A command that the job's history does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Pages, `done` or `failed` after the job already ended.
    #[error("job {0} has already finished")]
    JobFinished(JobId),
    /// The job was erased.
    #[error("job {0} was erased")]
    JobErased(JobId),
    /// A command arrived for a job with no `submitted` event.
    #[error("job {0} was never submitted")]
    NotSubmitted(JobId),
    /// A page index beyond the page count fixed at submit.
    #[error("page {page} is outside job {job}, which has {page_count} pages")]
    PageOutOfRange {
        /// The job.
        job: JobId,
        /// The offending page.
        page: PageIndex,
        /// The page count recorded at submit.
        page_count: u32,
    },
    /// `done` requested while some pages are still unrecognised.
    #[error("job {job} still misses {missing} of its pages")]
    PagesMissing {
        /// The job.
        job: JobId,
        /// How many pages have no `page_recognized` yet.
        missing: u32,
    },
    /// An unknown tier name from a caller.
    #[error("unknown tier '{0}' (expected 'cpu' or 'vlm')")]
    UnknownTier(String),
    /// A language code this server does not know.
    #[error("unknown language '{0}'")]
    UnknownLanguage(String),
    /// A tool slug this server does not offer.
    #[error("unknown tool '{0}'")]
    UnknownTool(String),
    /// An `engine` name this server does not know.
    #[error("unknown engine '{0}' (expected 'auto', 'tesseract' or 'ppocr')")]
    UnknownEngine(String),
    /// The engine asked for is not installed on this server.
    #[error(
        "the {0} engine is not available on this server (its models or ONNX Runtime are not \
         installed: scripts/deps.sh ppocr); use engine=auto or tesseract"
    )]
    EngineNotInstalled(&'static str),
    /// A job listing cursor that no listing produced (changed or invented by the client).
    #[error("invalid cursor '{0}': pass back the next_cursor of the previous page")]
    InvalidCursor(String),
}

/// Result alias for rule checks.
pub type Result<T, E = Error> = std::result::Result<T, E>;
