//! Reads for the web page and other clients that browse: a caller's jobs a page at a time, and
//! one recognised page whole (blocks, lines, words) without loading the rest of its job.

use crate::{
    connect::Store,
    entities::pages,
    error::{Error, Result},
};
use chrono::{DateTime, Utc};
use domain::{listing::JobCursor, AccountId, JobId, JobStatus, PageResult};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Statement};

/// One job of a listing: what a list shows, without its pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobListItem {
    /// The job.
    pub id: JobId,
    /// Lifecycle state.
    pub status: JobStatus,
    /// The upload's file name.
    pub file_name: Option<String>,
    /// The upload's format (`png`, `pdf`, …).
    pub file_kind: String,
    /// Pages in the file.
    pub page_count: u32,
    /// Pages recognised so far.
    pub pages_done: u32,
    /// `cpu` or `vlm`.
    pub tier: String,
    /// Tool slug, if any.
    pub tool: Option<String>,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
    /// When it reached done or failed.
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub error: Option<String>,
}

impl JobListItem {
    /// The cursor that starts the page after this item.
    pub fn cursor(&self) -> JobCursor {
        JobCursor {
            created_micros: self.created_at.timestamp_micros(),
            job: self.id,
        }
    }
}

impl Store {
    /// The account's jobs, newest first, strictly after `after` when given, at most `limit`.
    /// Erased jobs have no projection row, so they are never listed. Walks the
    /// `jobs_owner (owner_account, created_at)` index from the cursor.
    pub async fn jobs_of_account(
        &self,
        account: AccountId,
        after: Option<JobCursor>,
        limit: u32,
    ) -> Result<Vec<JobListItem>> {
        let columns = "id, status, file_name, file_kind, page_count, pages_done, tier, tool, \
                       created_at, finished_at, error";
        let statement = match after {
            Some(cursor) => {
                // A time chrono cannot represent is no position any listing produced.
                let Some(created) = DateTime::<Utc>::from_timestamp_micros(cursor.created_micros)
                else {
                    return Ok(Vec::new());
                };
                Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    format!(
                        "SELECT {columns} FROM jobs WHERE owner_account = $1 \
                     AND (created_at, id) < ($2, $3) \
                     ORDER BY created_at DESC, id DESC LIMIT $4"
                    ),
                    [
                        account.0.into(),
                        created.fixed_offset().into(),
                        cursor.job.0.into(),
                        i64::from(limit).into(),
                    ],
                )
            }
            None => Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                format!(
                    "SELECT {columns} FROM jobs WHERE owner_account = $1 \
                     ORDER BY created_at DESC, id DESC LIMIT $2"
                ),
                [account.0.into(), i64::from(limit).into()],
            ),
        };
        let rows = self.db.query_all(statement).await?;
        rows.into_iter()
            .map(|row| {
                let status: String = row.try_get("", "status")?;
                let created_at: DateTime<chrono::FixedOffset> = row.try_get("", "created_at")?;
                let finished_at: Option<DateTime<chrono::FixedOffset>> =
                    row.try_get("", "finished_at")?;
                Ok(JobListItem {
                    id: JobId(row.try_get("", "id")?),
                    status: JobStatus::parse(&status).unwrap_or(JobStatus::Pending),
                    file_name: row.try_get("", "file_name")?,
                    file_kind: row.try_get("", "file_kind")?,
                    page_count: row.try_get::<i32>("", "page_count")?.max(0) as u32,
                    pages_done: row.try_get::<i32>("", "pages_done")?.max(0) as u32,
                    tier: row.try_get("", "tier")?,
                    tool: row.try_get("", "tool")?,
                    created_at: created_at.with_timezone(&Utc),
                    finished_at: finished_at.map(|t| t.with_timezone(&Utc)),
                    error: row.try_get("", "error")?,
                })
            })
            .collect()
    }

    /// One recognised page of a job, whole; `None` when that page is not recognised (yet).
    pub async fn page_result(&self, job: JobId, index: u32) -> Result<Option<PageResult>> {
        let Ok(idx) = i32::try_from(index) else {
            return Ok(None);
        };
        let row = pages::Entity::find()
            .filter(pages::Column::JobId.eq(job.0))
            .filter(pages::Column::Idx.eq(idx))
            .one(&self.db)
            .await?;
        row.map(|p| {
            serde_json::from_value(p.result).map_err(|source| Error::CorruptEvent {
                job,
                seq: i64::from(p.idx),
                source,
            })
        })
        .transpose()
    }
}
