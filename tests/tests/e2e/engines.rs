//! The `engine` field: Tesseract and PP-OCR as peers, `auto` choosing per page, and clear
//! refusals where PP-OCR cannot serve.

use crate::exports::{finished, pages};
use serde_json::Value;
use tests::{corpus, Spawn, TestApp};
use workers::engine::score::cer;

/// Boxes of the words both engines read the same on a page: PP-OCR's word boxes come from the
/// recogniser's frame positions, Tesseract's from its own segmentation, and on a clean page the
/// two land on the same ink.
fn matching_boxes(tesseract: &domain::PageResult, ppocr: &domain::PageResult) -> Vec<[f64; 4]> {
    let words = |page: &domain::PageResult| -> Vec<domain::Word> {
        page.blocks
            .iter()
            .flat_map(|b| &b.lines)
            .flat_map(|l| l.words.clone())
            .filter(|w| w.text.chars().filter(|c| c.is_alphabetic()).count() >= 5)
            .collect()
    };
    let (ours, theirs) = (words(tesseract), words(ppocr));
    let mut distances = Vec::new();
    for word in &ours {
        // Words seen once by each engine only: a repeated word cannot be paired blindly.
        let same: Vec<&domain::Word> = theirs.iter().filter(|w| w.text == word.text).collect();
        if same.len() != 1 || ours.iter().filter(|w| w.text == word.text).count() != 1 {
            continue;
        }
        let (a, b) = (&word.bbox, &same[0].bbox);
        distances.push([
            (f64::from(a.x0) - f64::from(b.x0)).abs(),
            (f64::from(a.x1) - f64::from(b.x1)).abs(),
            ((f64::from(a.y0 + a.y1) - f64::from(b.y0 + b.y1)) / 2.0).abs(),
            f64::from(a.y1 - a.y0),
        ]);
    }
    distances
}

#[tokio::test(flavor = "multi_thread")]
async fn ppocr_reads_a_two_page_pdf_with_word_boxes_on_tesseracts_words() {
    let app = TestApp::spawn().await;
    let entry = corpus::entry("en_typewritten_letter_2p.pdf");
    let fields = |engine| vec![("language", "en"), ("engine", engine)];
    let by_ppocr = finished(&app, &entry.path(), &fields("ppocr"), None).await;
    let by_tesseract = finished(&app, &entry.path(), &fields("tesseract"), None).await;
    let ppocr_pages = pages(&app, &by_ppocr).await;
    let tesseract_pages = pages(&app, &by_tesseract).await;
    assert_eq!(ppocr_pages.len(), 2);
    for (page, json) in ppocr_pages
        .iter()
        .zip(by_ppocr["pages"].as_array().unwrap())
    {
        assert_eq!(page.engine, "ppocr");
        assert_eq!(json["engine"], "ppocr", "{json}");
        assert_eq!(page.language, "eng", "the language asked for is recorded");
        let confidence = page.mean_confidence.expect("words were read");
        assert!((0.0..=1.0).contains(&confidence));
    }
    // 0.6% measured through the service (RapidOCR's pipeline, which trusts the orientation
    // classifier, read it at 8.1%); Tesseract reads these small scans at ~4.6% here, yet with
    // a confidence (0.93, 0.95) at which `auto` does not ask PP-OCR.
    let text_cer = cer(
        &entry.ground_truth(),
        by_ppocr["text"].as_str().unwrap(),
        entry.casefold(),
    );
    let tesseract_cer = cer(
        &entry.ground_truth(),
        by_tesseract["text"].as_str().unwrap(),
        entry.casefold(),
    );
    eprintln!("  letter read by ppocr: CER {text_cer:.4} (tesseract {tesseract_cer:.4})");
    let truth = entry.ground_truth();
    let truths = workers::engine::score::ground_truth_pages(&truth);
    for (i, (t, p)) in tesseract_pages.iter().zip(&ppocr_pages).enumerate() {
        eprintln!(
            "  page {}: CER tesseract {:.4} ({}x{} px, {} dpi), ppocr {:.4}",
            i + 1,
            cer(truths[i], &t.text, false),
            t.width,
            t.height,
            t.dpi,
            cer(truths[i], &p.text, false)
        );
    }
    assert!(text_cer < 0.02, "CER {text_cer:.3}");
    for (t, p) in tesseract_pages.iter().zip(&ppocr_pages) {
        assert_eq!((t.width, t.height), (p.width, p.height), "one frame");
        let distances = matching_boxes(t, p);
        let median = |i: usize| {
            let mut v: Vec<f64> = distances.iter().map(|d| d[i]).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let height = median(3);
        eprintln!(
            "  page {}: mean word confidence tesseract {:?}, ppocr {:?}",
            p.index + 1,
            t.mean_confidence,
            p.mean_confidence
        );
        eprintln!(
            "  page {}: {} shared words; median |Δ| x0 {:.1}, x1 {:.1}, y-centre {:.1} px at a word height of {height:.0} px",
            p.index + 1,
            distances.len(),
            median(0),
            median(1),
            median(2),
        );
        assert!(distances.len() >= 20, "enough shared words to compare");
        for i in 0..3 {
            assert!(
                median(i) <= height * 0.35,
                "page {}: word boxes apart (measure {i}: {:.1} px at height {height:.0})",
                p.index + 1,
                median(i)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_reads_each_page_with_the_engine_that_reads_it_best() {
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(|c| c.pricing.anonymous_daily = 1000),
        ..Spawn::default()
    })
    .await;
    // Per kind: (file, the engine auto must keep, CER bound of its text). Tesseract reads the
    // clean 1879 book page at ~0.5% and PP-OCR at 1%; on the handwritten will Tesseract is at
    // ~90% and PP-OCR's second opinion at 20%; on the receipt 28% against 13.1% (12.3% at full
    // effort; the second opinion reads the corpus receipts at 13.9% against 14.2%, this one a
    // little worse). The receipt's bound is the goal for receipts, 15%.
    for (file, engine, bound) in [
        ("de_print_antiqua_01.tif", "tesseract", 0.02),
        ("fr_handwritten_01.jpg", "ppocr", 0.25),
        ("en_receipt_01.jpg", "ppocr", 0.15),
    ] {
        let entry = corpus::entry(file);
        let job = finished(&app, &entry.path(), &[("language", &entry.tess)], None).await;
        let page: &Value = &job["pages"][0];
        let text_cer = cer(
            &entry.ground_truth(),
            job["text"].as_str().unwrap(),
            entry.casefold(),
        );
        eprintln!(
            "  auto on {file}: {} (mean confidence {}), CER {text_cer:.4}",
            page["engine"], page["mean_confidence"]
        );
        assert_eq!(page["engine"], engine, "{file}");
        assert!(text_cer < bound, "{file}: CER {text_cer:.3}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn engines_are_refused_clearly_where_they_cannot_serve() {
    let app = TestApp::spawn().await;
    let receipt = corpus::entry("en_receipt_01.jpg");
    let refused = |job: &Value, expected: &str| {
        let error = job["error"].as_str().unwrap_or_default();
        assert!(error.contains(expected), "{job}");
    };
    let (status, job) = app
        .submit_file(&receipt.path(), &[("engine", "easyocr")])
        .await;
    assert_eq!(status, 400, "{job}");
    refused(&job, "unknown engine 'easyocr'");
    // A language in a script PP-OCR has no characters for: its pages go to Tesseract, as
    // `auto`-language pages found to be in such a script do.
    let (status, job) = app
        .submit_file(&receipt.path(), &[("engine", "ppocr"), ("language", "ru")])
        .await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["pages"][0]["engine"], "tesseract", "{job}");

    // A server whose PP-OCR files are missing: `ppocr` is refused, `auto` reads with Tesseract.
    let without = TestApp::spawn_with(Spawn {
        configure: Box::new(|c| c.ppocr = None),
        ..Spawn::default()
    })
    .await;
    let (status, job) = without
        .submit_file(&receipt.path(), &[("engine", "ppocr")])
        .await;
    assert_eq!(status, 400, "{job}");
    refused(&job, "the ppocr engine is not available on this server");
    let (status, job) = without.submit_file(&receipt.path(), &[]).await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["pages"][0]["engine"], "tesseract", "{job}");

    // Models that exist but do not load (a damaged file) fail the job, saying why.
    let broken = tests::unique_name();
    let broken = std::env::temp_dir().join(broken);
    std::fs::create_dir_all(&broken).unwrap();
    for file in [
        workers::engine::ppocr::DETECTOR_MODEL,
        workers::engine::ppocr::RECOGNISER_MODEL,
        workers::engine::ppocr::INT8_RECOGNISER_MODEL,
        workers::engine::ppocr::CLASSIFIER_MODEL,
    ] {
        std::fs::write(broken.join(file), b"not an onnx model").unwrap();
    }
    let dir = broken.clone();
    let damaged = TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            if let Some(ppocr) = c.ppocr.as_mut() {
                ppocr.models_dir = dir;
            }
        }),
        ..Spawn::default()
    })
    .await;
    let (status, job) = damaged
        .submit_file(&receipt.path(), &[("engine", "ppocr")])
        .await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["status"], "failed", "{job}");
    let reason = job["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        reason.contains("ppocr engine is unavailable") && reason.contains("could not be loaded"),
        "{job}"
    );
    let _ = std::fs::remove_dir_all(&broken);
}
