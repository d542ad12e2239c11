//! `docx`: a Word document of the job, built with docx-rs from the page
//! [`layout`](crate::export::layout).
//!
//! Real Word structures, so the document edits like one typed by hand: headings use the
//! built-in `Heading 1`/`Heading 2` styles (they show in the navigation pane), paragraphs reflow
//! (a page's line breaks are not kept), lists are Word bullet and numbered lists, tables are Word
//! tables with a bold first row and column widths in proportion to the page. Each source page
//! after the first starts with a page break, so the document has as many pages as the source
//! (or more, when a page's text needs more room).

use crate::export::{
    layout::{page_elements, Element, ListItem},
    translation_paragraphs, translation_title, Error,
};
use docx_rs::{
    AbstractNumbering, BreakType, Docx, IndentLevel, Level, LevelJc, LevelOverride, LevelText,
    NumberFormat, Numbering, NumberingId, Paragraph, Run, SpecialIndentType, Start, Style,
    StyleType, Table, TableCell, TableRow, WidthType,
};
use storage::JobView;

/// Width given to tables, in twentieths of a point (a full A4 text width, 6.25 in).
const TABLE_WIDTH: usize = 9000;
/// Abstract numbering of bullet lists.
const BULLETS: usize = 1;
/// Abstract numbering of numbered lists; each list gets its own numbering instance so it
/// restarts at its own first number.
const DECIMAL: usize = 2;

/// Renders the Word document.
pub fn render(view: &JobView) -> Result<Vec<u8>, Error> {
    let mut doc = Docx::new()
        .add_style(
            Style::new("Heading1", StyleType::Paragraph)
                .name("Heading 1")
                .based_on("Normal")
                .next("Normal")
                .size(32)
                .bold()
                .outline_lvl(0),
        )
        .add_style(
            Style::new("Heading2", StyleType::Paragraph)
                .name("Heading 2")
                .based_on("Normal")
                .next("Normal")
                .size(26)
                .bold()
                .outline_lvl(1),
        )
        .add_abstract_numbering(list_levels(BULLETS, "bullet", "•"))
        .add_abstract_numbering(list_levels(DECIMAL, "decimal", "%1."))
        .add_numbering(Numbering::new(BULLETS, BULLETS));
    // Numbering ids 1 is the bullets'; numbered lists take 2, 3, …
    let mut next_numbering = DECIMAL;
    for (i, page) in view.pages.iter().enumerate() {
        if i > 0 {
            doc =
                doc.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)));
        }
        for element in page_elements(&page.result) {
            match element {
                Element::Heading { level, text } => {
                    let style = if level <= 1 { "Heading1" } else { "Heading2" };
                    doc = doc.add_paragraph(text_paragraph(&text).style(style));
                }
                Element::Paragraph { lines } => {
                    doc = doc.add_paragraph(text_paragraph(&lines.join(" ")));
                }
                Element::List { ordered, items } => {
                    let numbering = if ordered {
                        let id = next_numbering;
                        next_numbering += 1;
                        let start = items.first().and_then(|i| i.number).unwrap_or(1);
                        doc = doc.add_numbering(
                            Numbering::new(id, DECIMAL)
                                .add_override(LevelOverride::new(0).start(start as usize)),
                        );
                        id
                    } else {
                        BULLETS
                    };
                    for item in &items {
                        doc = doc.add_paragraph(
                            text_paragraph(&item_text(item))
                                .numbering(NumberingId::new(numbering), IndentLevel::new(0)),
                        );
                    }
                }
                Element::Table(table) => {
                    doc = doc.add_table(word_table(table));
                    // Word needs a paragraph between two tables, or it merges them.
                    doc = doc.add_paragraph(Paragraph::new());
                }
            }
        }
        if let Some(translation) = &page.result.translation {
            doc = doc
                .add_paragraph(text_paragraph(&translation_title(translation)).style("Heading2"));
            for paragraph in translation_paragraphs(translation) {
                doc = doc.add_paragraph(text_paragraph(&paragraph.replace('\n', " ")));
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| Error::Docx(std::io::Error::other(e)))?;
    Ok(out.into_inner())
}

fn text_paragraph(text: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text))
}

fn item_text(item: &ListItem) -> String {
    match &item.label {
        Some(label) => format!("{label} {}", item.text),
        None => item.text.clone(),
    }
}

fn list_levels(id: usize, format: &str, text: &str) -> AbstractNumbering {
    AbstractNumbering::new(id).add_level(
        Level::new(
            0,
            Start::new(1),
            NumberFormat::new(format),
            LevelText::new(text),
            LevelJc::new("left"),
        )
        .indent(Some(720), Some(SpecialIndentType::Hanging(360)), None, None),
    )
}

/// A Word table: widths in proportion to the columns on the page, the first row bold.
fn word_table(table: &domain::Table) -> Table {
    let columns = table.columns().max(1);
    let mut widths: Vec<u32> = vec![0; columns];
    for row in &table.rows {
        for (c, cell) in row.iter().enumerate().take(columns) {
            widths[c] = widths[c].max(cell.bbox.width());
        }
    }
    let total: u32 = widths.iter().sum::<u32>().max(1);
    let grid: Vec<usize> = widths
        .iter()
        .map(|w| ((*w as usize * TABLE_WIDTH) / total as usize).max(TABLE_WIDTH / (columns * 4)))
        .collect();
    let rows = table
        .rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            TableRow::new(
                (0..columns)
                    .map(|c| {
                        let text = row.get(c).map(|cell| cell.text.as_str()).unwrap_or("");
                        let mut run = Run::new().add_text(text);
                        if r == 0 {
                            run = run.bold();
                        }
                        TableCell::new()
                            .width(grid[c], WidthType::Dxa)
                            .add_paragraph(Paragraph::new().add_run(run))
                    })
                    .collect(),
            )
        })
        .collect();
    Table::new(rows).set_grid(grid)
}

#[cfg(test)]
mod tests {
    use crate::export::fixtures;
    use std::io::Read;

    /// The document part of a docx (a zip archive).
    fn document_xml(docx: &[u8]) -> String {
        let mut zip = zip_reader(docx);
        let mut xml = String::new();
        zip.by_name("word/document.xml")
            .expect("a docx has word/document.xml")
            .read_to_string(&mut xml)
            .unwrap();
        xml
    }

    fn zip_reader(bytes: &[u8]) -> zip::ZipArchive<std::io::Cursor<Vec<u8>>> {
        zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("docx is a zip")
    }

    #[test]
    fn word_structures_for_headings_lists_tables_and_pages() {
        let docx = super::render(&fixtures::job()).unwrap();
        let xml = document_xml(&docx);
        assert!(xml.contains("<w:pStyle w:val=\"Heading1\" />"), "{xml}");
        assert_eq!(
            xml.matches("<w:br w:type=\"page\" />").count(),
            2,
            "3 pages, 2 breaks"
        );
        assert_eq!(xml.matches("<w:tbl>").count(), 1);
        assert_eq!(xml.matches("<w:tr>").count(), 3);
        assert!(xml.contains("Zürich map"));
        assert_eq!(
            xml.matches("<w:numId w:val=\"2\" />").count(),
            3,
            "a numbered list of 3"
        );
        assert!(xml.contains("Second item that wraps onto a second line"));
    }

    #[test]
    fn a_translation_is_a_titled_section_of_its_page() {
        let mut job = fixtures::job();
        job.pages[0].result.translation = Some(domain::Translation {
            language: "deu".into(),
            text: "Erster Absatz.\n\nZweiter Absatz.".into(),
        });
        let xml = document_xml(&super::render(&job).unwrap());
        let title = xml.find("Translation (German)").expect("a title");
        let first = xml.find("Erster Absatz.").expect("first paragraph");
        let second = xml.find("Zweiter Absatz.").expect("second paragraph");
        let page_break = xml.find("<w:br w:type=\"page\" />").unwrap();
        assert!(
            title < first && first < second && second < page_break,
            "{xml}"
        );
    }
}
