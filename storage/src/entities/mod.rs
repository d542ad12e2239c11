//! sea-orm entities mirroring the tables of `migrations`. They describe rows only; rules live in
//! `domain` and the write path in `event_store`.

pub mod accounts;
pub mod api_tokens;
pub mod job_events;
pub mod jobs;
pub mod pages;
pub mod uploads;
