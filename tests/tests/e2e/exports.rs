//! Downloads (issue 7), end to end on real corpus output, checked with the tools users open
//! them in: LibreOffice reads the docx, poppler reads the searchable PDF, the `csv` crate reads
//! the CSV, xmllint reads hOCR and ALTO. Structure is asserted, not exact text (the golden files
//! in `api/tests/golden/export/` pin the exact output on fixed pages).
//!
//! ALTO is checked for well-formedness and structure; no package on the registries reachable
//! here ships the ALTO v4 XSD, so schema validation runs only when `OCRCHAT_ALTO_XSD` points at
//! one (with the XLink schema it imports next to it or reachable).

use crate::support::{soffice_convert, Scratch};
use domain::PageResult;
use serde_json::Value;
use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};
use tests::{corpus, job_id, Spawn, TestApp};
use workers::engine::score::{cer, normalize};

/// A download: status, content type, content disposition, body.
pub(crate) struct Download {
    status: u16,
    content_type: String,
    disposition: String,
    body: Vec<u8>,
    took: Duration,
}

pub(crate) async fn download(
    app: &TestApp,
    uuid: &str,
    format: &str,
    token: Option<&str>,
) -> Download {
    let started = Instant::now();
    let mut req = app
        .http
        .get(app.url(&format!("/api/v1/ocr/{uuid}/download/?format={format}")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("download request");
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (status, content_type, disposition) = (
        resp.status().as_u16(),
        header("content-type"),
        header("content-disposition"),
    );
    let body = resp.bytes().await.expect("download body").to_vec();
    Download {
        status,
        content_type,
        disposition,
        body,
        took: started.elapsed(),
    }
}

pub(crate) fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `xmllint --noout` (well-formedness), optionally against a schema.
pub(crate) fn xmllint(path: &Path, schema: Option<&str>) {
    let mut args = vec!["--noout", "--nonet"];
    if let Some(schema) = schema {
        args.extend(["--schema", schema]);
    }
    let path = path.to_str().expect("utf-8 path");
    args.push(path);
    run("xmllint", &args);
}

/// The recognised pages with their words, from the projection.
pub(crate) async fn pages(app: &TestApp, job: &Value) -> Vec<PageResult> {
    app.store()
        .job_view(job_id(job), true)
        .await
        .expect("job view")
        .expect("job exists")
        .pages
        .into_iter()
        .map(|p| p.result)
        .collect()
}

/// Submits a corpus file and waits for it to finish.
pub(crate) async fn finished(
    app: &TestApp,
    path: &Path,
    fields: &[(&str, &str)],
    token: Option<&str>,
) -> Value {
    let bytes = std::fs::read(path).expect("read test file");
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("upload");
    let (status, job) = app.submit(bytes, name, fields, token).await;
    assert_eq!(status, 200, "{job}");
    let uuid = job["uuid"].as_str().expect("uuid").to_owned();
    let job = app
        .wait_until_final(&uuid, token, Duration::from_secs(300))
        .await;
    assert_eq!(job["status"], "done", "{job}");
    job
}

#[tokio::test(flavor = "multi_thread")]
async fn downloads_answer_404_400_and_409_as_the_contract_says() {
    // No workers: the job stays pending, so a download must be refused with 409.
    let app = TestApp::spawn_with(Spawn {
        workers: false,
        configure: Box::new(|c| c.limits.inline_wait = Duration::from_millis(200)),
    })
    .await;
    let (status, pending) = app
        .submit_file(&corpus::entry("en_receipt_02.jpg").path(), &[])
        .await;
    assert_eq!(status, 200, "{pending}");
    let uuid = pending["uuid"].as_str().unwrap();
    let early = download(&app, uuid, "pdf", None).await;
    assert_eq!(early.status, 409);
    assert!(early.content_type.starts_with("application/json"));
    let body: Value = serde_json::from_slice(&early.body).unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("not done"),
        "{body}"
    );

    let unknown = download(&app, uuid, "xlsx", None).await;
    assert_eq!(unknown.status, 400);
    let body: Value = serde_json::from_slice(&unknown.body).unwrap();
    assert!(body["error"].is_string(), "{body}");

    let missing = download(&app, "0190aaaa-0000-7000-8000-000000000000", "txt", None).await;
    assert_eq!(missing.status, 404);
    let garbage = download(&app, "not-a-uuid", "txt", None).await;
    assert_eq!(garbage.status, 404);

    // Another account's job is 404, never its data.
    let owner = app.token_for("owner@example.com").await;
    let other = app.token_for("other@example.com").await;
    let (status, owned) = app
        .submit(
            std::fs::read(corpus::entry("en_receipt_02.jpg").path()).unwrap(),
            "receipt.jpg",
            &[],
            Some(&owner),
        )
        .await;
    assert_eq!(status, 200, "{owned}");
    let owned = owned["uuid"].as_str().unwrap();
    assert_eq!(download(&app, owned, "txt", Some(&other)).await.status, 404);
    assert_eq!(download(&app, owned, "txt", None).await.status, 404);
    assert_eq!(download(&app, owned, "txt", Some(&owner)).await.status, 409);
}

/// The largest corpus PDF in every format, each checked by the tool a user would open it in.
#[tokio::test(flavor = "multi_thread")]
async fn letter_downloads_open_in_libreoffice_poppler_csv_and_xml_tools() {
    letter_exports("tesseract").await;
}

/// The same checks on the letter read by PP-OCR: its words, with their boxes from the
/// recogniser's frame positions, go into hOCR, ALTO and the searchable PDF like Tesseract's.
#[tokio::test(flavor = "multi_thread")]
async fn letter_read_by_ppocr_exports_every_format_with_its_words_in_place() {
    letter_exports("ppocr").await;
}

async fn letter_exports(engine: &str) {
    let app = TestApp::spawn().await;
    let entry = corpus::entry("en_typewritten_letter_2p.pdf");
    let job = finished(
        &app,
        &entry.path(),
        &[("language", "en"), ("engine", engine)],
        None,
    )
    .await;
    let uuid = job["uuid"].as_str().unwrap();
    let pages = pages(&app, &job).await;
    assert_eq!(pages.len(), 2);
    for page in &pages {
        assert_eq!(
            page.engine, engine,
            "pages[].engine says what read the page"
        );
    }
    let job_text = job["text"].as_str().unwrap().to_owned();
    let scratch = Scratch::new();

    eprintln!("exports of {} (2 pages, {engine}):", entry.file);
    let mut got = std::collections::HashMap::new();
    for format in ["txt", "md", "docx", "pdf", "csv", "json", "hocr", "alto"] {
        let d = download(&app, uuid, format, None).await;
        assert_eq!(
            d.status,
            200,
            "{format}: {}",
            String::from_utf8_lossy(&d.body)
        );
        eprintln!(
            "  {format:<5} {:>9} bytes in {:>6.0} ms  ({})",
            d.body.len(),
            d.took.as_secs_f64() * 1000.0,
            d.content_type
        );
        got.insert(format, d);
    }
    let expected_types = [
        ("txt", "text/plain; charset=utf-8"),
        ("md", "text/markdown; charset=utf-8"),
        (
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("pdf", "application/pdf"),
        ("csv", "text/csv; charset=utf-8"),
        ("json", "application/json; charset=utf-8"),
        ("hocr", "application/xhtml+xml; charset=utf-8"),
        ("alto", "application/xml; charset=utf-8"),
    ];
    for (format, content_type) in expected_types {
        let d = &got[format];
        assert_eq!(d.content_type, content_type, "{format}");
        let ext = if format == "alto" { "alto.xml" } else { format };
        assert_eq!(
            d.disposition,
            format!("attachment; filename=\"en_typewritten_letter_2p.{ext}\"")
        );
    }

    // txt is the job text; json is the job object.
    assert_eq!(
        String::from_utf8(got["txt"].body.clone()).unwrap(),
        format!("{job_text}\n")
    );
    let json: Value = serde_json::from_slice(&got["json"].body).unwrap();
    assert_eq!(json, job);

    // md: both pages, separated by a rule, every word of the text present.
    let md = String::from_utf8(got["md"].body.clone()).unwrap();
    assert_eq!(md.matches("\n\n---\n\n").count(), 1, "{md}");
    let md_cer = cer(&job_text, &md.replace('\\', ""), false);
    assert!(md_cer < 0.05, "md drifts from the text: CER {md_cer:.3}");

    // docx: LibreOffice opens it; its text is the job's, and it has a page per source page.
    let docx = scratch.write("letter.docx", &got["docx"].body);
    let started = Instant::now();
    let txt = soffice_convert(&docx, "txt:Text (encoded):UTF8", "txt", &scratch);
    let lo_text = std::fs::read_to_string(&txt).unwrap();
    let docx_cer = cer(&job_text, &lo_text, false);
    let lo_pdf = soffice_convert(&docx, "pdf", "pdf", &scratch);
    let lo_pages: u32 = run("pdfinfo", &[lo_pdf.to_str().unwrap()])
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints Pages");
    eprintln!(
        "  LibreOffice: docx → txt CER {docx_cer:.4} against the job text, docx → pdf {lo_pages} pages ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    assert!(
        docx_cer < 0.03,
        "LibreOffice text differs: CER {docx_cer:.3}\n{lo_text}"
    );
    assert!(lo_pages >= 2, "one page break per source page");

    // pdf: poppler extracts the job text, and the words stand where Tesseract saw them.
    let pdf = scratch.write("letter.pdf", &got["pdf"].body);
    let pdf_path = pdf.to_str().unwrap();
    let info = run("pdfinfo", &[pdf_path]);
    assert!(info.contains("Pages:           2"), "{info}");
    let width: f64 = info
        .lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .and_then(|s| s.split_whitespace().next())
        .and_then(|w| w.parse().ok())
        .expect("pdfinfo prints the page size");
    let expect_w = pages[0].width as f64 * 72.0 / pages[0].dpi as f64;
    assert!(
        (width - expect_w).abs() < 0.5,
        "page 1 is its image at its dpi: {width} pt, expected {expect_w:.2}"
    );
    let fonts = run("pdffonts", &[pdf_path]);
    assert!(fonts.contains("CID TrueType"), "embedded font: {fonts}");
    // `-raw` keeps the content stream's order, which is the job's reading order; the default
    // mode re-orders by its own layout analysis, so it is compared as a bag of words.
    let raw = run("pdftotext", &["-raw", pdf_path, "-"]);
    let pdf_cer = cer(&job_text, &raw, false);
    assert!(
        pdf_cer < 0.01,
        "pdftotext -raw text differs: CER {pdf_cer:.3}"
    );
    let layout = run("pdftotext", &[pdf_path, "-"]);
    let recall = word_recall(&job_text, &layout);
    assert!(
        recall > 0.98,
        "pdftotext finds the job's words: {recall:.3}"
    );
    let offsets = bbox_offsets(pdf_path, &pages);
    eprintln!(
        "  pdftotext: -raw CER {pdf_cer:.4}, word recall {recall:.4}; {} of {} words matched; |Δ| median/p95/max in pt: x0 {:.2}/{:.2}/{:.2}, x1 {:.2}/{:.2}/{:.2}, y-centre {:.2}/{:.2}/{:.2}",
        offsets.matched,
        offsets.words,
        offsets.x0.0, offsets.x0.1, offsets.x0.2,
        offsets.x1.0, offsets.x1.1, offsets.x1.2,
        offsets.yc.0, offsets.yc.1, offsets.yc.2,
    );
    assert!(
        offsets.matched * 10 >= offsets.words * 9,
        "most words found by pdftotext"
    );
    assert!(
        offsets.x0.1 <= 2.0 && offsets.x1.1 <= 2.0,
        "x within 2 pt (p95)"
    );
    assert!(offsets.yc.1 <= 4.0, "y within 4 pt (p95)");

    // csv without tables: one row per block, readable by a CSV reader.
    let mut reader = csv::Reader::from_reader(got["csv"].body.as_slice());
    assert_eq!(
        reader.headers().unwrap(),
        &csv::StringRecord::from(vec!["page", "x0", "y0", "x1", "y1", "confidence", "text"])
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let blocks: usize = pages
        .iter()
        .map(|p| {
            p.blocks
                .iter()
                .filter(|b| !b.text.trim().is_empty())
                .count()
        })
        .sum();
    assert_eq!(rows.len(), blocks);
    for row in &rows {
        let page: usize = row[0].parse().unwrap();
        let p = &pages[page - 1];
        let x1: u32 = row[3].parse().unwrap();
        let y1: u32 = row[4].parse().unwrap();
        assert!(x1 <= p.width && y1 <= p.height);
        let c: f32 = row[5].parse().unwrap();
        assert!((0.0..=1.0).contains(&c));
    }

    // hOCR and ALTO: well-formed, one element per page/line/word.
    let words: usize = pages.iter().map(PageResult::word_count).sum();
    let lines: usize = pages
        .iter()
        .flat_map(|p| &p.blocks)
        .map(|b| b.lines.len())
        .sum();
    let hocr = scratch.write("letter.hocr", &got["hocr"].body);
    xmllint(&hocr, None);
    let html = String::from_utf8(got["hocr"].body.clone()).unwrap();
    assert_eq!(html.matches("class=\"ocr_page\"").count(), 2);
    assert_eq!(html.matches("class=\"ocr_line\"").count(), lines);
    assert_eq!(html.matches("class=\"ocrx_word\"").count(), words);
    assert!(html.contains("class=\"ocr_carea\"") && html.contains("class=\"ocr_par\""));
    let titled = html
        .split("class=\"ocrx_word\"")
        .skip(1)
        .filter(|w| {
            let title = w.split("title=\"").nth(1).unwrap_or("");
            title.starts_with("bbox ") && title.contains("; x_wconf ")
        })
        .count();
    assert_eq!(titled, words, "every word has bbox and x_wconf");

    let alto = scratch.write("letter.alto.xml", &got["alto"].body);
    let schema = std::env::var("OCRCHAT_ALTO_XSD").ok();
    xmllint(&alto, schema.as_deref());
    if schema.is_none() {
        eprintln!("  ALTO: well-formed (set OCRCHAT_ALTO_XSD to validate against the schema)");
    }
    let xml = String::from_utf8(got["alto"].body.clone()).unwrap();
    assert!(xml.contains("xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\""));
    assert_eq!(xml.matches("<Page ").count(), 2);
    assert_eq!(xml.matches("<TextLine ").count(), lines);
    assert_eq!(xml.matches("<String ").count(), words);
    assert_eq!(
        xml.matches(" WC=\"").count(),
        words,
        "every String has a confidence"
    );
}

/// Share of the reference's words (as a multiset) found in the hypothesis, in any order.
fn word_recall(reference: &str, hypothesis: &str) -> f64 {
    let mut found: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for word in hypothesis.split_whitespace() {
        *found.entry(word).or_default() += 1;
    }
    let words: Vec<&str> = reference.split_whitespace().collect();
    let hits = words
        .iter()
        .filter(|w| match found.get_mut(*w) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .count();
    hits as f64 / words.len().max(1) as f64
}

/// Median, 95th percentile and maximum of absolute offsets, in points.
type Spread = (f64, f64, f64);

struct Offsets {
    words: usize,
    matched: usize,
    x0: Spread,
    x1: Spread,
    yc: Spread,
}

/// Compares `pdftotext -bbox` word boxes with Tesseract's (converted to points with the page's
/// dpi). Each Tesseract word is matched with the nearest poppler word of the same text on its
/// page (poppler orders words by its own layout analysis).
fn bbox_offsets(pdf: &str, pages: &[PageResult]) -> Offsets {
    let html = run("pdftotext", &["-bbox", pdf, "-"]);
    let mut poppler_pages: Vec<Vec<(String, [f64; 4])>> = Vec::new();
    for line in html.lines() {
        let line = line.trim();
        if line.starts_with("<page ") {
            poppler_pages.push(Vec::new());
        } else if let Some(rest) = line.strip_prefix("<word ") {
            let attr = |name: &str| -> f64 {
                rest.split(&format!("{name}=\""))
                    .nth(1)
                    .and_then(|v| v.split('"').next())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f64::NAN)
            };
            let text = rest
                .split('>')
                .nth(1)
                .and_then(|t| t.split("</word").next())
                .unwrap_or("")
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"");
            if let Some(page) = poppler_pages.last_mut() {
                page.push((
                    text,
                    [attr("xMin"), attr("yMin"), attr("xMax"), attr("yMax")],
                ));
            }
        }
    }
    let (mut words, mut matched) = (0, 0);
    let (mut dx0, mut dx1, mut dyc) = (Vec::new(), Vec::new(), Vec::new());
    for (page, found) in pages.iter().zip(&poppler_pages) {
        let scale = 72.0 / page.dpi.max(1) as f64;
        let mut used = vec![false; found.len()];
        for line in page.blocks.iter().flat_map(|b| &b.lines) {
            // The text layer is laid out per line: compare with the line's vertical centre.
            let centre_y = (line.bbox.y0 + line.bbox.y1) as f64 / 2.0 * scale;
            for word in &line.words {
                words += 1;
                let (x0, x1) = (word.bbox.x0 as f64 * scale, word.bbox.x1 as f64 * scale);
                // The nearest unused poppler word with the same text.
                let nearest = found
                    .iter()
                    .enumerate()
                    .filter(|(i, (t, _))| !used[*i] && t == &word.text)
                    .min_by(|(_, (_, a)), (_, (_, b))| {
                        let d = |b: &[f64; 4]| {
                            (b[0] - x0).abs() + ((b[1] + b[3]) / 2.0 - centre_y).abs()
                        };
                        d(a).total_cmp(&d(b))
                    })
                    .map(|(i, _)| i);
                let Some(i) = nearest else { continue };
                used[i] = true;
                matched += 1;
                let b = found[i].1;
                dx0.push((b[0] - x0).abs());
                dx1.push((b[2] - x1).abs());
                dyc.push(((b[1] + b[3]) / 2.0 - centre_y).abs());
            }
        }
    }
    let spread = |mut v: Vec<f64>| -> Spread {
        if v.is_empty() {
            return (f64::NAN, f64::NAN, f64::NAN);
        }
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        (at(0.5), at(0.95), at(1.0))
    };
    Offsets {
        words,
        matched,
        x0: spread(dx0),
        x1: spread(dx1),
        yc: spread(dyc),
    }
}

/// Sizes and times of every export for a longer job: four corpus pages in one TIFF.
#[tokio::test(flavor = "multi_thread")]
async fn a_four_page_job_exports_every_format() {
    let app = TestApp::spawn().await;
    let token = app.token_for("pages@example.com").await;
    let files = [
        "de_typewritten_01.jpg",
        "da_typewritten_01.jpg",
        "fr_typewritten_01.jpg",
        "fr_typewritten_02.jpg",
    ];
    let images: Vec<image::DynamicImage> = files
        .iter()
        .map(|f| {
            let img = image::open(corpus::entry(f).path()).expect("corpus image decodes");
            // Halved: four full phone photos would exceed the upload limit as one grey TIFF.
            img.resize(
                img.width() / 2,
                img.height() / 2,
                image::imageops::FilterType::Triangle,
            )
        })
        .collect();
    let tiff = super::support::multipage_tiff(&images);
    let scratch = Scratch::new();
    let path = scratch.write("four pages.tif", &tiff);
    let job = finished(&app, &path, &[("language", "deu+dan+fra")], Some(&token)).await;
    let uuid = job["uuid"].as_str().unwrap();
    assert_eq!(job["page_count"], 4);
    eprintln!("exports of a 4-page TIFF job:");
    for format in ["txt", "md", "docx", "pdf", "csv", "json", "hocr", "alto"] {
        let d = download(&app, uuid, format, Some(&token)).await;
        assert_eq!(d.status, 200, "{format}");
        assert!(!d.body.is_empty());
        eprintln!(
            "  {format:<5} {:>9} bytes in {:>6.0} ms",
            d.body.len(),
            d.took.as_secs_f64() * 1000.0
        );
        if format == "pdf" {
            let pdf = scratch.write("four.pdf", &d.body);
            let info = run("pdfinfo", &[pdf.to_str().unwrap()]);
            assert!(info.contains("Pages:           4"), "{info}");
            let text = run("pdftotext", &["-raw", pdf.to_str().unwrap(), "-"]);
            let job_text = job["text"].as_str().unwrap();
            let c = cer(job_text, &text, false);
            eprintln!("        pdftotext -raw CER {c:.4}");
            assert!(c < 0.01, "pdftotext CER {c:.3}");
            // Accented letters survive the embedded font.
            assert!(normalize(&text, false).contains('é') || normalize(&text, false).contains('ø'));
        }
        if format == "docx" {
            assert!(
                d.disposition.contains("filename=\"four pages.docx\""),
                "{}",
                d.disposition
            );
        }
    }
}

/// Cell matching for tables: a cell is recovered when its text is within `MAX_CELL_CER` of the
/// expected text (case-folded, whitespace normalised).
const MAX_CELL_CER: f64 = 0.25;

/// For each expected row, the best matching row of any detected table (most cells recovered,
/// non-empty cells compared in order); returns (cells recovered, cells expected).
fn match_rows(expected: &[Vec<&str>], tables: &[Value]) -> (usize, usize) {
    let rows: Vec<Vec<String>> = tables
        .iter()
        .flat_map(|t| t["rows"].as_array().cloned().unwrap_or_default())
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|c| c["text"].as_str().unwrap_or("").to_owned())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .collect();
    let mut recovered = 0;
    let total: usize = expected.iter().map(Vec::len).sum();
    for want in expected {
        let best = rows
            .iter()
            .map(|got| {
                want.iter()
                    .zip(got)
                    .filter(|(w, g)| cer(w, g, true) <= MAX_CELL_CER)
                    .count()
            })
            .max()
            .unwrap_or(0);
        eprintln!("    {want:?}: {best}/{} cells", want.len());
        recovered += best;
    }
    (recovered, total)
}

fn print_tables(tables: &[Value]) {
    for table in tables {
        eprintln!("    table {}:", table["bbox"]);
        for row in table["rows"].as_array().unwrap() {
            let cells: Vec<&str> = row
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["text"].as_str().unwrap_or(""))
                .collect();
            eprintln!("      | {} |", cells.join(" | "));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn receipt_item_lines_come_out_as_tables() {
    let app = TestApp::spawn().await;
    let token = app.token_for("receipts@example.com").await;
    // The item rows of each receipt, as its ground truth has them, cell by cell.
    let cases: [(&str, Vec<Vec<&str>>); 3] = [
        (
            "en_receipt_01.jpg",
            vec![vec!["5X8 500G", "1", "4.20", "4.20"]],
        ),
        (
            "en_receipt_02.jpg",
            vec![
                vec!["GST Summary", "Amount(RM)", "Tax(RM)"],
                vec!["S = 6%", "84.90", "5.10"],
                vec!["Z = 0%", "0.00", "0.00"],
            ],
        ),
        (
            "en_receipt_03.jpg",
            vec![
                vec!["No.Desc/Code", "Qty", "Price", "Disc%", "Amount"],
                vec!["33101", "2", "5.00", "0.00", "10.00"],
            ],
        ),
    ];
    let (mut recovered, mut total) = (0, 0);
    for (file, expected) in cases {
        let job = finished(
            &app,
            &corpus::entry(file).path(),
            // Tesseract's word boxes, which the table finder was measured on. With `auto` the
            // receipts are read by PP-OCR, whose word boxes run a few pixels past the ink: on
            // receipt 3 `Price` and `Disc%` then share a column (3 of 5 item cells).
            &[
                ("language", "en"),
                ("tool", "extract-tables"),
                ("engine", "tesseract"),
            ],
            Some(&token),
        )
        .await;
        assert_eq!(job["tool"], "extract-tables");
        let tables = job["pages"][0]["tables"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        eprintln!("  {file}: {} table(s)", tables.len());
        print_tables(&tables);
        assert!(!tables.is_empty(), "{file}: its item lines are a table");
        for table in &tables {
            let rows = table["rows"].as_array().unwrap();
            let columns = rows[0].as_array().unwrap().len();
            assert!(columns >= 2 && rows.len() >= 2);
            assert!(rows.iter().all(|r| r.as_array().unwrap().len() == columns));
        }
        let (r, t) = match_rows(&expected, &tables);
        if file == "en_receipt_03.jpg" {
            // The cleanest scan: its item line comes out cell for cell.
            let (item, _) = match_rows(&expected[1..], &tables);
            assert!(item >= 4, "{file}: item row cells recovered: {item}/5");
        }
        recovered += r;
        total += t;
    }
    let rate = recovered as f64 / total as f64;
    eprintln!(
        "  receipts: {recovered}/{total} expected cells recovered ({:.0}%)",
        rate * 100.0
    );
    // The receipts' OCR is noisy (`5X8` read `SX8`, `S = 6%` read `§ 6%`), which bounds what any
    // table detector can recover from it; this guards against losing what is recovered today.
    assert!(
        rate >= 0.35,
        "receipt table cells recovered: {recovered}/{total}"
    );
}

/// A table printed from known data: a CSV becomes an HTML table, LibreOffice prints it to PDF,
/// ocrchat rasterises and reads it. The cells are known, so they are checked one by one.
#[tokio::test(flavor = "multi_thread")]
async fn a_table_printed_from_known_data_is_recovered_cell_by_cell() {
    const DATA: &str = "\
Item,Qty,Unit price,Total
Pencil HB,12,0.45,5.40
Notebook A5,3,2.10,6.30
Stapler,1,7.95,7.95
Paper clips,100,0.02,2.00
Eraser,4,0.60,2.40
Highlighter,6,1.15,6.90
Ruler 30 cm,2,1.80,3.60
";
    let expected: Vec<Vec<&str>> = DATA.lines().map(|l| l.split(',').collect()).collect();
    let mut html = String::from(
        "<html><head><meta charset=\"utf-8\"></head><body>\
         <h2>Office supplies, March</h2>\
         <table border=\"1\" cellpadding=\"8\" cellspacing=\"0\" width=\"90%\">",
    );
    for (r, row) in expected.iter().enumerate() {
        let tag = if r == 0 { "th" } else { "td" };
        html.push_str("<tr>");
        for cell in row {
            html.push_str(&format!("<{tag}>{cell}</{tag}>"));
        }
        html.push_str("</tr>");
    }
    html.push_str("</table><p>Approved by the office manager.</p></body></html>");
    let scratch = Scratch::new();
    let source = scratch.write("supplies.html", html.as_bytes());
    let pdf = soffice_convert(&source, "pdf:writer_pdf_Export", "pdf", &scratch);

    let app = TestApp::spawn().await;
    let job = finished(
        &app,
        &pdf,
        &[("language", "en"), ("tool", "extract-tables")],
        None,
    )
    .await;
    let uuid = job["uuid"].as_str().unwrap();
    let tables = job["pages"][0]["tables"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    print_tables(&tables);
    assert_eq!(tables.len(), 1, "one table on the page");
    let rows = tables[0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len(), "rows");
    assert_eq!(rows[0].as_array().unwrap().len(), 4, "columns");
    let (recovered, total) = match_rows(&expected, &tables);
    eprintln!("  printed table: {recovered}/{total} cells recovered");
    assert!(
        recovered * 10 >= total * 9,
        "cells recovered: {recovered}/{total}"
    );

    // csv: the same table, read back by a CSV reader.
    let csv_download = download(&app, uuid, "csv", None).await;
    assert_eq!(csv_download.status, 200);
    let records: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_download.body.as_slice())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let from_json: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| c["text"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect();
    assert_eq!(records, from_json);

    // md: a real Markdown table; docx: a Word table with a row per table row.
    let md = String::from_utf8(download(&app, uuid, "md", None).await.body).unwrap();
    assert!(md.contains("\n| --- | --- | --- | --- |\n"), "{md}");
    let docx = download(&app, uuid, "docx", None).await.body;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("docx is a zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml)
        .unwrap();
    assert_eq!(xml.matches("<w:tbl>").count(), 1);
    assert_eq!(xml.matches("<w:tr>").count(), expected.len());
}
