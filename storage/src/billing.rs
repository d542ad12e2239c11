//! The usage ledger: reserving credits at submit, charging pages as they are recognised,
//! refunding what a job never used, and granting purchased credits.
//!
//! Exactness under concurrency comes from two things. Every submit of one subject (account or
//! client IP) takes a transaction-scoped advisory lock on that subject before it reads its
//! standing, so two submits can never both see the same remaining allowance; and the reservation
//! is written in the same transaction as the job's `submitted` event, so a job never exists
//! without its reservation or the reverse. Page charges are written in the transaction that
//! appends the page's `page_recognized` event; partial unique indexes make a second reservation,
//! charge or refund for the same job (or page) impossible at the database level.

use crate::{
    connect::Store,
    error::{Error, Result},
};
use chrono::{Datelike, Utc};
use domain::{
    billing::{self, Plan, Pricing, Standing},
    JobId, Tier,
};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, Statement, TransactionTrait, Value,
};

/// Who pays: an account or an anonymous client address, as stored in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject(String);

impl Subject {
    /// An account's ledger subject.
    pub fn account(id: domain::AccountId) -> Subject {
        Subject(format!("account:{id}"))
    }

    /// An anonymous client's ledger subject.
    pub fn ip(ip: &str) -> Subject {
        Subject(format!("ip:{ip}"))
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a submit must be charged: who, on which plan, at which prices.
#[derive(Debug, Clone)]
pub struct Charge {
    /// The payer.
    pub subject: Subject,
    /// The payer's plan.
    pub plan: Plan,
    /// Prices and allowances in force.
    pub pricing: Pricing,
    /// The tier of the job (decides the page price).
    pub tier: Tier,
}

/// A caller's position in the current period, for the account endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// The plan.
    pub plan: Plan,
    /// The current period (`2026-11-24` or `2026-11`).
    pub period: String,
    /// Credits used in the period (reserved minus refunded).
    pub used: u64,
    /// The period's allowance; `None` for paid accounts.
    pub cap: Option<u64>,
    /// Credits left to spend: allowance minus used, or the paid balance.
    pub remaining: u64,
}

/// Ledger totals of one job, for audits and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobCharges {
    /// Credits reserved at submit.
    pub reserved: u64,
    /// Credits charged for recognised pages.
    pub charged: u64,
    /// Number of pages charged.
    pub pages_charged: u64,
    /// Credits given back at the end.
    pub refunded: u64,
}

/// The current UTC period of a plan.
pub fn current_period(plan: Plan) -> String {
    let now = Utc::now();
    billing::period(plan, now.year(), now.month(), now.day())
}

fn stmt(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values)
}

async fn sum(txn: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<u64> {
    let row = txn.query_one(stmt(sql, values)).await?;
    let total: Option<i64> = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => None,
    };
    Ok(total.unwrap_or(0).max(0) as u64)
}

/// Serialises every ledger decision of one subject for the rest of the transaction.
pub(crate) async fn lock_subject(txn: &DatabaseTransaction, subject: &Subject) -> Result<()> {
    txn.execute(stmt(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        vec![subject.as_str().into()],
    ))
    .await?;
    Ok(())
}

/// Reads a subject's standing (call under `lock_subject` when deciding on it).
async fn standing(
    db: &impl ConnectionTrait,
    subject: &Subject,
    plan: Plan,
    pricing: &Pricing,
) -> Result<Standing> {
    match pricing.allowance(plan) {
        Some(cap) => {
            let used = sum(
                db,
                "SELECT SUM(CASE kind WHEN 'credits_reserved' THEN credits \
                                      WHEN 'credits_refunded' THEN -credits ELSE 0 END)::bigint \
                 FROM ledger WHERE subject = $1 AND period = $2",
                vec![subject.as_str().into(), current_period(plan).into()],
            )
            .await?;
            Ok(Standing::Allowance { used, cap })
        }
        None => {
            let granted = sum(
                db,
                "SELECT SUM(credits)::bigint FROM ledger WHERE subject = $1 AND kind = 'credits_granted'",
                vec![subject.as_str().into()],
            )
            .await?;
            let spent = sum(
                db,
                "SELECT SUM(CASE kind WHEN 'credits_reserved' THEN credits \
                                      WHEN 'credits_refunded' THEN -credits ELSE 0 END)::bigint \
                 FROM ledger WHERE subject = $1",
                vec![subject.as_str().into()],
            )
            .await?;
            Ok(Standing::Balance {
                balance: granted.saturating_sub(spent),
                spent,
            })
        }
    }
}

/// Decides and records the reservation for a new job inside the submit transaction.
pub(crate) async fn reserve(
    txn: &DatabaseTransaction,
    job: JobId,
    charge: &Charge,
    pages: u32,
) -> Result<u64> {
    lock_subject(txn, &charge.subject).await?;
    let standing = standing(txn, &charge.subject, charge.plan, &charge.pricing).await?;
    let cost = billing::quote(&charge.pricing, charge.plan, standing, charge.tier, pages)
        .map_err(Error::Quota)?;
    txn.execute(stmt(
        "INSERT INTO ledger (subject, period, kind, credits, unit_price, job_id) \
         VALUES ($1, $2, 'credits_reserved', $3, $4, $5)",
        vec![
            charge.subject.as_str().into(),
            current_period(charge.plan).into(),
            (cost as i64).into(),
            (charge.pricing.page_price(charge.tier) as i64).into(),
            job.0.into(),
        ],
    ))
    .await?;
    Ok(cost)
}

/// Charges one recognised page against the job's reservation (no-op without one, and for a page
/// already charged).
pub(crate) async fn charge_page(txn: &DatabaseTransaction, job: JobId, page: u32) -> Result<()> {
    txn.execute(stmt(
        "INSERT INTO ledger (subject, period, kind, credits, unit_price, job_id, page) \
         SELECT subject, period, 'page_charged', unit_price, unit_price, job_id, $2 \
         FROM ledger WHERE job_id = $1 AND kind = 'credits_reserved' \
         ON CONFLICT (job_id, page) WHERE kind = 'page_charged' DO NOTHING",
        vec![job.0.into(), (page as i32).into()],
    ))
    .await?;
    Ok(())
}

/// Gives back what the job reserved but never charged (pages a failed job did not recognise).
pub(crate) async fn refund_unused(txn: &DatabaseTransaction, job: JobId) -> Result<()> {
    txn.execute(stmt(
        "INSERT INTO ledger (subject, period, kind, credits, job_id) \
         SELECT r.subject, r.period, 'credits_refunded', r.credits - c.charged, r.job_id \
         FROM ledger r, \
              LATERAL (SELECT COALESCE(SUM(credits), 0)::bigint AS charged FROM ledger \
                       WHERE job_id = r.job_id AND kind = 'page_charged') c \
         WHERE r.job_id = $1 AND r.kind = 'credits_reserved' AND r.credits > c.charged \
         ON CONFLICT (job_id) WHERE kind = 'credits_refunded' DO NOTHING",
        vec![job.0.into()],
    ))
    .await?;
    Ok(())
}

impl Store {
    /// Where a subject stands now, read without its lock: enough to refuse an exhausted caller
    /// before its upload is read; the submit transaction decides again under the lock.
    pub async fn standing(
        &self,
        subject: &Subject,
        plan: Plan,
        pricing: &Pricing,
    ) -> Result<Standing> {
        standing(&self.db, subject, plan, pricing).await
    }

    /// Where a subject stands in its current period.
    pub async fn usage(&self, subject: &Subject, plan: Plan, pricing: &Pricing) -> Result<Usage> {
        let period = current_period(plan);
        Ok(match standing(&self.db, subject, plan, pricing).await? {
            Standing::Allowance { used, cap } => Usage {
                plan,
                period,
                used,
                cap: Some(cap),
                remaining: cap.saturating_sub(used),
            },
            Standing::Balance { balance, .. } => {
                let used = sum(
                    &self.db,
                    "SELECT SUM(CASE kind WHEN 'credits_reserved' THEN credits \
                                          WHEN 'credits_refunded' THEN -credits ELSE 0 END)::bigint \
                     FROM ledger WHERE subject = $1 AND period = $2",
                    vec![subject.as_str().into(), period.clone().into()],
                )
                .await?;
                Usage {
                    plan,
                    period,
                    used,
                    cap: None,
                    remaining: balance,
                }
            }
        })
    }

    /// Adds purchased credits to an account's balance.
    pub async fn grant_credits(
        &self,
        account: domain::AccountId,
        credits: u64,
        note: &str,
    ) -> Result<()> {
        // A plan may change with the balance: cached authentications carry the plan.
        self.auth_cache.clear();
        let txn = self.db.begin().await?;
        let subject = Subject::account(account);
        lock_subject(&txn, &subject).await?;
        txn.execute(stmt(
            "INSERT INTO ledger (subject, period, kind, credits, note) \
             VALUES ($1, $2, 'credits_granted', $3, $4)",
            vec![
                subject.as_str().into(),
                current_period(Plan::Paid).into(),
                (credits as i64).into(),
                note.into(),
            ],
        ))
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The ledger totals of one job.
    pub async fn job_charges(&self, job: JobId) -> Result<JobCharges> {
        let row = self
            .db
            .query_one(stmt(
                "SELECT \
                   COALESCE(SUM(credits) FILTER (WHERE kind = 'credits_reserved'), 0)::bigint, \
                   COALESCE(SUM(credits) FILTER (WHERE kind = 'page_charged'), 0)::bigint, \
                   COUNT(*) FILTER (WHERE kind = 'page_charged')::bigint, \
                   COALESCE(SUM(credits) FILTER (WHERE kind = 'credits_refunded'), 0)::bigint \
                 FROM ledger WHERE job_id = $1",
                vec![job.0.into()],
            ))
            .await?;
        let Some(row) = row else {
            return Ok(JobCharges::default());
        };
        let get = |i: usize| -> Result<u64> { Ok(row.try_get_by_index::<i64>(i)?.max(0) as u64) };
        Ok(JobCharges {
            reserved: get(0)?,
            charged: get(1)?,
            pages_charged: get(2)?,
            refunded: get(3)?,
        })
    }
}
