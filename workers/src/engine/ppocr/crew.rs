//! One page's recognition shared with idle threads.
//!
//! The recogniser reads a page's lines in independent runs (batches, or one line each, see
//! [`recognise::Layout`]), and each pool thread has its own loaded engine. So when a pool thread
//! has nothing to do while another reads a page, it can take some of that page's runs with its
//! own recogniser: the page is read in about half the time, and the result is exactly what one
//! thread reads, since a run's reading depends only on its crops. That is the case of a single
//! page, and of the last pages of a batch: without it, one core of two sat idle through every
//! second opinion of a one-page job.
//!
//! The page's own thread offers its [`Reading`] to a [`Crew`] (the pool), takes runs one at a
//! time until none are left, withdraws the offer and waits for the runs a helper is still making.
//! Helpers take runs through [`Reading::help`] until none are left or the pool has a job for
//! them: helping never makes a waiting page wait.

use super::{
    pixels::Bgr,
    recognise::{self, Layout, Recognised},
    PpOcr, PpOcrError,
};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// Whoever may help with a page's recognition: the service's pool, or [`NoCrew`].
pub trait Crew {
    /// Lets idle threads take runs of `reading` (until [`Crew::withdraw`]).
    fn offer(&self, reading: &Arc<Reading>);
    /// Takes the offer back once every run is taken, `helped` of them by helpers (who finish
    /// the runs they took before the reading ends).
    fn withdraw(&self, reading: &Arc<Reading>, helped: usize);
}

/// Nobody helps: the page's thread makes every run (a PP-OCR engine used on its own).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCrew;

impl Crew for NoCrew {
    fn offer(&self, _: &Arc<Reading>) {}
    fn withdraw(&self, _: &Arc<Reading>, _: usize) {}
}

/// The recogniser's work on one set of crops, shareable between threads.
pub struct Reading {
    crops: Vec<Bgr>,
    layout: Layout,
    runs: Vec<Vec<usize>>,
    progress: Mutex<Progress>,
    /// Signalled whenever a run ends.
    run_ended: Condvar,
}

struct Progress {
    /// The next run to take.
    next: usize,
    /// Runs taken and not yet ended.
    running: usize,
    results: Vec<Option<Recognised>>,
    /// The first run that failed; no run is taken after it.
    error: Option<PpOcrError>,
}

impl std::fmt::Debug for Reading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reading")
            .field("crops", &self.crops.len())
            .field("runs", &self.runs.len())
            .finish_non_exhaustive()
    }
}

impl Reading {
    /// The work of reading `crops` laid out as `layout` says.
    pub(super) fn new(crops: Vec<Bgr>, layout: Layout) -> Arc<Reading> {
        let runs = recognise::batches(&crops, layout);
        let results = vec![None; crops.len()];
        Arc::new(Reading {
            crops,
            layout,
            runs,
            progress: Mutex::new(Progress {
                next: 0,
                running: 0,
                results,
                error: None,
            }),
            run_ended: Condvar::new(),
        })
    }

    /// The crops being read.
    pub(super) fn crops(&self) -> &[Bgr] {
        &self.crops
    }

    /// Whether a run is left to take.
    pub fn has_more(&self) -> bool {
        let progress = self.lock();
        progress.error.is_none() && progress.next < self.runs.len()
    }

    /// Makes runs with `engine` (a helper's own) until none is left or `stop` says the helper
    /// is wanted elsewhere; returns how many it made. `engine` must be loaded from the same
    /// models as the page's. `stop` is asked before every run.
    pub fn help(&self, engine: &PpOcr, stop: &dyn Fn() -> bool) -> usize {
        let mut made = 0;
        while !stop() && self.run_next(engine) {
            made += 1;
        }
        made
    }

    /// Reads every crop on the calling thread with `engine`, with whatever help `crew` gives;
    /// results in the crops' order. Offered only when there is more than one run to share.
    pub(super) fn read(
        self: &Arc<Self>,
        engine: &PpOcr,
        crew: &dyn Crew,
    ) -> Result<Vec<Recognised>, PpOcrError> {
        let mut offer = (self.runs.len() > 1).then(|| Offer::new(self, crew));
        while self.run_next(engine) {
            if let Some(offer) = offer.as_mut() {
                offer.own += 1;
            }
        }
        drop(offer);
        let mut progress = self.lock();
        while progress.running > 0 {
            progress = self
                .run_ended
                .wait(progress)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if let Some(error) = progress.error.take() {
            return Err(error);
        }
        Ok(progress
            .results
            .iter_mut()
            .map(|r| r.take().unwrap_or_default())
            .collect())
    }

    /// Takes the next run and makes it; `false` when none was left.
    fn run_next(&self, engine: &PpOcr) -> bool {
        let Some(run) = self.take() else {
            return false;
        };
        let outcome = recognise::recognise_batch(
            &engine.recogniser,
            &engine.dictionary,
            engine.head,
            &self.crops,
            &self.runs[run.index],
            self.layout,
        );
        run.end(outcome);
        true
    }

    fn take(&self) -> Option<Run<'_>> {
        let mut progress = self.lock();
        if progress.error.is_some() || progress.next >= self.runs.len() {
            return None;
        }
        let index = progress.next;
        progress.next += 1;
        progress.running += 1;
        Some(Run {
            reading: self,
            index,
            ended: false,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Progress> {
        // Progress is consistent between statements; a panicking run is accounted by `Run`.
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A reading offered to a crew: withdrawn when dropped, also when the page's thread unwinds,
/// so the crew never keeps a reading (and its crops) that nobody will finish.
struct Offer<'a> {
    reading: &'a Arc<Reading>,
    crew: &'a dyn Crew,
    /// Runs the page's own thread made.
    own: usize,
}

impl<'a> Offer<'a> {
    fn new(reading: &'a Arc<Reading>, crew: &'a dyn Crew) -> Offer<'a> {
        crew.offer(reading);
        Offer {
            reading,
            crew,
            own: 0,
        }
    }
}

impl Drop for Offer<'_> {
    fn drop(&mut self) {
        let taken = self.reading.lock().next;
        self.crew
            .withdraw(self.reading, taken.saturating_sub(self.own));
    }
}

/// A run taken by a thread. Dropped without [`Run::end`] (the thread panicked mid-run), it
/// fails the reading, so the page's thread never waits for a run nobody makes.
struct Run<'a> {
    reading: &'a Reading,
    index: usize,
    ended: bool,
}

impl Run<'_> {
    fn end(mut self, outcome: Result<Vec<(usize, Recognised)>, PpOcrError>) {
        let mut progress = self.reading.lock();
        match outcome {
            Ok(readings) => {
                for (crop, reading) in readings {
                    progress.results[crop] = Some(reading);
                }
            }
            Err(error) => {
                progress.error.get_or_insert(error);
            }
        }
        self.ended = true;
    }
}

impl Drop for Run<'_> {
    fn drop(&mut self) {
        let mut progress = self.reading.lock();
        if !self.ended {
            progress.error.get_or_insert(PpOcrError::Inference {
                model: "recogniser".into(),
                detail: "a thread reading part of this page stopped midway".into(),
            });
        }
        progress.running -= 1;
        drop(progress);
        self.reading.run_ended.notify_all();
    }
}
