//! Persistence for ocrchat: the job event store, its projections, uploads and accounts.
//!
//! Owns every table. The write path is `EventStore::append`: events are inserted at the positions
//! after the expected version (the `(job_id, seq)` primary key refuses a second writer) and the
//! `jobs`/`pages` projections are updated in the same transaction, so a reader never sees an event
//! without its projection or the reverse. Projections can be dropped and rebuilt from events at any
//! time (`Store::rebuild_job`).
//!
//! It must not: run OCR, talk to Redis, or know about HTTP. It never sees the search index either;
//! whoever appends page events also feeds search, after the commit.

pub mod accounts;
mod auth_cache;
pub mod billing;
mod connect;
pub mod conversations;
pub mod entities;
mod erasure;
mod error;
pub mod event_store;
pub mod idempotency;
pub mod listing;
pub mod notify;
pub mod page_images;
pub mod projection;
pub mod read;
pub mod uploads;

pub use connect::{Options, Store};
pub use error::{Error, Result};
pub use event_store::Recorded;
pub use read::{JobView, PageView, ProgressRow};
