//! The one place errors become HTTP responses.
//!
//! Every error body is JSON `{"error": "..."}`. Matches are exhaustive with no `_ =>`, so a new
//! error variant anywhere forces a decision here. A 500 shows clients only "internal error"; the
//! cause chain goes to the log.

use poem::http::StatusCode;
use poem_openapi::{payload::Json, ApiResponse, Object};
use workers::engine::input::InputError;

/// The body of every error response.
#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    /// A short human-readable message.
    pub error: String,
}

/// The body of a `402`: what ran out, with the numbers that apply.
#[derive(Debug, Clone, Object)]
pub struct QuotaBody {
    /// What ran out, in words.
    pub error: String,
    /// For an allowance: credits used in the current period (a `cpu` page is 1 credit). For a
    /// paid balance: credits this file needs. For the per-file page cap: the file's pages.
    pub used: u64,
    /// For an allowance: the period's allowance in credits. For a paid balance: credits left.
    /// For the per-file page cap: the plan's most pages per file.
    pub cap: u64,
}

/// Errors the API answers with.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed: no file, unsupported or unreadable file, too large, unknown
    /// tier/language/tool.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// A token was presented but is unknown or revoked (or missing where one is required).
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// Out of pages or credits, or the file has more pages than the plan allows per file.
    /// Nothing was processed or charged.
    #[oai(status = 402)]
    PaymentRequired(Json<QuotaBody>),
    /// No such job, or it belongs to someone else.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The resource is not in a state that allows this yet (download or chat before the job is
    /// done; a request whose Idempotency-Key is still being accepted).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The request contradicts an earlier one (an Idempotency-Key reused with a different file
    /// or fields).
    #[oai(status = 422)]
    Unprocessable(Json<ErrorBody>),
    /// Too many requests of this kind from this client (an account, or an IP address for
    /// anonymous calls): wait `Retry-After` seconds. The limits (per minute: 300 submits, 60
    /// chat questions, 3000 other calls by default; configurable) are far above what a normal
    /// client does.
    #[oai(status = 429)]
    TooManyRequests(
        Json<ErrorBody>,
        /// Seconds until a request of this kind will be accepted again.
        #[oai(header = "Retry-After")]
        u64,
    ),
    /// A dependency (database, queue) is unavailable; retry later.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
    /// Something broke on our side.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

fn body(message: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        error: message.into(),
    })
}

impl ApiError {
    /// `400` with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(body(message))
    }

    /// `401` with a message.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::Unauthorized(body(message))
    }

    /// `429` with a message and the seconds to wait.
    pub fn too_many_requests(message: impl Into<String>, retry_after_secs: u64) -> Self {
        ApiError::TooManyRequests(body(message), retry_after_secs)
    }

    /// `409` with a message.
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::Conflict(body(message))
    }

    /// `422` with a message.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        ApiError::Unprocessable(body(message))
    }

    /// `404` for a job, never saying whether it exists for someone else.
    pub fn job_not_found() -> Self {
        ApiError::NotFound(body("job not found"))
    }

    /// `500`, logging the cause chain; clients only see "internal error".
    pub fn internal(err: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        tracing::error!(error = %chain, "internal error");
        ApiError::Internal(body("internal error"))
    }
}

impl From<storage::Error> for ApiError {
    fn from(err: storage::Error) -> Self {
        match err {
            storage::Error::JobNotFound(_) => ApiError::job_not_found(),
            storage::Error::EmailTaken(email) => {
                ApiError::bad_request(format!("an account with email {email} already exists"))
            }
            storage::Error::AccountNotFound(_) => ApiError::NotFound(body("account not found")),
            storage::Error::Quota(q) => ApiError::PaymentRequired(Json(QuotaBody {
                error: q.reason,
                used: q.used,
                cap: q.cap,
            })),
            storage::Error::Db(ref inner) if is_unreachable(inner) => {
                tracing::warn!(error = %inner, "database unavailable");
                ApiError::Unavailable(body("the database is unavailable, retry shortly"))
            }
            storage::Error::Conflict { .. }
            | storage::Error::ConversationConflict { .. }
            | storage::Error::CorruptConversation { .. }
            | storage::Error::UploadGone(_)
            | storage::Error::CorruptEvent { .. }
            | storage::Error::Db(_)
            | storage::Error::Listen(_)
            | storage::Error::Serialize(_) => ApiError::internal(&err),
        }
    }
}

fn is_unreachable(err: &sea_orm::DbErr) -> bool {
    matches!(
        err,
        sea_orm::DbErr::Conn(_) | sea_orm::DbErr::ConnectionAcquire(_)
    )
}

impl From<domain::Error> for ApiError {
    fn from(err: domain::Error) -> Self {
        match err {
            domain::Error::UnknownTier(_)
            | domain::Error::UnknownLanguage(_)
            | domain::Error::UnknownTool(_)
            | domain::Error::UnknownEngine(_)
            | domain::Error::EngineNotInstalled(_)
            | domain::Error::InvalidCursor(_) => ApiError::bad_request(err.to_string()),
            domain::Error::JobErased(_) => ApiError::job_not_found(),
            domain::Error::JobFinished(_)
            | domain::Error::NotSubmitted(_)
            | domain::Error::PageOutOfRange { .. }
            | domain::Error::PagesMissing { .. } => ApiError::internal(&err),
        }
    }
}

impl From<workers::webhook::WebhookError> for ApiError {
    fn from(err: workers::webhook::WebhookError) -> Self {
        ApiError::bad_request(err.to_string())
    }
}

impl From<domain::chat::Error> for ApiError {
    fn from(err: domain::chat::Error) -> Self {
        match err {
            domain::chat::Error::EmptyQuestion | domain::chat::Error::QuestionTooLong { .. } => {
                ApiError::bad_request(err.to_string())
            }
            // Another job's or account's conversation: as if it did not exist.
            domain::chat::Error::NotThisConversation(_) => {
                ApiError::NotFound(body("conversation not found"))
            }
        }
    }
}

impl From<crate::chat::Error> for ApiError {
    fn from(err: crate::chat::Error) -> Self {
        match err {
            crate::chat::Error::Storage(inner) => ApiError::from(inner),
            crate::chat::Error::Search(_)
            | crate::chat::Error::Task(_)
            | crate::chat::Error::Client(_) => ApiError::internal(&err),
        }
    }
}

impl From<InputError> for ApiError {
    fn from(err: InputError) -> Self {
        ApiError::bad_request(err.to_string())
    }
}

/// Turns poem's own errors (bad multipart, unknown route, wrong method) into the JSON shape,
/// leaving responses our handlers built untouched.
pub async fn json_errors(err: poem::Error) -> poem::Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let message = match status {
        StatusCode::NOT_FOUND => "not found".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => "file too large".to_owned(),
        s if s.is_server_error() => {
            tracing::error!(error = %err, "unhandled server error");
            "internal error".to_owned()
        }
        _ => err.to_string(),
    };
    let status = if status == StatusCode::PAYLOAD_TOO_LARGE {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    poem::Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(serde_json::json!({ "error": message }).to_string())
}
