//! `jobs`: the per-job projection GET reads.

use sea_orm::entity::prelude::*;

/// One job row, as projected from its events.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i64,
    pub owner_account: Option<Uuid>,
    pub owner_ip: Option<String>,
    pub status: String,
    pub tier: String,
    pub language: String,
    pub tool: Option<String>,
    pub page_count: i32,
    pub pages_done: i32,
    pub file_name: Option<String>,
    pub file_kind: String,
    pub file_size: i64,
    pub file_sha256: String,
    pub error: Option<String>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    pub finished_at: Option<DateTimeWithTimeZone>,
    pub error_code: Option<String>,
    pub callback_url: Option<String>,
    pub webhook_status: Option<String>,
    pub webhook_attempts: i32,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
