//! The `jobs` and `pages` read models, written from events and rebuildable from them.
//!
//! Projection code is replayable: it uses only the event and its recorded time (no clock, no
//! randomness, no network), so rebuilding gives the same rows that live appends wrote.

use crate::{
    connect::Store,
    entities::{jobs, pages},
    error::{Error, Result},
    event_store::{load_events_in, Recorded},
};
use domain::{JobEvent, JobId, JobStatus, Owner};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};

/// Applies one recorded event to the projections inside the append's transaction.
pub async fn project(txn: &DatabaseTransaction, rec: &Recorded) -> Result<()> {
    let id = rec.job.0;
    let at = rec.recorded_at.fixed_offset();
    let seq = rec.seq as i64;
    match &rec.event {
        JobEvent::Submitted(sub) => {
            let (owner_account, owner_ip) = match &sub.owner {
                Owner::Account { id } => (Some(id.0), None),
                Owner::Anonymous { ip } => (None, Some(ip.clone())),
            };
            jobs::Entity::insert(jobs::ActiveModel {
                id: Set(id),
                version: Set(seq),
                owner_account: Set(owner_account),
                owner_ip: Set(owner_ip),
                status: Set(JobStatus::Pending.as_str().to_owned()),
                tier: Set(sub.tier.as_str().to_owned()),
                language: Set(sub.language.clone()),
                tool: Set(sub.tool.map(|t| t.as_str().to_owned())),
                page_count: Set(sub.page_count as i32),
                pages_done: Set(0),
                file_name: Set(sub.file.name.clone()),
                file_kind: Set(sub.file.kind.as_str().to_owned()),
                file_size: Set(sub.file.size as i64),
                file_sha256: Set(sub.file.sha256.clone()),
                error: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
                finished_at: Set(None),
                error_code: Set(None),
                callback_url: Set(sub.callback_url.clone()),
                webhook_status: Set(sub.callback_url.as_ref().map(|_| "pending".to_owned())),
                webhook_attempts: Set(0),
            })
            .exec_without_returning(txn)
            .await?;
        }
        JobEvent::ProcessingStarted { .. } => {
            update_job(id, seq, at)
                .col_expr(
                    jobs::Column::Status,
                    Expr::value(JobStatus::Processing.as_str()),
                )
                .filter(jobs::Column::Status.is_in(["pending", "processing"]))
                .exec(txn)
                .await?;
            touch(txn, id, seq, at).await?;
        }
        JobEvent::AttemptFailed { .. } => touch(txn, id, seq, at).await?,
        JobEvent::PageRecognized { page } => {
            let result = serde_json::to_value(page).map_err(Error::Serialize)?;
            let inserted = pages::Entity::insert(pages::ActiveModel {
                job_id: Set(id),
                idx: Set(page.index as i32),
                text: Set(page.text.clone()),
                result: Set(result),
                mean_confidence: Set(page.mean_confidence),
                word_count: Set(page.word_count() as i32),
            })
            .on_conflict(
                OnConflict::columns([pages::Column::JobId, pages::Column::Idx])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
            update_job(id, seq, at)
                .col_expr(
                    jobs::Column::PagesDone,
                    Expr::col(jobs::Column::PagesDone).add(inserted as i32),
                )
                .col_expr(
                    jobs::Column::Status,
                    Expr::value(JobStatus::Processing.as_str()),
                )
                .filter(jobs::Column::Status.is_in(["pending", "processing"]))
                .exec(txn)
                .await?;
            touch(txn, id, seq, at).await?;
        }
        JobEvent::Done {} => {
            update_job(id, seq, at)
                .col_expr(jobs::Column::Status, Expr::value(JobStatus::Done.as_str()))
                .col_expr(jobs::Column::FinishedAt, Expr::value(at))
                .exec(txn)
                .await?;
        }
        JobEvent::Failed { code, message } => {
            update_job(id, seq, at)
                .col_expr(
                    jobs::Column::Status,
                    Expr::value(JobStatus::Failed.as_str()),
                )
                .col_expr(jobs::Column::Error, Expr::value(message.clone()))
                .col_expr(jobs::Column::ErrorCode, Expr::value(code.as_str()))
                .col_expr(jobs::Column::FinishedAt, Expr::value(at))
                .exec(txn)
                .await?;
        }
        JobEvent::WebhookAttempted {
            attempt, delivered, ..
        } => {
            let mut update = update_job(id, seq, at)
                .col_expr(jobs::Column::WebhookAttempts, Expr::value(*attempt as i32));
            if *delivered {
                update = update.col_expr(jobs::Column::WebhookStatus, Expr::value("delivered"));
            }
            update.exec(txn).await?;
        }
        JobEvent::WebhookAbandoned { .. } => {
            update_job(id, seq, at)
                .col_expr(jobs::Column::WebhookStatus, Expr::value("abandoned"))
                .exec(txn)
                .await?;
        }
        JobEvent::Erased {} => {
            pages::Entity::delete_many()
                .filter(pages::Column::JobId.eq(id))
                .exec(txn)
                .await?;
            jobs::Entity::delete_by_id(id).exec(txn).await?;
        }
        // A redacted payload says nothing any more; the `erased` event that follows removes rows.
        JobEvent::Redacted {} => {}
    }
    Ok(())
}

/// An update of the job row that also moves its version and `updated_at`.
fn update_job(
    id: uuid::Uuid,
    seq: i64,
    at: chrono::DateTime<chrono::FixedOffset>,
) -> sea_orm::UpdateMany<jobs::Entity> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::Version, Expr::value(seq))
        .col_expr(jobs::Column::UpdatedAt, Expr::value(at))
        .filter(jobs::Column::Id.eq(id))
}

/// Moves version and `updated_at` even when a status filter skipped the row's other changes.
async fn touch(
    txn: &DatabaseTransaction,
    id: uuid::Uuid,
    seq: i64,
    at: chrono::DateTime<chrono::FixedOffset>,
) -> Result<()> {
    update_job(id, seq, at).exec(txn).await?;
    Ok(())
}

impl Store {
    /// Drops a job's projection rows and rebuilds them from its events, in one transaction.
    /// Returns the number of events replayed (0: no such job, nothing written).
    pub async fn rebuild_job(&self, job: JobId) -> Result<usize> {
        let txn = self.db.begin().await?;
        let count = rebuild_in(&txn, job).await?;
        txn.commit().await?;
        Ok(count)
    }

    /// Every job id that has events, for a full replay.
    pub async fn all_job_ids(&self) -> Result<Vec<JobId>> {
        use crate::entities::job_events;
        let ids: Vec<uuid::Uuid> = job_events::Entity::find()
            .select_only()
            .column(job_events::Column::JobId)
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().map(JobId).collect())
    }
}

async fn rebuild_in(txn: &DatabaseTransaction, job: JobId) -> Result<usize> {
    pages::Entity::delete_many()
        .filter(pages::Column::JobId.eq(job.0))
        .exec(txn)
        .await?;
    jobs::Entity::delete_by_id(job.0).exec(txn).await?;
    let events = load_events_in(txn, job).await?;
    for rec in &events {
        project(txn, rec).await?;
    }
    Ok(events.len())
}
