//! When a page read with named languages is checked for orientation.
//!
//! Tesseract's orientation detection (OSD) costs about as much as reading the page (1.7 s
//! against 1.9 s on a typewritten corpus page, 0.7 against 1.3 s on the letter), so running it
//! on every page halved throughput against the `tesseract` command. A page is therefore read
//! first as it is, and checked only when that reading is in doubt:
//! - **low confidence**: upright pages of the corpus read at a mean word confidence of 0.62
//!   (a receipt) to 0.94; the same pages upside down at 0.27 to 0.39. Below
//!   [`DOUBTFUL_CONFIDENCE`] the page is checked (handwriting, at 0.30, is checked too: OSD
//!   usually finds no orientation there, and the reading stands);
//! - **vertical lines**: Tesseract reads a sideways page (90° or 270°) with good confidence, but
//!   its lines stand taller than wide; such a page is checked, so it is turned upright and its
//!   boxes are in the upright frame;
//! - **no words**: nothing to judge by; OSD is cheap on such pages.
//!
//! With `language=auto` orientation detection runs first: it also names the script, which
//! picks the model of the first reading.

use crate::page::PageResult;

/// Mean word confidence below which a reading is in doubt.
pub const DOUBTFUL_CONFIDENCE: f32 = 0.5;

/// Whether a page's first reading should be checked for orientation (see the module docs).
pub fn orientation_in_doubt(page: &PageResult) -> bool {
    let Some(confidence) = page.mean_confidence else {
        return true;
    };
    if confidence < DOUBTFUL_CONFIDENCE {
        return true;
    }
    let lines: Vec<_> = page
        .blocks
        .iter()
        .flat_map(|b| &b.lines)
        .filter(|l| l.text.chars().filter(|c| c.is_alphanumeric()).count() >= 4)
        .collect();
    let vertical = lines
        .iter()
        .filter(|l| l.bbox.height() > 2 * l.bbox.width())
        .count();
    !lines.is_empty() && vertical * 2 > lines.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::{BBox, Block, Line};

    fn page(confidence: Option<f32>, lines: &[[u32; 4]]) -> PageResult {
        let lines = lines
            .iter()
            .map(|b| Line {
                text: "Sehr geehrte".into(),
                bbox: BBox::from(*b),
                words: Vec::new(),
            })
            .collect();
        PageResult {
            index: 0,
            width: 2000,
            height: 3000,
            dpi: 300,
            text: "Sehr geehrte".into(),
            blocks: vec![Block {
                text: "Sehr geehrte".into(),
                bbox: BBox::from([0, 0, 2000, 3000]),
                confidence: 0.9,
                lines,
            }],
            mean_confidence: confidence,
            language: "deu".into(),
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
    fn readings_in_doubt() {
        let wide = [[100, 100, 1500, 140], [100, 200, 1400, 240]];
        let tall = [[100, 100, 140, 1500], [200, 100, 240, 1400]];
        for (name, page, expected) in [
            ("a clean upright page", page(Some(0.9), &wide), false),
            ("a receipt at 0.62", page(Some(0.62), &wide), false),
            ("upside down at 0.3", page(Some(0.3), &wide), true),
            ("sideways: lines stand tall", page(Some(0.87), &tall), true),
            ("no words", page(None, &[]), true),
        ] {
            assert_eq!(orientation_in_doubt(&page), expected, "case: {name}");
        }
    }
}
