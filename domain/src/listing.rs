//! Listing a caller's jobs a page at a time, newest first: how many per page and where the next
//! page starts.
//!
//! The cursor is keyset pagination over `(created_at, id)`, not an offset: a page stays correct
//! while jobs are submitted or erased between requests, and reading page 50 costs what page 1
//! does (the `jobs_owner` index is walked from the cursor). It is opaque to clients but carries
//! its own position (the creation time in microseconds and the job id), so a cursor whose job
//! was erased meanwhile still works.

use crate::{ids::JobId, Error};

/// Jobs per page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// Most jobs one page may hold.
pub const MAX_PAGE_SIZE: u32 = 100;

/// The page size for a requested `limit`: the default when absent, never 0, at most
/// [`MAX_PAGE_SIZE`]. (The HTTP layer already refuses out-of-range values; this keeps any other
/// caller within bounds.)
pub fn page_size(requested: Option<u32>) -> u32 {
    requested
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE)
}

/// Where a listing page starts: strictly after (older than) this job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobCursor {
    /// The last listed job's creation time, microseconds since the Unix epoch (Postgres keeps
    /// `timestamptz` to the microsecond, so this is exact).
    pub created_micros: i64,
    /// The last listed job (ties on `created_at` are ordered by id).
    pub job: JobId,
}

impl JobCursor {
    /// Every string [`JobCursor::parse`] accepts, as a regular expression (said in the OpenAPI
    /// document): any position is a valid place to start a page, so a well-formed cursor is
    /// never refused, only an invented or damaged one. 18 digits always fit an `i64`.
    pub const PATTERN: &'static str = "^(?:|-?[0-9]{1,18}_[0-9a-fA-F]{32})$";

    /// 0001-01-01T00:00:00Z in microseconds. Earlier positions are moved here: nothing is older
    /// (every job is from this century), and Postgres cannot compare with times before 4713 BC
    /// (a contract fuzzer's `-551834705798010282_…` cursor was a `500`).
    pub const EARLIEST_MICROS: i64 = -62_135_596_800_000_000;

    /// The cursor as clients see it: `<micros>_<uuid without hyphens>`.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.created_micros, self.job.0.simple())
    }

    /// Parses what [`JobCursor::encode`] produced; anything else is
    /// [`Error::InvalidCursor`] (a `400`: the client changed or invented it).
    pub fn parse(raw: &str) -> Result<JobCursor, Error> {
        let invalid = || Error::InvalidCursor(raw.chars().take(80).collect());
        let (micros, id) = raw.trim().split_once('_').ok_or_else(invalid)?;
        let created_micros = micros
            .parse::<i64>()
            .map_err(|_| invalid())?
            .max(Self::EARLIEST_MICROS);
        // `simple` form only: exactly 32 hex digits, so one position has one spelling.
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let job = uuid::Uuid::parse_str(id).map_err(|_| invalid())?;
        Ok(JobCursor {
            created_micros,
            job: JobId(job),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_its_round_trip() {
        let cursor = JobCursor {
            created_micros: 1_764_000_000_123_456,
            job: JobId(uuid::Uuid::now_v7()),
        };
        assert_eq!(JobCursor::parse(&cursor.encode()), Ok(cursor));
    }

    #[test]
    fn a_changed_or_invented_cursor_is_refused() {
        for raw in [
            "",
            "abc",
            "12_",
            "_0190f1c2a3b44c5d8e9f001122334455",
            "x_0190f1c2a3b44c5d8e9f001122334455",
            "12_0190f1c2-a3b4-4c5d-8e9f-001122334455",
            "12_0190f1c2a3b44c5d8e9f00112233445",
            "12_zz90f1c2a3b44c5d8e9f001122334455",
        ] {
            assert!(
                matches!(JobCursor::parse(raw), Err(Error::InvalidCursor(_))),
                "{raw:?} was accepted"
            );
        }
    }

    #[test]
    fn the_extremes_of_the_pattern_parse() {
        // What PATTERN admits at its edges: 18 digits either sign, upper- or lower-case hex.
        for raw in [
            "999999999999999999_0123456789abcdefABCDEF0123456789",
            "-999999999999999999_ffffffffffffffffffffffffffffffff",
            "0_00000000000000000000000000000000",
        ] {
            assert!(JobCursor::parse(raw).is_ok(), "{raw}");
        }
        // Before year 1 is year 1: no job is older, and the database can compare with it.
        let ancient = JobCursor::parse("-551834705798010282_ffffffffffffffffffffffffffffffff");
        assert_eq!(ancient.unwrap().created_micros, JobCursor::EARLIEST_MICROS);
        assert!(JobCursor::PATTERN.contains("{1,18}") && JobCursor::PATTERN.contains("{32}"));
    }

    #[test]
    fn page_size_defaults_and_stays_within_bounds() {
        assert_eq!(page_size(None), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(Some(0)), 1);
        assert_eq!(page_size(Some(7)), 7);
        assert_eq!(page_size(Some(10_000)), MAX_PAGE_SIZE);
    }
}
