//! A job's history: `GET /api/v1/ocr/<uuid>/events/` (audit) and
//! `GET /api/v1/ocr/<uuid>/events/stream/` (live progress as Server-Sent Events).

use super::{
    ocr::{parse_job_id, readable_job},
    ApiTags,
};
use crate::{app::AppState, auth::Credentials, error::ApiError};
use domain::{JobEvent, JobId, PageResult};
use futures::{stream::BoxStream, StreamExt};
use poem::{web::Data, Request};
use poem_openapi::{
    param::{Header, Path, Query},
    payload::{EventStream, Json},
    Object, OpenApi,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::{collections::VecDeque, sync::Arc, time::Duration};
use storage::{notify::Committed, Recorded, Store};
use tokio::sync::broadcast;

/// One event of a job's history.
#[derive(Debug, Clone, Object)]
pub struct EventObject {
    /// 1-based position in the job's stream.
    pub seq: u64,
    /// `submitted`, `processing_started`, `page_recognized`, `attempt_failed`, `done`, `failed`,
    /// `webhook_attempted`, `webhook_abandoned`, `erased`.
    pub kind: String,
    /// When it was recorded (RFC 3339).
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// Payload shape version it was written with.
    pub schema_version: u32,
    /// Queue delivery attempt it was written in, where relevant.
    #[oai(skip_serializing_if_is_none)]
    pub attempt: Option<u32>,
    /// The worker (host:pid) or actor that wrote it, where relevant.
    #[oai(skip_serializing_if_is_none)]
    pub worker: Option<String>,
    /// The event's content. Page text and layout are summarised (length, SHA-256, counts)
    /// unless `full=true`.
    pub payload: Value,
}

/// A job's history, oldest first.
#[derive(Debug, Clone, Object)]
pub struct EventList {
    /// The job.
    pub uuid: uuid::Uuid,
    /// Its events in order.
    pub events: Vec<EventObject>,
}

/// A live progress update.
#[derive(Debug, Clone, Object)]
pub struct ProgressEvent {
    /// Position of the event in the job's stream (also the SSE `id`, for `Last-Event-ID`).
    pub seq: u64,
    /// The event kind (also the SSE `event` name).
    pub kind: String,
    /// The page just recognised (`page_recognized` only), 0-based.
    #[oai(skip_serializing_if_is_none)]
    pub page_index: Option<u32>,
    /// Pages recognised so far.
    pub pages_done: u32,
    /// Pages in the file.
    pub page_count: u32,
    /// Job status after this event.
    pub status: String,
    /// Why the job failed (`failed` only).
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
}

/// Summarises a page so the audit log does not repeat the document (unless asked to).
fn summarise_page(page: &PageResult) -> Value {
    let lines: usize = page.blocks.iter().map(|b| b.lines.len()).sum();
    json!({
        "index": page.index,
        "width": page.width,
        "height": page.height,
        "dpi": page.dpi,
        "language": page.language,
        "engine": page.engine,
        "mean_confidence": page.mean_confidence,
        "text_length": page.text.chars().count(),
        "text_sha256": hex::encode(Sha256::digest(page.text.as_bytes())),
        "blocks": page.blocks.len(),
        "lines": lines,
        "words": page.word_count(),
    })
}

fn event_object(rec: &Recorded, full: bool) -> EventObject {
    let payload = match (&rec.event, full) {
        (JobEvent::PageRecognized { page }, false) => {
            json!({ "type": "page_recognized", "page": summarise_page(page) })
        }
        (event, _) => serde_json::to_value(event).unwrap_or(Value::Null),
    };
    EventObject {
        seq: rec.seq,
        kind: rec.kind.clone(),
        recorded_at: rec.recorded_at,
        schema_version: rec.schema_version,
        attempt: rec.meta.attempt,
        worker: rec.meta.worker.clone(),
        payload,
    }
}

/// Job history endpoints.
pub struct EventsApi;

#[OpenApi]
impl EventsApi {
    /// Returns the job's events in order: the audit trail of who did what, on which attempt.
    /// Same ownership rules as the job.
    #[oai(
        path = "/api/v1/ocr/:uuid/events/",
        method = "get",
        tag = "ApiTags::Ocr",
        operation_id = "list_job_events"
    )]
    async fn events(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        /// The job's uuid.
        uuid: Path<String>,
        /// Return page text and layout whole instead of summarised.
        #[oai(default)]
        full: Query<bool>,
    ) -> Result<Json<EventList>, ApiError> {
        let caller = state.caller(&credentials, req).await?;
        let job = parse_job_id(&uuid.0)?;
        readable_job(&state, &caller, job, false).await?;
        let events = state.store.load_events(job).await?;
        Ok(Json(EventList {
            uuid: job.0,
            events: events.iter().map(|r| event_object(r, full.0)).collect(),
        }))
    }

    /// Streams the job's progress as Server-Sent Events: one event per recorded step
    /// (`page_recognized` with pages done / total), ending after `done` or `failed`. Send
    /// `Last-Event-ID` (as browsers do on reconnect) to resume after an event.
    #[oai(
        path = "/api/v1/ocr/:uuid/events/stream/",
        method = "get",
        tag = "ApiTags::Ocr",
        operation_id = "stream_job_events"
    )]
    async fn stream(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        /// The job's uuid.
        uuid: Path<String>,
        /// Resume after this event (its `seq`).
        #[oai(name = "Last-Event-ID")]
        last_event_id: Header<Option<u64>>,
    ) -> Result<EventStream<BoxStream<'static, ProgressEvent>>, ApiError> {
        let caller = state.caller(&credentials, req).await?;
        let job = parse_job_id(&uuid.0)?;
        let view = readable_job(&state, &caller, job, false).await?;
        // Subscribe before reading history, so nothing committed in between is missed.
        let receiver = state.notifications.subscribe();
        let progress = Progress {
            store: state.store.clone(),
            receiver,
            job,
            after: last_event_id.0.unwrap_or(0),
            page_count: view.page_count,
            pages_done: 0,
            status: "pending".into(),
            ready: VecDeque::new(),
            ended: false,
            read_to: 0,
        };
        let stream = futures::stream::unfold(progress, Progress::next).boxed();
        Ok(EventStream::new(stream)
            .keep_alive(Duration::from_secs(15))
            .to_event(|p| {
                poem::web::sse::Event::message(
                    serde_json::to_string(&progress_json(&p)).unwrap_or_default(),
                )
                .event_type(p.kind.clone())
                .id(p.seq.to_string())
            }))
    }
}

fn progress_json(p: &ProgressEvent) -> Value {
    json!({
        "seq": p.seq,
        "kind": p.kind,
        "page_index": p.page_index,
        "pages_done": p.pages_done,
        "page_count": p.page_count,
        "status": p.status,
        "error": p.error,
    })
}

/// State of one live stream.
struct Progress {
    store: Store,
    receiver: broadcast::Receiver<Committed>,
    job: JobId,
    /// Last seq already sent (or given as `Last-Event-ID`).
    after: u64,
    page_count: u32,
    pages_done: u32,
    status: String,
    ready: VecDeque<ProgressEvent>,
    ended: bool,
    /// The last event read (counted), whether or not it was sent.
    read_to: u64,
}

/// The only polling is this slow safety net, for notifications missed during a reconnect.
const SAFETY_NET: Duration = Duration::from_secs(3);

impl Progress {
    async fn next(mut self) -> Option<(ProgressEvent, Progress)> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some((event, self));
            }
            if self.ended {
                return None;
            }
            if !self.load_new().await {
                return None;
            }
            if !self.ready.is_empty() || self.ended {
                continue;
            }
            self.wait_for_commit().await;
        }
    }

    /// Reads the events after the last one read (only those: a stream never rereads what it
    /// sent); `false` when the stream should end (job gone or the database unreachable).
    async fn load_new(&mut self) -> bool {
        let Ok(rows) = self.store.progress_after(self.job, self.read_to).await else {
            return false;
        };
        if rows.is_empty() && self.read_to == 0 {
            return false;
        }
        // Counters accumulate from the start of the history (the first read is from 0), so a
        // resumed stream reports true totals; only events after `after` are sent.
        for row in rows {
            self.read_to = row.seq;
            let mut page_index = None;
            let mut error = None;
            match row.kind.as_str() {
                _ if row.redacted => {}
                "submitted" => self.page_count = row.page_count.unwrap_or(self.page_count),
                "processing_started" => self.status = "processing".into(),
                "page_recognized" => {
                    self.pages_done += 1;
                    self.status = "processing".into();
                    page_index = row.page_index;
                }
                "done" => {
                    self.status = "done".into();
                    self.ended = true;
                }
                "failed" => {
                    self.status = "failed".into();
                    error = row.error.clone();
                    self.ended = true;
                }
                "erased" => self.ended = true,
                _ => {}
            }
            if row.seq > self.after {
                self.after = row.seq;
                self.ready.push_back(ProgressEvent {
                    seq: row.seq,
                    kind: row.kind,
                    page_index,
                    pages_done: self.pages_done,
                    page_count: self.page_count,
                    status: self.status.clone(),
                    error,
                });
            }
        }
        true
    }

    /// Waits for a commit of this job (or the safety-net interval).
    async fn wait_for_commit(&mut self) {
        let deadline = tokio::time::Instant::now() + SAFETY_NET;
        loop {
            match tokio::time::timeout_at(deadline, self.receiver.recv()).await {
                Ok(Ok(c)) if c.job == self.job => return,
                Ok(Ok(_)) => continue,
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => return,
                Ok(Err(broadcast::error::RecvError::Closed)) => {
                    tokio::time::sleep_until(deadline).await;
                    return;
                }
                Err(_) => return,
            }
        }
    }
}
