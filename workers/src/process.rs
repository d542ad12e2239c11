//! Processing one job: the rules of attempts, resumption and failure around the engines.
//!
//! A job is processed by loading its events, recording the attempt, recognising every page not
//! yet recorded, and appending `done`. Each page is appended as soon as it is recognised, so a
//! worker killed mid-job loses at most the pages in flight; the next attempt resumes after the
//! recorded ones, and `record_page` turns a page recorded by a racing worker into a no-op.

use crate::engine::{
    auto,
    input::{InputError, Limits},
    ocr::{installed_languages, OcrError, OcrPool, OcrRequest},
    page_engine::EngineKind,
    pdf::{
        page::{JpegPages, PdfPageOutput, PixelLimits},
        PdfEngine, PdfSession,
    },
    raster::{self, render_page, PageImage},
};
use crate::llm::{LlmClient, LlmError};
use crate::queue::Queue;
use domain::{
    engine, job, language, EngineChoice, EventMeta, FailureCode, FileKind, Job, JobId,
    LanguageSpec, PageIndex, PageResult, PageSource, Tier, Tool, Translation,
};
use futures::StreamExt;
use std::{collections::HashSet, sync::Arc};
use storage::{page_images::PageImageBlob, Store};
use tokio::sync::Mutex;

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
    /// Pages of one job in flight at once (read, waiting for the OCR pool, or recognised): one
    /// more than the pool's threads keeps them busy.
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
    /// A blocking task was cancelled (the runtime is shutting down), or a page was left
    /// undecoded: another attempt can finish it.
    #[error("page task failed: {0}")]
    Join(String),
    /// Our code panicked while processing (a bug): retrying would panic again, so the job
    /// fails with the panic's message instead of being retried or left `processing`.
    #[error("internal error while processing: {0}")]
    Panicked(String),
    /// The vision model (`vlm` tier) or the chat model (`translate`) failed on a page, after
    /// its retries.
    #[error("the {model} failed on page {}: {source}", page + 1)]
    Model {
        /// Which model, in words (`vision model`, `translation model`).
        model: &'static str,
        /// 0-based page index.
        page: u32,
        /// What the model server said.
        #[source]
        source: LlmError,
    },
    /// The job needs a model this worker was not configured with.
    #[error("this server has no {0} configured")]
    NoModel(&'static str),
    /// The page image could not be prepared for the vision model.
    #[error(transparent)]
    Encode(#[from] crate::vlm::EncodeError),
}

impl ProcessError {
    /// The failure code a permanent error fails the job with.
    pub fn failure_code(&self) -> FailureCode {
        match self {
            ProcessError::Input(_) => FailureCode::BadFile,
            ProcessError::Ocr(_)
            | ProcessError::Model { .. }
            | ProcessError::NoModel(_)
            | ProcessError::Encode(_) => FailureCode::EngineError,
            ProcessError::Storage(_)
            | ProcessError::EndedElsewhere
            | ProcessError::Join(_)
            | ProcessError::Panicked(_) => FailureCode::Unclassified,
        }
    }

    /// Permanent errors fail the job at once; retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        match self {
            ProcessError::Input(_) => true,
            ProcessError::Ocr(err) => err.is_permanent(),
            ProcessError::Storage(err) => !err.is_transient(),
            ProcessError::EndedElsewhere | ProcessError::Join(_) => false,
            // Model calls already retried transient failures with backoff (see `llm`): what
            // reaches here kept failing, and another attempt of the whole job would repeat the
            // same calls. A missing model or an unencodable image does not change either.
            ProcessError::Model { .. } | ProcessError::NoModel(_) | ProcessError::Encode(_) => true,
            ProcessError::Panicked(_) => true,
        }
    }
}

impl ProcessError {
    /// A blocking task that did not return: a panic is [`ProcessError::Panicked`] (permanent),
    /// a cancellation [`ProcessError::Join`] (retried).
    fn from_join(err: tokio::task::JoinError) -> Self {
        if err.is_panic() {
            ProcessError::Panicked(panic_message(err.into_panic().as_ref()))
        } else {
            ProcessError::Join(err.to_string())
        }
    }
}

/// The message a panic was raised with (`panic!("...")` carries a `&str` or a `String`).
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Runs CPU-bound work (decoding, alignment, table detection, encoding) on tokio's blocking
/// pool, never on the async executor, where it would stall every request and job sharing the
/// thread; a panic in it becomes [`ProcessError::Panicked`].
async fn off_executor<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ProcessError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ProcessError::from_join)
}

/// The model endpoints a worker calls, when configured: the vision model of the `vlm` tier and
/// the chat model of the `translate` tool.
#[derive(Debug, Clone, Default)]
pub struct Models {
    /// The vision-language model; `None` refuses `vlm` pages.
    pub vision: Option<LlmClient>,
    /// The chat model used for translation; `None` refuses `translate` pages.
    pub chat: Option<LlmClient>,
}

/// What every page of a job is read with, fixed at submit.
#[derive(Debug, Clone)]
struct PagePlan {
    kind: FileKind,
    language: LanguageSpec,
    tier: Tier,
    tool: Option<Tool>,
    translate_to: Option<String>,
    priority: u8,
    force_ocr: bool,
    engine: EngineChoice,
}

/// Turns queued job ids into recorded pages. One per process, shared by all worker tasks.
#[derive(Clone)]
pub struct Processor {
    store: Store,
    queue: Queue,
    pool: Arc<OcrPool>,
    pdf: Arc<PdfEngine>,
    options: ProcessorOptions,
    models: Models,
    /// Installed Tesseract models: the candidates of language detection.
    installed: Arc<HashSet<String>>,
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
        queue: Queue,
        pool: Arc<OcrPool>,
        pdf: Arc<PdfEngine>,
        options: ProcessorOptions,
    ) -> Self {
        let installed = Arc::new(
            installed_languages(&pool.options().tessdata)
                .into_iter()
                .collect(),
        );
        Processor {
            store,
            queue,
            pool,
            pdf,
            options,
            models: Models::default(),
            installed,
        }
    }

    /// The processor with model endpoints for the `vlm` tier and the `translate` tool.
    pub fn with_models(self, models: Models) -> Self {
        Processor { models, ..self }
    }

    /// The options in use.
    pub fn options(&self) -> &ProcessorOptions {
        &self.options
    }

    /// Processes one job to its end, or returns the error that should make the queue retry.
    ///
    /// Idempotent: calling it again for the same job (redelivery, a racing worker) resumes or
    /// finds the job finished.
    ///
    /// A panic anywhere in it (our bug) fails the job with the panic's message: the queue would
    /// otherwise retry it into the same panic, or the job would stay `processing` for ever.
    pub async fn process(&self, id: JobId) -> Result<Outcome, ProcessError> {
        use futures::FutureExt;
        let attempt = std::panic::AssertUnwindSafe(self.process_attempt(id))
            .catch_unwind()
            .await;
        match attempt {
            Ok(result) => result,
            Err(panic) => {
                let reason = ProcessError::Panicked(panic_message(panic.as_ref())).to_string();
                tracing::error!(job = %id, %reason, "processing panicked; failing the job");
                self.fail(id, FailureCode::Unclassified, reason).await
            }
        }
    }

    async fn process_attempt(&self, id: JobId) -> Result<Outcome, ProcessError> {
        let mut state = match self.store.load_job(id).await {
            Ok(state) => state,
            Err(storage::Error::JobNotFound(_)) => return Ok(Outcome::Unknown),
            Err(err) => return Err(err.into()),
        };
        if state.status.is_final() || state.erased {
            return Ok(Outcome::AlreadyFinished);
        }
        if state.failed_attempts >= self.options.max_attempts {
            return self
                .fail(
                    id,
                    FailureCode::AttemptsExhausted,
                    format!("gave up after {} failed attempts", state.failed_attempts),
                )
                .await;
        }
        let limit = self.options.max_attempts + self.options.max_interrupted;
        if state.attempts >= limit {
            return self
                .fail(
                    id,
                    FailureCode::Interrupted,
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
            .decide_and_append_on(&mut state, meta.clone(), |j| {
                job::start_processing(j, attempt)
            })
            .await?
        {
            Ok(_) => {}
            Err(domain::Error::JobFinished(_) | domain::Error::JobErased(_)) => {
                return Ok(Outcome::AlreadyFinished)
            }
            Err(rule) => return Ok(Outcome::Failed(rule.to_string())),
        }
        let failed_before = state.failed_attempts;
        // The attempt's view of the job: page appends decide on it and reload it only when
        // another writer got in first, so recording page N never rereads pages 0..N-1.
        let state = Mutex::new(state);

        match self.recognise_remaining(id, &state, &meta).await {
            Ok(()) => self.finish(&state, &meta).await,
            Err(ProcessError::EndedElsewhere) => Ok(Outcome::AlreadyFinished),
            Err(err) if err.is_permanent() => {
                let code = err.failure_code();
                self.fail(id, code, err.to_string()).await
            }
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
                    if failed_before + 1 >= self.options.max_attempts {
                        return self
                            .fail(
                                id,
                                FailureCode::AttemptsExhausted,
                                format!("gave up after {attempt} attempts: {message}"),
                            )
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
        state: &Mutex<Job>,
        meta: &EventMeta,
    ) -> Result<(), ProcessError> {
        let (remaining, submission) = {
            let state = state.lock().await;
            (state.remaining_pages(), state.submission.clone())
        };
        if remaining.is_empty() {
            return Ok(());
        }
        let submission = submission
            .as_ref()
            .ok_or(ProcessError::Storage(storage::Error::JobNotFound(id)))?;
        let plan = PagePlan {
            kind: submission.file.kind,
            language: submission.language_spec.clone(),
            tier: submission
                .tool
                .and_then(Tool::forced_tier)
                .unwrap_or(submission.tier),
            tool: submission.tool,
            translate_to: submission.translate_to.clone(),
            priority: submission.plan.map_or(0, |p| p.priority()),
            force_ocr: submission.force_ocr,
            engine: submission.engine,
        };
        let bytes = Arc::new(self.store.upload(id).await?);
        // The PDF is parsed once for the attempt, not once per page.
        let session = (plan.kind == FileKind::Pdf).then(|| self.pdf.session(Arc::clone(&bytes)));
        // After a page fails no new page starts, but the pages already being read finish and
        // are recorded: dropping them would throw away work the job keeps (and pays for).
        let failed = std::sync::atomic::AtomicBool::new(false);
        let outcomes: Vec<Result<(), ProcessError>> = futures::stream::iter(remaining)
            .map(|page| {
                let (bytes, plan, failed, session) = (&bytes, &plan, &failed, &session);
                async move {
                    if failed.load(std::sync::atomic::Ordering::Acquire) {
                        return Ok(());
                    }
                    let source = match session {
                        Some(session) => Source::Pdf(session.clone()),
                        None => Source::Image(Arc::clone(bytes)),
                    };
                    let outcome = self
                        .record_one_page(id, meta, source, page, plan, state)
                        .await;
                    if outcome.is_err() {
                        failed.store(true, std::sync::atomic::Ordering::Release);
                    }
                    outcome
                }
            })
            .buffer_unordered(self.options.page_parallelism.max(1))
            .collect()
            .await;
        outcomes.into_iter().collect::<Result<Vec<()>, _>>()?;
        Ok(())
    }

    /// Reads one page and appends its `page_recognized` event.
    async fn record_one_page(
        &self,
        id: JobId,
        meta: &EventMeta,
        source: Source,
        page: PageIndex,
        plan: &PagePlan,
        state: &Mutex<Job>,
    ) -> Result<(), ProcessError> {
        let result = self.recognise_page(id, source, page, plan).await?;
        let tool = plan.tool;
        let result = off_executor(move || apply_tool(result, tool)).await?;
        // Appends of one job are serialised in-process; conflicts then only come from another
        // process racing on the same job, which `decide_and_append_on` resolves by reloading.
        let mut state = state.lock().await;
        let started = std::time::Instant::now();
        let appended = self
            .store
            .decide_and_append_on(&mut state, meta.clone(), |j| {
                job::record_page(j, result.clone())
            })
            .await?;
        tracing::debug!(
            job = %id,
            page = page.0,
            append_ms = started.elapsed().as_secs_f64() * 1000.0,
            "page recorded"
        );
        match appended {
            Ok(_) => Ok(()),
            Err(domain::Error::JobFinished(_) | domain::Error::JobErased(_)) => {
                Err(ProcessError::EndedElsewhere)
            }
            Err(rule) => Err(ProcessError::Join(rule.to_string())),
        }
    }

    /// Reads one page: rasterise (blocking pool), turn upright (OSD), recognise (OCR pool,
    /// named languages or `auto`), then the vision model (`vlm` tier) and the translation
    /// (a `translate_to` set at submit) when asked for.
    async fn recognise_page(
        &self,
        job: JobId,
        source: Source,
        page: PageIndex,
        plan: &PagePlan,
    ) -> Result<PageResult, ProcessError> {
        // Fail before any work when a model the job needs is missing on this worker.
        let vision = match plan.tier {
            Tier::Vlm => Some(
                self.models
                    .vision
                    .as_ref()
                    .ok_or(ProcessError::NoModel("vision model"))?,
            ),
            Tier::Cpu => None,
        };
        // A target set at submit asks for a translation, whatever the tool
        // (`domain::tool::translation_target`).
        let translator = match &plan.translate_to {
            Some(target) => Some((
                self.models
                    .chat
                    .as_ref()
                    .ok_or(ProcessError::NoModel("translation model"))?,
                target.as_str(),
            )),
            None => None,
        };
        let (pdf, kind, force_ocr) = (Arc::clone(&self.pdf), plan.kind, plan.force_ocr);
        let limits = self.options.limits.clone();
        let read = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let read = read_page(source, kind, page.0, &pdf, &limits, force_ocr);
            tracing::debug!(
                page = page.0,
                ms = started.elapsed().as_secs_f64() * 1000.0,
                "page image read"
            );
            read
        })
        .await
        .map_err(ProcessError::from_join)??;
        let (image, page_source, jpeg) = match read {
            Read::Image(image, source, jpeg) => (image, source, jpeg),
            Read::Text(result, image) => {
                let mut result = *result;
                // Born-digital: the text layer is the text; only the page image is kept.
                self.label_text_page(&mut result, &plan.language);
                self.keep_page_image(job, &image, None).await?;
                return self.translated(result, translator, page).await;
            }
        };
        // With named languages and no vision model the page is read as it is first, its image
        // stored meanwhile, and orientation is checked only when that reading is in doubt
        // (`domain::reading`): OSD costs as much as reading. Otherwise OSD comes first (`auto`
        // picks its model from the script; the vision model wants the upright page).
        // `engine=ppocr` goes through OSD too: Tesseract's reading would be thrown away.
        let named = match (&plan.language, vision, plan.engine) {
            (LanguageSpec::Named(names), None, choice) if choice != EngineChoice::PpOcr => {
                Some(names)
            }
            _ => None,
        };
        let (upright, first_reading) = if let Some(names) = named {
            let (read, ()) = tokio::try_join!(
                self.read_named(image.clone(), names, plan.priority),
                self.keep_page_image(job, &image, jpeg)
            )?;
            if domain::reading::orientation_in_doubt(&read) {
                let upright = auto::orient(&self.pool, image, plan.priority).await?;
                if upright.rotation == 0 {
                    (upright, Some(read))
                } else {
                    self.keep_page_image(job, &upright.image, None).await?;
                    (upright, None)
                }
            } else {
                let upright = auto::Upright {
                    image,
                    orientation: None,
                    rotation: 0,
                };
                (upright, Some(read))
            }
        } else {
            let upright = auto::orient(&self.pool, image, plan.priority).await?;
            let unturned = jpeg.filter(|_| upright.rotation == 0);
            self.keep_page_image(job, &upright.image, unturned).await?;
            (upright, None)
        };
        let image = upright.image.clone();
        // The vision request is prepared and sent while Tesseract reads the page.
        let transcription = async {
            let Some(client) = vision else {
                return Ok(None);
            };
            let for_model = image.image.clone();
            let data_url = off_executor(move || crate::vlm::page_data_url(&for_model)).await??;
            let hint = language_hint(&plan.language);
            crate::vlm::transcribe(client, data_url, hint.as_deref())
                .await
                .map(Some)
                .map_err(|source| ProcessError::Model {
                    model: "vision model",
                    page: page.0,
                    source,
                })
        };
        // Only pages read for their own text choose an engine; the vision tier places its text
        // on Tesseract's word boxes.
        let choice = if vision.is_some() {
            EngineChoice::Tesseract
        } else {
            plan.engine
        };
        let recognition = async {
            let script = upright
                .orientation
                .as_ref()
                .filter(|o| o.script_confidence >= crate::engine::detect::SCRIPT_MIN_CONFIDENCE)
                .map(|o| o.script.as_str());
            if choice == EngineChoice::PpOcr && engine::ppocr_reads_page(&plan.language, script) {
                return self
                    .read_ppocr(image.clone(), &plan.language, plan.priority)
                    .await;
            }
            let first = if let Some(read) = first_reading {
                read
            } else {
                self.read_tesseract(&image, &upright, plan).await?
            };
            if choice == EngineChoice::Auto {
                self.second_reading(first, &image, plan.priority).await
            } else {
                Ok(first)
            }
        };
        let (transcription, recognised) = tokio::try_join!(transcription, recognition)?;
        let mut result = PageResult {
            rotation: upright.rotation,
            source: Some(page_source),
            ..recognised
        };
        if let Some(transcription) = transcription {
            tracing::debug!(
                page = page.0,
                attempts = transcription.attempts,
                "vision model transcribed the page"
            );
            result = off_executor(move || crate::vlm::assemble(result, &transcription)).await?;
        }
        self.translated(result, translator, page).await
    }

    /// Reads an upright page with Tesseract: the named languages, or `auto`'s passes.
    async fn read_tesseract(
        &self,
        image: &PageImage,
        upright: &auto::Upright,
        plan: &PagePlan,
    ) -> Result<PageResult, ProcessError> {
        match &plan.language {
            LanguageSpec::Named(names) => {
                self.read_named(image.clone(), names, plan.priority).await
            }
            LanguageSpec::Auto => auto::recognize_auto(
                &self.pool,
                image.clone(),
                upright.orientation.as_ref(),
                plan.priority,
                &self.installed,
            )
            .await
            .map_err(ProcessError::from),
        }
    }

    /// `auto`'s second reading: PP-OCR reads the page too when Tesseract's `first` reading is
    /// in doubt and the script is one PP-OCR reads (`domain::engine`), and the more confident
    /// reading is kept. The language and detection stay those Tesseract's passes found. PP-OCR
    /// reads it as a second opinion (`domain::engine::Effort`).
    async fn second_reading(
        &self,
        first: PageResult,
        image: &PageImage,
        priority: u8,
    ) -> Result<PageResult, ProcessError> {
        let readable = engine::ppocr_reads_languages(&first.language).unwrap_or(false);
        if !self.pool.has_engine(EngineKind::PpOcr)
            || !engine::wants_second_reading(&first, readable)
        {
            return Ok(first);
        }
        let second = self
            .pool
            .recognize_at(
                EngineKind::PpOcr,
                domain::engine::Effort::SecondOpinion,
                OcrRequest {
                    image: image.clone(),
                    languages: first.language.clone(),
                    priority,
                },
            )
            .await?;
        let keep = engine::keep_second_reading(&first, &second);
        tracing::debug!(
            page = image.index,
            tesseract = first.mean_confidence,
            ppocr = second.mean_confidence,
            kept = if keep { "ppocr" } else { "tesseract" },
            "auto engine: second reading"
        );
        Ok(if keep {
            PageResult {
                detection: first.detection,
                language: first.language,
                ..second
            }
        } else {
            first
        })
    }

    /// Reads an upright page with PP-OCR (`engine=ppocr`), naming its language as for a text
    /// layer: the languages asked for, or what the detector finds in the text.
    async fn read_ppocr(
        &self,
        image: PageImage,
        language: &LanguageSpec,
        priority: u8,
    ) -> Result<PageResult, ProcessError> {
        let mut result = self
            .pool
            .recognize_with(
                EngineKind::PpOcr,
                OcrRequest {
                    image,
                    languages: String::new(),
                    priority,
                },
            )
            .await?;
        self.label_text_page(&mut result, language);
        Ok(result)
    }

    /// Reads a page with the languages the job named.
    async fn read_named(
        &self,
        image: PageImage,
        names: &[String],
        priority: u8,
    ) -> Result<PageResult, ProcessError> {
        self.pool
            .recognize(OcrRequest {
                image,
                languages: names.join("+"),
                priority,
            })
            .await
            .map_err(ProcessError::from)
    }

    /// Keeps the page image for exports (the searchable PDF), since the upload is deleted when
    /// the job ends: the upright image, so the stored page and the boxes share one frame.
    /// `jpeg` is the file's own JPEG of exactly these pixels, stored as it is when given.
    async fn keep_page_image(
        &self,
        job: JobId,
        image: &PageImage,
        jpeg: Option<Vec<u8>>,
    ) -> Result<(), ProcessError> {
        let blob = match jpeg {
            Some(data) => PageImageBlob {
                index: image.index,
                mime: "image/jpeg".into(),
                width: image.image.width(),
                height: image.image.height(),
                dpi: image.dpi,
                data,
            },
            None => {
                let image = image.clone();
                off_executor(move || encode_page_image(&image)).await?
            }
        };
        self.store.put_page_image(job, &blob).await?;
        Ok(())
    }

    /// Names the language of a page read from its text layer or by PP-OCR (neither is told a
    /// language): the languages asked for, or with `auto` what the detector finds in the text.
    fn label_text_page(&self, result: &mut PageResult, language: &LanguageSpec) {
        match language {
            LanguageSpec::Named(names) => result.language = names.join("+"),
            LanguageSpec::Auto => {
                let found =
                    crate::engine::detect::detect_languages(&result.text, None, &self.installed);
                if let Some(found) = found {
                    result.language = found.languages.join("+");
                    result.detection = Some(domain::Detection {
                        language: found.languages.first().cloned(),
                        languages: found.languages,
                        script: None,
                        confidence: found.confidence as f32,
                    });
                }
            }
        }
    }

    /// Adds the page's translation when the job asked for one.
    async fn translated(
        &self,
        mut result: PageResult,
        translator: Option<(&LlmClient, &str)>,
        page: PageIndex,
    ) -> Result<PageResult, ProcessError> {
        if let Some((client, target)) = translator {
            let name = language::lookup(target).map_or(target, |l| l.name);
            let text = crate::translate::translate(client, &result.text, name)
                .await
                .map_err(|source| ProcessError::Model {
                    model: "translation model",
                    page: page.0,
                    source,
                })?;
            result.translation = Some(Translation {
                language: target.to_owned(),
                text,
            });
        }
        Ok(result)
    }

    async fn finish(&self, state: &Mutex<Job>, meta: &EventMeta) -> Result<Outcome, ProcessError> {
        let mut state = state.lock().await;
        let id = state.id.unwrap_or(JobId(uuid::Uuid::nil()));
        match self
            .store
            .decide_and_append_on(&mut state, meta.clone(), job::finish)
            .await?
        {
            Ok(_) => {
                self.webhook_after_end(id).await;
                Ok(Outcome::Done)
            }
            Err(domain::Error::JobFinished(_) | domain::Error::JobErased(_)) => {
                Ok(Outcome::AlreadyFinished)
            }
            Err(rule) => Err(ProcessError::Join(rule.to_string())),
        }
    }

    async fn fail(
        &self,
        id: JobId,
        code: FailureCode,
        reason: String,
    ) -> Result<Outcome, ProcessError> {
        let meta = EventMeta {
            worker: Some(self.options.worker_id.clone()),
            attempt: None,
        };
        match self
            .store
            .decide_and_append(id, meta, |j| job::fail(j, code, reason.clone()))
            .await?
        {
            Ok(_) => {
                self.webhook_after_end(id).await;
                Ok(Outcome::Failed(reason))
            }
            Err(_) => Ok(Outcome::AlreadyFinished),
        }
    }

    /// Queues the job's webhook, if it has one, now that the job has ended. A failure here is
    /// recovered by the sweep, which finds ended jobs whose webhook is still pending.
    async fn webhook_after_end(&self, id: JobId) {
        let has_callback = match self.store.load_job(id).await {
            Ok(job) => job::webhook_due(&job).is_some(),
            Err(_) => true,
        };
        if has_callback {
            if let Err(err) = self.queue.enqueue_webhook(id).await {
                tracing::warn!(%id, error = %err, "could not queue the webhook; the sweep will");
            }
        }
    }
}

/// Where a page's pixels come from: the attempt's open PDF, or the bytes of an image file.
enum Source {
    Pdf(PdfSession),
    Image(Arc<Vec<u8>>),
}

/// A page read from its file: an image to recognise (with the JPEG of exactly its pixels, when
/// the file holds one), or a born-digital page already read.
enum Read {
    Image(PageImage, PageSource, Option<Vec<u8>>),
    Text(Box<PageResult>, PageImage),
}

/// Reads page `index` of the upload (blocking: PDFs on the pdfium thread, images decoded here).
fn read_page(
    source: Source,
    kind: FileKind,
    index: u32,
    pdf: &PdfEngine,
    limits: &Limits,
    force_ocr: bool,
) -> Result<Read, ProcessError> {
    let session = match source {
        Source::Image(bytes) => {
            let image = render_page(&bytes, kind, index, pdf, limits)?;
            return Ok(Read::Image(image, PageSource::Decoded, None));
        }
        Source::Pdf(session) => session,
    };
    let pixels = PixelLimits {
        max_pixels: limits.max_page_pixels,
        max_side: limits.max_dimension,
    };
    let output = session
        .read_page(index, force_ocr, pixels, JpegPages::Undecoded)
        .map_err(InputError::from_pdf)?;
    let output = match output {
        PdfPageOutput::Jpeg {
            data,
            pixels: [width, height],
            dpi,
        } => {
            let started = std::time::Instant::now();
            let decoded = decode_scan_jpeg(&data, width, height);
            tracing::debug!(
                page = index,
                ms = started.elapsed().as_secs_f64() * 1000.0,
                megapixels = f64::from(width) * f64::from(height) / 1e6,
                "scan jpeg decoded"
            );
            match decoded {
                Some(image) => PdfPageOutput::Image {
                    image,
                    dpi,
                    source: PageSource::EmbeddedImage {
                        pixels: [width, height],
                    },
                    jpeg: Some(data),
                },
                // Our decoder refused what pdfium may still read: let pdfium decode it.
                None => session
                    .read_page(index, force_ocr, pixels, JpegPages::Decoded)
                    .map_err(InputError::from_pdf)?,
            }
        }
        other => other,
    };
    Ok(match output {
        PdfPageOutput::Text { result, image } => {
            let dpi = result.dpi;
            Read::Text(
                result,
                PageImage {
                    index,
                    image: Arc::new(image),
                    dpi,
                    dpi_source: raster::DpiSource::Rendered,
                },
            )
        }
        // Only asked for with `JpegPages::Undecoded`, and decoded above.
        PdfPageOutput::Jpeg { .. } => {
            return Err(ProcessError::Join("a page came back undecoded".into()))
        }
        PdfPageOutput::Image {
            image,
            dpi,
            source,
            jpeg,
        } => {
            let (width, height) = (image.width(), image.height());
            let page = match source {
                PageSource::EmbeddedImage { .. } => raster::from_embedded(index, image, dpi),
                _ => PageImage {
                    index,
                    image: Arc::new(image),
                    dpi,
                    dpi_source: raster::DpiSource::Rendered,
                },
            };
            // An upscaled page is no longer the stored JPEG's pixels.
            let unchanged = (page.image.width(), page.image.height()) == (width, height);
            Read::Image(page, source, jpeg.filter(|_| unchanged))
        }
    })
}

/// Decodes a scan's stored JPEG (grey or RGB), `None` unless it decodes to exactly the size its
/// frame header gave.
fn decode_scan_jpeg(data: &[u8], width: u32, height: u32) -> Option<image::DynamicImage> {
    let image = image::load_from_memory_with_format(data, image::ImageFormat::Jpeg).ok()?;
    let image = match image {
        image::DynamicImage::ImageLuma8(_) => image,
        // Recognised in grey when it has no visible colour; the JPEG kept is the scan's own.
        image::DynamicImage::ImageRgb8(rgb) => raster::grey_if_colourless(rgb),
        _ => return None,
    };
    ((image.width(), image.height()) == (width, height)).then_some(image)
}

/// JPEG quality of stored page images: text edges stay crisp for viewers and PDF exports at a
/// fraction of PNG's size on scans.
const PAGE_IMAGE_QUALITY: u8 = 85;

/// Compresses a rendered page for storage.
fn encode_page_image(page: &PageImage) -> PageImageBlob {
    let mut data = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut data, PAGE_IMAGE_QUALITY);
    let encoded = match &*page.image {
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

/// The languages a caller named, in English (`German and English`), for the vision model's
/// instruction; `None` for `auto` or script models only.
fn language_hint(spec: &LanguageSpec) -> Option<String> {
    let LanguageSpec::Named(names) = spec else {
        return None;
    };
    let named: Vec<&str> = names
        .iter()
        .filter_map(|n| language::lookup(n))
        .filter(|l| !crate::engine::detect::is_script_model(l.tesseract))
        .map(|l| l.name)
        .collect();
    (!named.is_empty()).then(|| named.join(" and "))
}

/// Applies the submission's tool to a recognised page before it is recorded, so what the tool
/// found is part of the page's event: `extract-tables` adds the page's tables.
fn apply_tool(mut page: PageResult, tool: Option<domain::Tool>) -> PageResult {
    if tool == Some(domain::Tool::ExtractTables) {
        page.tables = crate::engine::tables::detect(&page);
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_off_the_executor_is_a_permanent_error_with_its_message() {
        let err = off_executor(|| -> u32 { panic!("table detection broke on page 3") })
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ProcessError::Panicked(m) if m == "table detection broke on page 3"),
            "{err:?}"
        );
        assert!(err.is_permanent());
        assert_eq!(err.failure_code(), FailureCode::Unclassified);
        assert_eq!(
            err.to_string(),
            "internal error while processing: table detection broke on page 3"
        );
    }

    #[tokio::test]
    async fn work_off_the_executor_returns_its_value() {
        assert_eq!(off_executor(|| 6 * 7).await.unwrap(), 42);
    }

    #[test]
    fn panic_messages_of_either_payload_type() {
        let formatted = std::panic::catch_unwind(|| panic!("page {} of {}", 2, 5)).unwrap_err();
        assert_eq!(panic_message(formatted.as_ref()), "page 2 of 5");
        let literal = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        assert_eq!(panic_message(literal.as_ref()), "plain");
        let other = std::panic::catch_unwind(|| std::panic::panic_any(7u8)).unwrap_err();
        assert_eq!(panic_message(other.as_ref()), "a panic without a message");
    }
}
