//! Page images kept for exports (the searchable PDF draws each page under its text layer).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000003_page_images"
    }
}

const UP: &str = r#"
-- One compressed image per recognised page, in the pixels its boxes refer to. The upload itself
-- is deleted when the job ends; these stay until the job is erased.
CREATE TABLE page_images (
    job_id      uuid NOT NULL,
    idx         integer NOT NULL,
    mime        text NOT NULL,
    width       integer NOT NULL,
    height      integer NOT NULL,
    dpi         integer NOT NULL,
    data        bytea NOT NULL,
    PRIMARY KEY (job_id, idx)
);
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE page_images;")
            .await?;
        Ok(())
    }
}
