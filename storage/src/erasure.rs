//! Erasing a job: the file, the results, the page images and every event payload go; a tombstone
//! stays.
//!
//! Erasure appends `erased` and rewrites every earlier payload of the stream to
//! `{"type":"redacted"}` in one transaction: the positions, kinds, times and audit context
//! survive (the history still says *that* pages were recognised, and by whom), the content does
//! not. The usage ledger is kept (it holds no document content) and credits reserved for pages the
//! job never recognised are refunded.

use crate::{
    billing,
    connect::Store,
    error::{Error, Result},
    event_store::{append_in, load_events_in},
};
use chrono::Utc;
use domain::{job, EventMeta, Job, JobId, SCHEMA_VERSION};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};

fn stmt(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values)
}

impl Store {
    /// Erases a job. Returns `false` when there is no such job (or it was already erased).
    pub async fn erase_job(&self, id: JobId, meta: EventMeta) -> Result<bool> {
        for _ in 0..8 {
            let txn = self.db.begin().await?;
            let events = load_events_in(&txn, id).await?;
            if events.is_empty() {
                return Ok(false);
            }
            let state = Job::replay(id, events.iter().map(|r| &r.event));
            let decided = job::erase(&state).map_err(|_| Error::JobNotFound(id))?;
            if decided.is_empty() {
                return Ok(false);
            }
            match append_in(&txn, id, state.version, decided, meta.clone()).await {
                Ok(_) => {}
                Err(Error::Conflict { .. }) => continue,
                Err(err) => return Err(err),
            }
            txn.execute(stmt(
                "UPDATE job_events SET payload = '{\"type\":\"redacted\"}'::jsonb, \
                 schema_version = $2 WHERE job_id = $1 AND kind <> 'erased'",
                vec![id.0.into(), (SCHEMA_VERSION as i32).into()],
            ))
            .await?;
            for table in ["uploads", "page_images", "idempotency_keys"] {
                txn.execute(stmt(
                    &format!("DELETE FROM {table} WHERE job_id = $1"),
                    vec![id.0.into()],
                ))
                .await?;
            }
            if !state.status.is_final() {
                billing::refund_unused(&txn, id).await?;
            }
            txn.commit().await?;
            return Ok(true);
        }
        Err(Error::Conflict {
            job: id,
            expected: 0,
        })
    }

    /// Finished jobs older than `cutoff`: due for erasure under the retention period.
    pub async fn finished_before(&self, cutoff: chrono::DateTime<Utc>) -> Result<Vec<JobId>> {
        let rows = self
            .db
            .query_all(stmt(
                "SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1 \
                 ORDER BY finished_at LIMIT 500",
                vec![cutoff.fixed_offset().into()],
            ))
            .await?;
        rows.into_iter()
            .map(|r| Ok(JobId(r.try_get_by_index(0)?)))
            .collect()
    }

    /// Ended jobs whose webhook is still owed and has not moved for `older_than`: the queue lost
    /// their delivery task (a Redis restart), so it is pushed again.
    pub async fn webhooks_due(&self, older_than: std::time::Duration) -> Result<Vec<JobId>> {
        let cutoff =
            Utc::now() - chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
        let rows = self
            .db
            .query_all(stmt(
                "SELECT id FROM jobs WHERE webhook_status = 'pending' \
                 AND finished_at IS NOT NULL AND updated_at < $1 ORDER BY updated_at LIMIT 500",
                vec![cutoff.fixed_offset().into()],
            ))
            .await?;
        rows.into_iter()
            .map(|r| Ok(JobId(r.try_get_by_index(0)?)))
            .collect()
    }
}
