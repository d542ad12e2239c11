//! Chat: conversation events (the source of truth) and the projections `history` reads.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000005_chat"
    }
}

const UP: &str = r#"
-- One row per conversation event, positions unique per conversation, so two requests racing to
-- continue the same conversation cannot both take a position. `job_id` is repeated on every row
-- (it never changes within a conversation) so erasing a job finds its conversations without
-- trusting a projection.
CREATE TABLE conversation_events (
    conversation_id  uuid NOT NULL,
    seq              bigint NOT NULL CHECK (seq >= 1),
    job_id           uuid NOT NULL,
    kind             text NOT NULL,
    schema_version   integer NOT NULL,
    payload          jsonb NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX conversation_events_job ON conversation_events(job_id);

-- Projection: who a conversation belongs to and what it is about. Rebuildable from events.
CREATE TABLE conversations (
    id          uuid PRIMARY KEY,
    job_id      uuid NOT NULL,
    account_id  uuid NOT NULL,
    version     bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX conversations_job_account ON conversations(job_id, account_id, created_at);

-- Projection: the transcript, one row per message. Rebuildable from events.
CREATE TABLE conversation_messages (
    conversation_id  uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq              bigint NOT NULL,
    role             text NOT NULL,
    content          text NOT NULL,
    citations        jsonb NOT NULL DEFAULT '[]'::jsonb,
    meta             jsonb,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
"#;

const DOWN: &str = r#"
DROP TABLE conversation_messages;
DROP TABLE conversations;
DROP TABLE conversation_events;
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
