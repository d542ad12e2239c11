//! Storage errors: what callers must tell apart.

use domain::JobId;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another writer appended at the expected position first; reload, decide again, retry.
    #[error("job {job} moved past version {expected} (concurrent append)")]
    Conflict {
        /// The job whose stream moved.
        job: JobId,
        /// The version the caller expected.
        expected: u64,
    },
    /// Another request appended to the conversation at the expected position first; reload and
    /// record again.
    #[error("conversation {conversation} moved past version {expected} (concurrent append)")]
    ConversationConflict {
        /// The conversation whose stream moved.
        conversation: uuid::Uuid,
        /// The version the caller expected.
        expected: u64,
    },
    /// A stored conversation event or message that this build cannot read.
    #[error("event {seq} of conversation {conversation} is unreadable")]
    CorruptConversation {
        /// The conversation.
        conversation: uuid::Uuid,
        /// The event's position.
        seq: i64,
        /// Why it failed to deserialize.
        #[source]
        source: serde_json::Error,
    },
    /// No such job (or no events for it).
    #[error("job {0} not found")]
    JobNotFound(JobId),
    /// The job has no stored upload (it ended, or was erased).
    #[error("upload for job {0} is gone")]
    UploadGone(JobId),
    /// A stored payload that this build cannot read.
    #[error("event {seq} of job {job} is unreadable")]
    CorruptEvent {
        /// The job.
        job: JobId,
        /// The event's position.
        seq: i64,
        /// Why it failed to deserialize.
        #[source]
        source: serde_json::Error,
    },
    /// An email already has an account.
    #[error("an account with email {0} already exists")]
    EmailTaken(String),
    /// No account with that email or id.
    #[error("account {0} not found")]
    AccountNotFound(String),
    /// The caller's allowance, balance or per-file page cap does not cover the file.
    #[error("{}", .0.reason)]
    Quota(domain::billing::QuotaExceeded),
    /// The database refused or could not be reached.
    #[error("database error")]
    Db(#[from] sea_orm::DbErr),
    /// The LISTEN connection failed.
    #[error("database notification error")]
    Listen(#[from] sqlx::Error),
    /// Serializing an event failed (a bug, not an input problem).
    #[error("could not serialize event")]
    Serialize(#[source] serde_json::Error),
}

impl Error {
    /// True for failures that may pass on retry (database unreachable, conflicts).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Conflict { .. }
                | Error::ConversationConflict { .. }
                | Error::Db(_)
                | Error::Listen(_)
        )
    }
}

/// Result alias for storage operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
