//! `POST /api/v1/ocr/` and `GET /api/v1/ocr/<uuid>/`.

use super::ApiTags;
use crate::{
    app::AppState,
    auth::{Caller, Credentials},
    error::ApiError,
    views::{JobObject, PageSummary},
    wait,
};
use domain::{
    events::{FileMeta, Submission},
    EngineChoice, EventMeta, JobId, LanguageSpec, Tier, Tool,
};
use poem::{web::Data, Request};
use poem_openapi::{
    param::{Header, Path, Query},
    payload::Json,
    types::multipart::Upload,
    Multipart, OpenApi,
};
use sha2::{Digest, Sha256};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use storage::{
    billing::Charge,
    idempotency::{Claim, IdempotencyKey},
    notify::Committed,
};
use tokio::{io::AsyncReadExt, sync::broadcast};
use workers::engine::input::Inspection;

/// The multipart form of a submit. A field it does not know is `400`, not ignored: a misspelt
/// `langauge` would otherwise be read as `auto` without a word.
#[derive(Debug, Multipart)]
#[oai(deny_unknown_fields)]
pub struct SubmitForm {
    /// The document: PNG, JPG, WEBP, GIF (first frame), BMP, TIFF (every page) or PDF (every
    /// page). The type is decided from the content, not the name.
    pub file: Option<Upload>,
    /// `cpu` (default, Tesseract: fast, printed documents) or `vlm` (a vision-language model:
    /// handwriting, complex layouts, math; its text is placed on the page with Tesseract's word
    /// boxes). `vlm` is `400` on a server without a vision model (see `GET /api/v1/tools/`).
    pub tier: Option<String>,
    /// `auto` (default: script, orientation and language detected per page) or a language
    /// code: `en`, `de`, `ch`, `ja`, `ar`, ISO 639-1/639-3 codes or Tesseract names; several
    /// joined with `+` (`de+en`). `GET /api/v1/languages/` lists what this server reads.
    pub language: Option<String>,
    /// Optional tool preset (`GET /api/v1/tools/`): `extract-tables`, `handwriting-to-text`
    /// (forces `tier=vlm`) or `translate` (translates into `translate_to`, English when it is
    /// not set). Any other slug is `400`.
    pub tool: Option<String>,
    /// Translate each page's text into this language: a language code as for `language`
    /// (`en`, `fr`, `de`, `zh`, …). With any tool or none: `tool=extract-tables` with
    /// `translate_to=de` extracts the tables and translates the text into German. Without it,
    /// `tool=translate` translates into English. The translation is returned beside the
    /// original (`pages[].translation`); it needs a chat model (`400` on a server without one,
    /// see `GET /api/v1/tools/`).
    pub translate_to: Option<String>,
    /// Optional http(s) URL that receives the job summary (POST, JSON) when the job ends,
    /// signed with the account's webhook secret (`X-Ocrchat-Signature: sha256=HMAC(secret,
    /// "<X-Ocrchat-Timestamp>.<body>")`). Requires an account token; loopback and private
    /// addresses are refused. The pattern gives the form every server takes (a host name, an
    /// optional port, path and query); a literal public IP address is taken too.
    pub callback_url: Option<String>,
    /// PDFs only: `true` recognises every page, even born-digital pages whose own text layer
    /// is otherwise taken as it is (`pages[].engine` is then `pdf-text`, confidence 1.0). Scans
    /// with an invisible OCR layer are always recognised again. Default `false`.
    pub force_ocr: Option<bool>,
    /// `auto` (default), `tesseract` or `ppocr`: which engine reads page images. `auto` reads
    /// each page with Tesseract and, where its confidence is low (receipts, photos, handwriting),
    /// with PP-OCR (PP-OCRv6) too, keeping the more confident reading. `ppocr` reads Latin,
    /// Greek, Chinese and Japanese text; pages in another script, named in `language` or found
    /// on the page, are read by Tesseract. `pages[].engine` says what read each page
    /// (`tesseract`, `ppocr`, `pdf-text`). `400` on a server without the PP-OCR models. With
    /// `tier=vlm` the vision model's text is placed on Tesseract's boxes.
    pub engine: Option<String>,
}

/// OCR endpoints.
pub struct OcrApi;

#[OpenApi]
impl OcrApi {
    /// Submits a file for recognition.
    ///
    /// Files of up to 5 pages (configurable) are answered inline with the finished job
    /// (`status: done`); larger files at once with `pending`/`processing`, to be polled. An
    /// inline request that waits longer than the configured limit returns the job as it stands.
    ///
    /// Pages are metered: `402` when the caller's allowance or credits cannot cover the file, or
    /// the file has more pages than the plan allows per file (nothing is processed or charged).
    ///
    /// `Idempotency-Key`: the same key from the same caller within 24 hours returns the original
    /// job and charges nothing again; the same key with a different file or fields is `422`; a
    /// request whose key's first request is still being accepted waits briefly, then gets `409`.
    #[oai(
        path = "/api/v1/ocr/",
        method = "post",
        tag = "ApiTags::Ocr",
        operation_id = "submit_job"
    )]
    async fn submit(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        /// Makes retries of this request safe: at most one job per key and caller (24 hours).
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        form: SubmitForm,
    ) -> Result<Json<JobObject>, ApiError> {
        let caller = state.caller(&credentials, req).await?;
        let request = parse_form(&state, form).await?;
        let key = idempotency_key
            .0
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty())
            .map(|key| IdempotencyKey {
                caller: caller.subject().as_str().to_owned(),
                key,
                request_hash: request.fingerprint(),
            });
        if let Some(key) = &key {
            if key.key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS {
                return Err(ApiError::bad_request(format!(
                    "Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY_CHARS} characters"
                )));
            }
            if let Some(existing) = claim_key(&state, key).await? {
                return job_response(&state, existing).await;
            }
        }
        let accepted = accept(&state, &caller, request, key.as_ref()).await;
        if accepted.is_err() {
            if let Some(key) = &key {
                // The key did not produce a job: free it so the caller can retry with it.
                if let Err(err) = state.store.release_idempotency_key(key).await {
                    tracing::warn!(error = %err, "could not release an idempotency key");
                }
            }
        }
        let (job, inline) = accepted?;
        if let Some(receiver) = inline {
            wait::until_final(&state.store, receiver, job, state.config.limits.inline_wait).await?;
        }
        job_response(&state, job).await
    }

    /// Lists the caller's jobs, newest first, `limit` at a time (default 20, at most 100):
    /// status, file name, pages and times. Pass `next_cursor` back as `cursor` for the next
    /// page; it is absent on the last. Needs an account token (`401` anonymously); only the
    /// account's own jobs are listed, erased ones never.
    #[oai(
        path = "/api/v1/ocr/",
        method = "get",
        tag = "ApiTags::Ocr",
        operation_id = "list_jobs"
    )]
    async fn list(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        /// Jobs per page, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` of the previous page; absent for the newest jobs.
        cursor: Query<Option<String>>,
    ) -> Result<Json<super::jobs::JobListObject>, ApiError> {
        let caller = state.caller(&credentials, req).await?;
        let list = super::jobs::list(&state, &caller, limit.0, cursor.0.as_deref()).await?;
        Ok(Json(list))
    }

    /// Returns a job: poll until `status` is `done` or `failed`.
    ///
    /// The answer carries an `ETag` that changes whenever the job does; send it back in
    /// `If-None-Match` to get `304 Not Modified` (no body) while nothing changed.
    #[oai(
        path = "/api/v1/ocr/:uuid/",
        method = "get",
        tag = "ApiTags::Ocr",
        operation_id = "get_job"
    )]
    async fn get(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        /// The job's uuid.
        uuid: Path<String>,
        /// An `ETag` from an earlier answer: `304` if the job has not changed since.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<JobResponse, ApiError> {
        let caller = state.caller(&credentials, req).await?;
        let job = parse_job_id(&uuid.0)?;
        let view = readable_job(&state, &caller, job, false).await?;
        let etag = format!("\"{}-{}\"", job.0.simple(), view.version);
        if super::matches_etag(if_none_match.0.as_deref(), &etag) {
            return Ok(JobResponse::NotModified(etag));
        }
        let object = job_object(&state, &view).await?;
        Ok(JobResponse::Job(Json(JobObject::clone(&object)), etag))
    }

    /// Erases a job: its file, results, page images, search entries and the content of every
    /// event of its history (a tombstone stays). The job then answers `404`. Same ownership
    /// rules as reading it.
    #[oai(
        path = "/api/v1/ocr/:uuid/",
        method = "delete",
        tag = "ApiTags::Ocr",
        operation_id = "delete_job"
    )]
    async fn delete(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        /// The job's uuid.
        uuid: Path<String>,
    ) -> Result<Erased, ApiError> {
        let caller = state.caller(&credentials, req).await?;
        let job = parse_job_id(&uuid.0)?;
        readable_job(&state, &caller, job, false).await?;
        let meta = EventMeta {
            worker: Some(format!("api:{}", caller.subject().as_str())),
            attempt: None,
        };
        if !state.store.erase_job(job, meta).await? {
            return Err(ApiError::job_not_found());
        }
        state.after_erase(job).await;
        Ok(Erased::Erased)
    }
}

/// The answer to a poll.
// Built once per request and serialized at once: boxing the job object would only add a move.
#[allow(clippy::large_enum_variant)]
#[derive(poem_openapi::ApiResponse)]
pub enum JobResponse {
    /// The job.
    #[oai(status = 200)]
    Job(
        Json<JobObject>,
        /// Changes whenever the job does (send it back in `If-None-Match`).
        #[oai(header = "ETag")]
        String,
    ),
    /// The job has not changed since the `ETag` given in `If-None-Match`.
    #[oai(status = 304)]
    NotModified(
        /// The job's current `ETag`.
        #[oai(header = "ETag")]
        String,
    ),
}

/// The job object of `view`'s version: from this process's cache when it holds that version,
/// else built from the cached page summaries plus the pages recorded since (see `job_cache`).
pub(crate) async fn job_object(
    state: &AppState,
    view: &storage::JobView,
) -> Result<Arc<JobObject>, ApiError> {
    let job = view.id;
    if let Some(object) = state.job_objects.object(job, view.version) {
        return Ok(object);
    }
    let known = state.job_objects.known_pages(job);
    let new_pages = state.store.pages_except(job, &known).await?;
    let summaries = state.job_objects.add_pages(
        job,
        new_pages
            .iter()
            .map(|p| (p.index, PageSummary::from(p)))
            .collect(),
    );
    let pages: Vec<&PageSummary> = summaries.iter().map(|s| s.as_ref()).collect();
    let object = Arc::new(JobObject::build(view, &pages));
    state
        .job_objects
        .put(job, view.version, Arc::clone(&object));
    Ok(object)
}

/// The answer to a successful erase.
#[derive(poem_openapi::ApiResponse)]
pub enum Erased {
    /// The job and its data are gone.
    #[oai(status = 204)]
    Erased,
}

/// Loads a job the caller may read, or `404`.
pub(crate) async fn readable_job(
    state: &AppState,
    caller: &Caller,
    job: JobId,
    with_pages: bool,
) -> Result<storage::JobView, ApiError> {
    state
        .store
        .job_view(job, with_pages)
        .await?
        .filter(|v| caller.may_read(v.owner_account))
        .ok_or_else(ApiError::job_not_found)
}

/// The longest `Idempotency-Key` taken (`maxLength` in the OpenAPI document).
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// A validated submit, before anything is stored.
struct ParsedRequest {
    tier: Tier,
    language: String,
    language_spec: LanguageSpec,
    tool: Option<Tool>,
    translate_to: Option<String>,
    callback_url: Option<String>,
    force_ocr: bool,
    engine: EngineChoice,
    file_name: Option<String>,
    bytes: Vec<u8>,
    inspection: Inspection,
}

impl ParsedRequest {
    /// SHA-256 over the file and every field, so an Idempotency-Key reused with anything
    /// different is caught.
    fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(Sha256::digest(&self.bytes));
        for field in [
            self.tier.as_str(),
            self.language.as_str(),
            self.tool.map_or("", |t| t.as_str()),
            self.callback_url.as_deref().unwrap_or(""),
            self.translate_to.as_deref().unwrap_or(""),
            if self.force_ocr { "force_ocr" } else { "" },
            self.engine.as_str(),
        ] {
            h.update((field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Validates the form and inspects the file (type, page count, sizes): every `400` is decided
/// here, before any state changes.
async fn parse_form(state: &AppState, form: SubmitForm) -> Result<ParsedRequest, ApiError> {
    let tool = Tool::parse_optional(form.tool.as_deref())?;
    let asked: Tier = form.tier.as_deref().unwrap_or("cpu").parse()?;
    // A tool that needs a tier gets it, whatever the form said (`handwriting-to-text` → vlm).
    let tier = tool.and_then(Tool::forced_tier).unwrap_or(asked);
    if tier == Tier::Vlm && state.config.vlm.base_url.is_none() {
        return Err(ApiError::bad_request(match tool {
            Some(tool) if tool.forced_tier().is_some() => format!(
                "the {} tool needs the vlm tier, which is not available on this server (no \
                 vision model is configured: OCRCHAT_VLM_BASE_URL)",
                tool.as_str()
            ),
            _ => "the vlm tier is not available on this server (no vision model is configured: \
                  OCRCHAT_VLM_BASE_URL)"
                .to_owned(),
        }));
    }
    let translate_to = translate_target(state, tool, form.translate_to.as_deref())?;
    let language = form
        .language
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or("auto")
        .to_owned();
    let language_spec = LanguageSpec::parse(&language)?;
    state.ensure_installed(&language_spec)?;
    let engine: EngineChoice = form.engine.as_deref().unwrap_or("auto").parse()?;
    domain::engine::check_choice(engine, state.config.ppocr.is_some())?;
    let callback_url = match form.callback_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            workers::webhook::validate_url(raw, state.config.worker.webhook_allow_private)?
                .to_string(),
        ),
    };
    let upload = form
        .file
        .ok_or_else(|| ApiError::bad_request("no file: send the document in the 'file' field"))?;
    let file_name = upload.file_name().map(str::to_owned);
    let bytes = read_limited(upload, state.config.limits.max_upload_bytes).await?;
    let inspection = {
        let pdf = Arc::clone(&state.pdf);
        let limits = state.input_limits.clone();
        let bytes = bytes.clone();
        tokio::task::spawn_blocking(move || workers::engine::input::inspect(&bytes, &limits, &pdf))
            .await
            .map_err(|e| ApiError::internal(&e))??
    };
    Ok(ParsedRequest {
        tier,
        language,
        language_spec,
        tool,
        translate_to,
        callback_url,
        force_ocr: form.force_ocr.unwrap_or(false),
        engine,
        file_name,
        bytes,
        inspection,
    })
}

/// The translation a submit asks for (`domain::tool::translation_target`), as its target's
/// Tesseract name; a translation needs a chat model.
fn translate_target(
    state: &AppState,
    tool: Option<Tool>,
    raw: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let Some(code) = domain::tool::translation_target(tool, raw) else {
        return Ok(None);
    };
    let target = domain::language::lookup(code)
        .filter(|l| !domain::language::is_script_model(l))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown translate_to language '{code}' (expected a language code such as en, \
                 fr, de, zh)"
            ))
        })?;
    if state.config.llm.base_url.is_none() {
        return Err(ApiError::bad_request(
            "translation (tool=translate or translate_to) is not available on this server (no \
             chat model is configured: OCRCHAT_LLM_BASE_URL)",
        ));
    }
    Ok(Some(target.tesseract.to_owned()))
}

/// Claims an Idempotency-Key: `Some(job)` when the key already produced a job.
async fn claim_key(state: &AppState, key: &IdempotencyKey) -> Result<Option<JobId>, ApiError> {
    // The first request with this key may still be in its (short) submit transaction.
    let deadline = Instant::now() + IDEMPOTENCY_WAIT;
    loop {
        match state.store.claim_idempotency_key(key).await? {
            Claim::Fresh => return Ok(None),
            Claim::Existing(job) => return Ok(Some(job)),
            Claim::Mismatch => {
                return Err(ApiError::unprocessable(
                    "this Idempotency-Key was already used with a different file or fields",
                ))
            }
            Claim::InProgress if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Claim::InProgress => {
                return Err(ApiError::conflict(
                    "a request with this Idempotency-Key is still being accepted; retry shortly",
                ))
            }
        }
    }
}

/// How long a request waits for a concurrent request with the same key to finish accepting.
const IDEMPOTENCY_WAIT: Duration = Duration::from_secs(5);

/// Reserves credits and records the job with its file (one transaction), then enqueues it.
/// Returns the job and, for files answered inline, a subscription taken before the enqueue so
/// a fast worker's `done` cannot slip past the waiter.
async fn accept(
    state: &AppState,
    caller: &Caller,
    request: ParsedRequest,
    key: Option<&IdempotencyKey>,
) -> Result<(JobId, Option<broadcast::Receiver<Committed>>), ApiError> {
    if request.callback_url.is_some() && matches!(caller, Caller::Anonymous { .. }) {
        return Err(ApiError::bad_request(
            "callback_url needs an account token: webhooks are signed with the account's secret",
        ));
    }
    let job = JobId::new_v7();
    let plan = caller.plan();
    let page_count = request.inspection.page_count;
    let charge = Charge {
        subject: caller.subject(),
        plan,
        pricing: state.config.pricing.clone(),
        tier: request.tier,
    };
    let submission = Submission {
        tier: request.tier,
        language: request.language,
        language_spec: request.language_spec,
        tool: request.tool,
        translate_to: request.translate_to,
        page_count,
        owner: caller.owner(),
        file: FileMeta {
            name: request.file_name,
            kind: request.inspection.kind,
            size: request.bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&request.bytes)),
        },
        plan: Some(plan),
        callback_url: request.callback_url,
        force_ocr: request.force_ocr,
        engine: request.engine,
    };
    let inline =
        (page_count <= state.config.limits.inline_pages).then(|| state.notifications.subscribe());
    state
        .store
        .submit_job(job, submission, request.bytes, Some(&charge), key)
        .await?;
    if let Err(err) = state.queue.enqueue(job, plan.priority()).await {
        // The job is stored; the stranded-job sweep will enqueue it once Redis is back.
        tracing::warn!(%job, error = %err, "could not enqueue; the sweep will retry");
    }
    Ok((job, inline))
}

async fn job_response(state: &AppState, job: JobId) -> Result<Json<JobObject>, ApiError> {
    let view = state
        .store
        .job_view(job, false)
        .await?
        .ok_or_else(ApiError::job_not_found)?;
    let object = job_object(state, &view).await?;
    Ok(Json(JobObject::clone(&object)))
}

/// A malformed uuid is simply a job that does not exist.
pub(crate) fn parse_job_id(raw: &str) -> Result<JobId, ApiError> {
    uuid::Uuid::parse_str(raw.trim())
        .map(JobId)
        .map_err(|_| ApiError::job_not_found())
}

/// Reads the upload, refusing it as soon as it exceeds the limit (never buffering more).
async fn read_limited(upload: Upload, max: u64) -> Result<Vec<u8>, ApiError> {
    let mut reader = upload.into_async_read().take(max + 1);
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| ApiError::bad_request(format!("could not read the upload: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(ApiError::bad_request(format!(
            "file too large: the limit is {}",
            human_bytes(max)
        )));
    }
    if bytes.is_empty() {
        return Err(ApiError::bad_request("empty file"));
    }
    Ok(bytes)
}

/// `52428800` → `50 MB`, `100000` → `97.7 KB`: limits in the units users think in.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    let b = bytes as f64;
    if b >= MB {
        format!("{} MB", (b / MB * 10.0).round() / 10.0)
    } else {
        format!("{} KB", (b / 1024.0 * 10.0).round() / 10.0)
    }
}
