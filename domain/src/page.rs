//! A recognised page: its text and its layout down to words, with boxes and confidences.
//!
//! Words and lines are kept (not only the blocks the SPEC's job JSON shows) because the searchable
//! PDF, hOCR and ALTO exports place every word where the engine saw it.

use serde::{Deserialize, Serialize};

/// `[x0, y0, x1, y1]` in pixels of the page image, origin top-left, x1/y1 exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(from = "[u32; 4]", into = "[u32; 4]")]
pub struct BBox {
    /// Left edge.
    pub x0: u32,
    /// Top edge.
    pub y0: u32,
    /// Right edge.
    pub x1: u32,
    /// Bottom edge.
    pub y1: u32,
}

impl BBox {
    /// Height in pixels (0 for an inverted box).
    pub fn height(&self) -> u32 {
        self.y1.saturating_sub(self.y0)
    }

    /// Width in pixels (0 for an inverted box).
    pub fn width(&self) -> u32 {
        self.x1.saturating_sub(self.x0)
    }

    /// The smallest box holding both.
    pub fn union(&self, other: &BBox) -> BBox {
        BBox {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }
}

impl From<[u32; 4]> for BBox {
    fn from([x0, y0, x1, y1]: [u32; 4]) -> Self {
        BBox { x0, y0, x1, y1 }
    }
}

impl From<BBox> for [u32; 4] {
    fn from(b: BBox) -> Self {
        [b.x0, b.y0, b.x1, b.y1]
    }
}

/// One recognised word.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    /// The word's text.
    pub text: String,
    /// Where it stands on the page.
    pub bbox: BBox,
    /// Engine confidence, 0..1.
    pub confidence: f32,
}

/// One text line: words in reading order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// The line's text (its words joined by spaces).
    pub text: String,
    /// Where it stands on the page.
    pub bbox: BBox,
    /// The words of the line.
    #[serde(default)]
    pub words: Vec<Word>,
}

/// A paragraph-level block: the unit the job JSON shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    /// The block's text, lines joined by `\n`.
    pub text: String,
    /// Where it stands on the page.
    pub bbox: BBox,
    /// Mean word confidence, 0..1.
    pub confidence: f32,
    /// The lines of the block.
    #[serde(default)]
    pub lines: Vec<Line>,
}

/// Everything recognised on one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageResult {
    /// 0-based page index.
    pub index: u32,
    /// Page image width in pixels (the frame of every bbox).
    pub width: u32,
    /// Page image height in pixels.
    pub height: u32,
    /// Resolution the page was recognised at, in dots per inch.
    #[serde(default)]
    pub dpi: u32,
    /// The page text in reading order: blocks separated by a blank line.
    pub text: String,
    /// Paragraph blocks in reading order.
    pub blocks: Vec<Block>,
    /// Mean word confidence on the page, 0..1; `None` when the page has no words.
    pub mean_confidence: Option<f32>,
    /// Tesseract language string used for this page (e.g. `deu+eng`).
    #[serde(default)]
    pub language: String,
    /// Where the text came from: `tesseract`, or `pdf_text` for a born-digital page.
    #[serde(default)]
    pub engine: String,
    /// Tables found on the page (only when the `extract-tables` tool was asked for), top to
    /// bottom. Left out of the JSON when empty, so pages recorded without the tool keep their
    /// stored shape.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<Table>,
    /// Clockwise degrees (0, 90, 180 or 270) the page image was turned before recognition,
    /// because orientation detection found it sideways or upside down. `width`, `height` and
    /// every bbox are those of the turned (upright) image. Left out of the JSON when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rotation: u16,
    /// What automatic language detection found (only for `language=auto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<Detection>,
    /// The page text translated by the `translate` tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation: Option<Translation>,
    /// The page as the vision model wrote it (`vlm` tier): Markdown in reading order, tables as
    /// Markdown tables, formulas as LaTeX. The job's Markdown uses it as it is; `text` and
    /// `blocks` are the same content as plain text, placed on the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    /// How the page image and text were obtained (decoded, a PDF's embedded scan, rendered,
    /// or a born-digital text layer). `None` in pages recorded before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<crate::pdf_page::PageSource>,
}

fn is_zero(value: &u16) -> bool {
    *value == 0
}

/// The outcome of automatic language detection on one page, kept so a caller (and an auditor
/// replaying the events) can see why the page was read with the languages it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The main language found (Tesseract name, e.g. `deu`), or `None` when detection was unsure
    /// and the page was read with the fallback model.
    #[serde(default)]
    pub language: Option<String>,
    /// Every language the page was finally read with, main one first (e.g. `["deu", "eng"]`).
    #[serde(default)]
    pub languages: Vec<String>,
    /// The writing system found by orientation and script detection (`Latin`, `Cyrillic`, `Han`,
    /// …), or `None` when it was unsure.
    #[serde(default)]
    pub script: Option<String>,
    /// How sure the language detector was, 0..1.
    #[serde(default)]
    pub confidence: f32,
}

/// A page's text in another language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Translation {
    /// The target language (Tesseract name, e.g. `eng`, `fra`).
    pub language: String,
    /// The translated text, paragraphs separated by blank lines.
    pub text: String,
}

/// One cell of a detected table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// The cell's words joined by spaces; empty for an empty cell.
    pub text: String,
    /// Where the cell's words stand, or for an empty cell, the crossing of its row and column.
    pub bbox: BBox,
}

/// A table detected on a page: a grid of rows and columns. Every row has the same number of
/// cells (one per column); a cell that spans columns is kept in the column it overlaps most,
/// the others of its row stay empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The region the table covers.
    pub bbox: BBox,
    /// Rows top to bottom, each with its cells left to right.
    pub rows: Vec<Vec<Cell>>,
}

/// Mean word confidence, `None` without words: a page's and a block's `confidence`.
pub fn mean_word_confidence<'a>(words: impl Iterator<Item = &'a Word>) -> Option<f32> {
    let (sum, count) = words.fold((0.0f64, 0usize), |(s, n), w| {
        (s + f64::from(w.confidence), n + 1)
    });
    (count > 0).then(|| (sum / count as f64) as f32)
}

impl Table {
    /// Number of columns (the cells of the first row; every row has as many).
    pub fn columns(&self) -> usize {
        self.rows.first().map_or(0, Vec::len)
    }
}

impl PageResult {
    /// Joins block texts the way `text` is defined, so engines and tests agree on it.
    pub fn text_from_blocks(blocks: &[Block]) -> String {
        blocks
            .iter()
            .map(|b| b.text.trim_end())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    /// A page as an OCR engine read it: its blocks in reading order, the text they join to,
    /// the mean of its word confidences, and nothing else yet (language, tables, rotation and
    /// the rest are filled by the steps after recognition).
    pub fn recognised(
        index: u32,
        [width, height]: [u32; 2],
        dpi: u32,
        blocks: Vec<Block>,
        language: String,
        engine: &str,
    ) -> PageResult {
        PageResult {
            index,
            width,
            height,
            dpi,
            text: PageResult::text_from_blocks(&blocks),
            mean_confidence: mean_word_confidence(
                blocks.iter().flat_map(|b| &b.lines).flat_map(|l| &l.words),
            ),
            blocks,
            language,
            engine: engine.to_owned(),
            tables: Vec::new(),
            rotation: 0,
            detection: None,
            translation: None,
            markdown: None,
            source: None,
        }
    }

    /// Number of recognised words: the weight of this page in a job's mean confidence.
    pub fn word_count(&self) -> usize {
        self.blocks
            .iter()
            .flat_map(|b| &b.lines)
            .map(|l| l.words.len())
            .sum()
    }
}
