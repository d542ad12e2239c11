//! Webhooks (a per-account signing secret, the callback and its delivery state on the job
//! projection) and failure codes on the job projection.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000004_audit_webhooks"
    }
}

const UP: &str = r#"
-- 244 random bits from two v4 UUIDs; every account gets one, existing ones included.
ALTER TABLE accounts ADD COLUMN webhook_secret text NOT NULL
    DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');

ALTER TABLE jobs ADD COLUMN error_code text;
ALTER TABLE jobs ADD COLUMN callback_url text;
-- pending (job not ended or not yet delivered), delivered, abandoned; NULL without a callback.
ALTER TABLE jobs ADD COLUMN webhook_status text;
ALTER TABLE jobs ADD COLUMN webhook_attempts integer NOT NULL DEFAULT 0;
CREATE INDEX jobs_webhook_pending ON jobs(updated_at) WHERE webhook_status = 'pending';
CREATE INDEX jobs_finished ON jobs(finished_at) WHERE finished_at IS NOT NULL;
"#;

const DOWN: &str = r#"
DROP INDEX jobs_finished;
DROP INDEX jobs_webhook_pending;
ALTER TABLE jobs DROP COLUMN webhook_attempts;
ALTER TABLE jobs DROP COLUMN webhook_status;
ALTER TABLE jobs DROP COLUMN callback_url;
ALTER TABLE jobs DROP COLUMN error_code;
ALTER TABLE accounts DROP COLUMN webhook_secret;
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
