//! `md`: Markdown (CommonMark with GFM tables) of the job: headings, paragraphs, lists and
//! tables from [`layout`](crate::export::layout), pages separated by a horizontal rule.
//!
//! OCR text is escaped so it is never read as Markdown syntax: a line starting with `#` or `1.`
//! that the layout did not call a heading or list stays text, and `*`, `_`, `|` … stay literal.
//! A page read by the vision model (`vlm` tier) is its model's own Markdown, as in the job
//! JSON's `markdown`: its headings and tables are what the model saw, while the layout of its
//! aligned boxes would guess them again (and call a block placed on the whole page a heading).

use crate::export::{
    layout::{page_elements, Element},
    translation_paragraphs, translation_title,
};
use domain::Table;
use storage::JobView;

/// Between pages: the job Markdown's own separator.
pub use domain::markdown::PAGE_RULE;

/// Renders the Markdown.
pub fn render(view: &JobView) -> Vec<u8> {
    let pages: Vec<String> = view
        .pages
        .iter()
        .map(|p| {
            let page = match &p.result.markdown {
                Some(_) => domain::markdown::page_markdown(&p.result),
                None => page_elements(&p.result)
                    .iter()
                    .map(element)
                    .collect::<Vec<_>>()
                    .join("\n\n"),
            };
            match &p.result.translation {
                Some(t) => {
                    let mut parts = vec![page, format!("## {}", translation_title(t))];
                    parts.extend(translation_paragraphs(t).into_iter().map(|para| {
                        para.lines()
                            .map(|l| line_start(&inline(l)))
                            .collect::<Vec<_>>()
                            .join("\n")
                    }));
                    parts.retain(|part| !part.is_empty());
                    parts.join("\n\n")
                }
                None => page,
            }
        })
        .filter(|page| !page.is_empty())
        .collect();
    let mut out = pages.join(PAGE_RULE);
    out.push('\n');
    out.into_bytes()
}

fn element(e: &Element<'_>) -> String {
    match e {
        Element::Heading { level, text } => format!("{} {}", "#".repeat(*level), inline(text)),
        Element::Paragraph { lines } => lines
            .iter()
            .map(|l| line_start(&inline(l)))
            .collect::<Vec<_>>()
            .join("\n"),
        Element::List { ordered, items } => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let text = inline(&item.text);
                match (ordered, item.number, &item.label) {
                    (true, Some(n), _) => format!("{n}. {text}"),
                    (true, None, _) => format!("{}. {text}", i + 1),
                    (false, _, Some(label)) => format!("- {} {text}", inline(label)),
                    (false, _, None) => format!("- {text}"),
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Element::Table(table) => table_markdown(table),
    }
}

/// A GFM table: the first row is the header, as tables on paper put their titles first.
fn table_markdown(table: &Table) -> String {
    let columns = table.columns().max(1);
    let row = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
    let cells = |r: &Vec<domain::Cell>| -> Vec<String> {
        (0..columns)
            .map(|c| {
                r.get(c)
                    .map(|cell| cell_text(&cell.text))
                    .unwrap_or_default()
            })
            .collect()
    };
    let mut lines = Vec::with_capacity(table.rows.len() + 1);
    let mut rows = table.rows.iter();
    if let Some(header) = rows.next() {
        lines.push(row(cells(header)));
        lines.push(row(vec!["---".to_owned(); columns]));
    }
    lines.extend(rows.map(|r| row(cells(r))));
    lines.join("\n")
}

/// A cell's text: inline-escaped, pipes escaped, never empty-looking broken.
fn cell_text(text: &str) -> String {
    inline(text.trim()).replace('|', "\\|")
}

/// Escapes characters that start inline Markdown (emphasis, code, links, HTML).
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes what would turn a line into a heading, quote, rule, list item or table row.
fn line_start(line: &str) -> String {
    let trimmed = line.trim_start();
    let first_word = trimmed.split_whitespace().next().unwrap_or("");
    let block_syntax = trimmed.starts_with('#')
        || trimmed.starts_with('|')
        || trimmed.starts_with("---")
        || trimmed.starts_with("===")
        || matches!(first_word, "-" | "+" | "*" | "\\*");
    if block_syntax {
        return format!("\\{trimmed}");
    }
    // `12.` or `12)` then a space starts an ordered list item.
    let digits = first_word.trim_end_matches(['.', ')']);
    if first_word.len() == digits.len() + 1
        && !digits.is_empty()
        && digits.len() <= 9
        && digits.chars().all(|c| c.is_ascii_digit())
        && trimmed.len() > first_word.len()
    {
        let mark = &first_word[digits.len()..];
        return format!("{digits}\\{mark}{}", &trimmed[first_word.len()..]);
    }
    trimmed.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::fixtures;

    fn markdown() -> String {
        String::from_utf8(render(&fixtures::job())).unwrap()
    }

    #[test]
    fn structure_is_headings_lists_and_tables() {
        let md = markdown();
        assert!(md.starts_with("# Quarterly Report\n\n"), "{md}");
        assert!(md.contains(
            "1. First item\n2. Second item that wraps onto a second line\n3. Third | item"
        ));
        assert!(md.contains("| Item | Qty | Price |\n| --- | --- | --- |\n| Pencil | 2 | 1.50 |\n| Zürich map | 1 | 12.00 |"));
        assert_eq!(
            md.matches(PAGE_RULE).count(),
            1,
            "the empty third page adds nothing"
        );
    }

    #[test]
    fn a_translation_follows_its_page_under_a_heading_and_is_escaped() {
        let mut job = fixtures::job();
        job.pages[0].result.translation = Some(domain::Translation {
            language: "fra".into(),
            text: "# Rapport trimestriel\n\nUn *paragraphe*.".into(),
        });
        let md = String::from_utf8(render(&job)).unwrap();
        let (first_page, _) = md.split_once(PAGE_RULE).unwrap();
        assert!(
            first_page.ends_with(
                "## Translation (French)\n\n\\# Rapport trimestriel\n\nUn \\*paragraphe\\*."
            ),
            "{first_page}"
        );
    }

    #[test]
    fn ocr_text_never_becomes_markdown_syntax() {
        let md = markdown();
        assert!(
            md.contains("\\# is not a heading, \\*nor\\* a\\_list here."),
            "{md}"
        );
        assert!(md.contains("see \\<notes\\>."));
        assert!(
            md.contains("1\\. Only one item"),
            "a lone marker line is text: {md}"
        );
        assert_eq!(line_start("- dash"), "\\- dash");
        assert_eq!(line_start("2) two"), "2\\) two");
        assert_eq!(line_start("10.00 total"), "10.00 total");
        assert_eq!(cell_text("a|b"), "a\\|b");
    }

    #[test]
    fn a_vision_model_page_is_its_models_markdown() {
        let mut pages = fixtures::pages();
        pages[0].markdown = Some("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n".into());
        let md = String::from_utf8(render(&fixtures::view(pages))).unwrap();
        assert!(
            md.starts_with("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n\n"),
            "{md}"
        );
    }
}
