//! `Idempotency-Key` on submit: the same key from the same caller within 24 hours returns the
//! original job instead of creating (and charging) a new one.
//!
//! A key is claimed in its own short transaction before the upload is processed, then bound to the
//! job inside the submit transaction. A claim that never gets bound (the submit was refused) is
//! released so the caller can retry with the same key.

use crate::{connect::Store, error::Result};
use domain::JobId;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, Statement};

/// How long a key is remembered.
pub const KEY_LIFETIME_HOURS: i64 = 24;

/// A caller's key and the fingerprint of the request it was first used with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// `account:<uuid>` or `ip:<address>`: keys are per caller.
    pub caller: String,
    /// The client's key.
    pub key: String,
    /// SHA-256 over the file and every field of the request.
    pub request_hash: String,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: go ahead and submit.
    Fresh,
    /// The key already produced this job.
    Existing(JobId),
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key is still being accepted.
    InProgress,
}

fn stmt(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values)
}

impl Store {
    /// Claims a key, or reports what an earlier request with it became.
    pub async fn claim_idempotency_key(&self, key: &IdempotencyKey) -> Result<Claim> {
        // Forget expired keys of this caller first, so an old key behaves like a new one.
        self.db
            .execute(stmt(
                &format!(
                    "DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 \
                     AND created_at < now() - interval '{KEY_LIFETIME_HOURS} hours'"
                ),
                vec![key.caller.clone().into(), key.key.clone().into()],
            ))
            .await?;
        let inserted = self
            .db
            .execute(stmt(
                "INSERT INTO idempotency_keys (caller, key, request_hash) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                vec![
                    key.caller.clone().into(),
                    key.key.clone().into(),
                    key.request_hash.clone().into(),
                ],
            ))
            .await?
            .rows_affected();
        if inserted == 1 {
            return Ok(Claim::Fresh);
        }
        let row = self
            .db
            .query_one(stmt(
                "SELECT request_hash, job_id FROM idempotency_keys WHERE caller = $1 AND key = $2",
                vec![key.caller.clone().into(), key.key.clone().into()],
            ))
            .await?;
        let Some(row) = row else {
            // Released between our insert and select: the next attempt will claim it.
            return Ok(Claim::InProgress);
        };
        let hash: String = row.try_get_by_index(0)?;
        let job: Option<uuid::Uuid> = row.try_get_by_index(1)?;
        Ok(if hash != key.request_hash {
            Claim::Mismatch
        } else {
            match job {
                Some(id) => Claim::Existing(JobId(id)),
                None => Claim::InProgress,
            }
        })
    }

    /// Releases a claim whose submit was refused, so the key can be used again.
    pub async fn release_idempotency_key(&self, key: &IdempotencyKey) -> Result<()> {
        self.db
            .execute(stmt(
                "DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 AND job_id IS NULL",
                vec![key.caller.clone().into(), key.key.clone().into()],
            ))
            .await?;
        Ok(())
    }
}

/// Binds a claimed key to its job inside the submit transaction.
pub(crate) async fn bind(
    txn: &DatabaseTransaction,
    key: &IdempotencyKey,
    job: JobId,
) -> Result<()> {
    txn.execute(stmt(
        "UPDATE idempotency_keys SET job_id = $3 WHERE caller = $1 AND key = $2",
        vec![
            key.caller.clone().into(),
            key.key.clone().into(),
            job.0.into(),
        ],
    ))
    .await?;
    Ok(())
}
