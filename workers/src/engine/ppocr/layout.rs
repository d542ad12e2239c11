//! From detected text lines to paragraph blocks in reading order.
//!
//! PP-OCR finds text lines (often pieces of lines: a receipt's label and its price are two
//! detections) but no layout. This rebuilds one with a recursive XY cut over the line boxes:
//!
//! 1. **Columns first.** A set of lines is split left | right at the widest vertical band no line
//!    crosses, if the band is at least one median line height wide, each side has two lines or
//!    more, the two sides overlap vertically over half the shorter one's extent, and the lines
//!    on each side are (by median) at least twice as wide as the band. The width test keeps
//!    tables and receipts (short cells, wide gaps) row by row, while prose columns (long lines,
//!    narrow gutters) are read column after column; the overlap test keeps a letter's address
//!    (top right) before the recipient (below, left) instead of reading them as two columns.
//! 2. **Then paragraphs.** Otherwise it is split top | bottom at every horizontal band no line
//!    crosses that is at least [`PARAGRAPH_GAP`] median line heights high.
//! 3. Both steps repeat inside every part until nothing splits; each part is a block.
//!
//! Inside a block, lines whose boxes overlap vertically by half the smaller height, and
//! horizontally by no more than a fifth of the narrower, form a row; a row's pieces (left to
//! right) become one [`Line`]: a receipt's "TOTAL" and "4.20" read as "TOTAL 4.20", as the page
//! is read. (The horizontal test keeps apart consecutive lines of slanted handwriting, whose
//! upright boxes overlap vertically.)
//!
//! Distances are in line heights: the median over the page of each line's own text height (the
//! shorter side of its detected, possibly slanted box), not of the upright boxes, which a slant
//! makes taller.

use domain::{BBox, Block, Line};

/// Vertical gap, in median line heights, from which lines belong to different paragraphs.
pub(super) const PARAGRAPH_GAP: f64 = 1.2;
/// Minimum gutter width, in median line heights, for a column split.
const COLUMN_GAP: f64 = 1.0;
/// Lines beside a gutter must be (by median) this many times wider than it.
const COLUMN_WIDTH_TO_GAP: f64 = 2.0;
/// Vertical overlap, as a share of the smaller height, that puts two pieces on one row.
const ROW_OVERLAP: f64 = 0.5;
/// Horizontal overlap, as a share of the narrower width, beyond which two pieces are not one row.
const ROW_MAX_SIDE_OVERLAP: f64 = 0.2;
/// Vertical overlap, as a share of the shorter side's extent, two columns must have.
const COLUMN_OVERLAP: f64 = 0.5;
/// Recursion bound: far more than any page needs.
const MAX_DEPTH: usize = 64;

/// Groups lines (in any order), each with its text height in pixels, into blocks in reading
/// order. A block's lines are rows of the given lines merged left to right; texts are joined
/// with spaces (within a row) and newlines (between rows); boxes are unions; a block's
/// confidence is the mean of its words'.
pub(super) fn blocks(pieces: Vec<(Line, f64)>) -> Vec<Block> {
    if pieces.is_empty() {
        return Vec::new();
    }
    let mut heights: Vec<f64> = pieces.iter().map(|(_, h)| h.max(1.0)).collect();
    heights.sort_by(f64::total_cmp);
    let median_height = heights[heights.len() / 2];
    let lines: Vec<Line> = pieces.into_iter().map(|(line, _)| line).collect();
    let mut groups = Vec::new();
    split(
        (0..lines.len()).collect(),
        &lines,
        median_height,
        0,
        &mut groups,
    );
    let mut slots: Vec<Option<Line>> = lines.into_iter().map(Some).collect();
    groups
        .into_iter()
        .map(|group| {
            let members: Vec<Line> = group.iter().filter_map(|&i| slots[i].take()).collect();
            block_of(rows(members))
        })
        .filter(|b| !b.lines.is_empty())
        .collect()
}

/// Appends the blocks of `items` to `out`, in reading order.
fn split(
    items: Vec<usize>,
    lines: &[Line],
    median_height: f64,
    depth: usize,
    out: &mut Vec<Vec<usize>>,
) {
    if items.len() <= 1 || depth >= MAX_DEPTH {
        out.push(items);
        return;
    }
    if let Some((left, right)) = column_split(&items, lines, median_height) {
        split(left, lines, median_height, depth + 1, out);
        split(right, lines, median_height, depth + 1, out);
        return;
    }
    let bands = paragraph_split(&items, lines, median_height);
    if bands.len() > 1 {
        for band in bands {
            split(band, lines, median_height, depth + 1, out);
        }
        return;
    }
    out.push(items);
}

/// Free bands along one axis: `(start, end)` of every gap between the union of the intervals,
/// widest first.
fn gaps(mut intervals: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    intervals.sort_unstable();
    let mut found = Vec::new();
    let mut reach = match intervals.first() {
        Some(first) => first.1,
        None => return found,
    };
    for &(start, end) in &intervals[1..] {
        if start > reach {
            found.push((reach, start));
        }
        reach = reach.max(end);
    }
    found.sort_by_key(|&(a, b)| std::cmp::Reverse(b - a));
    found
}

fn median(mut values: Vec<u32>) -> f64 {
    values.sort_unstable();
    values.get(values.len() / 2).map_or(0.0, |&v| f64::from(v))
}

fn column_split(
    items: &[usize],
    lines: &[Line],
    median_height: f64,
) -> Option<(Vec<usize>, Vec<usize>)> {
    let intervals = items
        .iter()
        .map(|&i| (lines[i].bbox.x0, lines[i].bbox.x1))
        .collect();
    for (start, end) in gaps(intervals) {
        let width = f64::from(end - start);
        if width < COLUMN_GAP * median_height {
            break;
        }
        let (left, right): (Vec<usize>, Vec<usize>) =
            items.iter().partition(|&&i| lines[i].bbox.x1 <= start);
        if left.len() < 2 || right.len() < 2 || !overlap_vertically(&left, &right, lines) {
            continue;
        }
        let wide = |side: &[usize]| {
            median(side.iter().map(|&i| lines[i].bbox.width()).collect())
                >= COLUMN_WIDTH_TO_GAP * width
        };
        if wide(&left) && wide(&right) {
            return Some((left, right));
        }
    }
    None
}

/// Whether two sides' vertical extents overlap over [`COLUMN_OVERLAP`] of the shorter one.
fn overlap_vertically(left: &[usize], right: &[usize], lines: &[Line]) -> bool {
    let extent = |side: &[usize]| {
        side.iter().fold((u32::MAX, 0u32), |(top, bottom), &i| {
            (top.min(lines[i].bbox.y0), bottom.max(lines[i].bbox.y1))
        })
    };
    let ((top_a, bottom_a), (top_b, bottom_b)) = (extent(left), extent(right));
    let overlap = f64::from(bottom_a.min(bottom_b)) - f64::from(top_a.max(top_b));
    let shorter = f64::from((bottom_a - top_a).min(bottom_b - top_b));
    overlap >= COLUMN_OVERLAP * shorter
}

fn paragraph_split(items: &[usize], lines: &[Line], median_height: f64) -> Vec<Vec<usize>> {
    let intervals = items
        .iter()
        .map(|&i| (lines[i].bbox.y0, lines[i].bbox.y1))
        .collect();
    let mut cuts: Vec<u32> = gaps(intervals)
        .into_iter()
        .filter(|&(a, b)| f64::from(b - a) >= PARAGRAPH_GAP * median_height)
        .map(|(a, _)| a)
        .collect();
    if cuts.is_empty() {
        return vec![items.to_vec()];
    }
    cuts.sort_unstable();
    let mut bands = vec![Vec::new(); cuts.len() + 1];
    for &i in items {
        let band = cuts.iter().filter(|&&cut| lines[i].bbox.y0 >= cut).count();
        bands[band].push(i);
    }
    bands.retain(|b| !b.is_empty());
    bands
}

/// Groups pieces into rows (top to bottom) and merges each row's pieces left to right.
fn rows(mut pieces: Vec<Line>) -> Vec<Line> {
    let centre = |b: &BBox| f64::from(b.y0) + f64::from(b.y1);
    pieces.sort_by(|a, b| centre(&a.bbox).total_cmp(&centre(&b.bbox)));
    let mut rows: Vec<Vec<Line>> = Vec::new();
    for piece in pieces {
        let joins = rows.last().is_some_and(|row| {
            let first = &row[0].bbox;
            let b = &piece.bbox;
            let vertical = f64::from(b.y1.min(first.y1)) - f64::from(b.y0.max(first.y0));
            let beside = row.iter().all(|other| {
                let o = &other.bbox;
                let horizontal = f64::from(b.x1.min(o.x1)) - f64::from(b.x0.max(o.x0));
                horizontal <= ROW_MAX_SIDE_OVERLAP * f64::from(b.width().min(o.width()))
            });
            beside && vertical >= ROW_OVERLAP * f64::from(b.height().min(first.height()))
        });
        match rows.last_mut() {
            Some(row) if joins => row.push(piece),
            _ => rows.push(vec![piece]),
        }
    }
    rows.into_iter()
        .map(|mut row| {
            row.sort_by_key(|l| l.bbox.x0);
            let mut merged = row.remove(0);
            for piece in row {
                merged.text = format!("{} {}", merged.text, piece.text);
                merged.bbox = merged.bbox.union(&piece.bbox);
                merged.words.extend(piece.words);
            }
            merged
        })
        .collect()
}

fn block_of(lines: Vec<Line>) -> Block {
    let bbox = lines
        .iter()
        .map(|l| l.bbox)
        .reduce(|a, b| a.union(&b))
        .unwrap_or_default();
    Block {
        text: lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        bbox,
        confidence: domain::mean_word_confidence(lines.iter().flat_map(|l| &l.words))
            .unwrap_or(0.0),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Word;

    fn line(text: &str, x0: u32, y0: u32, x1: u32, y1: u32) -> Line {
        let bbox = BBox::from([x0, y0, x1, y1]);
        Line {
            text: text.to_owned(),
            bbox,
            words: vec![Word {
                text: text.to_owned(),
                bbox,
                confidence: 0.5,
            }],
        }
    }

    /// Pieces with their box heights as text heights.
    fn pieces(lines: Vec<Line>) -> Vec<(Line, f64)> {
        lines
            .into_iter()
            .map(|l| {
                let h = f64::from(l.bbox.height());
                (l, h)
            })
            .collect()
    }

    fn texts(blocks: &[Block]) -> Vec<String> {
        blocks.iter().map(|b| b.text.clone()).collect()
    }

    #[test]
    fn paragraphs_split_at_blank_lines() {
        // Lines 20 high, 10 apart; a 40 px gap (2 line heights) before the third.
        let blocks = blocks(pieces(vec![
            line("one", 10, 10, 400, 30),
            line("two", 10, 40, 380, 60),
            line("three", 10, 100, 390, 120),
        ]));
        assert_eq!(texts(&blocks), vec!["one\ntwo", "three"]);
        assert_eq!(blocks[0].bbox, BBox::from([10, 10, 400, 60]));
        assert_eq!(blocks[0].confidence, 0.5);
    }

    #[test]
    fn prose_columns_are_read_one_after_the_other() {
        // A full-width title, then two columns of long lines with a 40 px gutter.
        let mut lines = vec![line("title", 10, 10, 850, 40)];
        for i in 0..4 {
            let y = 80 + i * 30;
            lines.push(line(&format!("left{i}"), 10, y, 410, y + 20));
            lines.push(line(&format!("right{i}"), 450, y, 850, y + 20));
        }
        let blocks = blocks(pieces(lines));
        assert_eq!(
            texts(&blocks),
            vec![
                "title",
                "left0\nleft1\nleft2\nleft3",
                "right0\nright1\nright2\nright3"
            ]
        );
    }

    #[test]
    fn receipt_rows_stay_rows() {
        // Short labels and prices far apart: not columns; each row is one line.
        let blocks = blocks(pieces(vec![
            line("4.20", 500, 12, 560, 32),
            line("TOTAL", 10, 10, 100, 30),
            line("CASH", 10, 40, 90, 60),
            line("50.20", 490, 41, 560, 61),
            line("CHANGE", 10, 70, 120, 90),
        ]));
        assert_eq!(texts(&blocks), vec!["TOTAL 4.20\nCASH 50.20\nCHANGE"]);
        let first = &blocks[0].lines[0];
        assert_eq!(first.bbox, BBox::from([10, 10, 560, 32]));
        let words: Vec<&str> = first.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(words, vec!["TOTAL", "4.20"]);
    }

    #[test]
    fn empty_and_single_inputs() {
        assert!(blocks(Vec::new()).is_empty());
        assert_eq!(
            texts(&blocks(pieces(vec![line("solo", 0, 0, 10, 10)]))),
            vec!["solo"]
        );
    }

    #[test]
    fn a_staircase_is_not_two_columns() {
        // A letter's address (top right) and recipient (below it, left), with a gutter between
        // them but no vertical overlap: one block, read top to bottom.
        let blocks = blocks(pieces(vec![
            line("recipient1", 40, 260, 700, 300),
            line("address1", 900, 100, 1400, 140),
            line("recipient2", 40, 310, 650, 350),
            line("address2", 900, 150, 1300, 190),
            line("address3", 900, 200, 1350, 240),
        ]));
        assert_eq!(
            texts(&blocks),
            vec!["address1\naddress2\naddress3\nrecipient1\nrecipient2"]
        );
    }

    #[test]
    fn slanted_lines_stay_separate_rows() {
        // Two long handwritten lines whose upright boxes overlap vertically (a slant), with
        // text 30 px high: not one row, read in order of their centres.
        let mut first = line("first", 100, 100, 1500, 220);
        let mut second = line("second", 110, 160, 1480, 290);
        first.words[0].confidence = 1.0;
        second.words[0].confidence = 0.0;
        let blocks = blocks(vec![(second, 30.0), (first, 30.0)]);
        assert_eq!(texts(&blocks), vec!["first\nsecond"]);
        assert_eq!(blocks[0].confidence, 0.5);
    }
}
