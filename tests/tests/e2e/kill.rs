//! A worker process killed with SIGKILL mid-job: the job still reaches `done`, every page
//! recognised exactly once, resumed after the pages already recorded.

use crate::support::{multipage_tiff, sample_page};
use domain::JobEvent;
use std::time::{Duration, Instant};
use tests::{job_id, ServiceProcess, Spawn, TestApp};

const EXE: &str = env!("CARGO_BIN_EXE_ocrchat-under-test");

#[tokio::test(flavor = "multi_thread")]
async fn killed_worker_is_replaced_and_every_page_is_recorded_once() {
    let app = TestApp::spawn_with(Spawn {
        workers: false,
        configure: Box::new(|c| {
            c.limits.inline_pages = 1;
            c.pricing.anonymous_file_pages = 6;
        }),
    })
    .await;
    let pages: Vec<_> = (0..6).map(|_| sample_page()).collect();
    let (status, job) = app
        .submit(
            multipage_tiff(&pages),
            "six.tiff",
            &[("language", "de")],
            None,
        )
        .await;
    assert_eq!(status, 200, "{job}");
    let uuid = job["uuid"].as_str().unwrap().to_owned();
    let id = job_id(&job);

    let first = ServiceProcess::start(EXE, &app.isolation, &app.config, &["worker"]).unwrap();
    // Wait until the first worker has recorded some pages, then kill it without warning.
    let deadline = Instant::now() + Duration::from_secs(120);
    let done_before_kill = loop {
        let (_, j) = app.get_json(&format!("/api/v1/ocr/{uuid}/"), None).await;
        let done = j["pages_done"].as_u64().unwrap_or(0);
        if done >= 2 {
            break done;
        }
        assert!(
            Instant::now() < deadline,
            "first worker made no progress: {j}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    first.kill().await;
    let killed_at = Instant::now();
    let (_, after_kill) = app.get_json(&format!("/api/v1/ocr/{uuid}/"), None).await;
    assert_ne!(
        after_kill["status"], "done",
        "the kill must land mid-job: {after_kill}"
    );

    let second = ServiceProcess::start(EXE, &app.isolation, &app.config, &["worker"]).unwrap();
    let finished = app
        .wait_until_final(&uuid, None, Duration::from_secs(180))
        .await;
    let recovery = killed_at.elapsed();
    second.kill().await;
    assert_eq!(finished["status"], "done", "{finished}");
    eprintln!("killed after {done_before_kill} pages; done {recovery:?} after the kill");

    let events = app.store().load_events(id).await.unwrap();
    let mut recognised: Vec<u32> = events
        .iter()
        .filter_map(|r| match &r.event {
            JobEvent::PageRecognized { page } => Some(page.index),
            _ => None,
        })
        .collect();
    recognised.sort_unstable();
    assert_eq!(
        recognised,
        (0..6).collect::<Vec<_>>(),
        "every page exactly once"
    );
    let starts = events
        .iter()
        .filter(|r| matches!(r.event, JobEvent::ProcessingStarted { .. }))
        .count();
    assert!(
        starts >= 2,
        "a second attempt resumed the job ({starts} starts)"
    );
    let workers: std::collections::HashSet<_> = events
        .iter()
        .filter_map(|r| r.meta.worker.clone())
        .collect();
    assert!(
        workers.len() >= 2,
        "two worker processes wrote events: {workers:?}"
    );
    assert_eq!(finished["pages"].as_array().unwrap().len(), 6);

    // Billing followed the pages, not the attempts: six pages reserved, each charged once.
    let charges = app.store().job_charges(id).await.unwrap();
    eprintln!("ledger after the kill: {charges:?}");
    assert_eq!(charges.reserved, 6);
    assert_eq!((charges.pages_charged, charges.charged), (6, 6));
    assert_eq!(charges.refunded, 0);
}
