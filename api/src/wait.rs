//! Waiting for a job to end without polling the database in a loop.
//!
//! The waiter listens to commit notifications (Postgres LISTEN/NOTIFY, fanned out in process) and
//! re-reads the job only when its own final event is announced. Because a notification can be
//! missed while the LISTEN connection reconnects, it also re-reads every few seconds as a safety
//! net; that is the only polling, and it is slow on purpose.

use crate::error::ApiError;
use domain::JobId;
use std::time::Duration;
use storage::{notify::Committed, Store};
use tokio::{sync::broadcast, time::Instant};

/// Interval of the safety-net re-read.
const SAFETY_NET: Duration = Duration::from_secs(3);

/// Returns once the job is done or failed, or when `limit` has passed (the caller then answers
/// with the job as it stands).
pub async fn until_final(
    store: &Store,
    mut receiver: broadcast::Receiver<Committed>,
    job: JobId,
    limit: Duration,
) -> Result<(), ApiError> {
    let deadline = Instant::now() + limit;
    loop {
        if is_final(store, job).await? {
            return Ok(());
        }
        let next_check = (Instant::now() + SAFETY_NET).min(deadline);
        loop {
            let event = tokio::time::timeout_at(next_check, receiver.recv()).await;
            match event {
                Ok(Ok(c)) if c.job == job && c.is_final() => return Ok(()),
                Ok(Ok(_)) => continue,
                // Lagged: we may have missed ours; re-read. Closed: only the safety net remains.
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => break,
                Ok(Err(broadcast::error::RecvError::Closed)) => {
                    tokio::time::sleep_until(next_check).await;
                    break;
                }
                Err(_elapsed) => break,
            }
        }
        if Instant::now() >= deadline {
            return Ok(());
        }
    }
}

async fn is_final(store: &Store, job: JobId) -> Result<bool, ApiError> {
    Ok(store
        .job_view(job, false)
        .await?
        .is_some_and(|v| v.status.is_final()))
}
