//! Submit and poll: inline answers for small files, pending → done for larger ones, events and
//! projections in step, uploads deleted once the job ends.

use domain::JobEvent;
use std::time::{Duration, Instant};
use tests::{corpus, job_id, Spawn, TestApp};

#[tokio::test(flavor = "multi_thread")]
async fn small_file_is_answered_inline_with_the_spec_shape() {
    let app = TestApp::spawn().await;
    let entry = corpus::entry("en_receipt_02.jpg");
    let (status, job) = app.submit_file(&entry.path(), &[("language", "en")]).await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["status"], "done");
    assert_eq!(job["tier"], "cpu");
    assert_eq!(job["language"], "en");
    assert_eq!(job["page_count"], 1);
    let confidence = job["mean_confidence"]
        .as_f64()
        .expect("mean_confidence is a number");
    assert!((0.0..=1.0).contains(&confidence));
    assert!(job["markdown"].as_str().unwrap().len() > 10);
    let page = &job["pages"][0];
    assert_eq!(page["index"], 0);
    let blocks = page["blocks"].as_array().unwrap();
    assert!(!blocks.is_empty());
    for b in blocks {
        let bbox: Vec<u64> = b["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(bbox.len(), 4);
        assert!(
            bbox[0] < bbox[2] && bbox[1] < bbox[3],
            "bbox is x0,y0,x1,y1: {bbox:?}"
        );
        assert!(
            bbox[2] <= page["width"].as_u64().unwrap()
                && bbox[3] <= page["height"].as_u64().unwrap()
        );
        let c = b["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c));
        assert!(!b["text"].as_str().unwrap().trim().is_empty());
    }
    // The job text is the page texts; the page text is its blocks.
    assert_eq!(job["text"], page["text"]);
    // GET returns the same object.
    let (status, again) = app
        .get_json(
            &format!("/api/v1/ocr/{}/", job["uuid"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(again, job);
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_page_pdf_goes_from_pending_to_done_with_each_page_once() {
    let app = TestApp::spawn_with(Spawn {
        // Make the 2-page PDF a "large" file so it takes the polling path.
        configure: Box::new(|c| c.limits.inline_pages = 1),
        ..Spawn::default()
    })
    .await;
    let entry = corpus::entry("en_typewritten_letter_2p.pdf");
    let started = Instant::now();
    let (status, job) = app.submit_file(&entry.path(), &[("language", "en")]).await;
    let answered_in = started.elapsed();
    assert_eq!(status, 200, "{job}");
    let initial = job["status"].as_str().unwrap();
    assert!(
        initial == "pending" || initial == "processing",
        "got {initial}"
    );
    assert_eq!(job["page_count"], 2);
    // Not a benchmark: a guard that the submit does not wait for OCR (~1 s a page here).
    assert!(
        answered_in < Duration::from_secs(3),
        "submit took {answered_in:?}"
    );
    eprintln!("non-inline submit answered in {answered_in:?}");

    let uuid = job["uuid"].as_str().unwrap().to_owned();
    let done = app
        .wait_until_final(&uuid, None, Duration::from_secs(180))
        .await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["pages"].as_array().unwrap().len(), 2);
    assert_eq!(done["text"].as_str().unwrap().matches('\u{c}').count(), 1);

    let events = app.store().load_events(job_id(&job)).await.unwrap();
    let mut recognised: Vec<u32> = events
        .iter()
        .filter_map(|r| match &r.event {
            JobEvent::PageRecognized { page } => Some(page.index),
            _ => None,
        })
        .collect();
    recognised.sort_unstable();
    assert_eq!(recognised, vec![0, 1], "each page exactly once");
    assert!(matches!(
        events.first().map(|r| &r.event),
        Some(JobEvent::Submitted(_))
    ));
    assert!(matches!(
        events.last().map(|r| &r.event),
        Some(JobEvent::Done {})
    ));
    let seqs: Vec<u64> = events.iter().map(|r| r.seq).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "gapless sequence"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_is_kept_until_the_job_ends_then_deleted() {
    let app = TestApp::spawn_with(Spawn {
        workers: false,
        configure: Box::new(|c| c.limits.inline_wait = Duration::from_secs(1)),
    })
    .await;
    // No workers: the inline wait runs out and the job comes back as it stands, file stored.
    let started = Instant::now();
    let (status, pending) = app
        .submit_file(
            &corpus::entry("en_receipt_01.jpg").path(),
            &[("language", "en")],
        )
        .await;
    assert_eq!(status, 200, "{pending}");
    assert_eq!(pending["status"], "pending", "{pending}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the inline wait is bounded"
    );
    assert!(app.store().has_upload(job_id(&pending)).await.unwrap());

    let app = TestApp::spawn().await;
    let (_, done) = app
        .submit_file(
            &corpus::entry("en_receipt_01.jpg").path(),
            &[("language", "en")],
        )
        .await;
    assert_eq!(done["status"], "done");
    assert!(
        !app.store().has_upload(job_id(&done)).await.unwrap(),
        "file deleted after done"
    );
    let rows = sea_orm::ConnectionTrait::query_all(
        app.store().connection(),
        sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT job_id FROM uploads",
        ),
    )
    .await
    .unwrap();
    assert!(rows.is_empty(), "no upload rows remain");
}
