//! Lines at odds with the page: text from another sheet that shows in the picture.
//!
//! A receipt photographed on top of another, a page scanned with the corner of the next one in
//! view, a slip stapled at an angle: PP-OCR's detector finds that text as well, and its
//! orientation classifier turns each crop upright, so it is read (often well) and mixed into the
//! page's text. Tesseract, which reads along the page's own lines, mostly does not see it. On
//! the developer corpus this is one receipt in three: ten lines of the receipt underneath, read
//! at about −130°, 36° and 48° beside the page's −1.5°, took its character error rate from 10%
//! to 39%.
//!
//! The rule: a page's *dominant direction* is the reading direction most of its text (by line
//! length) agrees with to within [`AGREE_DEGREES`]. When that is clear (at least
//! [`DOMINANT_SHARE`] of the text), a line is dropped when its own direction is more than
//! [`STRAY_DEGREES`] away from it, unless it runs at right angles to it (within
//! [`VERTICAL_DEGREES`] of 90°: vertical text in a margin or a table header) or against it
//! (within [`STRAY_DEGREES`] of 180°: a line printed upside down, whose turn the recogniser's
//! scores have already confirmed, see `PpOcr::check_turns`). Pages with no clear direction (a
//! collage, a page of labels at all angles) keep every line.
//!
//! The thresholds leave room for what a page's own text does: on the corpus every page's own
//! lines stay within 6° of its dominant direction (the handwritten will is the widest), and the
//! two archive stamps, at 10° and 12° from theirs, are kept.

/// Lines within this many degrees of each other read the same way.
pub(super) const AGREE_DEGREES: f64 = 10.0;
/// Share of the page's text (by length) that must agree for its direction to count.
pub(super) const DOMINANT_SHARE: f64 = 0.6;
/// Lines further than this from the dominant direction are strays...
pub(super) const STRAY_DEGREES: f64 = 30.0;
/// ...unless they run within this many degrees of a right angle to it.
pub(super) const VERTICAL_DEGREES: f64 = 15.0;

/// One line's reading direction in degrees (any range) and its length in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Direction {
    pub degrees: f64,
    pub length: f64,
}

/// The smallest angle between two directions, in 0..=180.
fn apart(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

/// For each line, whether it belongs to the page (`true`) or is another sheet's (`false`).
pub(super) fn keep(lines: &[Direction]) -> Vec<bool> {
    let total: f64 = lines.iter().map(|l| l.length).sum();
    if lines.len() < 3 || total <= 0.0 {
        return vec![true; lines.len()];
    }
    let support = |a: f64| -> f64 {
        lines
            .iter()
            .filter(|l| apart(l.degrees, a) <= AGREE_DEGREES)
            .map(|l| l.length)
            .sum()
    };
    let Some((dominant, agreeing)) = lines
        .iter()
        .map(|l| (l.degrees, support(l.degrees)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
    else {
        return vec![true; lines.len()];
    };
    if agreeing < DOMINANT_SHARE * total {
        return vec![true; lines.len()];
    }
    lines
        .iter()
        .map(|l| {
            let off = apart(l.degrees, dominant);
            off <= STRAY_DEGREES
                || (off - 90.0).abs() <= VERTICAL_DEGREES
                || off >= 180.0 - STRAY_DEGREES
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(directions: &[(f64, f64)]) -> Vec<Direction> {
        directions
            .iter()
            .map(|&(degrees, length)| Direction { degrees, length })
            .collect()
    }

    /// Reading directions and lengths of a page's lines, and whether each is kept.
    type Case = (&'static [(f64, f64)], &'static [bool]);

    #[test]
    fn another_sheets_lines_are_dropped_and_the_pages_kept() {
        const K: bool = true;
        const D: bool = false;
        // (reading directions and lengths, whether each line is kept)
        let cases: &[Case] = &[
            // The corpus receipt: its own lines at about −1.5°, the one beneath at −130°, 36°
            // and 48°, and one line upside down (kept: its turn is the scores' business).
            (
                &[
                    (-1.2, 237.0),
                    (-1.5, 308.0),
                    (0.0, 53.0),
                    (-132.3, 265.0),
                    (47.7, 265.0),
                    (36.3, 42.0),
                    (176.5, 172.0),
                    (-1.9, 581.0),
                    (-2.5, 70.0),
                ],
                &[K, K, K, D, D, D, K, K, K],
            ),
            // A phone photo: lines a few degrees apart, all kept.
            (
                &[(2.0, 500.0), (-3.0, 500.0), (5.5, 400.0), (0.5, 450.0)],
                &[K, K, K, K],
            ),
            // Vertical margin text beside horizontal lines is the page's.
            (
                &[(0.0, 900.0), (0.5, 900.0), (-90.0, 300.0), (88.0, 200.0)],
                &[K, K, K, K],
            ),
            // Directions all over the place: nothing is dominant, nothing dropped.
            (
                &[(0.0, 100.0), (45.0, 100.0), (90.0, 100.0), (135.0, 100.0)],
                &[K, K, K, K],
            ),
            // Too few lines to judge.
            (&[(0.0, 100.0), (120.0, 90.0)], &[K, K]),
            // A page read at 180°: the majority decides which way is up.
            (
                &[
                    (179.0, 500.0),
                    (-179.5, 500.0),
                    (178.0, 400.0),
                    (-40.0, 100.0),
                ],
                &[K, K, K, D],
            ),
            // A slanted stamp at 45° is dropped, a line 25° off (handwriting) kept.
            (
                &[(0.0, 800.0), (2.0, 800.0), (45.0, 200.0), (-25.0, 100.0)],
                &[K, K, D, K],
            ),
        ];
        for (directions, expected) in cases {
            assert_eq!(keep(&lines(directions)), *expected, "{directions:?}");
        }
    }

    #[test]
    fn angles_wrap_around() {
        assert_eq!(apart(179.0, -179.0), 2.0);
        assert_eq!(apart(-90.0, 90.0), 180.0);
        assert_eq!(apart(10.0, 370.0), 0.0);
    }
}
