//! The job aggregate: events folded into state, and the decide functions that hold the rules.

use crate::{
    error::{Error, Result},
    events::{JobEvent, Submission},
    failure::FailureCode,
    ids::{AccountId, JobId, PageIndex},
    page::PageResult,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Who a job belongs to, deciding who may read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owner {
    /// An account, identified by a token.
    Account {
        /// The account.
        id: AccountId,
    },
    /// No token: visible by UUID to anonymous callers; metered by client IP.
    Anonymous {
        /// Client address as the server saw it.
        ip: String,
    },
}

/// Lifecycle state a client polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Accepted, not yet picked up.
    #[default]
    Pending,
    /// A worker is on it (or was, and it will be retried).
    Processing,
    /// All pages recognised.
    Done,
    /// Ended without completing; `failure` says why.
    Failed,
}

impl JobStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Processing => "processing",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    /// Parses the wire name (used when reading projections back).
    pub fn parse(s: &str) -> Option<JobStatus> {
        Some(match s {
            "pending" => JobStatus::Pending,
            "processing" => JobStatus::Processing,
            "done" => JobStatus::Done,
            "failed" => JobStatus::Failed,
            _ => return None,
        })
    }

    /// Done or failed: nothing more will happen to the job.
    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Done | JobStatus::Failed)
    }
}

/// A job's state as its events say, enough to decide the next command.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Job {
    /// The job.
    pub id: Option<JobId>,
    /// Number of events applied: the expected version for the next append.
    pub version: u64,
    /// Fixed facts from `submitted`.
    pub submission: Option<Submission>,
    /// Current lifecycle state.
    pub status: JobStatus,
    /// Pages with a `page_recognized`.
    pub pages_done: BTreeSet<u32>,
    /// Processing attempts started so far (including ones cut short by a killed worker).
    pub attempts: u32,
    /// Attempts that ended in a recorded error.
    pub failed_attempts: u32,
    /// Why the job failed, if it did.
    pub failure: Option<String>,
    /// Webhook delivery attempts so far.
    pub webhook_attempts: u32,
    /// Whether the webhook was delivered or given up.
    pub webhook_settled: bool,
    /// The job was erased: nothing may be appended but nothing is left to read.
    pub erased: bool,
}

impl Job {
    /// Applies one event. Total and dumb: no checks that can fail, so any stored history replays.
    pub fn apply(mut self, event: &JobEvent) -> Job {
        self.version += 1;
        match event {
            JobEvent::Submitted(submission) => {
                self.submission = Some(submission.clone());
                self.status = JobStatus::Pending;
            }
            JobEvent::ProcessingStarted { attempt } => {
                self.attempts = self.attempts.max(*attempt);
                if !self.status.is_final() {
                    self.status = JobStatus::Processing;
                }
            }
            JobEvent::AttemptFailed { .. } => self.failed_attempts += 1,
            JobEvent::PageRecognized { page } => return self.page_recorded(page.index),
            JobEvent::Done {} => self.status = JobStatus::Done,
            JobEvent::Failed { message, .. } => {
                self.status = JobStatus::Failed;
                self.failure = Some(message.clone());
            }
            JobEvent::WebhookAttempted {
                attempt, delivered, ..
            } => {
                self.webhook_attempts = self.webhook_attempts.max(*attempt);
                self.webhook_settled |= *delivered;
            }
            JobEvent::WebhookAbandoned { .. } => self.webhook_settled = true,
            JobEvent::Erased {} => self.erased = true,
            JobEvent::Redacted {} => {}
        }
        self
    }

    /// The fold step of a `page_recognized` event, from its page index alone.
    ///
    /// Deciding the next command needs only which pages are recorded, never their text: the
    /// store's compact load reads the index of each page event instead of its payload, so
    /// appending page N costs the same whatever N is. `version` must already count the event.
    fn page_recorded(mut self, index: u32) -> Job {
        self.pages_done.insert(index);
        if !self.status.is_final() {
            self.status = JobStatus::Processing;
        }
        self
    }

    /// Applies a `page_recognized` event known only by its page index (`None`: its payload was
    /// redacted by an erasure). Gives the same state as [`Job::apply`] on the full event.
    pub fn apply_page_index(mut self, index: Option<u32>) -> Job {
        self.version += 1;
        match index {
            Some(index) => self.page_recorded(index),
            None => self,
        }
    }

    /// Folds a history from the start.
    pub fn replay<'a>(id: JobId, events: impl IntoIterator<Item = &'a JobEvent>) -> Job {
        let start = Job {
            id: Some(id),
            ..Job::default()
        };
        events.into_iter().fold(start, Job::apply)
    }

    /// Pages in the file (0 before `submitted`).
    pub fn page_count(&self) -> u32 {
        self.submission.as_ref().map_or(0, |s| s.page_count)
    }

    /// Pages that still need recognising, in order: a resumed job starts after what is recorded.
    pub fn remaining_pages(&self) -> Vec<PageIndex> {
        (0..self.page_count())
            .filter(|p| !self.pages_done.contains(p))
            .map(PageIndex)
            .collect()
    }

    fn id_or_nil(&self) -> JobId {
        self.id.unwrap_or(JobId(uuid::Uuid::nil()))
    }

    fn ensure_open(&self) -> Result<()> {
        if self.erased {
            return Err(Error::JobErased(self.id_or_nil()));
        }
        if self.submission.is_none() {
            return Err(Error::NotSubmitted(self.id_or_nil()));
        }
        if self.status.is_final() {
            return Err(Error::JobFinished(self.id_or_nil()));
        }
        Ok(())
    }
}

/// Accepts a job: the first event of every stream.
pub fn submit(submission: Submission) -> Vec<JobEvent> {
    vec![JobEvent::Submitted(submission)]
}

/// Records that a worker picked the job up, so pollers see `processing` and the audit log shows
/// each attempt.
pub fn start_processing(job: &Job, attempt: u32) -> Result<Vec<JobEvent>> {
    job.ensure_open()?;
    Ok(vec![JobEvent::ProcessingStarted { attempt }])
}

/// Records that an attempt failed with an error worth retrying.
pub fn record_attempt_failure(
    job: &Job,
    attempt: u32,
    error: impl Into<String>,
) -> Result<Vec<JobEvent>> {
    job.ensure_open()?;
    Ok(vec![JobEvent::AttemptFailed {
        attempt,
        error: error.into(),
    }])
}

/// Records one recognised page; a page already recorded yields no events, so retries are harmless.
pub fn record_page(job: &Job, page: PageResult) -> Result<Vec<JobEvent>> {
    job.ensure_open()?;
    if page.index >= job.page_count() {
        return Err(Error::PageOutOfRange {
            job: job.id_or_nil(),
            page: PageIndex(page.index),
            page_count: job.page_count(),
        });
    }
    if job.pages_done.contains(&page.index) {
        return Ok(Vec::new());
    }
    Ok(vec![JobEvent::PageRecognized { page }])
}

/// Ends the job once every page is recorded.
pub fn finish(job: &Job) -> Result<Vec<JobEvent>> {
    job.ensure_open()?;
    let missing = job.remaining_pages().len() as u32;
    if missing > 0 {
        return Err(Error::PagesMissing {
            job: job.id_or_nil(),
            missing,
        });
    }
    Ok(vec![JobEvent::Done {}])
}

/// Ends the job as failed, keeping whatever pages were recognised.
pub fn fail(job: &Job, code: FailureCode, message: impl Into<String>) -> Result<Vec<JobEvent>> {
    job.ensure_open()?;
    Ok(vec![JobEvent::Failed {
        code,
        message: message.into(),
    }])
}

/// Where the job's webhook should go, if it has one that is still owed: the job has ended and
/// delivery has neither succeeded nor been given up.
pub fn webhook_due(job: &Job) -> Option<&str> {
    let url = job.submission.as_ref()?.callback_url.as_deref()?;
    (job.status.is_final() && !job.erased && !job.webhook_settled).then_some(url)
}

/// Records one delivery attempt; after `max_attempts` failed ones, gives up.
pub fn record_webhook_attempt(
    job: &Job,
    status: Option<u16>,
    error: Option<String>,
    max_attempts: u32,
) -> Result<Vec<JobEvent>> {
    if job.erased {
        return Err(Error::JobErased(job.id_or_nil()));
    }
    if webhook_due(job).is_none() {
        return Ok(Vec::new());
    }
    let attempt = job.webhook_attempts + 1;
    let delivered = error.is_none() && status.is_some_and(|s| (200..300).contains(&s));
    let mut events = vec![JobEvent::WebhookAttempted {
        attempt,
        status,
        error,
        delivered,
    }];
    if !delivered && attempt >= max_attempts {
        events.push(JobEvent::WebhookAbandoned { attempts: attempt });
    }
    Ok(events)
}

/// Erases a job, whatever its state: the stream ends with `erased` (the store then redacts every
/// earlier payload). Erasing twice is a no-op.
pub fn erase(job: &Job) -> Result<Vec<JobEvent>> {
    if job.submission.is_none() && !job.erased {
        return Err(Error::NotSubmitted(job.id_or_nil()));
    }
    if job.erased {
        return Ok(Vec::new());
    }
    Ok(vec![JobEvent::Erased {}])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{events::FileMeta, file_kind::FileKind, language::LanguageSpec, tier::Tier};

    const ID: JobId = JobId(uuid::Uuid::from_u128(7));

    fn submitted(pages: u32) -> JobEvent {
        JobEvent::Submitted(Submission {
            tier: Tier::Cpu,
            language: "en".into(),
            language_spec: LanguageSpec::Named(vec!["eng".into()]),
            tool: None,
            page_count: pages,
            owner: Owner::Anonymous {
                ip: "127.0.0.1".into(),
            },
            file: FileMeta {
                name: Some("a.png".into()),
                kind: FileKind::Png,
                size: 10,
                sha256: "00".into(),
            },
            plan: None,
            callback_url: Some("https://example.com/hook".into()),
            translate_to: None,
            force_ocr: false,
            engine: Default::default(),
        })
    }

    fn ocr(index: u32) -> PageResult {
        PageResult {
            index,
            width: 10,
            height: 10,
            dpi: 300,
            text: format!("page {index}"),
            blocks: vec![],
            mean_confidence: Some(0.9),
            language: "eng".into(),
            engine: "tesseract".into(),
            tables: Vec::new(),
            rotation: 0,
            detection: None,
            translation: None,
            markdown: None,
            source: None,
        }
    }

    fn page(index: u32) -> JobEvent {
        JobEvent::PageRecognized { page: ocr(index) }
    }

    fn done() -> JobEvent {
        JobEvent::Done {}
    }

    #[test]
    fn record_page_rules() {
        for (name, history, input, expected) in [
            (
                "first page is recorded",
                vec![submitted(2)],
                0,
                Ok(vec![page(0)]),
            ),
            (
                "repeated page is a no-op",
                vec![submitted(2), page(0)],
                0,
                Ok(vec![]),
            ),
            (
                "finished job refuses pages",
                vec![submitted(1), page(0), done()],
                0,
                Err(Error::JobFinished(ID)),
            ),
            (
                "page beyond the count is refused",
                vec![submitted(1)],
                1,
                Err(Error::PageOutOfRange {
                    job: ID,
                    page: PageIndex(1),
                    page_count: 1,
                }),
            ),
            (
                "unsubmitted job refuses pages",
                vec![],
                0,
                Err(Error::NotSubmitted(ID)),
            ),
        ] {
            assert_eq!(
                record_page(&Job::replay(ID, &history), ocr(input)),
                expected,
                "case: {name}"
            );
        }
    }

    #[test]
    fn finish_requires_every_page() {
        let partial = Job::replay(ID, &[submitted(3), page(0), page(2)]);
        assert_eq!(
            finish(&partial),
            Err(Error::PagesMissing {
                job: ID,
                missing: 1
            })
        );
        assert_eq!(partial.remaining_pages(), vec![PageIndex(1)]);
        let full = Job::replay(ID, &[submitted(2), page(1), page(0)]);
        assert_eq!(finish(&full), Ok(vec![done()]));
    }

    #[test]
    fn webhooks_are_owed_once_the_job_ends_until_delivered_or_abandoned() {
        let running = Job::replay(ID, &[submitted(1)]);
        assert_eq!(webhook_due(&running), None, "not before the job ends");
        let ended = running.apply(&page(0)).apply(&done());
        assert_eq!(webhook_due(&ended), Some("https://example.com/hook"));
        let failed_once = record_webhook_attempt(&ended, Some(500), None, 3).unwrap();
        assert_eq!(failed_once.len(), 1);
        let job = failed_once.iter().fold(ended.clone(), Job::apply);
        let job = record_webhook_attempt(&job, None, Some("refused".into()), 3)
            .unwrap()
            .iter()
            .fold(job, Job::apply);
        let last = record_webhook_attempt(&job, Some(502), None, 3).unwrap();
        assert!(matches!(
            last.last(),
            Some(JobEvent::WebhookAbandoned { attempts: 3 })
        ));
        let job = last.iter().fold(job, Job::apply);
        assert_eq!(webhook_due(&job), None);
        assert_eq!(record_webhook_attempt(&job, Some(200), None, 3), Ok(vec![]));
        let ok = record_webhook_attempt(&ended, Some(204), None, 3).unwrap();
        assert!(matches!(
            ok[..],
            [JobEvent::WebhookAttempted {
                delivered: true,
                attempt: 1,
                ..
            }]
        ));
    }

    #[test]
    fn erased_jobs_accept_nothing_more() {
        let job = Job::replay(ID, &[submitted(2), page(0)]);
        assert_eq!(erase(&job), Ok(vec![JobEvent::Erased {}]));
        let job = job.apply(&JobEvent::Erased {});
        assert_eq!(erase(&job), Ok(vec![]));
        assert_eq!(record_page(&job, ocr(1)), Err(Error::JobErased(ID)));
        assert_eq!(finish(&job), Err(Error::JobErased(ID)));
        assert_eq!(webhook_due(&job), None);
    }

    #[test]
    fn compact_replay_equals_full_replay() {
        let history = [
            submitted(3),
            JobEvent::ProcessingStarted { attempt: 1 },
            page(2),
            page(0),
            JobEvent::AttemptFailed {
                attempt: 1,
                error: "db".into(),
            },
            page(1),
            done(),
        ];
        let full = Job::replay(ID, &history);
        let compact = history.iter().fold(
            Job {
                id: Some(ID),
                ..Job::default()
            },
            |job, event| match event {
                JobEvent::PageRecognized { page } => job.apply_page_index(Some(page.index)),
                other => job.apply(other),
            },
        );
        assert_eq!(compact, full);
        let redacted = Job::replay(ID, &[submitted(1)]).apply(&JobEvent::Redacted {});
        assert_eq!(
            Job::replay(ID, &[submitted(1)]).apply_page_index(None),
            redacted
        );
    }

    #[test]
    fn status_follows_events() {
        let job = Job::replay(ID, &[submitted(2)]);
        assert_eq!(job.status, JobStatus::Pending);
        let job = job.apply(&JobEvent::ProcessingStarted { attempt: 1 });
        assert_eq!(job.status, JobStatus::Processing);
        let job = job.apply(&JobEvent::Failed {
            code: FailureCode::BadFile,
            message: "x".into(),
        });
        assert_eq!(
            (job.status, job.failure.as_deref()),
            (JobStatus::Failed, Some("x"))
        );
        assert_eq!(job.version, 3);
        assert!(start_processing(&job, 2).is_err());
        assert!(fail(&job, FailureCode::Unclassified, "again").is_err());
    }
}
