//! The pool itself: a priority queue of requests served by dedicated Tesseract threads.
//!
//! A thread with no request to serve helps another thread's page where the engine can share
//! its work (PP-OCR's recogniser runs, `crate::engine::ppocr::Crew`): a page read alone on an
//! idle server uses both cores for part of its reading. Requests always come first: a helper
//! returns to the queue after the run it is making.

use super::{
    check_languages, tesseract, OcrError, OcrOptions, OcrRequest, Orientation, OMP_THREAD_LIMIT,
    OSD_MODEL,
};
use crate::engine::{
    page_engine::{EngineKind, Engines, PpOcrEngine},
    ppocr::{Crew, Reading},
    raster::PageImage,
};
use domain::{engine::Effort, PageResult};
use std::{
    cmp::Ordering,
    collections::BinaryHeap,
    panic::{catch_unwind, AssertUnwindSafe},
    path::Path,
    sync::{
        atomic::{AtomicU64, Ordering as AtomicOrdering},
        mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError,
    },
    thread::JoinHandle,
};
use tokio::sync::oneshot;

/// What a pool thread is asked to do with a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Task {
    /// Recognise the text with this engine, at this effort, and the request's languages.
    Recognize(EngineKind, Effort),
    /// Find the page's orientation and script (the request's languages are `osd`).
    DetectOrientation,
}

/// What a pool thread produced.
#[derive(Debug)]
enum Output {
    /// Boxed: a page result is an order of magnitude larger than an orientation.
    Page(Box<PageResult>),
    Orientation(Orientation),
}

type Answer = Result<Output, OcrError>;

/// Where a result goes.
enum Reply {
    Async(oneshot::Sender<Answer>),
    Blocking(mpsc::SyncSender<Answer>),
}

impl Reply {
    /// The caller stopped waiting (only knowable for async callers).
    fn is_abandoned(&self) -> bool {
        match self {
            Reply::Async(sender) => sender.is_closed(),
            Reply::Blocking(_) => false,
        }
    }

    fn send(self, result: Answer) {
        // A caller that went away does not need the result.
        match self {
            Reply::Async(sender) => {
                let _ = sender.send(result);
            }
            Reply::Blocking(sender) => {
                let _ = sender.send(result);
            }
        }
    }
}

/// A queued request.
struct Job {
    priority: u8,
    seq: u64,
    task: Task,
    request: OcrRequest,
    reply: Reply,
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Job {}

impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Job {
    /// Whether this job finishes a page begun earlier: a second opinion follows its page's
    /// first reading.
    fn follows_up(&self) -> bool {
        matches!(self.task, Task::Recognize(_, Effort::SecondOpinion))
    }
}

impl Ord for Job {
    /// The max-heap pops the highest priority; within it, work that finishes a page begun
    /// earlier ([`Job::follows_up`]) before new pages, then the lowest sequence number. A page
    /// waiting for its second opinion holds its image and its first reading, and its job waits
    /// for it: served in arrival order, `auto`'s second opinions all queued behind every page
    /// submitted before them (on the corpus bench, every Tesseract reading of the 12 pages came
    /// first), so pages finished late and held their memory meanwhile.
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .cmp(&other.priority)
            .then_with(|| self.follows_up().cmp(&other.follows_up()))
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

#[derive(Default)]
struct Queue {
    jobs: BinaryHeap<Job>,
    /// Pages being read whose threads would take help ([`PoolCrew`]); a thread with no job
    /// helps with the first that has work left.
    offers: Vec<Arc<Reading>>,
    next_seq: u64,
    closed: bool,
    live_threads: usize,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    /// Recogniser runs threads made for other threads' pages ([`OcrPool::helped_runs`]).
    helped_runs: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // The queue's invariants hold between statements; a panic elsewhere cannot break them.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The Tesseract thread pool. Share it with `Arc`; dropping it stops the threads after the
/// pages they are working on (blocking for at most that long) and fails queued requests with
/// [`OcrError::PoolClosed`].
pub struct OcrPool {
    shared: Arc<Shared>,
    options: OcrOptions,
    handles: Vec<JoinHandle<()>>,
}

// Shared by every worker task through `Arc`: a compile error here, not a surprise later.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<OcrPool>();
};

impl std::fmt::Debug for OcrPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrPool")
            .field("options", &self.options)
            .field("queued", &self.queued())
            .finish()
    }
}

impl OcrPool {
    /// A pool of `threads` threads (at least 1) reading traineddata from `tessdata`, with the
    /// other [`OcrOptions`] at their defaults.
    pub fn new(threads: usize, tessdata: impl AsRef<Path>) -> OcrPool {
        OcrPool::with_options(OcrOptions {
            threads,
            ..OcrOptions::new(tessdata.as_ref())
        })
    }

    /// A pool built from `options`. Threads start at once; Tesseract instances are created on
    /// first use of each language. Never fails: a thread that cannot be spawned is logged, and a
    /// pool left without threads answers every request with [`OcrError::PoolClosed`].
    pub fn with_options(options: OcrOptions) -> OcrPool {
        if std::env::var(OMP_THREAD_LIMIT).as_deref() != Ok("1") {
            tracing::warn!(
                "{OMP_THREAD_LIMIT} is not 1 in this process's environment: Tesseract's OpenMP \
                 threads will compete with the pool (several times slower on few cores); start \
                 the process with {OMP_THREAD_LIMIT}=1"
            );
        }
        let (tessdata, psm, cached, ppocr) = (
            options.tessdata.clone(),
            options.page_seg_mode,
            options.cached_languages,
            options.ppocr.clone(),
        );
        OcrPool::start(options, move || {
            Engines::new(
                tesseract::Engines::new(tessdata.clone(), psm, cached),
                PpOcrEngine::new(ppocr.clone()),
            )
        })
    }

    /// Starts the threads, each with its own recogniser from `make`.
    fn start<R: Recognizer + Send + 'static>(options: OcrOptions, make: impl Fn() -> R) -> OcrPool {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            helped_runs: AtomicU64::new(0),
        });
        let mut handles = Vec::new();
        for n in 0..options.threads.max(1) {
            let thread_shared = Arc::clone(&shared);
            let engines = make();
            shared.lock().live_threads += 1;
            let spawned = std::thread::Builder::new()
                .name(format!("ocr-{n}"))
                // Tesseract expects a main-thread-sized stack; only touched pages are committed.
                .stack_size(8 * 1024 * 1024)
                .spawn(move || work(&thread_shared, engines));
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(err) => {
                    shared.lock().live_threads -= 1;
                    tracing::error!(error = %err, "could not start an ocr thread");
                }
            }
        }
        if handles.is_empty() {
            shared.lock().closed = true;
        }
        OcrPool {
            shared,
            options,
            handles,
        }
    }

    /// The options the pool was built with.
    pub fn options(&self) -> &OcrOptions {
        &self.options
    }

    /// Recogniser runs (a batch of lines, or one line) that threads with nothing else to do
    /// made for pages other threads were reading, since the pool started.
    pub fn helped_runs(&self) -> u64 {
        self.shared.helped_runs.load(AtomicOrdering::Relaxed)
    }

    /// Requests waiting for a thread (not counting those being recognised).
    pub fn queued(&self) -> usize {
        self.shared.lock().jobs.len()
    }

    /// Recognises one page with Tesseract. Waits without blocking the executor; dropping the
    /// future withdraws the request if it has not started.
    pub async fn recognize(&self, request: OcrRequest) -> Result<PageResult, OcrError> {
        self.recognize_with(EngineKind::Tesseract, request).await
    }

    /// Recognises one page with `engine`, queued with the request's priority like any page.
    pub async fn recognize_with(
        &self,
        engine: EngineKind,
        request: OcrRequest,
    ) -> Result<PageResult, OcrError> {
        self.recognize_at(engine, Effort::Full, request).await
    }

    /// [`OcrPool::recognize_with`] at `effort` (`auto`'s second readings are
    /// [`Effort::SecondOpinion`]).
    pub async fn recognize_at(
        &self,
        engine: EngineKind,
        effort: Effort,
        request: OcrRequest,
    ) -> Result<PageResult, OcrError> {
        let (sender, receiver) = oneshot::channel();
        self.submit(
            Task::Recognize(engine, effort),
            request,
            Reply::Async(sender),
        )?;
        page_of(receiver.await.unwrap_or(Err(OcrError::PoolClosed)))
    }

    /// Recognises one page with Tesseract, blocking the calling thread (benchmarks, tests).
    pub fn recognize_blocking(&self, request: OcrRequest) -> Result<PageResult, OcrError> {
        self.recognize_with_blocking(EngineKind::Tesseract, request)
    }

    /// [`OcrPool::recognize_with`], blocking the calling thread (benchmarks, tests).
    pub fn recognize_with_blocking(
        &self,
        engine: EngineKind,
        request: OcrRequest,
    ) -> Result<PageResult, OcrError> {
        self.recognize_at_blocking(engine, Effort::Full, request)
    }

    /// [`OcrPool::recognize_at`], blocking the calling thread (benchmarks, tests).
    pub fn recognize_at_blocking(
        &self,
        engine: EngineKind,
        effort: Effort,
        request: OcrRequest,
    ) -> Result<PageResult, OcrError> {
        let (sender, receiver) = mpsc::sync_channel(1);
        self.submit(
            Task::Recognize(engine, effort),
            request,
            Reply::Blocking(sender),
        )?;
        page_of(receiver.recv().unwrap_or(Err(OcrError::PoolClosed)))
    }

    /// Whether the pool was given what `engine` needs (PP-OCR's models; Tesseract always).
    pub fn has_engine(&self, engine: EngineKind) -> bool {
        match engine {
            EngineKind::Tesseract => true,
            EngineKind::PpOcr => self.options.ppocr.is_some(),
        }
    }

    /// Finds a page's orientation and script with Tesseract's OSD model (`osd.traineddata`),
    /// queued like a recognition with the same priority. A page with too little text for OSD is
    /// [`OcrError::Recognition`]; callers treat that as "unknown", not as a failed page.
    pub async fn detect_orientation(
        &self,
        image: PageImage,
        priority: u8,
    ) -> Result<Orientation, OcrError> {
        let (sender, receiver) = oneshot::channel();
        let request = OcrRequest {
            image,
            languages: OSD_MODEL.to_owned(),
            priority,
        };
        self.submit(Task::DetectOrientation, request, Reply::Async(sender))?;
        orientation_of(receiver.await.unwrap_or(Err(OcrError::PoolClosed)))
    }

    /// [`OcrPool::detect_orientation`], blocking the calling thread (benchmarks, tests).
    pub fn detect_orientation_blocking(
        &self,
        image: PageImage,
        priority: u8,
    ) -> Result<Orientation, OcrError> {
        let (sender, receiver) = mpsc::sync_channel(1);
        let request = OcrRequest {
            image,
            languages: OSD_MODEL.to_owned(),
            priority,
        };
        self.submit(Task::DetectOrientation, request, Reply::Blocking(sender))?;
        orientation_of(receiver.recv().unwrap_or(Err(OcrError::PoolClosed)))
    }

    /// Checks the language string, then queues the request.
    fn submit(&self, task: Task, request: OcrRequest, reply: Reply) -> Result<(), OcrError> {
        if !matches!(task, Task::Recognize(EngineKind::PpOcr, _)) {
            check_languages(&request.languages, &self.options.tessdata)?;
        }
        let mut queue = self.shared.lock();
        if queue.closed {
            return Err(OcrError::PoolClosed);
        }
        let seq = queue.next_seq;
        queue.next_seq += 1;
        queue.jobs.push(Job {
            priority: request.priority,
            seq,
            task,
            request,
            reply,
        });
        drop(queue);
        self.shared.ready.notify_one();
        Ok(())
    }
}

impl Drop for OcrPool {
    fn drop(&mut self) {
        {
            let mut queue = self.shared.lock();
            queue.closed = true;
            // Dropping the replies tells every waiting caller the pool is closed.
            queue.jobs.clear();
        }
        self.shared.ready.notify_all();
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}

/// The pool's threads as a page's [`Crew`]: an offered reading is helped by threads that have
/// no job (`work`).
struct PoolCrew<'a>(&'a Shared);

impl Crew for PoolCrew<'_> {
    fn offer(&self, reading: &Arc<Reading>) {
        self.0.lock().offers.push(Arc::clone(reading));
        // One sleeping thread is woken, not all: on a many-core server every idle thread would
        // load PP-OCR at once for one page. Threads that finish a job find the offer anyway.
        self.0.ready.notify_one();
    }
    fn withdraw(&self, reading: &Arc<Reading>, helped: usize) {
        self.0
            .lock()
            .offers
            .retain(|offered| !Arc::ptr_eq(offered, reading));
        self.0
            .helped_runs
            .fetch_add(helped as u64, AtomicOrdering::Relaxed);
    }
}

/// Marks a thread gone when it exits, however it exits; the last one closes the pool so no
/// request waits forever for a thread that will never come.
struct ThreadGuard<'a>(&'a Shared);

impl Drop for ThreadGuard<'_> {
    fn drop(&mut self) {
        let mut queue = self.0.lock();
        queue.live_threads = queue.live_threads.saturating_sub(1);
        if queue.live_threads == 0 {
            queue.closed = true;
            queue.jobs.clear();
        }
    }
}

/// The page of a recognition answer (a pool thread answers a recognition with a page).
fn page_of(answer: Answer) -> Result<PageResult, OcrError> {
    match answer? {
        Output::Page(page) => Ok(*page),
        Output::Orientation(_) => Err(OcrError::PoolClosed),
    }
}

/// The orientation of a detection answer.
fn orientation_of(answer: Answer) -> Result<Orientation, OcrError> {
    match answer? {
        Output::Orientation(orientation) => Ok(orientation),
        Output::Page(_) => Err(OcrError::PoolClosed),
    }
}

/// What a pool thread recognises pages with: its [`Engines`], or a stand-in in unit tests.
trait Recognizer {
    /// Recognises one page with `engine` at `effort`, sharing work with `crew`.
    fn recognize(
        &mut self,
        engine: EngineKind,
        effort: Effort,
        page: &PageImage,
        languages: &str,
        crew: &dyn Crew,
    ) -> Result<PageResult, OcrError>;
    /// Helps with another thread's `reading` while `stop` allows: the runs made, or `None`
    /// when it cannot.
    fn help(&mut self, _reading: &Reading, _stop: &dyn Fn() -> bool) -> Option<usize> {
        None
    }
    /// Finds the page's orientation and script.
    fn detect_orientation(&mut self, page: &PageImage) -> Result<Orientation, OcrError> {
        Err(OcrError::Recognition {
            page: page.index,
            detail: "orientation detection is not available".into(),
        })
    }
    /// Frees whatever the recogniser keeps between pages (the thread is idle).
    fn release(&mut self) {}
    /// Forgets any state kept for `languages` after a failure.
    fn discard(&mut self, languages: &str);
}

impl Recognizer for Engines {
    fn recognize(
        &mut self,
        engine: EngineKind,
        effort: Effort,
        page: &PageImage,
        languages: &str,
        crew: &dyn Crew,
    ) -> Result<PageResult, OcrError> {
        self.get(engine).recognise(page, languages, effort, crew)
    }
    fn help(&mut self, reading: &Reading, stop: &dyn Fn() -> bool) -> Option<usize> {
        Engines::help(self, reading, stop)
    }
    fn detect_orientation(&mut self, page: &PageImage) -> Result<Orientation, OcrError> {
        self.tesseract().detect_orientation(page)
    }
    fn discard(&mut self, languages: &str) {
        self.tesseract().discard(languages);
    }
    fn release(&mut self) {
        Engines::release(self);
    }
}

/// How long a pool thread waits for work before it releases its Tesseract instances.
const RELEASE_WHEN_IDLE: std::time::Duration = std::time::Duration::from_secs(15);

/// What a pool thread does next.
enum Next {
    Job(Job),
    /// Take runs of another thread's page (`PoolCrew`).
    Help(Arc<Reading>),
}

/// One pool thread: take the best job, recognise it, reply; with no job, help another thread's
/// page; until the pool closes.
fn work(shared: &Shared, mut engines: impl Recognizer) {
    let _guard = ThreadGuard(shared);
    let mut released = false;
    // Cleared when helping failed (PP-OCR would not load on this thread): it only reads pages.
    let mut helps = true;
    loop {
        let next = {
            let mut queue = shared.lock();
            loop {
                if queue.closed {
                    return;
                }
                if let Some(job) = queue.jobs.pop() {
                    break Next::Job(job);
                }
                let helpable = queue.offers.iter().find(|reading| reading.has_more());
                if let Some(reading) = helpable.filter(|_| helps) {
                    break Next::Help(Arc::clone(reading));
                }
                let (next, waited) = shared
                    .ready
                    .wait_timeout(queue, RELEASE_WHEN_IDLE)
                    .unwrap_or_else(PoisonError::into_inner);
                queue = next;
                if waited.timed_out() && queue.jobs.is_empty() && !released {
                    drop(queue);
                    engines.release();
                    released = true;
                    queue = shared.lock();
                }
            }
        };
        let job = match next {
            Next::Job(job) => job,
            Next::Help(reading) => {
                let stop = || {
                    let queue = shared.lock();
                    queue.closed || !queue.jobs.is_empty()
                };
                // A panic mid-run fails the helped page (its `Run` says so), not this thread.
                let helped = catch_unwind(AssertUnwindSafe(|| engines.help(&reading, &stop)));
                // Helping may have loaded an engine: release it again when idle.
                released = false;
                match helped {
                    Ok(Some(runs)) => tracing::trace!(runs, "helped another thread's page"),
                    Ok(None) | Err(_) => {
                        tracing::warn!(
                            "an ocr thread could not help with a page; it stops helping"
                        );
                        helps = false;
                    }
                }
                continue;
            }
        };
        released = false;
        if job.reply.is_abandoned() {
            continue;
        }
        let OcrRequest {
            image, languages, ..
        } = &job.request;
        let started = std::time::Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| match job.task {
            Task::Recognize(engine, effort) => engines
                .recognize(engine, effort, image, languages, &PoolCrew(shared))
                .map(|page| Output::Page(Box::new(page))),
            Task::DetectOrientation => engines.detect_orientation(image).map(Output::Orientation),
        }))
        .unwrap_or_else(|panic| {
            Err(OcrError::Panicked {
                page: image.index,
                detail: panic_message(panic.as_ref()),
            })
        });
        tracing::debug!(
            page = image.index,
            %languages,
            task = ?job.task,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "ocr pool request served"
        );
        if let Err(err) = &result {
            // The instance may be in any state after a failure: build a fresh one next time.
            engines.discard(languages);
            match job.task {
                Task::Recognize(engine, _) => {
                    tracing::warn!(
                        page = image.index,
                        %languages,
                        engine = engine.name(),
                        error = %err,
                        "ocr failed"
                    )
                }
                // Pages with little text have no detectable orientation: routine, not a fault.
                Task::DetectOrientation => {
                    tracing::debug!(page = image.index, error = %err, "no orientation found")
                }
            }
        }
        job.reply.send(result);
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ocr::tests::temp_tessdata;

    fn job(priority: u8, seq: u64) -> Job {
        job_at(
            priority,
            seq,
            Task::Recognize(EngineKind::Tesseract, Effort::Full),
        )
    }

    fn job_at(priority: u8, seq: u64, task: Task) -> Job {
        let (sender, _) = mpsc::sync_channel(1);
        Job {
            priority,
            seq,
            task,
            request: OcrRequest {
                image: PageImage {
                    index: 0,
                    image: std::sync::Arc::new(image::DynamicImage::new_luma8(1, 1)),
                    dpi: 300,
                    dpi_source: crate::engine::raster::DpiSource::Rendered,
                },
                languages: "eng".into(),
                priority,
            },
            reply: Reply::Blocking(sender),
        }
    }

    #[test]
    fn higher_priority_first_then_arrival_order() {
        let mut heap = BinaryHeap::new();
        for (priority, seq) in [(0, 0), (5, 1), (0, 2), (5, 3), (9, 4)] {
            heap.push(job(priority, seq));
        }
        let order: Vec<(u8, u64)> = std::iter::from_fn(|| heap.pop())
            .map(|j| (j.priority, j.seq))
            .collect();
        assert_eq!(order, vec![(9, 4), (5, 1), (5, 3), (0, 0), (0, 2)]);
    }

    #[test]
    fn second_opinions_go_before_new_pages_of_their_priority_only() {
        let second = Task::Recognize(EngineKind::PpOcr, Effort::SecondOpinion);
        let mut heap = BinaryHeap::new();
        for seq in 0..3 {
            heap.push(job(5, seq));
        }
        heap.push(job_at(5, 3, second));
        heap.push(job_at(0, 4, second));
        heap.push(job(9, 5));
        heap.push(job_at(5, 6, second));
        let order: Vec<(u8, u64)> = std::iter::from_fn(|| heap.pop())
            .map(|j| (j.priority, j.seq))
            .collect();
        assert_eq!(
            order,
            vec![(9, 5), (5, 3), (5, 6), (5, 0), (5, 1), (5, 2), (0, 4)]
        );
    }

    /// Panics on page 13, echoes the languages as text otherwise; counts discards.
    struct Flaky {
        discarded: Arc<Mutex<Vec<String>>>,
    }

    impl Recognizer for Flaky {
        fn recognize(
            &mut self,
            _engine: EngineKind,
            _effort: Effort,
            page: &PageImage,
            languages: &str,
            _crew: &dyn Crew,
        ) -> Result<PageResult, OcrError> {
            assert_ne!(page.index, 13, "boom on page 13");
            Ok(PageResult {
                index: page.index,
                width: page.image.width(),
                height: page.image.height(),
                dpi: page.dpi,
                text: languages.to_owned(),
                blocks: Vec::new(),
                mean_confidence: None,
                language: languages.to_owned(),
                engine: "flaky".into(),
                tables: Vec::new(),
                rotation: 0,
                detection: None,
                translation: None,
                markdown: None,
                source: None,
            })
        }
        fn discard(&mut self, languages: &str) {
            self.discarded.lock().unwrap().push(languages.to_owned());
        }
    }

    fn request(index: u32) -> OcrRequest {
        OcrRequest {
            image: PageImage {
                index,
                image: std::sync::Arc::new(image::DynamicImage::new_luma8(2, 2)),
                dpi: 300,
                dpi_source: crate::engine::raster::DpiSource::Rendered,
            },
            languages: "eng".into(),
            priority: 0,
        }
    }

    #[test]
    fn a_panic_fails_one_request_and_the_pool_keeps_serving() {
        let dir = temp_tessdata("panic", &["eng"]);
        let discarded = Arc::new(Mutex::new(Vec::new()));
        let flaky_discards = Arc::clone(&discarded);
        let options = OcrOptions {
            threads: 1,
            ..OcrOptions::new(&dir)
        };
        let pool = OcrPool::start(options, move || Flaky {
            discarded: Arc::clone(&flaky_discards),
        });
        match pool.recognize_blocking(request(13)) {
            Err(OcrError::Panicked { page: 13, detail }) => {
                assert!(detail.contains("boom"), "{detail}")
            }
            other => panic!("expected a caught panic, got {other:?}"),
        }
        assert_eq!(*discarded.lock().unwrap(), vec!["eng".to_owned()]);
        // The same (only) thread serves the next request.
        assert_eq!(pool.recognize_blocking(request(1)).unwrap().index, 1);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(
            runtime.block_on(pool.recognize(request(2))).unwrap().index,
            2
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
