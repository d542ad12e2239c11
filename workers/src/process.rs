//! Processing one job: the rules of attempts, resumption and failure around the engines.
//!
//! A job is processed by loading its events, recording the attempt, recognising every page not
//! yet recorded, and appending `done`. Each page is appended as soon as it is recognised, so a
//! worker killed mid-job loses at most the pages in flight; the next attempt resumes after the
//! recorded ones, and `record_page` turns a page recorded by a racing worker into a no-op.

use crate::engine::{
    input::{InputError, Limits},
    ocr::{OcrError, OcrPool, OcrRequest},
    pdf::PdfEngine,
    raster::{render_page, PageImage},
};
use domain::{job, EventMeta, FileKind, Job, JobId, LanguageSpec, PageIndex, PageResult};
use futures::{StreamExt, TryStreamExt};
use std::sync::Arc;
use storage::{page_images::PageImageBlob, Store};

/// Tuning for the processor.
#[derive(Debug, Clone)]
pub struct ProcessorOptions {
    /// Attempts that may end in a recorded error before the job is failed.
    pub max_attempts: u32,
    /// Extra attempts allowed for runs that were cut short without recording anything (a killed
    /// worker). Bounds a file that crashes every worker that touches it.
    pub max_interrupted: u32,
    /// Identifies this process in events (`host:pid`).
    pub worker_id: String,
    /// Pages of one job recognised at once.
    pub page_parallelism: usize,
    /// Decoding limits (a second guard after the upload checks).
    pub limits: Limits,
}

/// What happened to a job in one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every page recorded and `done` appended.
    Done,
    /// The job was failed with this reason.
    Failed(String),
    /// The job had already ended (a redelivered message): nothing to do.
    AlreadyFinished,
    /// The job does not exist (erased, or a message from another deployment).
    Unknown,
}

/// Why an attempt stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The event store failed; usually transient.
    #[error(transparent)]
    Storage(#[from] storage::Error),
    /// The file cannot be read: permanent.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The engine failed.
    #[error(transparent)]
    Ocr(#[from] OcrError),
    /// Another writer ended the job while this attempt ran.
    #[error("job ended while it was being processed")]
    EndedElsewhere,
    /// A blocking task panicked or was cancelled.
    #[error("page task failed: {0}")]
    Join(String),
}

impl ProcessError {
    /// Permanent errors fail the job at once; retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        match self {
            ProcessError::Input(_) => true,
            ProcessError::Ocr(err) => err.is_permanent(),
            ProcessError::Storage(err) => !err.is_transient(),
            ProcessError::EndedElsewhere | ProcessError::Join(_) => false,
        }
    }
}

/// Turns queued job ids into recorded pages. One per process, shared by all worker tasks.
#[derive(Clone)]
pub struct Processor {
    store: Store,
    pool: Arc<OcrPool>,
    pdf: Arc<PdfEngine>,
    options: ProcessorOptions,
}

impl std::fmt::Debug for Processor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processor")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Processor {
    /// Builds a processor on shared engines.
    pub fn new(
        store: Store,
        pool: Arc<OcrPool>,
        pdf: Arc<PdfEngine>,
        options: ProcessorOptions,
    ) -> Self {
        Processor {
            store,
            pool,
            pdf,
            options,
        }
    }

    /// The options in use.
    pub fn options(&self) -> &ProcessorOptions {
        &self.options
    }

    /// Processes one job to its end, or returns the error that should make the queue retry.
    ///
    /// Idempotent: calling it again for the same job (redelivery, a racing worker) resumes or
    /// finds the job finished.
    pub async fn process(&self, id: JobId) -> Result<Outcome, ProcessError> {
        let state = match self.store.load_job(id).await {
            Ok(state) => state,
            Err(storage::Error::JobNotFound(_)) => return Ok(Outcome::Unknown),
            Err(err) => return Err(err.into()),
        };
        if state.status.is_final() {
            return Ok(Outcome::AlreadyFinished);
        }
        if state.failed_attempts >= self.options.max_attempts {
            return self
                .fail(
                    id,
                    format!("gave up after {} failed attempts", state.failed_attempts),
                )
                .await;
        }
        let limit = self.options.max_attempts + self.options.max_interrupted;
        if state.attempts >= limit {
            return self
                .fail(
                    id,
                    format!(
                        "processing was interrupted {} times; giving up",
                        state.attempts
                    ),
                )
                .await;
        }
        let attempt = state.attempts + 1;
        let meta = EventMeta {
            worker: Some(self.options.worker_id.clone()),
            attempt: Some(attempt),
        };
        match self
            .store
            .decide_and_append(id, meta.clone(), |j| job::start_processing(j, attempt))
            .await?
        {
            Ok(_) => {}
            Err(domain::Error::JobFinished(_)) => return Ok(Outcome::AlreadyFinished),
            Err(rule) => return Ok(Outcome::Failed(rule.to_string())),
        }

        match self.recognise_remaining(id, &state, &meta).await {
            Ok(()) => self.finish(id, &meta).await,
            Err(ProcessError::EndedElsewhere) => Ok(Outcome::AlreadyFinished),
            Err(err) if err.is_permanent() => self.fail(id, err.to_string()).await,
            Err(err) => {
                tracing::warn!(%id, attempt, error = %err, "attempt failed, will retry");
                let message = err.to_string();
                // Recording the failure may itself fail (database down): then the queue's retry
                // and the stranded-job sweep bring the job back later.
                let recorded = self
                    .store
                    .decide_and_append(id, meta.clone(), |j| {
                        job::record_attempt_failure(j, attempt, message.clone())
                    })
                    .await;
                if let Ok(Ok(_)) = recorded {
                    if state.failed_attempts + 1 >= self.options.max_attempts {
                        return self
                            .fail(id, format!("gave up after {attempt} attempts: {message}"))
                            .await;
                    }
                }
                Err(err)
            }
        }
    }

    /// Recognises every page not yet recorded, appending each as soon as it is done.
    async fn recognise_remaining(
        &self,
        id: JobId,
        state: &Job,
        meta: &EventMeta,
    ) -> Result<(), ProcessError> {
        let remaining = state.remaining_pages();
        if remaining.is_empty() {
            return Ok(());
        }
        let submission = state
            .submission
            .as_ref()
            .ok_or(ProcessError::Storage(storage::Error::JobNotFound(id)))?;
        let kind = submission.file.kind;
        let languages = tesseract_languages(&submission.language_spec);
        let priority = submission.plan.map_or(0, |p| p.priority());
        let bytes = Arc::new(self.store.upload(id).await?);
        // Appends of one job are serialised in-process; conflicts then only come from another
        // process racing on the same job, which `decide_and_append` resolves.
        let append_lock = Arc::new(tokio::sync::Mutex::new(()));
        futures::stream::iter(remaining)
            .map(|page| {
                let bytes = Arc::clone(&bytes);
                let languages = languages.clone();
                let append_lock = Arc::clone(&append_lock);
                async move {
                    let result = self
                        .recognise_page(id, bytes, kind, page, languages, priority)
                        .await?;
                    let _guard = append_lock.lock().await;
                    match self
                        .store
                        .decide_and_append(id, meta.clone(), |j| {
                            job::record_page(j, result.clone())
                        })
                        .await?
                    {
                        Ok(_) => Ok(()),
                        Err(domain::Error::JobFinished(_)) => Err(ProcessError::EndedElsewhere),
                        Err(rule) => Err(ProcessError::Join(rule.to_string())),
                    }
                }
            })
            .buffer_unordered(self.options.page_parallelism.max(1))
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// Rasterises one page (blocking pool) and recognises it (OCR pool).
    async fn recognise_page(
        &self,
        job: JobId,
        bytes: Arc<Vec<u8>>,
        kind: FileKind,
        page: PageIndex,
        languages: String,
        priority: u8,
    ) -> Result<PageResult, ProcessError> {
        let pdf = Arc::clone(&self.pdf);
        let limits = self.options.limits.clone();
        let (image, blob) = tokio::task::spawn_blocking(move || {
            let image = render_page(&bytes, kind, page.0, &pdf, &limits)?;
            let blob = encode_page_image(&image);
            Ok::<_, ProcessError>((image, blob))
        })
        .await
        .map_err(|e| ProcessError::Join(e.to_string()))??;
        // Kept for exports (the searchable PDF), since the upload is deleted when the job ends.
        self.store.put_page_image(job, &blob).await?;
        let result = self
            .pool
            .recognize(OcrRequest {
                image,
                languages,
                priority,
            })
            .await?;
        Ok(result)
    }

    async fn finish(&self, id: JobId, meta: &EventMeta) -> Result<Outcome, ProcessError> {
        match self
            .store
            .decide_and_append(id, meta.clone(), job::finish)
            .await?
        {
            Ok(_) => Ok(Outcome::Done),
            Err(domain::Error::JobFinished(_)) => Ok(Outcome::AlreadyFinished),
            Err(rule) => Err(ProcessError::Join(rule.to_string())),
        }
    }

    async fn fail(&self, id: JobId, reason: String) -> Result<Outcome, ProcessError> {
        let meta = EventMeta {
            worker: Some(self.options.worker_id.clone()),
            attempt: None,
        };
        match self
            .store
            .decide_and_append(id, meta, |j| job::fail(j, reason.clone()))
            .await?
        {
            Ok(_) => Ok(Outcome::Failed(reason)),
            Err(_) => Ok(Outcome::AlreadyFinished),
        }
    }
}

/// JPEG quality of stored page images: text edges stay crisp for viewers and PDF exports at a
/// fraction of PNG's size on scans.
const PAGE_IMAGE_QUALITY: u8 = 85;

/// Compresses a rendered page for storage.
fn encode_page_image(page: &PageImage) -> PageImageBlob {
    let mut data = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut data, PAGE_IMAGE_QUALITY);
    let encoded = match &page.image {
        image::DynamicImage::ImageLuma8(grey) => grey.write_with_encoder(encoder),
        other => other.to_rgb8().write_with_encoder(encoder),
    };
    if let Err(err) = encoded {
        // Encoding an in-memory buffer only fails on a bug; keep OCR going without an image.
        tracing::warn!(page = page.index, error = %err, "could not encode page image");
        data.clear();
    }
    PageImageBlob {
        index: page.index,
        mime: "image/jpeg".into(),
        width: page.image.width(),
        height: page.image.height(),
        dpi: page.dpi,
        data,
    }
}

/// The Tesseract language string for a request. `auto` means English for now; automatic
/// detection replaces this.
fn tesseract_languages(spec: &LanguageSpec) -> String {
    spec.tesseract().unwrap_or_else(|| "eng".to_owned())
}
