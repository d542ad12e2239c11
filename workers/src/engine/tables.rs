//! Table detection from the positions of recognised words (the `extract-tables` tool).
//!
//! A pure function of a [`PageResult`]: no image, no IO, so a recorded page always yields the
//! same tables and the rules are testable on hand-made layouts.
//!
//! How a table is found:
//! 1. **Rows.** Tesseract's lines are merged into visual rows by vertical overlap: a table row
//!    that Tesseract split into one block per column becomes one row again.
//! 2. **Column gaps.** Inside a row, a horizontal gap of at least [`COLUMN_GAP`] text heights
//!    (two spaces of a typewriter font, three or four of a proportional one) separates cells. A
//!    row with such a gap is *table-like*.
//! 3. **Table regions.** Consecutive table-like rows form a table, closer than
//!    [`MAX_ROW_GAP`] text heights to each other, while they agree on the columns: two rows
//!    disagree when a word of one covers a whole column gap of the other (`Sub-Total` across
//!    the price and discount columns). A row at odds with a minority of the rows so far joins
//!    without shaping the columns; one at odds with most of them, like a row without a column
//!    gap (an item description on its own line), joins only if an agreeing row follows within
//!    two rows, and otherwise starts the next table.
//! 4. **Columns.** A column separator is an x-range that (nearly) no word of the table-like rows
//!    covers, that is a column gap in at least one of them, and at least [`MIN_SEPARATOR`] text
//!    heights wide. "Nearly": with five rows or more, a fifth of them may cross it, so a header
//!    centred over left-aligned cells (`Unit price` over `0.45`) does not merge two columns.
//!    A narrow gap between two header words (`Price Disc%`) still separates columns when the
//!    body rows line up under it.
//! 5. **Cells.** Each row is cut at its column gaps and at the separators; every piece goes to
//!    the column it overlaps most (or, overlapping none, the nearest one), and pieces in the same
//!    column are joined. A description spanning columns stays whole in the column it overlaps
//!    most, the other cells of its row stay empty.
//!
//! Ruling lines are not looked for in the image: Tesseract already drops them, and what it
//! reads from them (`|`, `———`, a rule read as `re`) is filtered here. Regions whose cells hold
//! running text (two columns of prose) are refused by [`MAX_WORDS_PER_CELL`].

use domain::{BBox, Cell, PageResult, Table};

/// A gap of this many text heights between two words of a row separates table cells.
pub const COLUMN_GAP: f32 = 1.0;
/// A column separator must be at least this many text heights wide.
const MIN_SEPARATOR: f32 = 0.3;
/// Rows further apart than this many text heights (bottom to top) never share a table.
pub const MAX_ROW_GAP: f32 = 2.2;
/// Rows without a column gap that may stand between two table-like rows of a table.
const MAX_SPANNING_RUN: usize = 2;
/// Median words per non-empty cell above which the "table" is running text in columns.
pub const MAX_WORDS_PER_CELL: f32 = 5.0;
/// Words below this confidence are noise (specks, stamps, rules) and never enter a table.
const MIN_WORD_CONFIDENCE: f32 = 0.10;
/// Share of a table's table-like rows that may cross a column separator.
const CROSSING_SHARE: f32 = 0.2;

/// Detects the tables of a page, top to bottom. A page without any yields an empty list.
pub fn detect(page: &PageResult) -> Vec<Table> {
    let rows = visual_rows(page);
    let mut tables = Vec::new();
    let mut region = Region::default();
    let mut i = 0;
    while i < rows.len() {
        let row = &rows[i];
        if region.is_near(&rows, row) {
            let conflicts = if row.is_table_like() {
                region
                    .grid
                    .iter()
                    .filter(|&&g| conflict(row, &rows[g]))
                    .count()
            } else {
                usize::MAX
            };
            if conflicts == 0 {
                region.push(i, true);
                i += 1;
                continue;
            }
            if conflicts != usize::MAX && conflicts * 2 < region.grid.len() {
                region.push(i, false);
                i += 1;
                continue;
            }
            // No column gap, or at odds with most rows: it belongs to the table only if a row
            // that agrees follows.
            if region.pending.len() < MAX_SPANNING_RUN {
                region.pending.push(i);
                i += 1;
                continue;
            }
        }
        // The region ends. A table-like row left pending may start the next one: scanning
        // resumes there, so nothing after the last agreeing row is lost.
        let restart = region
            .pending
            .iter()
            .copied()
            .find(|&p| rows[p].is_table_like());
        tables.extend(std::mem::take(&mut region).finish(&rows));
        match restart {
            Some(p) => {
                region.push(p, true);
                i = p + 1;
            }
            None => {
                if row.is_table_like() {
                    region.push(i, true);
                }
                i += 1;
            }
        }
    }
    tables.extend(region.finish(&rows));
    tables
}

/// The rows of the table being built while rows are scanned top to bottom.
#[derive(Debug, Default)]
struct Region {
    /// Every row of the table, in order.
    members: Vec<usize>,
    /// The table-like rows that agree on the columns: they define the separators.
    grid: Vec<usize>,
    /// Rows without a column gap since the last table-like row; kept only if another
    /// table-like row follows.
    pending: Vec<usize>,
}

impl Region {
    /// Whether `row` stands close enough below the region's last row to belong to it.
    fn is_near(&self, rows: &[Row], row: &Row) -> bool {
        let Some(&last) = self.pending.last().or(self.members.last()) else {
            return false;
        };
        let last = &rows[last];
        let height = last.height.max(row.height);
        (row.bbox.y0 as f32) - (last.bbox.y1 as f32) <= MAX_ROW_GAP * height
    }

    fn push(&mut self, row: usize, grid: bool) {
        self.members.append(&mut self.pending);
        self.members.push(row);
        if grid {
            self.grid.push(row);
        }
    }

    fn finish(self, rows: &[Row]) -> Option<Table> {
        table_of(rows, &self.members, &self.grid)
    }
}

/// Two table-like rows disagree on the columns when a single word of one covers a whole column
/// gap of the other (`Sub-Total` across the gap between a price and a discount column).
fn conflict(a: &Row, b: &Row) -> bool {
    let covers = |gaps: &Row, words: &Row| {
        gaps.column_gaps().iter().any(|&(_, x0, x1)| {
            words
                .tokens
                .iter()
                .any(|t| t.bbox.x0 <= x0 && x1 <= t.bbox.x1)
        })
    };
    covers(a, b) || covers(b, a)
}

/// A word kept for table detection.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    bbox: BBox,
}

/// One visual row: words left to right, the height of its text.
#[derive(Debug, Clone)]
struct Row {
    tokens: Vec<Token>,
    bbox: BBox,
    /// Median height of the row's words that hold a letter or digit.
    height: f32,
}

impl Row {
    /// Gaps between neighbouring words that separate cells, as `(after_word, x0, x1)`.
    fn column_gaps(&self) -> Vec<(usize, u32, u32)> {
        let limit = COLUMN_GAP * self.height;
        self.tokens
            .windows(2)
            .enumerate()
            .filter_map(|(i, pair)| {
                let (a, b) = (pair[0].bbox.x1, pair[1].bbox.x0);
                (b > a && (b - a) as f32 >= limit).then_some((i, a, b))
            })
            .collect()
    }

    fn is_table_like(&self) -> bool {
        !self.column_gaps().is_empty()
    }
}

/// Whether a word is worth placing in a table: not noise and not a piece of a ruling line
/// (rule characters only, or a box far wider than its letters: a rule read as `re`).
fn is_content(text: &str, bbox: BBox, confidence: f32) -> bool {
    let text = text.trim();
    let chars = text.chars().count() as u32;
    !text.is_empty()
        && confidence >= MIN_WORD_CONFIDENCE
        && bbox.height() > 0
        && bbox.width() <= chars * 3 * bbox.height()
        && !text
            .chars()
            .all(|c| matches!(c, '|' | '-' | '_' | '=' | '~' | '—' | '–' | '―' | '¦' | '+'))
}

/// Tesseract's lines merged into visual rows, top to bottom, each sorted left to right.
fn visual_rows(page: &PageResult) -> Vec<Row> {
    let mut lines: Vec<Vec<Token>> = page
        .blocks
        .iter()
        .flat_map(|b| &b.lines)
        .map(|line| {
            line.words
                .iter()
                .filter(|w| is_content(&w.text, w.bbox, w.confidence))
                .map(|w| Token {
                    text: w.text.trim().to_owned(),
                    bbox: w.bbox,
                })
                .collect::<Vec<_>>()
        })
        .filter(|tokens| !tokens.is_empty())
        .collect();
    let center_y = |tokens: &[Token]| {
        let b = union(tokens.iter().map(|t| t.bbox));
        b.y0 + b.y1
    };
    lines.sort_by_key(|tokens| center_y(tokens));

    let mut rows: Vec<Row> = Vec::new();
    for tokens in lines {
        let line_box = union(tokens.iter().map(|t| t.bbox));
        // Only the last few rows can overlap a line that starts lower than all earlier ones.
        let best = rows
            .iter()
            .enumerate()
            .rev()
            .take(4)
            .filter_map(|(i, row)| {
                let overlap =
                    row.bbox.y1.min(line_box.y1) as i64 - row.bbox.y0.max(line_box.y0) as i64;
                let smaller = row.bbox.height().min(line_box.height()).max(1) as f32;
                let ratio = overlap as f32 / smaller;
                (ratio >= 0.5).then_some((i, ratio))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i);
        match best {
            Some(i) => {
                let row = &mut rows[i];
                row.bbox = row.bbox.union(&line_box);
                row.tokens.extend(tokens);
            }
            None => rows.push(Row {
                tokens,
                bbox: line_box,
                height: 0.0,
            }),
        }
    }
    for row in &mut rows {
        row.tokens.sort_by_key(|t| t.bbox.x0);
        row.height = median_height(&row.tokens);
    }
    rows.sort_by_key(|r| r.bbox.y0 + r.bbox.y1);
    rows
}

/// Median height of words with a letter or digit (punctuation is short); all words otherwise.
fn median_height(tokens: &[Token]) -> f32 {
    let mut heights: Vec<u32> = tokens
        .iter()
        .filter(|t| t.text.chars().any(char::is_alphanumeric))
        .map(|t| t.bbox.height())
        .collect();
    if heights.is_empty() {
        heights = tokens.iter().map(|t| t.bbox.height()).collect();
    }
    heights.sort_unstable();
    heights.get(heights.len() / 2).copied().unwrap_or(1).max(1) as f32
}

fn union(boxes: impl IntoIterator<Item = BBox>) -> BBox {
    boxes
        .into_iter()
        .reduce(|a, b| a.union(&b))
        .unwrap_or_default()
}

/// An x-range between columns.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Separator {
    x0: u32,
    x1: u32,
}

/// Column separators of a table's table-like rows (see the module docs, step 4).
fn separators(members: &[&Row]) -> Vec<Separator> {
    let mut heights: Vec<f32> = members.iter().map(|r| r.height).collect();
    heights.sort_by(f32::total_cmp);
    let Some(&height) = heights.get(heights.len() / 2) else {
        return Vec::new();
    };
    let tolerance = if members.len() >= 5 {
        (members.len() as f32 * CROSSING_SHARE).floor() as i32
    } else {
        0
    };
    // Coverage count along x: +1 where a word starts, -1 where it ends (the words of one row
    // do not overlap, so the count is the number of rows covering a point).
    let mut events: Vec<(u32, i32)> = members
        .iter()
        .flat_map(|r| {
            r.tokens
                .iter()
                .flat_map(|t| [(t.bbox.x0, 1), (t.bbox.x1, -1)])
        })
        .collect();
    events.sort_unstable();
    let (Some(&(left, _)), Some(&(right, _))) = (events.first(), events.last()) else {
        return Vec::new();
    };
    let mut free = Vec::new();
    let (mut depth, mut open) = (0i32, None::<u32>);
    for (x, delta) in events {
        let before = depth;
        depth += delta;
        if before > tolerance && depth <= tolerance {
            open = Some(x);
        } else if before <= tolerance && depth > tolerance {
            if let Some(x0) = open.take() {
                if x > x0 {
                    free.push(Separator { x0, x1: x });
                }
            }
        }
    }
    let gaps: Vec<(u32, u32)> = members
        .iter()
        .flat_map(|r| r.column_gaps().into_iter().map(|(_, a, b)| (a, b)))
        .collect();
    free.into_iter()
        .filter(|s| s.x0 > left && s.x1 < right)
        .filter(|s| (s.x1 - s.x0) as f32 >= MIN_SEPARATOR * height)
        // Evidence: some row has a column gap overlapping it.
        .filter(|s| gaps.iter().any(|&(a, b)| a < s.x1 && s.x0 < b))
        .collect()
}

/// The table a region of rows makes, if it makes one: `grid` (a subset of `members`) are the
/// rows whose words shape the columns.
fn table_of(rows: &[Row], members: &[usize], grid: &[usize]) -> Option<Table> {
    if grid.len() < 2 {
        return None;
    }
    let grid_rows: Vec<&Row> = grid.iter().map(|&i| &rows[i]).collect();
    let separators = separators(&grid_rows);
    if separators.is_empty() {
        return None;
    }
    let columns = separators.len() + 1;
    let extent = union(members.iter().map(|&i| rows[i].bbox));
    let column_range = |c: usize| {
        let x0 = if c == 0 {
            extent.x0
        } else {
            separators[c - 1].x1
        };
        let x1 = if c == columns - 1 {
            extent.x1
        } else {
            separators[c].x0
        };
        (x0, x1.max(x0))
    };
    let column_of = |piece: BBox| -> usize {
        let overlap = |c: usize| {
            let (x0, x1) = column_range(c);
            piece.x1.min(x1) as i64 - piece.x0.max(x0) as i64
        };
        let centre = |c: usize| {
            let (x0, x1) = column_range(c);
            (x0 + x1) as f32 / 2.0
        };
        let piece_centre = (piece.x0 + piece.x1) as f32 / 2.0;
        (0..columns)
            .max_by(|&a, &b| {
                overlap(a).cmp(&overlap(b)).then_with(|| {
                    // Overlapping neither (or both equally): the nearer column wins.
                    (centre(b) - piece_centre)
                        .abs()
                        .total_cmp(&(centre(a) - piece_centre).abs())
                })
            })
            .unwrap_or(0)
    };

    let mut table_rows = Vec::with_capacity(members.len());
    for &index in members {
        let row = &rows[index];
        // Rows outside the grid are cut only at their own gaps: a description spanning
        // columns stays whole.
        let cuts: &[Separator] = if grid.contains(&index) {
            &separators
        } else {
            &[]
        };
        let mut cells: Vec<Vec<&Token>> = vec![Vec::new(); columns];
        for piece in pieces(row, cuts) {
            let column = column_of(union(piece.iter().map(|t| t.bbox)));
            cells[column].extend(piece.iter());
        }
        table_rows.push(
            cells
                .into_iter()
                .enumerate()
                .map(|(c, mut tokens)| {
                    tokens.sort_by_key(|t| t.bbox.x0);
                    if tokens.is_empty() {
                        let (x0, x1) = column_range(c);
                        Cell {
                            text: String::new(),
                            bbox: BBox {
                                x0,
                                y0: row.bbox.y0,
                                x1,
                                y1: row.bbox.y1,
                            },
                        }
                    } else {
                        Cell {
                            text: tokens
                                .iter()
                                .map(|t| t.text.as_str())
                                .collect::<Vec<_>>()
                                .join(" "),
                            bbox: union(tokens.iter().map(|t| t.bbox)),
                        }
                    }
                })
                .collect::<Vec<_>>(),
        );
    }
    let table = Table {
        bbox: extent,
        rows: table_rows,
    };
    is_plausible(&table).then_some(table)
}

/// A row cut into pieces at its column gaps and wherever a separator passes between two words.
fn pieces<'a>(row: &'a Row, separators: &[Separator]) -> Vec<&'a [Token]> {
    let gaps: Vec<usize> = row.column_gaps().into_iter().map(|(i, _, _)| i).collect();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, pair) in row.tokens.windows(2).enumerate() {
        let (a, b) = (pair[0].bbox.x1, pair[1].bbox.x0);
        let crosses = separators.iter().any(|s| a < s.x1 && s.x0 < b);
        if gaps.contains(&i) || crosses {
            out.push(&row.tokens[start..=i]);
            start = i + 1;
        }
    }
    if start < row.tokens.len() {
        out.push(&row.tokens[start..]);
    }
    out
}

/// Refuses grids that are not tables: fewer than two rows with two filled cells, or cells that
/// hold running text.
fn is_plausible(table: &Table) -> bool {
    let filled_rows = table
        .rows
        .iter()
        .filter(|r| r.iter().filter(|c| !c.text.is_empty()).count() >= 2)
        .count();
    let mut words: Vec<usize> = table
        .rows
        .iter()
        .flatten()
        .filter(|c| !c.text.is_empty())
        .map(|c| c.text.split_whitespace().count())
        .collect();
    words.sort_unstable();
    let median = words.get(words.len() / 2).copied().unwrap_or(0);
    table.columns() >= 2 && filled_rows >= 2 && median as f32 <= MAX_WORDS_PER_CELL
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{Block, Line, Word};

    /// A page from rows of `(x, text)` words, each word 10 px per character and 20 px tall,
    /// rows 40 px apart, one Tesseract line per row; an empty row leaves its place blank.
    fn page(rows: &[&[(u32, &str)]]) -> PageResult {
        let blocks = rows
            .iter()
            .enumerate()
            // An empty row is a spacer: nothing is written there.
            .filter(|(_, words)| !words.is_empty())
            .map(|(r, words)| {
                let y0 = 100 + r as u32 * 40;
                let words: Vec<Word> = words
                    .iter()
                    .map(|&(x, text)| Word {
                        text: text.into(),
                        bbox: BBox::from([x, y0, x + 10 * text.chars().count() as u32, y0 + 20]),
                        confidence: 0.9,
                    })
                    .collect();
                let bbox = union(words.iter().map(|w| w.bbox));
                let text = words
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                Block {
                    text: text.clone(),
                    bbox,
                    confidence: 0.9,
                    lines: vec![Line { text, bbox, words }],
                }
            })
            .collect::<Vec<_>>();
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

    fn texts(table: &Table) -> Vec<Vec<&str>> {
        table
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn aligned_rows_become_a_table_with_a_spanning_description() {
        let p = page(&[
            &[(0, "Dear"), (50, "customer,"), (150, "thanks.")],
            &[
                (0, "Item/Desc."),
                (200, "Qty"),
                (300, "Price"),
                (400, "Amt."),
            ],
            &[(0, "5X8"), (40, "500G"), (90, "(1X60)")],
            &[
                (0, "5X8"),
                (40, "500G"),
                (210, "1"),
                (300, "4.20"),
                (400, "4.20"),
            ],
            &[
                (0, "Paper"),
                (60, "clips"),
                (210, "3"),
                (300, "1.00"),
                (400, "3.00"),
            ],
        ]);
        let tables = detect(&p);
        assert_eq!(tables.len(), 1, "{tables:#?}");
        assert_eq!(
            texts(&tables[0]),
            vec![
                vec!["Item/Desc.", "Qty", "Price", "Amt."],
                vec!["5X8 500G (1X60)", "", "", ""],
                vec!["5X8 500G", "1", "4.20", "4.20"],
                vec!["Paper clips", "3", "1.00", "3.00"],
            ]
        );
        // An empty cell sits where its row and its column ("Price", 300..350) cross.
        assert_eq!(tables[0].rows[1][2].bbox, BBox::from([300, 180, 350, 200]));
    }

    #[test]
    fn a_narrow_header_gap_splits_columns_when_the_body_lines_up() {
        // "Price" and "Disc%" stand 10 px apart (half a text height), but the body has a
        // column gap under that spot.
        let p = page(&[
            &[(0, "Code"), (100, "Price"), (160, "Disc%")],
            &[(0, "331"), (100, "5.00"), (165, "0.00")],
            &[(0, "332"), (100, "7.50"), (165, "1.00")],
        ]);
        let tables = detect(&p);
        assert_eq!(tables.len(), 1, "{tables:#?}");
        assert_eq!(
            texts(&tables[0]),
            vec![
                vec!["Code", "Price", "Disc%"],
                vec!["331", "5.00", "0.00"],
                vec!["332", "7.50", "1.00"]
            ]
        );
    }

    #[test]
    fn rows_that_cross_the_columns_start_another_table() {
        let p = page(&[
            &[(0, "No"), (100, "Qty"), (200, "Amount")],
            &[(0, "1"), (100, "2"), (200, "10.00")],
            &[(0, "2"), (100, "1"), (200, "5.00")],
            &[],
            &[],
            // After a blank stretch, labels across the first two columns: another table.
            &[(40, "Sub-Total"), (140, ":"), (300, "15.00")],
            &[(50, "Discount"), (140, ":"), (300, "0.00")],
        ]);
        let tables = detect(&p);
        assert_eq!(tables.len(), 2, "{tables:#?}");
        assert_eq!(texts(&tables[0]).len(), 3);
        assert_eq!(
            texts(&tables[1]),
            vec![vec!["Sub-Total :", "15.00"], vec!["Discount :", "0.00"]]
        );
    }

    #[test]
    fn prose_and_two_column_text_are_not_tables() {
        let prose = page(&[
            &[
                (0, "It"),
                (30, "was"),
                (70, "a"),
                (90, "bright"),
                (160, "day."),
            ],
            &[(0, "The"), (40, "clocks"), (110, "struck"), (180, "one.")],
        ]);
        assert!(detect(&prose).is_empty());
        let words = |x0: u32, line: &'static str| -> Vec<(u32, &'static str)> {
            let mut x = x0;
            line.split(' ')
                .map(|w| {
                    let at = x;
                    x += 10 * w.len() as u32 + 10;
                    (at, w)
                })
                .collect()
        };
        let left = [
            "the first column of text runs on",
            "with more words on every line",
        ];
        let right = [
            "while the second column says",
            "something else at the same time",
        ];
        let lines: Vec<Vec<(u32, &str)>> = left
            .iter()
            .zip(right)
            .map(|(l, r)| [words(0, l), words(400, r)].concat())
            .collect();
        let columns = page(&lines.iter().map(Vec::as_slice).collect::<Vec<_>>());
        assert!(detect(&columns).is_empty(), "{:#?}", detect(&columns));
        let single = page(&[&[(0, "Total"), (300, "4.20")]]);
        assert!(detect(&single).is_empty(), "one row is not a table");
    }

    #[test]
    fn a_centred_header_over_left_aligned_cells_keeps_the_columns() {
        // "Unit price" is centred over its column; the prices start at its left edge and
        // never overlap it. With enough rows the header may cross the separator.
        let p = page(&[
            &[(60, "Item"), (300, "Qty"), (440, "Unit"), (490, "price")],
            &[(0, "Pencil"), (300, "12"), (400, "0.45")],
            &[(0, "Notebook"), (300, "3"), (400, "2.10")],
            &[(0, "Stapler"), (300, "1"), (400, "7.95")],
            &[(0, "Eraser"), (300, "4"), (400, "0.60")],
            &[(0, "Ruler"), (300, "2"), (400, "1.80")],
        ]);
        let tables = detect(&p);
        assert_eq!(tables.len(), 1, "{tables:#?}");
        let rows = texts(&tables[0]);
        assert_eq!(rows[0], vec!["Item", "Qty", "Unit price"]);
        assert_eq!(rows[5], vec!["Ruler", "2", "1.80"]);
    }

    #[test]
    fn noise_and_rules_stay_out_of_cells() {
        let mut p = page(&[
            &[(0, "A"), (100, "|"), (200, "B")],
            &[(0, "1"), (100, "."), (200, "2")],
            &[(0, "3"), (100, "----"), (200, "4")],
        ]);
        // The "." between 1 and 2 is a speck; kept, it would close the column gap.
        p.blocks[1].lines[0].words[1].confidence = 0.01;
        let tables = detect(&p);
        assert_eq!(tables.len(), 1);
        assert_eq!(
            texts(&tables[0]),
            vec![vec!["A", "B"], vec!["1", "2"], vec!["3", "4"]]
        );
    }

    #[test]
    fn a_row_split_into_blocks_is_one_row() {
        // Tesseract often gives each column its own block: rows are rebuilt across blocks.
        let mut p = page(&[
            &[(0, "Name"), (300, "Age")],
            &[(0, "Ann"), (300, "31")],
            &[(0, "Bob"), (300, "42")],
        ]);
        let mut split = Vec::new();
        for block in &p.blocks {
            for word in &block.lines[0].words {
                split.push(Block {
                    text: word.text.clone(),
                    bbox: word.bbox,
                    confidence: 0.9,
                    lines: vec![Line {
                        text: word.text.clone(),
                        bbox: word.bbox,
                        words: vec![word.clone()],
                    }],
                });
            }
        }
        p.blocks = split;
        let tables = detect(&p);
        assert_eq!(tables.len(), 1);
        assert_eq!(
            texts(&tables[0]),
            vec![vec!["Name", "Age"], vec!["Ann", "31"], vec!["Bob", "42"]]
        );
    }
}
