//! Durability under faults, against the real stack: workers killed with SIGKILL again and again,
//! Redis and Postgres restarted mid-job, two workers racing on one job. Each test is bounded in
//! time and uses loopback only.

use crate::support::{multipage_tiff, sample_page, tiny_page};
use domain::{JobEvent, JobId};
use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};
use tests::{
    job_id,
    services::{PrivatePostgres, PrivateRedis},
    ServiceProcess, Spawn, TestApp,
};

const EXE: &str = env!("CARGO_BIN_EXE_ocrchat-under-test");

/// Every page recorded exactly once, a gapless sequence, exactly one `done`.
async fn assert_exactly_once(app: &TestApp, id: JobId, pages: u32) -> usize {
    let events = app.store().load_events(id).await.unwrap();
    let mut per_page: BTreeMap<u32, usize> = BTreeMap::new();
    for rec in &events {
        if let JobEvent::PageRecognized { page } = &rec.event {
            *per_page.entry(page.index).or_default() += 1;
        }
    }
    let duplicates: usize = per_page.values().map(|n| n - 1).sum();
    assert_eq!(duplicates, 0, "duplicate page events: {per_page:?}");
    assert_eq!(
        per_page.keys().copied().collect::<Vec<_>>(),
        (0..pages).collect::<Vec<_>>()
    );
    assert_eq!(
        events
            .iter()
            .filter(|r| matches!(r.event, JobEvent::Done {}))
            .count(),
        1
    );
    let seqs: Vec<u64> = events.iter().map(|r| r.seq).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "gapless"
    );
    let charges = app.store().job_charges(id).await.unwrap();
    assert_eq!(
        (charges.pages_charged, charges.refunded),
        (u64::from(pages), 0),
        "{charges:?}"
    );
    duplicates
}

async fn pages_done(app: &TestApp, uuid: &str) -> (u64, String) {
    let (_, j) = app.get_json(&format!("/api/v1/ocr/{uuid}/"), None).await;
    (
        j["pages_done"].as_u64().unwrap_or(0),
        j["status"].as_str().unwrap_or("").to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_random_points_again_and_again_still_records_every_page_once() {
    let app = TestApp::spawn_with(Spawn {
        workers: false,
        configure: Box::new(|c| {
            c.limits.inline_pages = 0;
            c.pricing.anonymous_file_pages = 10;
            c.pricing.anonymous_daily = 100;
        }),
    })
    .await;
    let pages: Vec<_> = (0..8).map(|_| sample_page()).collect();
    let (status, job) = app
        .submit(
            multipage_tiff(&pages),
            "eight.tiff",
            &[("language", "de")],
            None,
        )
        .await;
    assert_eq!(status, 200, "{job}");
    let uuid = job["uuid"].as_str().unwrap().to_owned();
    // Each worker is killed at a different point: after it records its first page, plus a
    // varied extra delay (right after a page, mid-page, about to finish the next one).
    let extra_delays_ms = [0u64, 450, 900, 150, 700, 300];
    let mut kills = 0;
    let started = Instant::now();
    for extra in extra_delays_ms {
        let (done_before, status) = pages_done(&app, &uuid).await;
        if status == "done" || done_before >= 7 {
            break;
        }
        let worker = ServiceProcess::start(EXE, &app.isolation, &app.config, &["worker"]).unwrap();
        let deadline = Instant::now() + Duration::from_secs(90);
        while pages_done(&app, &uuid).await.0 <= done_before {
            assert!(Instant::now() < deadline, "worker {kills} made no progress");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(extra)).await;
        worker.kill().await;
        kills += 1;
    }
    let before_last = pages_done(&app, &uuid).await;
    let last_kill = Instant::now();
    let survivor = ServiceProcess::start(EXE, &app.isolation, &app.config, &["worker"]).unwrap();
    let finished = app
        .wait_until_final(&uuid, None, Duration::from_secs(240))
        .await;
    let recovery = last_kill.elapsed();
    survivor.kill().await;
    assert_eq!(finished["status"], "done", "{finished}");
    assert!(
        kills >= 5,
        "only {kills} kills landed before the job finished"
    );
    let duplicates = assert_exactly_once(&app, job_id(&job), 8).await;
    let events = app.store().load_events(job_id(&job)).await.unwrap();
    let starts = events
        .iter()
        .filter(|r| matches!(r.event, JobEvent::ProcessingStarted { .. }))
        .count();
    eprintln!(
        "SIGKILL x{kills} over {:?}; {} of 8 pages done before the last worker; done {recovery:?} later; \
         {starts} attempts started; duplicates: {duplicates}",
        last_kill - started,
        before_last.0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_restarted_mid_job_loses_no_job() {
    let mut redis = PrivateRedis::start().unwrap();
    let redis_url = redis.url();
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.redis_url = redis_url;
            c.limits.inline_pages = 0;
            c.worker.stale_after = Duration::from_secs(5);
        }),
        ..Spawn::default()
    })
    .await;
    let pages: Vec<_> = (0..5).map(|_| sample_page()).collect();
    let (_, first) = app
        .submit(
            multipage_tiff(&pages),
            "five.tiff",
            &[("language", "de")],
            None,
        )
        .await;
    let first_uuid = first["uuid"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    while pages_done(&app, &first_uuid).await.0 < 1 {
        assert!(Instant::now() < deadline, "no progress before the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Queue a second job, then take Redis away (its lists are not persisted: the message is
    // gone) and submit a third while Redis is down.
    let (_, second) = app
        .submit(
            multipage_tiff(&[tiny_page()]),
            "a.tiff",
            &[("language", "de")],
            None,
        )
        .await;
    let restarted = Instant::now();
    let down =
        tokio::task::spawn_blocking(move || redis.restart(Duration::from_secs(3)).map(|_| redis));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, third) = app
        .submit(
            multipage_tiff(&[tiny_page()]),
            "b.tiff",
            &[("language", "de")],
            None,
        )
        .await;
    assert_eq!(
        status, 200,
        "submits are accepted while Redis is down: {third}"
    );
    let _redis = down.await.unwrap().unwrap();
    for (job, uuid) in [
        (&first, &first_uuid),
        (&second, &second["uuid"].as_str().unwrap().to_owned()),
        (&third, &third["uuid"].as_str().unwrap().to_owned()),
    ] {
        let done = app
            .wait_until_final(uuid, None, Duration::from_secs(180))
            .await;
        assert_eq!(done["status"], "done", "{done}");
        let pages = done["page_count"].as_u64().unwrap() as u32;
        assert_exactly_once(&app, job_id(job), pages).await;
    }
    eprintln!(
        "Redis restart: all 3 jobs done {:?} after the restart began",
        restarted.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_restarted_mid_job_is_retried_without_duplicates() {
    let pg = Arc::new(PrivatePostgres::start().unwrap());
    let server = pg.server_url();
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.database_url = format!("{server}/{}", tests::unique_name());
            c.limits.inline_pages = 0;
            c.pricing.anonymous_file_pages = 10;
            c.worker.stale_after = Duration::from_secs(5);
        }),
        ..Spawn::default()
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
    let deadline = Instant::now() + Duration::from_secs(60);
    while pages_done(&app, &uuid).await.0 < 2 {
        assert!(Instant::now() < deadline, "no progress before the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let restarted = Instant::now();
    let pg2 = Arc::clone(&pg);
    tokio::task::spawn_blocking(move || pg2.restart(Duration::from_secs(3)))
        .await
        .unwrap()
        .unwrap();
    // Reads may fail for a moment after the restart; poll through it.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let resp = app
            .http
            .get(app.url(&format!("/api/v1/ocr/{uuid}/")))
            .send()
            .await
            .unwrap();
        if resp.status().as_u16() == 200 {
            let body: serde_json::Value = resp.json().await.unwrap();
            if body["status"] == "done" {
                break;
            }
            assert_ne!(body["status"], "failed", "{body}");
        }
        assert!(
            Instant::now() < deadline,
            "job not done after the Postgres restart"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let duplicates = assert_exactly_once(&app, job_id(&job), 6).await;
    let events = app.store().load_events(job_id(&job)).await.unwrap();
    let failures = events
        .iter()
        .filter(|r| matches!(r.event, JobEvent::AttemptFailed { .. }))
        .count();
    eprintln!(
        "Postgres restart: done {:?} after the restart; {failures} failed attempts recorded; duplicates: {duplicates}",
        restarted.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_racing_on_one_job_record_each_page_once() {
    // A redelivered message: two workers take the same job at the same moment. Two processors
    // with their own OCR threads run it side by side; the (job, seq) key lets one writer win each
    // position and the loser re-decides, finding the page recorded.
    let app = TestApp::spawn_with(Spawn {
        workers: false,
        configure: Box::new(|c| c.limits.inline_pages = 0),
    })
    .await;
    let pages: Vec<_> = (0..4).map(|_| tiny_page()).collect();
    let (_, job) = app
        .submit(
            multipage_tiff(&pages),
            "four.tiff",
            &[("language", "de")],
            None,
        )
        .await;
    let id = job_id(&job);
    let state = &app.running.as_ref().unwrap().state;
    let processor = |name: &str| {
        workers::Processor::new(
            state.store.clone(),
            state.queue.clone(),
            Arc::new(workers::engine::ocr::OcrPool::new(
                1,
                &state.config.tessdata,
            )),
            Arc::clone(&state.pdf),
            workers::ProcessorOptions {
                max_attempts: 3,
                max_interrupted: 10,
                worker_id: name.to_owned(),
                page_parallelism: 1,
                limits: state.input_limits.clone(),
            },
        )
    };
    let (a, b) = (processor("racer-a:1"), processor("racer-b:2"));
    let (ra, rb) = tokio::join!(a.process(id), b.process(id));
    let outcomes = (
        ra.expect("racer a ends cleanly"),
        rb.expect("racer b ends cleanly"),
    );
    eprintln!("race outcomes: {outcomes:?}");
    let duplicates = assert_exactly_once(&app, id, 4).await;
    let events = app.store().load_events(id).await.unwrap();
    let starters: std::collections::HashSet<_> = events
        .iter()
        .filter(|r| matches!(r.event, JobEvent::ProcessingStarted { .. }))
        .filter_map(|r| r.meta.worker.clone())
        .collect();
    assert_eq!(
        starters.len(),
        2,
        "both racers worked on the job: {starters:?}"
    );
    let page_writers: std::collections::HashSet<_> = events
        .iter()
        .filter(|r| matches!(r.event, JobEvent::PageRecognized { .. }))
        .filter_map(|r| r.meta.worker.clone())
        .collect();
    eprintln!("race: pages written by {page_writers:?}; duplicates: {duplicates}");
}
