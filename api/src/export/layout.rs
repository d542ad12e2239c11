//! A page as a document: headings, paragraphs, lists and tables in reading order.
//!
//! The Markdown and Word exports render the same structure, so they always agree on what is a
//! heading, a list or a table. Headings follow the job's own Markdown rule
//! ([`domain::markdown::heading_level`]). Lists are lines that start with a bullet (`•`, `-`, …)
//! or a number or letter marker (`1.`, `2)`, `a)`, `(iv)`), at least two in a row. Tables are the
//! page's detected tables (the `extract-tables` tool): the lines they cover are replaced by the
//! table, placed where its first line stood.

use domain::{markdown, Block, Line, PageResult, Table};

/// One element of a page, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub enum Element<'a> {
    /// A heading, level 1 or 2.
    Heading {
        /// 1 for the biggest type on the page, 2 for the next.
        level: usize,
        /// The heading's words on one line.
        text: String,
    },
    /// A paragraph: its lines as the page shows them.
    Paragraph {
        /// The lines, in order.
        lines: Vec<String>,
    },
    /// Two or more list items in a row.
    List {
        /// Numbered (`1.`, `2)`) rather than bulleted or lettered.
        ordered: bool,
        /// The items.
        items: Vec<ListItem>,
    },
    /// A detected table.
    Table(&'a Table),
}

/// One list item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    /// The number of a numbered item (`3` for `3.`); `None` for bullets.
    pub number: Option<u32>,
    /// A letter or roman marker kept as text (`a)`, `(iv)`); `None` for numbers and bullets.
    pub label: Option<String>,
    /// The item's text without its marker, continuation lines joined with spaces.
    pub text: String,
}

/// How a line starts a list item.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Marker {
    Bullet,
    Number(u32),
    Label(String),
}

/// The page's elements in reading order.
pub fn page_elements(page: &PageResult) -> Vec<Element<'_>> {
    let typical = markdown::typical_line_height(&page.blocks);
    let mut pieces: Vec<Piece<'_>> = Vec::new();
    let mut placed = vec![false; page.tables.len()];
    for block in &page.blocks {
        // Lines outside every table, in runs; a table is placed at its first covered line.
        let mut run: Vec<&Line> = Vec::new();
        for line in &block.lines {
            match page.tables.iter().position(|t| covers(t, line)) {
                Some(t) => {
                    flush(&mut pieces, block, &mut run, typical);
                    if !placed[t] {
                        placed[t] = true;
                        pieces.push(Piece::Table(&page.tables[t]));
                    }
                }
                None => run.push(line),
            }
        }
        flush(&mut pieces, block, &mut run, typical);
    }
    // A table none of whose lines were found (it cannot happen with tables built from the
    // page's own words) still appears, at the end.
    for (table, placed) in page.tables.iter().zip(placed) {
        if !placed {
            pieces.push(Piece::Table(table));
        }
    }
    merge_lists(pieces)
}

/// An element before list items are gathered into lists.
enum Piece<'a> {
    Element(Element<'a>),
    Table(&'a Table),
    Item { item: ListItem, raw: String },
}

/// Whether a table covers a line: the line's centre lies inside the table's box.
fn covers(table: &Table, line: &Line) -> bool {
    let (cx, cy) = (
        (line.bbox.x0 + line.bbox.x1) / 2,
        (line.bbox.y0 + line.bbox.y1) / 2,
    );
    let b = table.bbox;
    b.x0 <= cx && cx <= b.x1 && b.y0 <= cy && cy <= b.y1
}

/// Turns a run of a block's lines into pieces: a heading, list items, or a paragraph.
fn flush<'a>(
    pieces: &mut Vec<Piece<'a>>,
    block: &Block,
    run: &mut Vec<&Line>,
    typical: Option<f32>,
) {
    if run.is_empty() {
        return;
    }
    let lines: Vec<&Line> = std::mem::take(run);
    let texts: Vec<String> = lines
        .iter()
        .map(|l| l.text.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if texts.is_empty() {
        return;
    }
    let part = Block {
        text: texts.join("\n"),
        bbox: lines
            .iter()
            .map(|l| l.bbox)
            .reduce(|a, b| a.union(&b))
            .unwrap_or(block.bbox),
        confidence: block.confidence,
        lines: lines.iter().map(|l| (*l).clone()).collect(),
    };
    if let Some(level) = markdown::heading_level(&part, typical) {
        pieces.push(Piece::Element(Element::Heading {
            level,
            text: texts
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        }));
        return;
    }
    // Lines before the first marker are a paragraph; each marker starts an item and the lines
    // after it continue it.
    let mut paragraph: Vec<String> = Vec::new();
    let mut current: Option<(Marker, Vec<String>, String)> = None;
    for text in texts {
        match parse_marker(&text) {
            Some((marker, rest)) => {
                if let Some(item) = current.take() {
                    pieces.push(item_piece(item));
                } else if !paragraph.is_empty() {
                    pieces.push(Piece::Element(Element::Paragraph {
                        lines: std::mem::take(&mut paragraph),
                    }));
                }
                current = Some((marker, vec![rest.to_owned()], text.clone()));
            }
            None => match current.as_mut() {
                Some((_, parts, raw)) => {
                    parts.push(text.clone());
                    raw.push('\n');
                    raw.push_str(&text);
                }
                None => paragraph.push(text),
            },
        }
    }
    if let Some(item) = current {
        pieces.push(item_piece(item));
    } else if !paragraph.is_empty() {
        pieces.push(Piece::Element(Element::Paragraph { lines: paragraph }));
    }
}

fn item_piece((marker, parts, raw): (Marker, Vec<String>, String)) -> Piece<'static> {
    let (number, label) = match marker {
        Marker::Bullet => (None, None),
        Marker::Number(n) => (Some(n), None),
        Marker::Label(l) => (None, Some(l)),
    };
    Piece::Item {
        item: ListItem {
            number,
            label,
            text: parts.join(" "),
        },
        raw,
    }
}

/// Gathers consecutive items of the same kind into lists; a lone item stays a paragraph (a
/// single `1. Introduction` is a numbered heading more often than a list).
fn merge_lists(pieces: Vec<Piece<'_>>) -> Vec<Element<'_>> {
    let mut out: Vec<Element<'_>> = Vec::new();
    let mut pending: Vec<(ListItem, String)> = Vec::new();
    let flush_items =
        |out: &mut Vec<Element<'_>>, pending: &mut Vec<(ListItem, String)>| match pending.len() {
            0 => {}
            1 => {
                let (_, raw) = pending.remove(0);
                out.push(Element::Paragraph {
                    lines: raw.lines().map(str::to_owned).collect(),
                });
            }
            _ => {
                let ordered = pending[0].0.number.is_some();
                out.push(Element::List {
                    ordered,
                    items: pending.drain(..).map(|(item, _)| item).collect(),
                });
            }
        };
    for piece in pieces {
        match piece {
            Piece::Item { item, raw } => {
                let same_kind = pending
                    .first()
                    .is_none_or(|(first, _)| first.number.is_some() == item.number.is_some());
                if !same_kind {
                    flush_items(&mut out, &mut pending);
                }
                pending.push((item, raw));
            }
            Piece::Element(element) => {
                flush_items(&mut out, &mut pending);
                out.push(element);
            }
            Piece::Table(table) => {
                flush_items(&mut out, &mut pending);
                out.push(Element::Table(table));
            }
        }
    }
    flush_items(&mut out, &mut pending);
    out
}

/// The list marker a line starts with, and the rest of the line.
fn parse_marker(line: &str) -> Option<(Marker, &str)> {
    let (head, rest) = line.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    if rest.is_empty() {
        return None;
    }
    if matches!(
        head,
        "•" | "·" | "▪" | "◦" | "●" | "‣" | "-" | "–" | "*" | "»"
    ) {
        return Some((Marker::Bullet, rest));
    }
    // `12.` or `12)`: a number of at most three digits.
    if let Some(digits) = head.strip_suffix('.').or_else(|| head.strip_suffix(')')) {
        if (1..=3).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
            let n = digits.parse().ok()?;
            return Some((Marker::Number(n), rest));
        }
        // `a)`, `b.`: one letter; `iv)`: a short roman numeral.
        if (is_label(digits) && head.ends_with(')')) || (digits.len() == 1 && is_label(digits)) {
            return Some((Marker::Label(head.to_owned()), rest));
        }
    }
    // `(a)`, `(3)`, `(iv)`.
    if let Some(inner) = head.strip_prefix('(').and_then(|h| h.strip_suffix(')')) {
        let number = (1..=3).contains(&inner.len()) && inner.chars().all(|c| c.is_ascii_digit());
        if is_label(inner) || number {
            return Some((Marker::Label(head.to_owned()), rest));
        }
    }
    None
}

/// A single letter or a short lowercase roman numeral.
fn is_label(s: &str) -> bool {
    let single = s.chars().count() == 1 && s.chars().all(|c| c.is_ascii_alphabetic());
    let roman = (1..=4).contains(&s.len()) && s.chars().all(|c| matches!(c, 'i' | 'v' | 'x'));
    single || roman
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::fixtures;

    #[test]
    fn markers_are_recognised_and_prose_is_not() {
        for (line, expected) in [
            ("• first point", Some(Marker::Bullet)),
            ("- second", Some(Marker::Bullet)),
            ("3. third item", Some(Marker::Number(3))),
            ("12) twelfth", Some(Marker::Number(12))),
            ("a) lettered", Some(Marker::Label("a)".into()))),
            ("(iv) roman", Some(Marker::Label("(iv)".into()))),
            ("10.00 is a price", None),
            ("2018. A year", None),
            ("Dear Sir,", None),
            ("-", None),
        ] {
            assert_eq!(parse_marker(line).map(|(m, _)| m), expected, "{line}");
        }
    }

    #[test]
    fn a_page_becomes_headings_paragraphs_lists_and_tables() {
        let pages = fixtures::pages();
        let elements = page_elements(&pages[0]);
        let kinds: Vec<&str> = elements
            .iter()
            .map(|e| match e {
                Element::Heading { .. } => "heading",
                Element::Paragraph { .. } => "paragraph",
                Element::List { .. } => "list",
                Element::Table(_) => "table",
            })
            .collect();
        assert_eq!(
            kinds,
            ["heading", "paragraph", "list", "table", "paragraph"]
        );
        let Element::List { ordered, items } = &elements[2] else {
            unreachable!()
        };
        assert!(*ordered);
        assert_eq!(items[1].text, "Second item that wraps onto a second line");
    }

    #[test]
    fn a_lone_marker_line_stays_a_paragraph() {
        let mut pages = fixtures::pages();
        let page = &mut pages[1];
        page.tables.clear();
        let elements = page_elements(page);
        assert!(elements.iter().all(|e| !matches!(e, Element::List { .. })));
    }
}
