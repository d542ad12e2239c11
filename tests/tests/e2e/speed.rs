//! The core job at the speed of the tools it wraps (issue 10): jobs picked up on push, PDF scans
//! read from their own pixels, born-digital pages from their text layer, and a cost per page
//! that does not grow with the page index (a compact state that replays like the full history).

use crate::support::{encode, soffice_convert, tiny_page, Scratch};
use domain::{Job, JobEvent};
use image::ImageFormat;
use serde_json::Value;
use std::{path::Path, process::Command, time::Duration};
use tests::{
    corpus, job_id,
    pdf::{scanned_pdf, ScanPage},
    Spawn, TestApp,
};
use workers::engine::score;

/// Prints a text file to PDF with headless LibreOffice (a born-digital document).
fn born_digital_pdf(text: &str, scratch: &Scratch) -> Vec<u8> {
    let source = scratch.write("letter.txt", text.as_bytes());
    std::fs::read(soffice_convert(&source, "pdf", "pdf", scratch)).expect("read pdf")
}

/// `pdftotext -raw` of a file, white space collapsed: the reference text of a born-digital PDF.
fn pdftotext_words(pdf: &Path, page: Option<u32>) -> String {
    let mut command = Command::new("pdftotext");
    command.arg("-raw");
    if let Some(page) = page {
        command.args(["-f", &page.to_string(), "-l", &page.to_string()]);
    }
    let output = command
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils)");
    collapse(&String::from_utf8_lossy(&output.stdout))
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn events_of(job: &Value) -> String {
    format!(
        "/api/v1/ocr/{}/events/?full=true",
        job["uuid"].as_str().unwrap()
    )
}

/// Submits a few printed lines (read in a fraction of a second), anonymously.
async fn submit_tiny(app: &TestApp) -> (u16, Value) {
    let png = encode(&tiny_page(), ImageFormat::Png);
    app.submit(png, "tiny.png", &[("language", "de")], None)
        .await
}

const LETTER: &str = "Invoice 2026-114\n\nAcme Widgets Ltd., 12 Harbour Road, Portsmouth\n\n\
Dear Ms. Okafor,\n\nThank you for your order of 14 November. We enclose the invoice for \
the 250 brass hinges (item H-77) and the 40 packs of screws (item S-3), totalling \
1,284.50 GBP including VAT. Payment is due within thirty days.\n\n\
Kind regards,\nJonathan Pryce\nAccounts department\n";

/// A born-digital page is not OCRed: its text, words and boxes come from the PDF, confidence
/// 1.0, engine `pdf-text`, and the text is what `pdftotext -raw` reads. `force_ocr` OCRs it.
#[tokio::test(flavor = "multi_thread")]
async fn born_digital_pages_take_their_text_layer_unless_ocr_is_forced() {
    let scratch = Scratch::new();
    let pdf = born_digital_pdf(LETTER, &scratch);
    let path = scratch.write("letter.pdf", &pdf);
    let app = TestApp::spawn().await;

    let (status, job) = app.submit(pdf.clone(), "letter.pdf", &[], None).await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["status"], "done", "{job}");
    let page = &job["pages"][0];
    assert_eq!(page["engine"], "pdf-text", "{page}");
    assert_eq!(page["mean_confidence"], 1.0);
    assert_eq!(
        collapse(job["text"].as_str().unwrap()),
        pdftotext_words(&path, None),
        "the text layer, word for word"
    );
    // Boxes are in the page image's pixels, and the page image exists (exports work).
    let (width, height) = (
        page["width"].as_u64().unwrap(),
        page["height"].as_u64().unwrap(),
    );
    assert!(
        width > 1000 && height > 1500,
        "a 150 dpi A4 page: {width}x{height}"
    );
    for block in page["blocks"].as_array().unwrap() {
        let b: Vec<u64> = block["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert!(
            b[0] < b[2] && b[1] < b[3] && b[2] <= width && b[3] <= height,
            "{b:?}"
        );
    }
    let (_, events) = app.get_json(&events_of(&job), None).await;
    let recorded = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "page_recognized")
        .expect("a page event");
    assert_eq!(
        recorded["payload"]["page"]["source"],
        serde_json::json!({"method": "text_layer"})
    );
    // The searchable PDF of a pdf-text page finds the same words where they are.
    let uuid = job["uuid"].as_str().unwrap();
    let download = app
        .http
        .get(app.url(&format!("/api/v1/ocr/{uuid}/download/?format=pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let exported = scratch.0.join("exported.pdf");
    std::fs::write(&exported, download.bytes().await.unwrap()).unwrap();
    let words = pdftotext_words(&exported, None);
    assert!(
        words.contains("1,284.50 GBP including VAT"),
        "exported text layer: {words}"
    );

    let (status, forced) = app
        .submit(
            pdf,
            "letter.pdf",
            &[("force_ocr", "true"), ("language", "en")],
            None,
        )
        .await;
    assert_eq!(status, 200, "{forced}");
    assert_eq!(forced["pages"][0]["engine"], "tesseract");
    let cer = score::cer(
        &pdftotext_words(&path, None),
        forced["text"].as_str().unwrap(),
        false,
    );
    assert!(cer < 0.05, "OCR of a clean printed page: CER {cer:.3}");
}

/// A phone-scanner PDF (one JPEG per page, one point per pixel, i.e. "72 ppi") is decoded from
/// its JPEG as stored, at the JPEG's size, never rendered to 300 dpi of a 34-inch page; a
/// document mixing it with a born-digital page is read page by page.
#[tokio::test(flavor = "multi_thread")]
async fn phone_scanner_pdfs_are_read_from_their_own_pixels_page_by_page() {
    let scratch = Scratch::new();
    let entry = corpus::entry("de_typewritten_01.jpg");
    let jpeg = std::fs::read(entry.path()).unwrap();
    let (w, h) = tests::pdf::jpeg_size(&jpeg).expect("baseline jpeg");
    let scan = scanned_pdf(&[ScanPage::at_ppi(&jpeg, 72.0)]);
    let scan_path = scratch.0.join("scan.pdf");
    std::fs::write(&scan_path, &scan).unwrap();
    let text_path = scratch.0.join("letter.pdf");
    std::fs::write(&text_path, born_digital_pdf(LETTER, &scratch)).unwrap();
    let mixed_path = scratch.0.join("mixed.pdf");
    let status = Command::new("pdfunite")
        .arg(&text_path)
        .arg(&scan_path)
        .arg(&mixed_path)
        .status()
        .expect("pdfunite runs (poppler-utils)");
    assert!(status.success());

    let app = TestApp::spawn().await;
    let (status, job) = app
        .submit(
            std::fs::read(&mixed_path).unwrap(),
            "mixed.pdf",
            &[("language", "de")],
            None,
        )
        .await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["status"], "done", "{job}");
    let pages = job["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0]["engine"], "pdf-text");
    // Either OCR engine may read the scan (`auto` asks PP-OCR where Tesseract is unsure).
    assert!(
        ["tesseract", "ppocr"].contains(&pages[1]["engine"].as_str().unwrap_or_default()),
        "{}",
        pages[1]
    );
    assert_eq!(
        (pages[1]["width"].as_u64(), pages[1]["height"].as_u64()),
        (Some(u64::from(w)), Some(u64::from(h))),
        "the scan's own pixels"
    );
    let cer = score::cer(
        &entry.ground_truth(),
        pages[1]["text"].as_str().unwrap(),
        entry.casefold(),
    );
    eprintln!("  72 ppi phone scan, decoded as stored: CER {cer:.3}");
    assert!(cer < 0.5, "the scan is read: CER {cer:.3}");
    let (_, events) = app.get_json(&events_of(&job), None).await;
    let sources: Vec<Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "page_recognized")
        .map(|e| e["payload"]["page"]["source"].clone())
        .collect();
    assert!(sources.contains(&serde_json::json!({"method": "text_layer"})));
    assert!(sources.contains(&serde_json::json!({"method": "embedded_image", "pixels": [w, h]})));
    // The stored page image (exports) is the same pixels.
    let uuid = job["uuid"].as_str().unwrap();
    let blob = app
        .store()
        .page_image(job_id(&job), 1)
        .await
        .unwrap()
        .expect("page image kept");
    assert_eq!((blob.width, blob.height), (w, h), "{uuid}");
    assert!(
        blob.data == jpeg,
        "the scan's own JPEG is kept, not encoded again"
    );
}

/// An idle worker is woken by the push itself: with heartbeats and the unprompted look at the
/// queue both 60 s apart, a job is still done in seconds.
#[tokio::test(flavor = "multi_thread")]
async fn an_idle_worker_is_woken_by_the_push_not_by_its_heartbeat() {
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(|config| {
            config.worker.heartbeat = Duration::from_secs(60);
            config.worker.wake_every = Duration::from_secs(60);
        }),
        ..Spawn::default()
    })
    .await;
    // Let the lane workers reach their first empty fetch and park.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let (status, job) = submit_tiny(&app).await;
        assert_eq!(status, 200, "{job}");
        assert_eq!(job["status"], "done", "{job}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "answered in {:?}: the worker waited for a heartbeat",
            started.elapsed()
        );
    }
}

/// A 100-page job: each page once, and the compact state the worker decided on (page indexes,
/// not payloads) is exactly the full replay; the projections rebuild to what was written live.
#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_page_job_matches_its_full_replay() {
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(|config| config.worker.ocr_threads = 2),
        ..Spawn::default()
    })
    .await;
    let token = app.paid_token_for("hundred@example.com", 1000).await;
    let jpeg = encode(&tiny_page(), ImageFormat::Jpeg);
    let pages: Vec<ScanPage<'_>> = (0..100).map(|_| ScanPage::at_ppi(&jpeg, 300.0)).collect();
    let pdf = scanned_pdf(&pages);
    let (status, job) = app
        .submit(pdf, "hundred.pdf", &[("language", "de")], Some(&token))
        .await;
    assert_eq!(status, 200, "{job}");
    let uuid = job["uuid"].as_str().unwrap().to_owned();
    let done = app
        .wait_until_final(&uuid, Some(&token), Duration::from_secs(600))
        .await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["pages_done"], 100);

    let store = app.store();
    let id = job_id(&job);
    let events = store.load_events(id).await.unwrap();
    let mut indexes: Vec<u32> = events
        .iter()
        .filter_map(|r| match &r.event {
            JobEvent::PageRecognized { page } => Some(page.index),
            _ => None,
        })
        .collect();
    indexes.sort_unstable();
    assert_eq!(indexes, (0..100).collect::<Vec<_>>(), "each page once");
    let full = Job::replay(id, events.iter().map(|r| &r.event));
    assert_eq!(
        store.load_job(id).await.unwrap(),
        full,
        "compact load = full replay"
    );

    let before = store.job_view(id, true).await.unwrap().unwrap();
    assert_eq!(store.rebuild_job(id).await.unwrap(), events.len());
    let after = store.job_view(id, true).await.unwrap().unwrap();
    assert_eq!(
        before, after,
        "projections rebuilt from events are identical"
    );
    let (_, polled) = app
        .get_json(&format!("/api/v1/ocr/{uuid}/"), Some(&token))
        .await;
    assert_eq!(polled, done);
    // The object polls built page by page while the job ran is the one built from scratch.
    let fresh = api::export::render(
        api::export::Format::Json,
        &after,
        &api::export::Inputs::default(),
    )
    .expect("json export");
    let fresh: Value = serde_json::from_slice(&fresh).unwrap();
    assert_eq!(polled, fresh, "incrementally cached = rebuilt");
}

/// Polls answer `304` to an unchanged job (its `ETag`), and a changed job gets a new `ETag`.
#[tokio::test(flavor = "multi_thread")]
async fn polls_of_an_unchanged_job_are_not_modified() {
    let app = TestApp::spawn().await;
    let (status, job) = submit_tiny(&app).await;
    assert_eq!(status, 200, "{job}");
    let url = app.url(&format!("/api/v1/ocr/{}/", job["uuid"].as_str().unwrap()));
    let first = app.http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = first.json().await.unwrap();
    assert_eq!(body, job, "the inline answer and the poll agree");
    let again = app
        .http
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    let stale = app
        .http
        .get(&url)
        .header("If-None-Match", "\"0-0\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
}
