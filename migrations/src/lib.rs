//! Database schema migrations, run at every start (`Migrator::up`).
//!
//! Each migration is frozen once shipped: a change is a new file, never an edit. The SQL is
//! written out plainly (Postgres dialect) because the event store depends on exact types and
//! constraints (`jsonb`, the `(job_id, seq)` primary key) that read best as SQL. This crate has no
//! internal dependencies, so it never changes when `domain` does.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_core;
mod m20261124_000002_billing;
mod m20261124_000003_page_images;
mod m20261124_000004_audit_webhooks;
mod m20261124_000005_chat;

/// Lists every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_core::Migration),
            Box::new(m20261124_000002_billing::Migration),
            Box::new(m20261124_000003_page_images::Migration),
            Box::new(m20261124_000004_audit_webhooks::Migration),
            Box::new(m20261124_000005_chat::Migration),
        ]
    }
}
