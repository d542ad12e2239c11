//! Plans on accounts, the append-only usage ledger, and idempotency keys for submits.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000002_billing"
    }
}

const UP: &str = r#"
ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free';

-- Append-only usage ledger. A subject is `account:<uuid>` or `ip:<address>`; the period is the
-- UTC day (anonymous), month (free) or month (paid, for reporting only: paid spends a balance).
-- Kinds: credits_granted (purchase), credits_reserved (at submit, the whole file),
-- page_charged (one per recognised page), credits_refunded (at the end, what was never charged).
CREATE TABLE ledger (
    id           bigserial PRIMARY KEY,
    subject      text NOT NULL,
    period       text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('credits_granted', 'credits_reserved', 'page_charged', 'credits_refunded')),
    credits      bigint NOT NULL CHECK (credits >= 0),
    unit_price   bigint,
    job_id       uuid,
    page         integer,
    note         text,
    recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ledger_subject_period ON ledger(subject, period);
CREATE INDEX ledger_job ON ledger(job_id);
-- The ledger's own guard against double billing, whatever the code above it does.
CREATE UNIQUE INDEX ledger_one_reservation_per_job ON ledger(job_id) WHERE kind = 'credits_reserved';
CREATE UNIQUE INDEX ledger_one_charge_per_page ON ledger(job_id, page) WHERE kind = 'page_charged';
CREATE UNIQUE INDEX ledger_one_refund_per_job ON ledger(job_id) WHERE kind = 'credits_refunded';

-- Idempotency-Key on submit: one row per (caller, key) for 24 hours.
CREATE TABLE idempotency_keys (
    caller        text NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    job_id        uuid,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (caller, key)
);
"#;

const DOWN: &str = r#"
DROP TABLE idempotency_keys;
DROP TABLE ledger;
ALTER TABLE accounts DROP COLUMN plan;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
