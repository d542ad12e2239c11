//! Appending to and reading from job event streams.

use crate::{
    billing::{self, Charge},
    connect::Store,
    entities::{job_events, uploads},
    error::{Error, Result},
    idempotency::{self, IdempotencyKey},
    projection,
};
use chrono::{DateTime, Utc};
use domain::{events::Submission, job, EventMeta, Job, JobEvent, JobId, SCHEMA_VERSION};
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, SqlErr, Statement, TransactionTrait,
};

/// Postgres channel on which every commit of events is announced as `job:seq:kind`.
pub const EVENTS_CHANNEL: &str = "ocrchat_job_events";

/// How many times a decide-append loop reloads after losing a race before giving up.
const MAX_CONFLICT_RETRIES: usize = 8;

/// An event as stored: its position, audit context and time.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The stream.
    pub job: JobId,
    /// 1-based position in the stream.
    pub seq: u64,
    /// The kind as written (for a redacted event: the kind it had before erasure).
    pub kind: String,
    /// Payload shape version the event was written with.
    pub schema_version: u32,
    /// The event.
    pub event: JobEvent,
    /// Who wrote it, on which attempt.
    pub meta: EventMeta,
    /// Commit-time clock of the database.
    pub recorded_at: DateTime<Utc>,
}

impl Recorded {
    fn from_row(row: job_events::Model) -> Result<Recorded> {
        let job = JobId(row.job_id);
        let version = u32::try_from(row.schema_version).unwrap_or(0);
        let payload = domain::upcast::upcast(&row.kind, version, row.payload);
        let event = serde_json::from_value(payload).map_err(|source| Error::CorruptEvent {
            job,
            seq: row.seq,
            source,
        })?;
        Ok(Recorded {
            job,
            seq: row.seq as u64,
            kind: row.kind,
            schema_version: version,
            event,
            meta: serde_json::from_value(row.meta).unwrap_or_default(),
            recorded_at: row.recorded_at.with_timezone(&Utc),
        })
    }
}

impl Store {
    /// Accepts a job: reserves its credits, stores its upload and its `submitted` event, and
    /// binds its idempotency key, all in one transaction, so a job never exists without its file
    /// and reservation or the reverse. A quota that does not cover the file is `Error::Quota`
    /// and writes nothing.
    pub async fn submit_job(
        &self,
        job: JobId,
        submission: Submission,
        upload: Vec<u8>,
        charge: Option<&Charge>,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<Recorded> {
        let txn = self.db.begin().await?;
        if let Some(charge) = charge {
            billing::reserve(&txn, job, charge, submission.page_count).await?;
        }
        if let Some(key) = idempotency {
            idempotency::bind(&txn, key, job).await?;
        }
        uploads::Entity::insert(uploads::ActiveModel {
            job_id: Set(job.0),
            data: Set(upload),
            created_at: Set(Utc::now().fixed_offset()),
        })
        .exec(&txn)
        .await?;
        let mut recorded =
            append_in(&txn, job, 0, job::submit(submission), EventMeta::default()).await?;
        txn.commit().await?;
        Ok(recorded.remove(0))
    }

    /// Every event of a job, in order; an unknown job yields an empty list.
    pub async fn load_events(&self, job: JobId) -> Result<Vec<Recorded>> {
        load_events_in(&self.db, job).await
    }

    /// The job aggregate, replayed from its events.
    ///
    /// A compact replay: page events are read as their page index only (the page payloads,
    /// which hold every word of the job, stay in Postgres), so loading the state of a 500-page
    /// job to record its last page reads a few kilobytes, not the whole result.
    pub async fn load_job(&self, job: JobId) -> Result<Job> {
        let rows = self
            .db
            .query_all(Statement::from_sql_and_values(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT seq, kind, schema_version, \
                        CASE WHEN kind = 'page_recognized' THEN NULL ELSE payload END AS payload, \
                        CASE WHEN kind = 'page_recognized' AND payload->>'type' = 'page_recognized' \
                             THEN (payload->'page'->>'index')::bigint END AS page_index \
                 FROM job_events WHERE job_id = $1 ORDER BY seq",
                [job.0.into()],
            ))
            .await?;
        if rows.is_empty() {
            return Err(Error::JobNotFound(job));
        }
        let mut state = Job {
            id: Some(job),
            ..Job::default()
        };
        for row in rows {
            let seq: i64 = row.try_get("", "seq")?;
            let kind: String = row.try_get("", "kind")?;
            if kind == "page_recognized" {
                let index: Option<i64> = row.try_get("", "page_index")?;
                state = state.apply_page_index(index.and_then(|i| u32::try_from(i).ok()));
                continue;
            }
            let version: i32 = row.try_get("", "schema_version")?;
            let payload: serde_json::Value = row.try_get("", "payload")?;
            let payload =
                domain::upcast::upcast(&kind, u32::try_from(version).unwrap_or(0), payload);
            let event: JobEvent = serde_json::from_value(payload)
                .map_err(|source| Error::CorruptEvent { job, seq, source })?;
            state = state.apply(&event);
        }
        Ok(state)
    }

    /// Like [`Store::decide_and_append`], deciding on a state the caller keeps between calls
    /// (a worker's view of the job it is processing) instead of loading it every time: the
    /// state is reloaded only when an append loses a race, and the appended events are applied
    /// to it. Recording page N of a job then costs the same for every N.
    pub async fn decide_and_append_on<F>(
        &self,
        state: &mut Job,
        meta: EventMeta,
        mut decide: F,
    ) -> Result<std::result::Result<Vec<Recorded>, domain::Error>>
    where
        F: FnMut(&Job) -> domain::Result<Vec<JobEvent>>,
    {
        let job = state
            .id
            .ok_or_else(|| Error::JobNotFound(JobId(uuid::Uuid::nil())))?;
        let mut attempt = 0;
        loop {
            let events = match decide(state) {
                Ok(events) => events,
                Err(rule) => return Ok(Err(rule)),
            };
            match self.append(job, state.version, events, meta.clone()).await {
                Ok(recorded) => {
                    for rec in &recorded {
                        *state = std::mem::take(state).apply(&rec.event);
                    }
                    return Ok(Ok(recorded));
                }
                Err(Error::Conflict { .. }) if attempt < MAX_CONFLICT_RETRIES => {
                    attempt += 1;
                    tracing::debug!(%job, attempt, "append lost a race, reloading");
                    *state = self.load_job(job).await?;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Appends events after `expected` and updates the projections, in one transaction.
    ///
    /// Fails with `Error::Conflict` when another writer took a position first. When the events end
    /// the job, its upload is deleted in the same transaction (files live only until their job
    /// ends).
    pub async fn append(
        &self,
        job: JobId,
        expected: u64,
        events: Vec<JobEvent>,
        meta: EventMeta,
    ) -> Result<Vec<Recorded>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let txn = self.db.begin().await?;
        let recorded = append_in(&txn, job, expected, events, meta).await?;
        txn.commit().await?;
        Ok(recorded)
    }

    /// Loads the job, asks `decide` for events, and appends them; on a lost race it reloads and
    /// decides again (decide functions are idempotent, so this is safe), a bounded number of times.
    ///
    /// A rule violation from `decide` comes back as `Ok(Err(rule))` so callers can treat e.g.
    /// "job already finished" as a normal outcome.
    pub async fn decide_and_append<F>(
        &self,
        job: JobId,
        meta: EventMeta,
        mut decide: F,
    ) -> Result<std::result::Result<Vec<Recorded>, domain::Error>>
    where
        F: FnMut(&Job) -> domain::Result<Vec<JobEvent>>,
    {
        let mut attempt = 0;
        loop {
            let state = self.load_job(job).await?;
            let events = match decide(&state) {
                Ok(events) => events,
                Err(rule) => return Ok(Err(rule)),
            };
            match self.append(job, state.version, events, meta.clone()).await {
                Ok(recorded) => return Ok(Ok(recorded)),
                Err(Error::Conflict { .. }) if attempt < MAX_CONFLICT_RETRIES => {
                    attempt += 1;
                    tracing::debug!(%job, attempt, "append lost a race, deciding again");
                }
                Err(err) => return Err(err),
            }
        }
    }
}

/// Reads a job's events inside any connection or transaction.
pub(crate) async fn load_events_in<C: ConnectionTrait>(
    db: &C,
    job: JobId,
) -> Result<Vec<Recorded>> {
    job_events::Entity::find()
        .filter(job_events::Column::JobId.eq(job.0))
        .order_by_asc(job_events::Column::Seq)
        .all(db)
        .await?
        .into_iter()
        .map(Recorded::from_row)
        .collect()
}

/// The append itself, inside a caller's transaction (so other writes can share it).
pub async fn append_in(
    txn: &DatabaseTransaction,
    job: JobId,
    expected: u64,
    events: Vec<JobEvent>,
    meta: EventMeta,
) -> Result<Vec<Recorded>> {
    let meta_json = serde_json::to_value(&meta).map_err(Error::Serialize)?;
    let mut recorded = Vec::with_capacity(events.len());
    let mut ends_job = false;
    // Microsecond precision, as Postgres stores it, so a replay sees exactly what was projected.
    let now = DateTime::<Utc>::from_timestamp_micros(Utc::now().timestamp_micros())
        .unwrap_or_else(Utc::now);
    for (offset, event) in events.into_iter().enumerate() {
        let seq = expected + 1 + offset as u64;
        let payload = serde_json::to_value(&event).map_err(Error::Serialize)?;
        ends_job |= matches!(event, JobEvent::Done {} | JobEvent::Failed { .. });
        // DO NOTHING on conflict and count rows: a lost race is an expected outcome, and an
        // aborted statement would poison the transaction for the caller's retry logic.
        let insert = job_events::Entity::insert(job_events::ActiveModel {
            job_id: Set(job.0),
            seq: Set(seq as i64),
            kind: Set(event.kind().to_owned()),
            schema_version: Set(SCHEMA_VERSION as i32),
            payload: Set(payload),
            meta: Set(meta_json.clone()),
            recorded_at: Set(now.fixed_offset()),
        })
        .on_conflict(
            OnConflict::columns([job_events::Column::JobId, job_events::Column::Seq])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await;
        let recorded_at = now;
        let inserted = match insert {
            Ok(rows) => rows,
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => 0,
            Err(err) => return Err(err.into()),
        };
        if inserted == 0 {
            return Err(Error::Conflict { job, expected });
        }
        let rec = Recorded {
            job,
            seq,
            kind: event.kind().to_owned(),
            schema_version: SCHEMA_VERSION,
            event,
            meta: meta.clone(),
            recorded_at,
        };
        projection::project(txn, &rec).await?;
        // A page's charge is written with its event: a retried page never bills twice, and a
        // page never exists unbilled.
        if let JobEvent::PageRecognized { page } = &rec.event {
            billing::charge_page(txn, job, page.index).await?;
        }
        notify(txn, &rec).await?;
        recorded.push(rec);
    }
    if ends_job {
        uploads::Entity::delete_by_id(job.0).exec(txn).await?;
        billing::refund_unused(txn, job).await?;
    }
    Ok(recorded)
}

/// Announces the event on `EVENTS_CHANNEL`; Postgres delivers it only if the transaction commits.
async fn notify(txn: &DatabaseTransaction, rec: &Recorded) -> Result<()> {
    txn.execute(Statement::from_sql_and_values(
        sea_orm::DatabaseBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [
            EVENTS_CHANNEL.into(),
            format!("{}:{}:{}", rec.job, rec.seq, rec.event.kind()).into(),
        ],
    ))
    .await?;
    Ok(())
}
