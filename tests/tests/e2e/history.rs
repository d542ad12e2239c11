//! Job histories users touch: audit, replay, an old event shape, live progress, erasure and
//! retention.

use crate::support::{multipage_tiff, tiny_page, tiny_png};
use domain::JobId;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::Value;
use std::time::{Duration, Instant};
use tests::{corpus, job_id, Spawn, TestApp};

const EXE: &str = env!("CARGO_BIN_EXE_ocrchat-under-test");

async fn sql(app: &TestApp, query: &str) -> Vec<sea_orm::QueryResult> {
    app.store()
        .connection()
        .query_all(Statement::from_string(
            DatabaseBackend::Postgres,
            query.to_owned(),
        ))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_lists_every_event_in_order_with_worker_and_attempt() {
    let app = TestApp::spawn().await;
    let token = app.token_for("audit@example.com").await;
    let pdf = std::fs::read(corpus::entry("en_typewritten_letter_2p.pdf").path()).unwrap();
    let (status, job) = app
        .submit(pdf, "letter.pdf", &[("language", "en")], Some(&token))
        .await;
    assert_eq!(
        (status, job["status"].as_str()),
        (200, Some("done")),
        "{job}"
    );
    let uuid = job["uuid"].as_str().unwrap();

    let (status, audit) = app
        .get_json(&format!("/api/v1/ocr/{uuid}/events/"), Some(&token))
        .await;
    assert_eq!(status, 200, "{audit}");
    let events = audit["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"submitted"));
    assert_eq!(kinds.last(), Some(&"done"));
    assert_eq!(kinds.iter().filter(|k| **k == "page_recognized").count(), 2);
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>());
    for e in events.iter().filter(|e| e["kind"] == "page_recognized") {
        assert!(
            e["worker"].as_str().unwrap().contains(':'),
            "worker id host:pid: {e}"
        );
        assert_eq!(e["attempt"], 1);
        let page = &e["payload"]["page"];
        assert!(
            page["text_length"].as_u64().unwrap() > 100,
            "summarised page: {page}"
        );
        assert_eq!(page["text_sha256"].as_str().unwrap().len(), 64);
        assert!(page.get("text").is_none(), "text is summarised by default");
    }
    // full=true returns the page text whole, equal to what the job shows.
    let (_, full) = app
        .get_json(
            &format!("/api/v1/ocr/{uuid}/events/?full=true"),
            Some(&token),
        )
        .await;
    let texts: Vec<&str> = full["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "page_recognized")
        .map(|e| e["payload"]["page"]["text"].as_str().unwrap())
        .collect();
    for page in job["pages"].as_array().unwrap() {
        assert!(texts.contains(&page["text"].as_str().unwrap()));
    }
    // Same ownership rules as the job.
    let other = app.token_for("stranger@example.com").await;
    assert_eq!(
        app.get_json(&format!("/api/v1/ocr/{uuid}/events/"), Some(&other))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/ocr/{uuid}/events/"), None)
            .await
            .0,
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_rebuilds_byte_identical_jobs_from_events_alone() {
    let app = TestApp::spawn().await;
    let token = app.token_for("replay@example.com").await;
    let mut uuids = Vec::new();
    for file in ["en_receipt_02.jpg", "en_typewritten_letter_2p.pdf"] {
        let bytes = std::fs::read(corpus::entry(file).path()).unwrap();
        let (status, job) = app
            .submit(bytes, file, &[("language", "en")], Some(&token))
            .await;
        assert_eq!(status, 200, "{job}");
        uuids.push(job["uuid"].as_str().unwrap().to_owned());
    }
    let mut before = Vec::new();
    for uuid in &uuids {
        let resp = app
            .http
            .get(app.url(&format!("/api/v1/ocr/{uuid}/")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        before.push(resp.bytes().await.unwrap());
    }
    sql(&app, "DELETE FROM pages").await;
    sql(&app, "DELETE FROM jobs").await;
    assert_eq!(
        app.get_json(&format!("/api/v1/ocr/{}/", uuids[0]), Some(&token))
            .await
            .0,
        404
    );

    // The real command, as an operator runs it.
    let out = std::process::Command::new(EXE)
        .args(["replay", "--all"])
        .envs(app.isolation.env(&app.config))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{}", String::from_utf8_lossy(&out.stdout).trim());
    for (uuid, old) in uuids.iter().zip(before) {
        let resp = app
            .http
            .get(app.url(&format!("/api/v1/ocr/{uuid}/")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let new = resp.bytes().await.unwrap();
        assert!(old == new, "job {uuid} differs after replay");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_stored_in_the_first_shape_still_replays() {
    let app = TestApp::spawn_with(Spawn {
        workers: false,
        configure: Box::new(|c| c.limits.inline_pages = 0),
    })
    .await;
    let (status, job) = app.submit(tiny_png(), "p.png", &[], None).await;
    assert_eq!(status, 200, "{job}");
    let id = job_id(&job);
    // A `failed` event exactly as version 1 wrote it: `{reason}`, no code.
    sql(
        &app,
        &format!(
            "INSERT INTO job_events (job_id, seq, kind, schema_version, payload) VALUES \
             ('{}', 2, 'failed', 1, '{{\"type\":\"failed\",\"reason\":\"unreadable tiff file: strip out of bounds\"}}')",
            id.0
        ),
    )
    .await;
    app.store().rebuild_job(id).await.unwrap();
    let (status, failed) = app.get_json(&format!("/api/v1/ocr/{}/", id.0), None).await;
    assert_eq!(status, 200);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"], "unreadable tiff file: strip out of bounds");
    assert_eq!(
        failed["error_code"], "bad_file",
        "the upcaster classified the old message"
    );
    let (_, audit) = app
        .get_json(&format!("/api/v1/ocr/{}/events/", id.0), None)
        .await;
    let last = audit["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["schema_version"].as_u64(),
            last["payload"]["code"].as_str()
        ),
        (Some(1), Some("bad_file"))
    );
}

/// Reads Server-Sent Events from a response until it ends; returns (id, event, data) triples.
async fn read_sse(mut resp: reqwest::Response, limit: Duration) -> Vec<(u64, String, Value)> {
    let deadline = Instant::now() + limit;
    let mut buffer = String::new();
    let mut events = Vec::new();
    while Instant::now() < deadline {
        let chunk = match tokio::time::timeout_at(deadline.into(), resp.chunk()).await {
            Ok(Ok(Some(c))) => c,
            _ => break,
        };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut id, mut name, mut data) = (None, String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if let (Some(id), false) = (id, data.is_empty()) {
                events.push((id, name, serde_json::from_str(&data).unwrap()));
            }
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_streams_as_server_sent_events_and_resumes_after_the_last_id() {
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(|c| c.limits.inline_pages = 0),
        ..Spawn::default()
    })
    .await;
    let pages: Vec<_> = (0..3).map(|_| tiny_page()).collect();
    let (status, job) = app
        .submit(
            multipage_tiff(&pages),
            "three.tiff",
            &[("language", "de")],
            None,
        )
        .await;
    assert_eq!(status, 200, "{job}");
    let uuid = job["uuid"].as_str().unwrap();
    let url = app.url(&format!("/api/v1/ocr/{uuid}/events/stream/"));
    let resp = app.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let events = read_sse(resp, Duration::from_secs(120)).await;
    let pages: Vec<&Value> = events
        .iter()
        .filter(|(_, k, _)| k == "page_recognized")
        .map(|(_, _, d)| d)
        .collect();
    assert_eq!(pages.len(), 3, "{events:?}");
    let done: Vec<u64> = pages
        .iter()
        .map(|p| p["pages_done"].as_u64().unwrap())
        .collect();
    assert_eq!(done, vec![1, 2, 3], "progress counts up");
    assert!(pages.iter().all(|p| p["page_count"] == 3));
    let (last_id, last_kind, last) = events.last().unwrap();
    assert_eq!(
        (last_kind.as_str(), last["status"].as_str()),
        ("done", Some("done")),
        "stream ends with done"
    );

    // Resume: only events after Last-Event-ID arrive, and the stream still ends.
    let resume_after = events
        .iter()
        .find(|(_, k, _)| k == "page_recognized")
        .unwrap()
        .0;
    let resp = app
        .http
        .get(&url)
        .header("Last-Event-ID", resume_after.to_string())
        .send()
        .await
        .unwrap();
    let resumed = read_sse(resp, Duration::from_secs(30)).await;
    assert!(
        resumed.iter().all(|(id, _, _)| *id > resume_after),
        "{resumed:?}"
    );
    assert_eq!(resumed.last().map(|(id, _, _)| *id), Some(*last_id));
    assert_eq!(
        resumed
            .iter()
            .filter(|(_, k, _)| k == "page_recognized")
            .count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn erasing_a_job_leaves_a_tombstone_and_no_content() {
    let app = TestApp::spawn().await;
    let token = app.token_for("erase@example.com").await;
    let bytes = std::fs::read(corpus::entry("en_receipt_02.jpg").path()).unwrap();
    let (_, job) = app
        .submit(bytes, "r.jpg", &[("language", "en")], Some(&token))
        .await;
    assert_eq!(job["status"], "done");
    let uuid = job["uuid"].as_str().unwrap();
    let id = job_id(&job);
    let text = job["text"].as_str().unwrap().to_owned();
    let other = app.token_for("not-owner@example.com").await;
    let delete = |t: &str| {
        app.http
            .delete(app.url(&format!("/api/v1/ocr/{uuid}/")))
            .bearer_auth(t.to_owned())
            .send()
    };
    assert_eq!(
        delete(&other).await.unwrap().status().as_u16(),
        404,
        "only the owner erases"
    );
    assert_eq!(delete(&token).await.unwrap().status().as_u16(), 204);
    assert_eq!(
        app.get_json(&format!("/api/v1/ocr/{uuid}/"), Some(&token))
            .await
            .0,
        404
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/ocr/{uuid}/events/"), Some(&token))
            .await
            .0,
        404
    );
    assert_eq!(
        delete(&token).await.unwrap().status().as_u16(),
        404,
        "erasing twice is 404"
    );

    for table in [
        "jobs WHERE id",
        "pages WHERE job_id",
        "uploads WHERE job_id",
        "page_images WHERE job_id",
    ] {
        assert!(
            sql(&app, &format!("SELECT 1 FROM {table} = '{}'", id.0))
                .await
                .is_empty(),
            "{table}"
        );
    }
    let events = app.store().load_events(id).await.unwrap();
    assert!(matches!(
        events.last().map(|r| &r.event),
        Some(domain::JobEvent::Erased {})
    ));
    for rec in &events[..events.len() - 1] {
        assert_eq!(
            rec.event,
            domain::JobEvent::Redacted {},
            "seq {} keeps no content",
            rec.seq
        );
    }
    let dump: Vec<String> = sql(&app, "SELECT payload::text FROM job_events")
        .await
        .into_iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect();
    let sample: String = text
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        dump.iter().all(|p| !p.contains(&sample)),
        "no page text survives"
    );
    assert_eq!(
        app.store().job_charges(id).await.unwrap().charged,
        1,
        "billing history is kept"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn erasing_a_waiting_job_refunds_its_reservation() {
    let app = TestApp::spawn_with(Spawn {
        workers: false,
        configure: Box::new(|c| c.limits.inline_pages = 0),
    })
    .await;
    let (_, job) = app
        .submit(
            multipage_tiff(&[tiny_page(), tiny_page()]),
            "two.tiff",
            &[],
            None,
        )
        .await;
    let id: JobId = job_id(&job);
    let resp = app
        .http
        .delete(app.url(&format!("/api/v1/ocr/{}/", id.0)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let charges = app.store().job_charges(id).await.unwrap();
    assert_eq!(
        (charges.reserved, charges.charged, charges.refunded),
        (2, 0, 2)
    );
    let (_, account) = app.get_json("/api/v1/account/", None).await;
    assert_eq!(account["used"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn finished_jobs_are_erased_after_the_retention_period() {
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(|c| {
            c.worker.retention = Some(Duration::from_secs(2));
            c.worker.sweep_every = Duration::from_secs(1);
        }),
        ..Spawn::default()
    })
    .await;
    let (_, job) = app
        .submit(tiny_png(), "p.png", &[("language", "de")], None)
        .await;
    assert_eq!(job["status"], "done");
    let path = format!("/api/v1/ocr/{}/", job["uuid"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.get_json(&path, None).await.0 == 200 {
        assert!(
            Instant::now() < deadline,
            "not erased after its retention period"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let events = app.store().load_events(job_id(&job)).await.unwrap();
    assert_eq!(events.last().map(|r| r.kind.as_str()), Some("erased"));
    assert!(events
        .last()
        .unwrap()
        .meta
        .worker
        .as_deref()
        .unwrap_or_default()
        .starts_with("retention:"));
}
