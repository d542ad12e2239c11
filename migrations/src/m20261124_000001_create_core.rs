//! Accounts and tokens, the job event store, its `jobs` and `pages` projections, and uploads.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000001_create_core"
    }
}

const UP: &str = r#"
CREATE TABLE accounts (
    id          uuid PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Tokens are `ocr_<id>_<secret>`; only SHA-256(secret) is stored, compared in constant time.
CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts(id),
    secret_hash  bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_account ON api_tokens(account_id);

-- The source of truth: one row per event, positions unique per job, so two writers racing for
-- the same position cannot both succeed.
CREATE TABLE job_events (
    job_id          uuid NOT NULL,
    seq             bigint NOT NULL CHECK (seq >= 1),
    kind            text NOT NULL,
    schema_version  integer NOT NULL,
    payload         jsonb NOT NULL,
    meta            jsonb NOT NULL DEFAULT '{}'::jsonb,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX job_events_recorded ON job_events(recorded_at);

-- Projection: one row per job, what GET reads. Rebuildable from job_events.
CREATE TABLE jobs (
    id             uuid PRIMARY KEY,
    version        bigint NOT NULL,
    owner_account  uuid,
    owner_ip       text,
    status         text NOT NULL,
    tier           text NOT NULL,
    language       text NOT NULL,
    tool           text,
    page_count     integer NOT NULL,
    pages_done     integer NOT NULL DEFAULT 0,
    file_name      text,
    file_kind      text NOT NULL,
    file_size      bigint NOT NULL,
    file_sha256    text NOT NULL,
    error          text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    finished_at    timestamptz
);
CREATE INDEX jobs_owner ON jobs(owner_account, created_at);
CREATE INDEX jobs_status ON jobs(status, updated_at);

-- Projection: one row per recognised page, with its full result (blocks, lines, words).
CREATE TABLE pages (
    job_id           uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idx              integer NOT NULL,
    text             text NOT NULL,
    result           jsonb NOT NULL,
    mean_confidence  real,
    word_count       integer NOT NULL,
    PRIMARY KEY (job_id, idx)
);

-- The uploaded bytes, kept only until the job ends. In Postgres (not a local disk) so workers on
-- other machines can read them.
CREATE TABLE uploads (
    job_id      uuid PRIMARY KEY,
    data        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
"#;

const DOWN: &str = r#"
DROP TABLE uploads;
DROP TABLE pages;
DROP TABLE jobs;
DROP TABLE job_events;
DROP TABLE api_tokens;
DROP TABLE accounts;
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
