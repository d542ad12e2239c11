//! Commit notifications: one Postgres LISTEN connection per process, fanned out in memory.
//!
//! Appends announce `job:seq:kind` on `EVENTS_CHANNEL` inside their transaction, so the
//! notification arrives only after the commit. The API waits on these instead of polling the
//! database; a waiter should still re-read the database now and then, because a notification can be
//! missed while the listener reconnects.

use crate::{error::Result, event_store::EVENTS_CHANNEL};
use domain::JobId;
use sqlx::postgres::PgListener;
use std::time::Duration;
use tokio::sync::broadcast;

/// One committed event, as announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The job.
    pub job: JobId,
    /// The event's position.
    pub seq: u64,
    /// The event kind (`page_recognized`, `done`, …).
    pub kind: String,
}

impl Committed {
    fn parse(payload: &str) -> Option<Committed> {
        let mut parts = payload.splitn(3, ':');
        let job = parts.next()?.parse().ok().map(JobId)?;
        let seq = parts.next()?.parse().ok()?;
        let kind = parts.next()?.to_owned();
        Some(Committed { job, seq, kind })
    }

    /// Done or failed.
    pub fn is_final(&self) -> bool {
        self.kind == "done" || self.kind == "failed"
    }
}

/// Fans committed-event notifications out to any number of in-process subscribers.
#[derive(Debug, Clone)]
pub struct Notifications {
    sender: broadcast::Sender<Committed>,
}

impl Notifications {
    /// Starts the LISTEN loop on its own connection; it reconnects on its own after errors.
    /// The first connection is made before returning, so a bad URL fails loudly at start-up.
    pub async fn start(database_url: &str) -> Result<Notifications> {
        let (sender, _) = broadcast::channel(4096);
        let mut listener = PgListener::connect(database_url).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        let tx = sender.clone();
        let url = database_url.to_owned();
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(n) => {
                        if let Some(c) = Committed::parse(n.payload()) {
                            // No receivers is fine: nobody is waiting right now.
                            let _ = tx.send(c);
                        }
                    }
                    Err(err) => {
                        if tx.strong_count() == 1 {
                            // Every `Notifications` handle is gone (the service stopped).
                            break;
                        }
                        tracing::warn!(error = %err, "LISTEN connection lost, reconnecting");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        if let Ok(mut fresh) = PgListener::connect(&url).await {
                            if fresh.listen(EVENTS_CHANNEL).await.is_ok() {
                                listener = fresh;
                            }
                        }
                    }
                }
                if tx.receiver_count() == 0 && tx.is_empty() && tx.strong_count() == 1 {
                    // Every `Notifications` handle is gone: stop listening.
                    break;
                }
            }
        });
        Ok(Notifications { sender })
    }

    /// A receiver of every commit from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Committed> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_parse() {
        let c = Committed::parse("0190c2a4-7b3c-7d2e-8f00-000000000001:3:done").unwrap();
        assert_eq!(c.seq, 3);
        assert!(c.is_final());
        assert_eq!(Committed::parse("garbage"), None);
    }
}
