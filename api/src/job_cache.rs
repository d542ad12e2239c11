//! Job objects already built, kept per process so polling a job costs one small query.
//!
//! Building the job object reads every page's stored result (words and all) and renders the
//! job's text and Markdown; doing that on every poll made a done 4-page job serve a quarter of
//! what `/healthz` serves. The object depends only on the job's projection, and every change to
//! a job moves its version, so an object cached under `(job, version)` is exactly what a rebuild
//! would give: a poll reads the job row (for the owner check and the version) and, when the
//! version is the cached one, answers from memory. Erasure deletes the row, so an erased job is
//! `404` before the cache is consulted; the cache holds no data a row does not vouch for.

use crate::views::JobObject;
use domain::JobId;
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, PoisonError},
};

/// Most job objects kept (least recently inserted out first).
const CAPACITY: usize = 512;

/// A bounded map `job → (version, object)`.
#[derive(Debug, Default)]
pub struct JobCache {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<JobId, (u64, Arc<JobObject>)>,
    order: VecDeque<JobId>,
}

impl JobCache {
    /// The object cached for this version of the job, if any.
    pub fn get(&self, job: JobId, version: u64) -> Option<Arc<JobObject>> {
        let entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .map
            .get(&job)
            .filter(|(v, _)| *v == version)
            .map(|(_, object)| Arc::clone(object))
    }

    /// Keeps `object` as the job at `version` (replacing an older version).
    pub fn put(&self, job: JobId, version: u64, object: Arc<JobObject>) {
        let mut entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.map.insert(job, (version, object)).is_none() {
            entries.order.push_back(job);
            while entries.order.len() > CAPACITY {
                if let Some(old) = entries.order.pop_front() {
                    entries.map.remove(&old);
                }
            }
        }
    }

    /// Forgets a job (after erasure).
    pub fn forget(&self, job: JobId) {
        let mut entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.map.remove(&job).is_some() {
            entries.order.retain(|j| *j != job);
        }
    }
}
