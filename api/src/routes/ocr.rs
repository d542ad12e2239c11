//! `POST /api/v1/ocr/` and `GET /api/v1/ocr/<uuid>/`.

use super::ApiTags;
use crate::{
    app::AppState,
    auth::{Caller, Credentials},
    error::ApiError,
    views::JobObject,
    wait,
};
use domain::{
    events::{FileMeta, Submission},
    JobId, LanguageSpec, Tier, Tool,
};
use poem::{web::Data, Request};
use poem_openapi::{param::Path, payload::Json, types::multipart::Upload, Multipart, OpenApi};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::io::AsyncReadExt;

/// The multipart form of a submit.
#[derive(Debug, Multipart)]
pub struct SubmitForm {
    /// The document: PNG, JPG, WEBP, GIF (first frame), BMP, TIFF (every page) or PDF (every
    /// page). The type is decided from the content, not the name.
    pub file: Option<Upload>,
    /// `cpu` (default, Tesseract) or `vlm`.
    pub tier: Option<String>,
    /// `auto` (default) or a language code: `en`, `de`, `ch`, `ja`, `ar`, ISO 639-1/639-3 codes or
    /// Tesseract names; several joined with `+` (`de+en`).
    pub language: Option<String>,
    /// Optional tool preset slug. This server offers no tools yet, so any value is refused.
    pub tool: Option<String>,
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
    #[oai(path = "/api/v1/ocr/", method = "post", tag = "ApiTags::Ocr")]
    async fn submit(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        form: SubmitForm,
    ) -> Result<Json<JobObject>, ApiError> {
        let caller = Caller::resolve(&state.store, &credentials, req).await?;
        let tier: Tier = form.tier.as_deref().unwrap_or("cpu").parse()?;
        if tier == Tier::Vlm {
            return Err(ApiError::bad_request(
                "the vlm tier is not available on this server",
            ));
        }
        let language_input = form
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .unwrap_or("auto")
            .to_owned();
        let language_spec = LanguageSpec::parse(&language_input)?;
        state.ensure_installed(&language_spec)?;
        let tool = Tool::parse_optional(form.tool.as_deref())?;
        let upload = form.file.ok_or_else(|| {
            ApiError::bad_request("no file: send the document in the 'file' field")
        })?;
        let file_name = upload.file_name().map(str::to_owned);
        let bytes = read_limited(upload, state.config.limits.max_upload_bytes).await?;

        let inspection = {
            let pdf = Arc::clone(&state.pdf);
            let limits = state.input_limits.clone();
            let bytes = bytes.clone();
            tokio::task::spawn_blocking(move || {
                workers::engine::input::inspect(&bytes, &limits, &pdf)
            })
            .await
            .map_err(|e| ApiError::internal(&e))??
        };

        let job = JobId::new_v7();
        let submission = Submission {
            tier,
            language: language_input,
            language_spec,
            tool,
            page_count: inspection.page_count,
            owner: caller.owner(),
            file: FileMeta {
                name: file_name,
                kind: inspection.kind,
                size: bytes.len() as u64,
                sha256: hex::encode(Sha256::digest(&bytes)),
            },
            plan: None,
        };
        let inline = inspection.page_count <= state.config.limits.inline_pages;
        // Subscribe before enqueueing, so a fast worker's `done` cannot slip past the waiter.
        let waiter = inline.then(|| state.notifications.subscribe());
        state
            .store
            .submit_job(job, submission, bytes, None, None)
            .await?;
        if let Err(err) = state.queue.enqueue(job).await {
            // The job is stored; the stranded-job sweep will enqueue it once Redis is back.
            tracing::warn!(%job, error = %err, "could not enqueue; the sweep will retry");
        }
        if let Some(receiver) = waiter {
            wait::until_final(&state.store, receiver, job, state.config.limits.inline_wait).await?;
        }
        let view = state
            .store
            .job_view(job, true)
            .await?
            .ok_or_else(ApiError::job_not_found)?;
        Ok(Json(JobObject::from(&view)))
    }

    /// Returns a job: poll until `status` is `done` or `failed`.
    #[oai(path = "/api/v1/ocr/:uuid/", method = "get", tag = "ApiTags::Ocr")]
    async fn get(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        /// The job's uuid.
        uuid: Path<String>,
    ) -> Result<Json<JobObject>, ApiError> {
        let caller = Caller::resolve(&state.store, &credentials, req).await?;
        let job = parse_job_id(&uuid.0)?;
        let view = state
            .store
            .job_view(job, true)
            .await?
            .filter(|v| caller.may_read(v.owner_account))
            .ok_or_else(ApiError::job_not_found)?;
        Ok(Json(JobObject::from(&view)))
    }
}

/// A malformed uuid is simply a job that does not exist.
fn parse_job_id(raw: &str) -> Result<JobId, ApiError> {
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
fn human_bytes(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    let b = bytes as f64;
    if b >= MB {
        format!("{} MB", (b / MB * 10.0).round() / 10.0)
    } else {
        format!("{} KB", (b / 1024.0 * 10.0).round() / 10.0)
    }
}
