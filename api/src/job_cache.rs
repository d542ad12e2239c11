//! Job objects and page summaries already built, kept per process so polling a job costs one
//! small query, and polling a long job in progress costs the pages recorded since the last poll.
//!
//! Building the job object reads every page's stored result (words and all) and renders the
//! job's text and Markdown; doing that on every poll made a done 4-page job serve a quarter of
//! what `/healthz` serves, and made polls of a 500-page job in progress cost more with every
//! page. Two facts make caching exact rather than approximate:
//! - every change to a job moves its version, so an object cached under `(job, version)` is what
//!   a rebuild would give;
//! - a recorded page never changes (a page is recorded once; a rebuild from events writes the
//!   same rows), so a page's summary, once built, stays valid; a poll of a newer version reads
//!   only the pages it has not summarised yet.
//!
//! Erasure deletes the job row, so an erased job is `404` before the cache is consulted (and
//! [`JobCache::forget`] drops it); the cache holds nothing a row does not vouch for. Memory is
//! bounded by a total of [`PAGE_BUDGET`] page summaries (least recently used jobs out first).

use crate::views::{JobObject, PageSummary};
use domain::JobId;
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, PoisonError},
};

/// Most page summaries kept across all jobs (a summary is a page's text, Markdown and blocks:
/// a few kilobytes).
pub const PAGE_BUDGET: usize = 20_000;

/// The cache: per job, its summaries and the object of its latest version.
#[derive(Debug, Default)]
pub struct JobCache {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    jobs: HashMap<JobId, Entry>,
    pages: usize,
    clock: u64,
}

#[derive(Debug, Default)]
struct Entry {
    /// The version `object` was built at.
    version: u64,
    object: Option<Arc<JobObject>>,
    pages: BTreeMap<u32, Arc<PageSummary>>,
    used: u64,
}

impl JobCache {
    /// The object built for this version of the job, if any.
    pub fn object(&self, job: JobId, version: u64) -> Option<Arc<JobObject>> {
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        let entry = entries.jobs.get_mut(&job)?;
        entry.used = now;
        entry
            .object
            .as_ref()
            .filter(|_| entry.version == version)
            .cloned()
    }

    /// Indexes of the pages already summarised for the job.
    pub fn known_pages(&self, job: JobId) -> Vec<u32> {
        self.lock()
            .jobs
            .get(&job)
            .map(|e| e.pages.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Adds new page summaries and the object of `version`; returns every summary in page
    /// order, for building that object.
    pub fn add_pages(&self, job: JobId, pages: Vec<(u32, PageSummary)>) -> Vec<Arc<PageSummary>> {
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        let entry = entries.jobs.entry(job).or_default();
        entry.used = now;
        let mut added = 0;
        for (index, summary) in pages {
            if entry.pages.insert(index, Arc::new(summary)).is_none() {
                added += 1;
            }
        }
        let all: Vec<Arc<PageSummary>> = entry.pages.values().cloned().collect();
        entries.pages += added;
        entries.evict(job);
        all
    }

    /// Keeps `object` as the job at `version`.
    pub fn put(&self, job: JobId, version: u64, object: Arc<JobObject>) {
        let mut entries = self.lock();
        let entry = entries.jobs.entry(job).or_default();
        if version >= entry.version {
            entry.version = version;
            entry.object = Some(object);
        }
    }

    /// Forgets a job (after erasure).
    pub fn forget(&self, job: JobId) {
        let mut entries = self.lock();
        if let Some(entry) = entries.jobs.remove(&job) {
            entries.pages -= entry.pages.len();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Entries {
    /// Drops least recently used jobs (never `keep`) until the page budget holds.
    fn evict(&mut self, keep: JobId) {
        while self.pages > PAGE_BUDGET {
            let oldest = self
                .jobs
                .iter()
                .filter(|(id, _)| **id != keep)
                .min_by_key(|(_, e)| e.used)
                .map(|(id, _)| *id);
            let Some(oldest) = oldest else { return };
            if let Some(entry) = self.jobs.remove(&oldest) {
                self.pages -= entry.pages.len();
            }
        }
    }
}
