//! Reading the projections: what GET endpoints return.

use crate::{
    connect::Store,
    entities::{jobs, pages},
    error::{Error, Result},
};
use chrono::{DateTime, Utc};
use domain::{AccountId, JobId, JobStatus, PageResult};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// A job as its projection row says, optionally with its recognised pages.
#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    /// The job.
    pub id: JobId,
    /// Events applied so far.
    pub version: u64,
    /// Lifecycle state.
    pub status: JobStatus,
    /// `cpu` or `vlm`.
    pub tier: String,
    /// The language as requested.
    pub language: String,
    /// Tool slug, if any.
    pub tool: Option<String>,
    /// Pages in the file.
    pub page_count: u32,
    /// Pages recognised so far.
    pub pages_done: u32,
    /// Owning account, if not anonymous.
    pub owner_account: Option<AccountId>,
    /// Client address for anonymous jobs.
    pub owner_ip: Option<String>,
    /// The upload's file name.
    pub file_name: Option<String>,
    /// The upload's format.
    pub file_kind: String,
    /// Why the job failed.
    pub error: Option<String>,
    /// The failure's class (`bad_file`, `attempts_exhausted`, …).
    pub error_code: Option<String>,
    /// Where the job summary is POSTed when the job ends.
    pub callback_url: Option<String>,
    /// `pending`, `delivered` or `abandoned`; `None` without a callback.
    pub webhook_status: Option<String>,
    /// Delivery attempts so far.
    pub webhook_attempts: u32,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
    /// When its last event was recorded.
    pub updated_at: DateTime<Utc>,
    /// When it reached done or failed.
    pub finished_at: Option<DateTime<Utc>>,
    /// Recognised pages in page order (empty unless requested).
    pub pages: Vec<PageView>,
}

/// One recognised page from the projection.
#[derive(Debug, Clone, PartialEq)]
pub struct PageView {
    /// The full result, blocks, lines and words.
    pub result: PageResult,
}

impl Store {
    /// The job's projection, with its pages when `with_pages` (they can be large).
    /// `Ok(None)` for an unknown job.
    pub async fn job_view(&self, job: JobId, with_pages: bool) -> Result<Option<JobView>> {
        let Some(row) = jobs::Entity::find_by_id(job.0).one(&self.db).await? else {
            return Ok(None);
        };
        let pages = if with_pages {
            pages::Entity::find()
                .filter(pages::Column::JobId.eq(job.0))
                .order_by_asc(pages::Column::Idx)
                .all(&self.db)
                .await?
                .into_iter()
                .map(|p| {
                    serde_json::from_value(p.result)
                        .map(|result| PageView { result })
                        .map_err(|source| Error::CorruptEvent {
                            job,
                            seq: i64::from(p.idx),
                            source,
                        })
                })
                .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };
        Ok(Some(JobView {
            id: job,
            version: row.version as u64,
            status: JobStatus::parse(&row.status).unwrap_or(JobStatus::Pending),
            tier: row.tier,
            language: row.language,
            tool: row.tool,
            page_count: row.page_count as u32,
            pages_done: row.pages_done as u32,
            owner_account: row.owner_account.map(AccountId),
            owner_ip: row.owner_ip,
            file_name: row.file_name,
            file_kind: row.file_kind,
            error: row.error,
            error_code: row.error_code,
            callback_url: row.callback_url,
            webhook_status: row.webhook_status,
            webhook_attempts: row.webhook_attempts.max(0) as u32,
            created_at: row.created_at.with_timezone(&Utc),
            updated_at: row.updated_at.with_timezone(&Utc),
            finished_at: row.finished_at.map(|t| t.with_timezone(&Utc)),
            pages,
        }))
    }
}

impl Store {
    /// Jobs that are not final and whose projection has not moved for `older_than`, with their
    /// plan priority: candidates for re-enqueueing after a lost queue message or a dead worker.
    pub async fn stale_jobs(&self, older_than: std::time::Duration) -> Result<Vec<(JobId, u8)>> {
        let cutoff =
            Utc::now() - chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
        let ids: Vec<uuid::Uuid> = jobs::Entity::find()
            .select_only()
            .column(jobs::Column::Id)
            .filter(jobs::Column::Status.is_in(["pending", "processing"]))
            .filter(jobs::Column::UpdatedAt.lt(cutoff.fixed_offset()))
            .order_by_asc(jobs::Column::UpdatedAt)
            .limit(1000)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut stale = Vec::with_capacity(ids.len());
        for id in ids {
            let job = self.load_job(JobId(id)).await?;
            let priority = job
                .submission
                .as_ref()
                .and_then(|s| s.plan)
                .map_or(0, |p| p.priority());
            stale.push((JobId(id), priority));
        }
        Ok(stale)
    }
}

/// One event as live progress needs it: its position, kind and the few facts progress reports,
/// read without the page payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressRow {
    /// Position in the stream.
    pub seq: u64,
    /// The kind as stored.
    pub kind: String,
    /// The page of a `page_recognized` (`None` once redacted).
    pub page_index: Option<u32>,
    /// The page count of `submitted`.
    pub page_count: Option<u32>,
    /// The reason of `failed`.
    pub error: Option<String>,
    /// The payload was redacted (the job was erased).
    pub redacted: bool,
}

impl Store {
    /// The events after `after`, as [`ProgressRow`]s: what a progress stream tails, at a cost
    /// that does not grow with the pages already sent.
    pub async fn progress_after(&self, job: JobId, after: u64) -> Result<Vec<ProgressRow>> {
        use sea_orm::{ConnectionTrait, Statement};
        let rows = self
            .db
            .query_all(Statement::from_sql_and_values(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT seq, kind, \
                        payload->>'type' = 'redacted' AS redacted, \
                        CASE WHEN kind = 'page_recognized' THEN (payload->'page'->>'index')::bigint END AS page_index, \
                        CASE WHEN kind = 'submitted' THEN (payload->>'page_count')::bigint END AS page_count, \
                        CASE WHEN kind = 'failed' THEN COALESCE(payload->>'message', payload->>'reason') END AS error \
                 FROM job_events WHERE job_id = $1 AND seq > $2 ORDER BY seq",
                [job.0.into(), (after.min(i64::MAX as u64) as i64).into()],
            ))
            .await?;
        rows.into_iter()
            .map(|row| {
                let seq: i64 = row.try_get("", "seq")?;
                let page_index: Option<i64> = row.try_get("", "page_index")?;
                let page_count: Option<i64> = row.try_get("", "page_count")?;
                let redacted: Option<bool> = row.try_get("", "redacted")?;
                Ok(ProgressRow {
                    seq: seq as u64,
                    kind: row.try_get("", "kind")?,
                    page_index: page_index.and_then(|i| u32::try_from(i).ok()),
                    page_count: page_count.and_then(|i| u32::try_from(i).ok()),
                    error: row.try_get("", "error")?,
                    redacted: redacted.unwrap_or(false),
                })
            })
            .collect()
    }
}

impl Store {
    /// The job's recognised pages whose index is not in `known`, in page order: what a cached
    /// job object lacks.
    pub async fn pages_except(&self, job: JobId, known: &[u32]) -> Result<Vec<PageResult>> {
        let known: Vec<i32> = known.iter().map(|&i| i as i32).collect();
        pages::Entity::find()
            .filter(pages::Column::JobId.eq(job.0))
            .filter(pages::Column::Idx.is_not_in(known))
            .order_by_asc(pages::Column::Idx)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| {
                serde_json::from_value(p.result).map_err(|source| Error::CorruptEvent {
                    job,
                    seq: i64::from(p.idx),
                    source,
                })
            })
            .collect()
    }
}
