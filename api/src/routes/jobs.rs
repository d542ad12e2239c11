//! `GET /api/v1/ocr/?limit=&cursor=`: the caller's jobs, newest first, a page at a time (the
//! web page's "My jobs"). The operation itself is declared on [`super::ocr::OcrApi`], because
//! poem-openapi documents a path once per API group and `POST /api/v1/ocr/` lives there.
//!
//! Owner-scoped: an account sees its own jobs only. Anonymous callers get `401`: their jobs are
//! only tied to a client address, which many people can share (an office behind one NAT), so a
//! listing by address would show strangers' documents.

use crate::{app::AppState, auth::Caller, error::ApiError, views::Status};
use domain::listing::{self, JobCursor};
use poem_openapi::Object;

/// One job of a listing.
#[derive(Debug, Clone, Object)]
pub struct JobSummaryObject {
    /// The job's id.
    pub uuid: uuid::Uuid,
    /// Lifecycle state.
    pub status: Status,
    /// The uploaded file's name.
    #[oai(skip_serializing_if_is_none)]
    pub file_name: Option<String>,
    /// The uploaded file's format (`png`, `jpeg`, `pdf`, …).
    pub file_kind: String,
    /// Pages in the file.
    pub page_count: u32,
    /// Pages recognised so far.
    pub pages_done: u32,
    /// `cpu` or `vlm`.
    pub tier: String,
    /// The tool preset applied, if any.
    #[oai(skip_serializing_if_is_none)]
    pub tool: Option<String>,
    /// When the job was submitted (RFC 3339).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When the job reached `done` or `failed`.
    #[oai(skip_serializing_if_is_none)]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why the job failed (only when `status` is `failed`).
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
}

/// A page of the caller's jobs.
#[derive(Debug, Clone, Object)]
pub struct JobListObject {
    /// Jobs, newest first.
    pub jobs: Vec<JobSummaryObject>,
    /// Pass as `cursor` to get the next (older) page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

/// Lists the account's jobs after `cursor`, `limit` at a time (see the module notes).
pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> Result<JobListObject, ApiError> {
    let Caller::Account(account, _) = caller else {
        return Err(ApiError::unauthorized(
            "listing jobs needs an account token (Authorization: Bearer <token>); anonymous \
             jobs are read by their uuid",
        ));
    };
    let after = cursor
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(JobCursor::parse)
        .transpose()?;
    let size = listing::page_size(limit);
    // One more than asked: whether it comes back says if there is a next page.
    let mut items = state
        .store
        .jobs_of_account(*account, after, size + 1)
        .await?;
    let more = items.len() > size as usize;
    items.truncate(size as usize);
    let next_cursor = more
        .then(|| items.last().map(|last| last.cursor().encode()))
        .flatten();
    Ok(JobListObject {
        jobs: items
            .into_iter()
            .map(|item| JobSummaryObject {
                uuid: item.id.0,
                status: item.status.into(),
                file_name: item.file_name,
                file_kind: item.file_kind,
                page_count: item.page_count,
                pages_done: item.pages_done,
                tier: item.tier,
                tool: item.tool,
                created_at: item.created_at,
                finished_at: item.finished_at,
                error: item.error,
            })
            .collect(),
        next_cursor,
    })
}
