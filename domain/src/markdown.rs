//! Pure renderings of recognised pages as a document: plain text and Markdown.
//!
//! Headings are inferred from layout only: a short block whose lines are clearly taller than the
//! page's typical line is a heading. No language model, no dictionary: the same pages always render
//! the same way.

use crate::page::{Block, PageResult};

/// Separator between pages in the job's plain text (a form feed, as in the txt export).
pub const PAGE_SEPARATOR: &str = "\u{c}";

/// The job's plain text: page texts in order, separated by form feeds.
pub fn job_text<'a>(pages: impl IntoIterator<Item = &'a PageResult>) -> String {
    pages
        .into_iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join(PAGE_SEPARATOR)
}

/// Separator between pages in the job's Markdown (a horizontal rule).
pub const PAGE_RULE: &str = "\n\n---\n\n";

/// Mean confidence over all words of the given pages, each page weighted by its word count.
pub fn mean_confidence<'a>(pages: impl IntoIterator<Item = &'a PageResult>) -> Option<f32> {
    weighted_confidence(
        pages
            .into_iter()
            .map(|p| (p.mean_confidence, p.word_count())),
    )
}

/// Mean of page confidences `(confidence, words)`, each weighted by its word count (at least
/// one); pages without a confidence do not count.
pub fn weighted_confidence(pages: impl IntoIterator<Item = (Option<f32>, usize)>) -> Option<f32> {
    let (mut sum, mut weight) = (0.0f64, 0usize);
    for (confidence, words) in pages {
        if let Some(c) = confidence {
            let words = words.max(1);
            sum += f64::from(c) * words as f64;
            weight += words;
        }
    }
    (weight > 0).then(|| (sum / weight as f64) as f32)
}

/// Markdown for the whole job: pages separated by a horizontal rule.
pub fn job_markdown<'a>(pages: impl IntoIterator<Item = &'a PageResult>) -> String {
    pages
        .into_iter()
        .map(page_markdown)
        .filter(|m| !m.is_empty())
        .collect::<Vec<_>>()
        .join(PAGE_RULE)
}

/// Markdown for one page: the vision model's own Markdown for a `vlm` page; otherwise headings
/// where the layout shows them, paragraphs otherwise.
pub fn page_markdown(page: &PageResult) -> String {
    if let Some(markdown) = &page.markdown {
        return markdown.trim().to_owned();
    }
    let typical = typical_line_height(&page.blocks);
    page.blocks
        .iter()
        .filter(|b| !b.text.trim().is_empty())
        .map(|block| match heading_level(block, typical) {
            Some(level) => format!(
                "{} {}",
                "#".repeat(level),
                block.text.split_whitespace().collect::<Vec<_>>().join(" ")
            ),
            None => paragraph(block),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Median line height of the page, weighted by words, so a few big title lines do not move it.
/// Public so the exports (md, docx) find headings with the same rule as the job's `markdown`.
pub fn typical_line_height(blocks: &[Block]) -> Option<f32> {
    let mut heights: Vec<u32> = blocks
        .iter()
        .flat_map(|b| &b.lines)
        .flat_map(|l| std::iter::repeat_n(l.bbox.height(), l.words.len().max(1)))
        .filter(|h| *h > 0)
        .collect();
    if heights.is_empty() {
        return None;
    }
    heights.sort_unstable();
    Some(heights[heights.len() / 2] as f32)
}

/// `Some(1)` or `Some(2)` for a heading, judged from the block's line height against the page's
/// typical one ([`typical_line_height`]).
pub fn heading_level(block: &Block, typical: Option<f32>) -> Option<usize> {
    let typical = typical?;
    let text = block.text.trim();
    let chars = text.chars().count();
    if block.lines.is_empty() || block.lines.len() > 2 || !(2..=90).contains(&chars) {
        return None;
    }
    // A heading is words, not a number or a rule of dashes.
    if !text.chars().any(char::is_alphabetic) || text.ends_with([',', ';']) {
        return None;
    }
    let mean = block
        .lines
        .iter()
        .map(|l| l.bbox.height() as f32)
        .sum::<f32>()
        / block.lines.len() as f32;
    let ratio = mean / typical;
    if ratio >= 1.9 {
        Some(1)
    } else if ratio >= 1.35 {
        Some(2)
    } else {
        None
    }
}

/// A paragraph with its line breaks kept, escaped so OCR text is never read as Markdown syntax.
fn paragraph(block: &Block) -> String {
    block
        .text
        .lines()
        .map(escape_line_start)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Escapes characters that would turn a line of text into a heading, quote or rule.
fn escape_line_start(line: &str) -> String {
    let trimmed = line.trim_start();
    let needs = trimmed.starts_with('#')
        || trimmed.starts_with('>')
        || trimmed.starts_with("---")
        || trimmed.starts_with("===")
        || trimmed.starts_with("***");
    if needs {
        format!("\\{trimmed}")
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::{BBox, Line, Word};

    fn block(text: &str, line_height: u32, lines: usize) -> Block {
        let line = |i: usize| Line {
            text: text.to_owned(),
            bbox: BBox::from([0, (i as u32) * 100, 500, (i as u32) * 100 + line_height]),
            words: text
                .split_whitespace()
                .map(|w| Word {
                    text: w.into(),
                    bbox: BBox::default(),
                    confidence: 0.9,
                })
                .collect(),
        };
        Block {
            text: (0..lines).map(|_| text).collect::<Vec<_>>().join("\n"),
            bbox: BBox::from([0, 0, 500, 100]),
            confidence: 0.9,
            lines: (0..lines).map(line).collect(),
        }
    }

    fn page(blocks: Vec<Block>) -> PageResult {
        PageResult {
            index: 0,
            width: 1000,
            height: 1000,
            dpi: 300,
            text: PageResult::text_from_blocks(&blocks),
            blocks,
            mean_confidence: Some(0.9),
            language: "eng".into(),
            engine: "tesseract".into(),
            tables: Vec::new(),
            rotation: 0,
            detection: None,
            translation: None,
            markdown: None,
            source: None,
        }
    }

    #[test]
    fn tall_short_blocks_become_headings() {
        let p = page(vec![
            block("INVOICE", 60, 1),
            block("Terms", 40, 1),
            block("body text of the document goes on", 28, 4),
            block("more body text here and there", 28, 3),
        ]);
        assert_eq!(
            page_markdown(&p),
            "# INVOICE\n\n## Terms\n\nbody text of the document goes on\nbody text of the document goes on\n\
             body text of the document goes on\nbody text of the document goes on\n\n\
             more body text here and there\nmore body text here and there\nmore body text here and there"
        );
    }

    #[test]
    fn text_that_looks_like_markdown_is_escaped() {
        let p = page(vec![
            block("# 12 not a heading", 28, 1),
            block("plain words here", 28, 3),
        ]);
        assert!(page_markdown(&p).starts_with("\\# 12 not a heading\n\n"));
    }

    #[test]
    fn pages_join_with_form_feed_and_rule() {
        let a = page(vec![block("alpha words", 28, 1)]);
        let mut b = page(vec![block("beta words", 28, 1)]);
        b.index = 1;
        assert_eq!(job_text([&a, &b]), "alpha words\u{c}beta words");
        assert_eq!(job_markdown([&a, &b]), "alpha words\n\n---\n\nbeta words");
    }

    #[test]
    fn mean_confidence_weights_pages_by_words() {
        let mut a = page(vec![block("one two three", 28, 1)]);
        a.mean_confidence = Some(0.9);
        let mut b = page(vec![block("four", 28, 1)]);
        b.mean_confidence = Some(0.5);
        let m = mean_confidence([&a, &b]).unwrap();
        assert!((m - 0.8).abs() < 1e-6, "{m}");
        assert_eq!(mean_confidence(std::iter::empty()), None);
    }
}
