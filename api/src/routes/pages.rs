//! One page of a job at a time: `GET /api/v1/ocr/<uuid>/pages/<n>/` (its layout down to words)
//! and `GET /api/v1/ocr/<uuid>/pages/<n>/image/` (the stored page image the boxes refer to).
//!
//! What a viewer needs to check a result against its page without loading a whole job: the job
//! object carries blocks only (its size grows with every page), so a viewer of a 200-page job
//! fetches the pages it shows. `n` is the 0-based `pages[].index` of the job object. Same
//! visibility as the job (another account's job is `404`); a page that is not recognised or has
//! no stored image, or an `n` that is not a page number, is `404` too.
//!
//! A recorded page never changes (a retried page is recognised again from the same file, by the
//! same rules), so both answers carry an `ETag` and may be kept by the browser: `private`, since
//! they are one owner's, and `Vary: Authorization`.

use super::{
    matches_etag,
    ocr::{parse_job_id, readable_job},
    ApiTags,
};
use crate::{
    app::AppState,
    auth::Credentials,
    error::{ApiError, ErrorBody},
};
use domain::{JobId, PageResult};
use poem::{http::StatusCode, web::Data, IntoResponse, Request};
use poem_openapi::{
    param::{Header, Path},
    payload::Json,
    registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::Type,
    ApiResponse, Object, OpenApi,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// How long a browser may reuse a page or its image without asking again.
const CACHE_CONTROL: &str = "private, max-age=86400";

/// A recognised word.
#[derive(Debug, Clone, Object)]
pub struct WordObject {
    /// The word's text.
    pub text: String,
    /// `[x0, y0, x1, y1]` in pixels of the page image.
    pub bbox: Vec<u32>,
    /// Engine confidence, 0..1.
    pub confidence: f32,
}

/// A text line and its words.
#[derive(Debug, Clone, Object)]
pub struct LineObject {
    /// The line's text.
    pub text: String,
    /// `[x0, y0, x1, y1]` in pixels of the page image.
    pub bbox: Vec<u32>,
    /// Its words, left to right (in reading order).
    pub words: Vec<WordObject>,
}

/// A block with its lines.
#[derive(Debug, Clone, Object)]
pub struct LayoutBlockObject {
    /// The block's text.
    pub text: String,
    /// `[x0, y0, x1, y1]` in pixels of the page image.
    pub bbox: Vec<u32>,
    /// Engine confidence, 0..1.
    pub confidence: f32,
    /// Its lines in reading order.
    pub lines: Vec<LineObject>,
}

/// One recognised page down to its words: what `pages[]` of the job object shows, plus lines
/// and words.
#[derive(Debug, Clone, Object)]
pub struct PageLayoutObject {
    /// 0-based page index.
    pub index: u32,
    /// Page image width in pixels (the frame of every bbox; the stored image's width).
    pub width: u32,
    /// Page image height in pixels.
    pub height: u32,
    /// What read the page (`tesseract`, `ppocr`, `pdf-text`, or the vision model's name).
    pub engine: String,
    /// Mean word confidence on the page, 0..1.
    pub mean_confidence: Option<f32>,
    /// The page's text in reading order.
    pub text: String,
    /// Blocks in reading order, with lines and words.
    pub blocks: Vec<LayoutBlockObject>,
    /// With a translation (`translate_to` or `tool=translate`): the page's text in that language.
    #[oai(skip_serializing_if_is_none)]
    pub translation: Option<String>,
}

/// Confidences to four decimals, as the job object shows them.
fn round(c: f32) -> f32 {
    (c * 10_000.0).round() / 10_000.0
}

impl From<&PageResult> for PageLayoutObject {
    fn from(p: &PageResult) -> Self {
        PageLayoutObject {
            index: p.index,
            width: p.width,
            height: p.height,
            engine: p.engine.clone(),
            mean_confidence: p.mean_confidence.map(round),
            text: p.text.clone(),
            blocks: p
                .blocks
                .iter()
                .map(|b| LayoutBlockObject {
                    text: b.text.clone(),
                    bbox: <[u32; 4]>::from(b.bbox).to_vec(),
                    confidence: round(b.confidence),
                    lines: b
                        .lines
                        .iter()
                        .map(|l| LineObject {
                            text: l.text.clone(),
                            bbox: <[u32; 4]>::from(l.bbox).to_vec(),
                            words: l
                                .words
                                .iter()
                                .map(|w| WordObject {
                                    text: w.text.clone(),
                                    bbox: <[u32; 4]>::from(w.bbox).to_vec(),
                                    confidence: round(w.confidence),
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
            translation: p.translation.as_ref().map(|t| t.text.clone()),
        }
    }
}

/// The answer for a page's layout.
#[derive(ApiResponse)]
pub enum PageResponse {
    /// The page.
    #[oai(status = 200)]
    Page(
        Json<PageLayoutObject>,
        /// Identifies this page's content (send it back in `If-None-Match`).
        #[oai(header = "ETag")]
        String,
        /// `private, max-age=86400`: a recorded page does not change.
        #[oai(header = "Cache-Control")]
        String,
        /// `Authorization`: the answer depends on who asks.
        #[oai(header = "Vary")]
        String,
    ),
    /// The page has not changed since the `ETag` given in `If-None-Match`.
    #[oai(status = 304)]
    NotModified(
        /// The page's `ETag`.
        #[oai(header = "ETag")]
        String,
    ),
}

/// Page endpoints.
pub struct PagesApi;

#[OpenApi]
impl PagesApi {
    /// Returns one recognised page with its blocks, lines and words, each with its box and
    /// (words and blocks) confidence.
    ///
    /// `n` is the page's 0-based `index` in the job object. `404` for another caller's job, or
    /// a page not (yet) recognised.
    #[oai(
        path = "/api/v1/ocr/:uuid/pages/:n/",
        method = "get",
        tag = "ApiTags::Ocr",
        operation_id = "get_page"
    )]
    async fn page(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        /// The job's uuid.
        uuid: Path<String>,
        /// The page's 0-based index.
        n: Path<String>,
        /// An `ETag` from an earlier answer: `304` if the page has not changed since.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<PageResponse, ApiError> {
        let caller = state.caller(&credentials, req).await?;
        let job = parse_job_id(&uuid.0)?;
        let index = parse_page(&n.0)?;
        readable_job(&state, &caller, job, false).await?;
        let page = state
            .store
            .page_result(job, index)
            .await?
            .ok_or_else(page_not_found)?;
        let object = PageLayoutObject::from(&page);
        let body =
            serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(&object)).unwrap_or_default();
        let etag = etag_of(job, index, &body);
        if matches_etag(if_none_match.0.as_deref(), &etag) {
            return Ok(PageResponse::NotModified(etag));
        }
        Ok(PageResponse::Page(
            Json(object),
            etag,
            CACHE_CONTROL.to_owned(),
            "Authorization".to_owned(),
        ))
    }

    /// Returns the stored image of one page: the upright page the boxes of its words refer to
    /// (`image/jpeg`, or `image/png`), at the page's `width` × `height` pixels.
    ///
    /// `n` is the page's 0-based `index` in the job object. `404` for another caller's job, a
    /// page without a stored image, or an erased job. Cacheable by the browser (`ETag`,
    /// `private`).
    #[oai(
        path = "/api/v1/ocr/:uuid/pages/:n/image/",
        method = "get",
        tag = "ApiTags::Ocr",
        operation_id = "get_page_image"
    )]
    async fn image(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        /// The job's uuid.
        uuid: Path<String>,
        /// The page's 0-based index.
        n: Path<String>,
        /// An `ETag` from an earlier answer: `304` if the image has not changed since.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<PageImage, ApiError> {
        let caller = state.caller(&credentials, req).await?;
        let job = parse_job_id(&uuid.0)?;
        let index = parse_page(&n.0)?;
        readable_job(&state, &caller, job, false).await?;
        let image = state
            .store
            .page_image(job, index)
            .await?
            // An image that could not be encoded is stored empty: there is nothing to show.
            .filter(|image| !image.data.is_empty())
            .ok_or_else(page_not_found)?;
        let etag = etag_of(job, index, &image.data);
        if matches_etag(if_none_match.0.as_deref(), &etag) {
            return Ok(PageImage::NotModified(etag));
        }
        Ok(PageImage::Image {
            mime: image.mime,
            data: image.data,
            etag,
        })
    }
}

/// `404` for a page that is not there (or an `n` that is no page number).
fn page_not_found() -> ApiError {
    ApiError::NotFound(Json(ErrorBody {
        error: "page not found".to_owned(),
    }))
}

/// A 0-based page index in decimal; anything else names no page (`404`, like a malformed uuid
/// names no job).
fn parse_page(raw: &str) -> Result<u32, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(page_not_found());
    }
    raw.parse().map_err(|_| page_not_found())
}

/// A strong `ETag` from the content, so it changes exactly when the bytes do.
fn etag_of(job: JobId, index: u32, content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    format!(
        "\"{}-{index}-{}\"",
        job.0.simple(),
        hex::encode(&digest[..12])
    )
}

/// The answer for a page image.
pub enum PageImage {
    /// The image bytes with their media type.
    Image {
        /// `image/jpeg` or `image/png`.
        mime: String,
        /// The encoded image.
        data: Vec<u8>,
        /// Its `ETag`.
        etag: String,
    },
    /// Unchanged since the `ETag` sent.
    NotModified(String),
}

impl IntoResponse for PageImage {
    fn into_response(self) -> poem::Response {
        match self {
            PageImage::Image { mime, data, etag } => poem::Response::builder()
                .status(StatusCode::OK)
                .content_type(mime)
                .header(poem::http::header::ETAG, etag)
                .header(poem::http::header::CACHE_CONTROL, CACHE_CONTROL)
                .header(poem::http::header::VARY, "Authorization")
                .header("X-Content-Type-Options", "nosniff")
                .body(data),
            PageImage::NotModified(etag) => poem::Response::builder()
                .status(StatusCode::NOT_MODIFIED)
                .header(poem::http::header::ETAG, etag)
                .header(poem::http::header::CACHE_CONTROL, CACHE_CONTROL)
                .header(poem::http::header::VARY, "Authorization")
                .finish(),
        }
    }
}

/// Documents the image answer in the OpenAPI spec: a binary JPEG or PNG body with its caching
/// headers, or `304`.
impl ApiResponse for PageImage {
    fn meta() -> MetaResponses {
        let binary =
            <poem_openapi::payload::Binary<Vec<u8>> as poem_openapi::payload::Payload>::schema_ref;
        let header = |name: &str, description: &str| MetaHeader {
            name: name.to_owned(),
            description: Some(description.to_owned()),
            required: true,
            deprecated: false,
            schema: String::schema_ref(),
        };
        MetaResponses {
            responses: vec![
                MetaResponse {
                    description: "The page image.",
                    status: Some(200),
                    status_range: None,
                    content: ["image/jpeg", "image/png"]
                        .into_iter()
                        .map(|content_type| MetaMediaType {
                            content_type,
                            schema: binary(),
                        })
                        .collect(),
                    headers: vec![
                        header(
                            "ETag",
                            "Identifies the image's content (send it back in `If-None-Match`).",
                        ),
                        header(
                            "Cache-Control",
                            "`private, max-age=86400`: a recorded page image does not change.",
                        ),
                        header("Vary", "`Authorization`: the answer depends on who asks."),
                    ],
                },
                MetaResponse {
                    description: "The image has not changed since the `ETag` given in \
                                  `If-None-Match`.",
                    status: Some(304),
                    status_range: None,
                    content: vec![],
                    headers: vec![header("ETag", "The image's `ETag`.")],
                },
            ],
        }
    }

    fn register(_registry: &mut Registry) {}
}
