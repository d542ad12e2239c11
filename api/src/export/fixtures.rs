//! Fixed pages for the exporters' tests and golden files: a heading, paragraphs with characters
//! every format must escape, a numbered list, a table, a second page, and an empty third page.

use domain::{BBox, Block, Cell, JobId, JobStatus, Line, PageResult, Table, Word};
use storage::{JobView, PageView};

/// Pixels per character of the fixtures' words.
const CHAR: u32 = 15;

/// A line at `(x, y)` of height `h`, its words laid out `CHAR` px per character, one space apart.
pub fn line(x: u32, y: u32, h: u32, text: &str) -> Line {
    let mut cursor = x;
    let words: Vec<Word> = text
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            let width = CHAR * w.chars().count() as u32;
            let word = Word {
                text: w.to_owned(),
                bbox: BBox::from([cursor, y, cursor + width, y + h]),
                confidence: 0.80 + (i % 5) as f32 * 0.04,
            };
            cursor += width + CHAR;
            word
        })
        .collect();
    Line {
        text: text.to_owned(),
        bbox: words
            .iter()
            .map(|w| w.bbox)
            .reduce(|a, b| a.union(&b))
            .unwrap_or_default(),
        words,
    }
}

/// A block of lines.
pub fn block(lines: Vec<Line>) -> Block {
    let words: Vec<&Word> = lines.iter().flat_map(|l| &l.words).collect();
    Block {
        text: lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        bbox: lines
            .iter()
            .map(|l| l.bbox)
            .reduce(|a, b| a.union(&b))
            .unwrap_or_default(),
        confidence: words.iter().map(|w| w.confidence).sum::<f32>() / words.len().max(1) as f32,
        lines,
    }
}

/// A page from blocks and tables.
pub fn page(index: u32, blocks: Vec<Block>, tables: Vec<Table>) -> PageResult {
    let words: Vec<f32> = blocks
        .iter()
        .flat_map(|b| &b.lines)
        .flat_map(|l| &l.words)
        .map(|w| w.confidence)
        .collect();
    PageResult {
        index,
        width: 1275,
        height: 1650,
        dpi: 150,
        text: PageResult::text_from_blocks(&blocks),
        blocks,
        mean_confidence: (!words.is_empty())
            .then(|| words.iter().sum::<f32>() / words.len() as f32),
        language: "eng".into(),
        engine: "tesseract".into(),
        tables,
        rotation: 0,
        detection: None,
        translation: None,
        markdown: None,
        source: None,
    }
}

/// The table of page 1, built from the words of its rows.
fn table(rows: &[&Line]) -> Table {
    let cells = |line: &Line| -> Vec<Cell> {
        // Columns: item at x < 500, quantity at x < 700, price beyond.
        let mut columns: Vec<Vec<&Word>> = vec![Vec::new(); 3];
        for w in &line.words {
            let c = if w.bbox.x0 < 500 {
                0
            } else if w.bbox.x0 < 700 {
                1
            } else {
                2
            };
            columns[c].push(w);
        }
        columns
            .into_iter()
            .map(|words| Cell {
                text: words
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                bbox: words
                    .iter()
                    .map(|w| w.bbox)
                    .reduce(|a, b| a.union(&b))
                    .unwrap_or_default(),
            })
            .collect()
    };
    Table {
        bbox: rows
            .iter()
            .map(|l| l.bbox)
            .reduce(|a, b| a.union(&b))
            .unwrap_or_default(),
        rows: rows.iter().map(|l| cells(l)).collect(),
    }
}

/// A row of a table: cells placed at the column starts 150, 500 and 700.
fn row(y: u32, item: &str, qty: &str, price: &str) -> Line {
    let mut l = line(150, y, 28, item);
    for (x, text) in [(500, qty), (700, price)] {
        l.words.extend(line(x, y, 28, text).words);
    }
    l.text = format!("{item} {qty} {price}");
    l.bbox = l
        .words
        .iter()
        .map(|w| w.bbox)
        .reduce(|a, b| a.union(&b))
        .unwrap_or_default();
    l
}

/// Three pages: a structured first page with a table, a short second page, an empty third.
pub fn pages() -> Vec<PageResult> {
    let header = row(600, "Item", "Qty", "Price");
    let pencil = row(640, "Pencil", "2", "1.50");
    let map = row(680, "Zürich map", "1", "12.00");
    let tables = vec![table(&[&header, &pencil, &map])];
    let first = page(
        0,
        vec![
            block(vec![line(150, 100, 60, "Quarterly Report")]),
            block(vec![
                line(150, 200, 28, "Sales rose by 5% & costs fell; see <notes>."),
                line(150, 240, 28, "# is not a heading, *nor* a_list here."),
            ]),
            block(vec![
                line(150, 320, 28, "1. First item"),
                line(150, 360, 28, "2. Second item that wraps"),
                line(195, 400, 28, "onto a second line"),
                line(150, 440, 28, "3. Third | item"),
            ]),
            block(vec![header, pencil, map]),
            block(vec![line(150, 800, 28, "Signed, Ana Müller")]),
        ],
        tables,
    );
    let second = page(
        1,
        vec![block(vec![
            line(150, 100, 28, "Page two has one marker line:"),
            line(150, 140, 28, "1. Only one item"),
        ])],
        Vec::new(),
    );
    let third = page(2, Vec::new(), Vec::new());
    vec![first, second, third]
}

/// A finished job holding `pages`.
pub fn view(pages: Vec<PageResult>) -> JobView {
    let at = chrono::DateTime::parse_from_rfc3339("2025-01-02T03:04:05Z")
        .map(|t| t.with_timezone(&chrono::Utc))
        .expect("fixed timestamp parses");
    JobView {
        id: JobId(uuid::Uuid::from_u128(
            0x0190_0000_0000_7000_8000_0000_0000_0001,
        )),
        version: 3 + pages.len() as u64,
        status: JobStatus::Done,
        tier: "cpu".into(),
        language: "en".into(),
        tool: Some("extract-tables".into()),
        page_count: pages.len() as u32,
        pages_done: pages.len() as u32,
        owner_account: None,
        owner_ip: Some("127.0.0.1".into()),
        file_name: Some("report.pdf".into()),
        file_kind: "pdf".into(),
        error: None,
        error_code: None,
        callback_url: None,
        webhook_status: None,
        webhook_attempts: 0,
        created_at: at,
        updated_at: at,
        finished_at: Some(at),
        pages: pages
            .into_iter()
            .map(|result| PageView { result })
            .collect(),
    }
}

/// The fixture job.
pub fn job() -> JobView {
    view(pages())
}
