//! The JSON shapes clients see, mapped from projections. Field names follow SPEC.md exactly;
//! anything beyond the SPEC is an addition, never a rename.

use domain::{markdown, JobStatus, PageResult};
use poem_openapi::{Enum, Object};
use storage::JobView;

/// Lifecycle state of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum Status {
    /// Accepted, waiting for a worker.
    Pending,
    /// Being recognised.
    Processing,
    /// Finished; the result is complete.
    Done,
    /// Ended without a complete result; `error` says why.
    Failed,
}

impl From<JobStatus> for Status {
    fn from(s: JobStatus) -> Self {
        match s {
            JobStatus::Pending => Status::Pending,
            JobStatus::Processing => Status::Processing,
            JobStatus::Done => Status::Done,
            JobStatus::Failed => Status::Failed,
        }
    }
}

/// A paragraph-level block of a page.
#[derive(Debug, Clone, Object)]
pub struct BlockObject {
    /// The block's text.
    pub text: String,
    /// `[x0, y0, x1, y1]` in pixels of the page image.
    pub bbox: Vec<u32>,
    /// Engine confidence, 0..1.
    pub confidence: f32,
}

/// One recognised page.
#[derive(Debug, Clone, Object)]
pub struct PageObject {
    /// 0-based page index.
    pub index: u32,
    /// The page's text in reading order.
    pub text: String,
    /// Paragraph blocks in reading order.
    pub blocks: Vec<BlockObject>,
    /// Page image width in pixels (the frame of every bbox).
    pub width: u32,
    /// Page image height in pixels.
    pub height: u32,
    /// Mean word confidence on the page, 0..1.
    pub mean_confidence: Option<f32>,
    /// What read the page: `tesseract`, `pdf-text` (a born-digital PDF page's own text layer,
    /// confidence 1.0) or the vision model's name (`vlm` tier).
    pub engine: String,
    /// Tables found on the page (only with the `extract-tables` tool), top to bottom.
    /// Left out when there are none (`default`: so the schema does not require it).
    #[oai(skip_serializing_if_is_empty, default)]
    pub tables: Vec<TableObject>,
    /// Clockwise degrees (90, 180, 270) the page was turned before recognition because it was
    /// sideways or upside down; bboxes are in the turned (upright) page. Absent when 0.
    #[oai(skip_serializing_if_is_none)]
    pub rotation: Option<u16>,
    /// With `language=auto`: the language detected on the page (ISO 639-3 / Tesseract name,
    /// e.g. `deu`); absent when detection was unsure (the page was then read with its script's
    /// model).
    #[oai(skip_serializing_if_is_none)]
    pub detected_language: Option<String>,
    /// With `language=auto`: the page's writing system as detected (`Latin`, `Cyrillic`, `Han`,
    /// `Arabic`, `Devanagari`, …).
    #[oai(skip_serializing_if_is_none)]
    pub script: Option<String>,
    /// With `language=auto`: the language detector's confidence, 0..1.
    #[oai(skip_serializing_if_is_none)]
    pub detection_confidence: Option<f32>,
    /// With a translation (`translate_to` or `tool=translate`): the page's text in that language.
    #[oai(skip_serializing_if_is_none)]
    pub translation: Option<String>,
}

/// A table detected on a page.
#[derive(Debug, Clone, Object)]
pub struct TableObject {
    /// `[x0, y0, x1, y1]` of the table in pixels of the page image.
    pub bbox: Vec<u32>,
    /// Rows top to bottom; every row has one cell per column.
    pub rows: Vec<Vec<CellObject>>,
}

/// One cell of a table.
#[derive(Debug, Clone, Object)]
pub struct CellObject {
    /// The cell's text; empty for an empty cell.
    pub text: String,
    /// `[x0, y0, x1, y1]` of the cell's words (or of the empty cell) in pixels of the page image.
    pub bbox: Vec<u32>,
}

/// The job object of SPEC.md.
#[derive(Debug, Clone, Object)]
pub struct JobObject {
    /// The job's id.
    pub uuid: uuid::Uuid,
    /// Lifecycle state; poll until `done` or `failed`.
    pub status: Status,
    /// `cpu` or `vlm`.
    pub tier: String,
    /// The language as requested (`auto`, `en`, `de+en`, …).
    pub language: String,
    /// Pages in the uploaded file.
    pub page_count: u32,
    /// Pages recognised so far (progress for long jobs).
    pub pages_done: u32,
    /// Mean word confidence over the recognised pages, 0..1 (null before any page).
    pub mean_confidence: Option<f32>,
    /// The text of all recognised pages, pages separated by form feeds.
    pub text: String,
    /// Markdown of all recognised pages, pages separated by horizontal rules.
    pub markdown: String,
    /// Recognised pages in page order.
    pub pages: Vec<PageObject>,
    /// Why the job failed (present only when `status` is `failed`).
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
    /// The failure's class, for programs: `bad_file`, `engine_error`, `attempts_exhausted`,
    /// `interrupted` or `unclassified` (present only when `status` is `failed`).
    #[oai(skip_serializing_if_is_none)]
    pub error_code: Option<String>,
    /// Webhook delivery: `pending`, `delivered` or `abandoned` (present only with a
    /// `callback_url`).
    #[oai(skip_serializing_if_is_none)]
    pub webhook_status: Option<String>,
    /// The tool preset applied, if any.
    #[oai(skip_serializing_if_is_none)]
    pub tool: Option<String>,
    /// With `language=auto`: the language detected on most of the recognised text (by
    /// characters), e.g. `deu`.
    #[oai(skip_serializing_if_is_none)]
    pub detected_language: Option<String>,
    /// With a translation (`translate_to` or `tool=translate`): its language (Tesseract name,
    /// e.g. `eng`).
    #[oai(skip_serializing_if_is_none)]
    pub translate_to: Option<String>,
    /// With a translation: the translation of all recognised pages, separated by form feeds
    /// like `text`.
    #[oai(skip_serializing_if_is_none)]
    pub translation: Option<String>,
    /// The uploaded file's name.
    #[oai(skip_serializing_if_is_none)]
    pub file_name: Option<String>,
    /// When the job was submitted (RFC 3339).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When the job reached `done` or `failed`.
    #[oai(skip_serializing_if_is_none)]
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Rounds a confidence for display (four decimals are more than any engine means).
fn round(c: f32) -> f32 {
    (c * 10_000.0).round() / 10_000.0
}

fn page_object(p: &PageResult) -> PageObject {
    PageObject {
        index: p.index,
        engine: p.engine.clone(),
        text: p.text.clone(),
        blocks: p
            .blocks
            .iter()
            .map(|b| BlockObject {
                text: b.text.clone(),
                bbox: <[u32; 4]>::from(b.bbox).to_vec(),
                confidence: round(b.confidence),
            })
            .collect(),
        width: p.width,
        height: p.height,
        mean_confidence: p.mean_confidence.map(round),
        tables: p
            .tables
            .iter()
            .map(|t| TableObject {
                bbox: <[u32; 4]>::from(t.bbox).to_vec(),
                rows: t
                    .rows
                    .iter()
                    .map(|row| {
                        row.iter()
                            .map(|c| CellObject {
                                text: c.text.clone(),
                                bbox: <[u32; 4]>::from(c.bbox).to_vec(),
                            })
                            .collect()
                    })
                    .collect(),
            })
            .collect(),
        rotation: (p.rotation != 0).then_some(p.rotation),
        detected_language: p.detection.as_ref().and_then(|d| d.language.clone()),
        script: p.detection.as_ref().and_then(|d| d.script.clone()),
        detection_confidence: p.detection.as_ref().map(|d| round(d.confidence)),
        translation: p.translation.as_ref().map(|t| t.text.clone()),
    }
}

/// What the job object needs of one recognised page, built once per page: its object, text,
/// Markdown and the weights the job's figures are made of. Polls of a long job rebuild the job
/// object from these (see `job_cache`) instead of re-reading every page's words.
#[derive(Debug, Clone)]
pub struct PageSummary {
    page: PageObject,
    text: String,
    markdown: String,
    /// Words on the page (the weight of its confidence).
    words: usize,
    mean_confidence: Option<f32>,
    /// The detected language and the page's length in characters (its weight).
    detected: Option<(String, usize)>,
    translation: Option<domain::Translation>,
}

impl From<&PageResult> for PageSummary {
    fn from(p: &PageResult) -> Self {
        PageSummary {
            page: page_object(p),
            text: p.text.clone(),
            markdown: markdown::page_markdown(p),
            words: p.word_count(),
            mean_confidence: p.mean_confidence,
            detected: p
                .detection
                .as_ref()
                .and_then(|d| d.language.clone())
                .map(|l| (l, p.text.chars().count().max(1))),
            translation: p.translation.clone(),
        }
    }
}

/// The language detected on most of the recognised text, weighting each page by its length.
fn job_detected_language(pages: &[&PageSummary]) -> Option<String> {
    let mut weights: Vec<(&str, usize)> = Vec::new();
    for (language, chars) in pages.iter().filter_map(|p| p.detected.as_ref()) {
        match weights.iter_mut().find(|(l, _)| *l == language) {
            Some((_, weight)) => *weight += chars,
            None => weights.push((language, *chars)),
        }
    }
    // Ties go to the earlier page's language: `max_by_key` keeps the last maximum, so reverse.
    weights
        .into_iter()
        .rev()
        .max_by_key(|(_, weight)| *weight)
        .map(|(language, _)| language.to_owned())
}

/// The job's translation: page translations separated by form feeds, `None` without any.
fn job_translation(pages: &[&PageSummary]) -> (Option<String>, Option<String>) {
    if pages.iter().all(|p| p.translation.is_none()) {
        return (None, None);
    }
    let language = pages
        .iter()
        .find_map(|p| p.translation.as_ref().map(|t| t.language.clone()));
    let text = pages
        .iter()
        .map(|p| p.translation.as_ref().map_or("", |t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join(markdown::PAGE_SEPARATOR);
    (language, Some(text))
}

impl JobObject {
    /// The job object of a projection row and its pages' summaries (in page order).
    pub fn build(view: &JobView, pages: &[&PageSummary]) -> JobObject {
        let (translate_to, translation) = job_translation(pages);
        JobObject {
            uuid: view.id.0,
            status: view.status.into(),
            tier: view.tier.clone(),
            language: view.language.clone(),
            page_count: view.page_count,
            pages_done: view.pages_done,
            mean_confidence: markdown::weighted_confidence(
                pages.iter().map(|p| (p.mean_confidence, p.words)),
            )
            .map(round),
            text: pages
                .iter()
                .map(|p| p.text.as_str())
                .collect::<Vec<_>>()
                .join(markdown::PAGE_SEPARATOR),
            markdown: pages
                .iter()
                .map(|p| p.markdown.as_str())
                .filter(|m| !m.is_empty())
                .collect::<Vec<_>>()
                .join(markdown::PAGE_RULE),
            pages: pages.iter().map(|p| p.page.clone()).collect(),
            error: view.error.clone(),
            error_code: view.error_code.clone(),
            webhook_status: view.webhook_status.clone(),
            tool: view.tool.clone(),
            detected_language: job_detected_language(pages),
            translate_to,
            translation,
            file_name: view.file_name.clone(),
            created_at: view.created_at,
            finished_at: view.finished_at,
        }
    }
}

impl From<&JobView> for JobObject {
    fn from(view: &JobView) -> Self {
        let summaries: Vec<PageSummary> = view
            .pages
            .iter()
            .map(|p| PageSummary::from(&p.result))
            .collect();
        let pages: Vec<&PageSummary> = summaries.iter().collect();
        JobObject::build(view, &pages)
    }
}
