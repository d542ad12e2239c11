//! `GET /api/v1/ocr/<uuid>/download/?format=txt|md|docx|pdf|csv|json|hocr|alto`: a finished
//! job as a file, rendered by [`crate::export`].
//!
//! Same visibility as `GET /api/v1/ocr/<uuid>/` (another account's job is `404`). A job that is
//! not `done` is `409` (a failed one says why); an unknown format is `400`. Rendering runs on the
//! blocking pool: a searchable PDF of a long job is CPU work.

use super::{
    ocr::{parse_job_id, readable_job},
    ApiTags,
};
use crate::{
    app::AppState,
    auth::Credentials,
    error::ApiError,
    export::{self, pdf::Font, Format, Inputs},
};
use domain::JobStatus;
use poem::{http::StatusCode, web::Data, IntoResponse, Request};
use poem_openapi::{
    param::{Path, Query},
    registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::Type,
    ApiResponse, OpenApi,
};
use std::sync::{Arc, OnceLock};

/// Download endpoints.
pub struct DownloadApi;

#[OpenApi]
impl DownloadApi {
    /// Downloads a finished job as a file.
    ///
    /// `txt` plain text (pages separated by form feeds), `md` Markdown, `docx` a Word document,
    /// `pdf` a searchable PDF (the page images with an invisible, correctly placed text layer),
    /// `csv` the tables found by the `extract-tables` tool (one after another, a blank line
    /// between) or, without tables, one row per block (`page,x0,y0,x1,y1,confidence,text`),
    /// `json` the job object, `hocr` hOCR 1.2, `alto` ALTO v4 XML. The file is named after the
    /// upload (`Content-Disposition`). `409` until the job is `done`.
    #[oai(
        path = "/api/v1/ocr/:uuid/download/",
        method = "get",
        tag = "ApiTags::Ocr",
        operation_id = "download_job"
    )]
    async fn download(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        /// The job's uuid.
        uuid: Path<String>,
        /// The file format.
        format: Query<Format>,
    ) -> Result<Download, ApiError> {
        let caller = state.caller(&credentials, req).await?;
        let job = parse_job_id(&uuid.0)?;
        let view = readable_job(&state, &caller, job, true).await?;
        match view.status {
            JobStatus::Done => {}
            JobStatus::Failed => {
                return Err(ApiError::conflict(format!(
                    "the job failed, so there is nothing to download: {}",
                    view.error.as_deref().unwrap_or("no reason recorded")
                )))
            }
            JobStatus::Pending | JobStatus::Processing => {
                return Err(ApiError::conflict(format!(
                    "the job is not done yet (status: {}); poll GET /api/v1/ocr/{}/ until it is",
                    view.status.as_str(),
                    view.id.0
                )))
            }
        }
        let format = format.0;
        let file_name = export::file_name(&view, format);
        let disposition = export::content_disposition(&file_name);
        if format == Format::Pdf {
            return Ok(Download {
                body: stream_pdf(state.store.clone(), view),
                content_type: format.content_type(),
                disposition,
            });
        }
        let bytes =
            tokio::task::spawn_blocking(move || export::render(format, &view, &Inputs::default()))
                .await
                .map_err(|e| ApiError::internal(&e))?
                .map_err(|e| ApiError::internal(&e))?;
        Ok(Download {
            body: poem::Body::from(bytes),
            content_type: format.content_type(),
            disposition,
        })
    }
}

/// The text-layer font, read once per process from [`export::pdf::DEFAULT_FONT_PATH`]. Without
/// it (fonts-dejavu-core not installed) PDFs fall back to Helvetica, which only carries Latin
/// text; that is logged once.
fn pdf_font() -> Option<&'static Font> {
    static FONT: OnceLock<Option<Font>> = OnceLock::new();
    FONT.get_or_init(|| {
        let path = export::pdf::DEFAULT_FONT_PATH;
        let font = std::fs::read(path).ok().and_then(|b| Font::from_bytes(&b));
        if font.is_none() {
            tracing::warn!(
                path,
                "no usable font for the PDF text layer; falling back to Helvetica (Latin only)"
            );
        }
        font
    })
    .as_ref()
}

/// Streams the searchable PDF as it is written: a blocking thread writes it page by page,
/// fetching each page image when its page comes, and hands the bytes over in chunks, so a long
/// job's download holds one page image at a time. An error after the first bytes can only end
/// the stream early (it is logged).
fn stream_pdf(store: storage::Store, view: storage::JobView) -> poem::Body {
    let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(4);
    let runtime = tokio::runtime::Handle::current();
    let job = view.id;
    tokio::task::spawn_blocking(move || {
        let out = ChunkWriter {
            sender: sender.clone(),
            buffer: Vec::with_capacity(CHUNK),
        };
        let written = export::pdf::write(&view, pdf_font(), out, |index| {
            runtime
                .block_on(store.page_image(job, index))
                .map_err(|e| export::Error::Pdf(e.to_string()))
        });
        if let Err(err) = written {
            tracing::error!(%job, error = %err, "searchable pdf export failed mid-stream");
            let _ = sender.blocking_send(Err(std::io::Error::other(err.to_string())));
        }
    });
    poem::Body::from_bytes_stream(tokio_stream::wrappers::ReceiverStream::new(receiver))
}

/// Bytes handed to the response in chunks of this size.
const CHUNK: usize = 256 * 1024;

/// A `Write` that sends what it is given to the response, a chunk at a time.
struct ChunkWriter {
    sender: tokio::sync::mpsc::Sender<std::io::Result<bytes::Bytes>>,
    buffer: Vec<u8>,
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = bytes::Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

/// A rendered download: the body, its type and the attachment header.
pub struct Download {
    body: poem::Body,
    content_type: &'static str,
    disposition: String,
}

impl IntoResponse for Download {
    fn into_response(self) -> poem::Response {
        poem::Response::builder()
            .status(StatusCode::OK)
            .content_type(self.content_type)
            .header(poem::http::header::CONTENT_DISPOSITION, self.disposition)
            .body(self.body)
    }
}

/// Documents the download in the OpenAPI spec: one binary body per format's media type, and
/// the `Content-Disposition` header.
impl ApiResponse for Download {
    fn meta() -> MetaResponses {
        let binary =
            <poem_openapi::payload::Binary<Vec<u8>> as poem_openapi::payload::Payload>::schema_ref;
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The job as a file in the requested format.",
                status: Some(200),
                status_range: None,
                content: Format::ALL
                    .iter()
                    .map(|f| MetaMediaType {
                        content_type: f.content_type(),
                        schema: binary(),
                    })
                    .collect(),
                headers: vec![MetaHeader {
                    name: "Content-Disposition".to_owned(),
                    description: Some(
                        "`attachment` with the upload's name and the format's extension \
                         (`filename`, plus RFC 5987 `filename*` for non-ASCII names)."
                            .to_owned(),
                    ),
                    required: true,
                    deprecated: false,
                    schema: String::schema_ref(),
                }],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}
