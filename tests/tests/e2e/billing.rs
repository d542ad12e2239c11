//! Metering: allowances, credits, 402s, exactness under concurrency, priority, idempotent
//! submits, the account endpoint and trusted proxies.

use crate::support::{multipage_tiff, tiny_page, tiny_png};
use futures::future::join_all;
use serde_json::Value;
use std::time::Duration;
use tests::{Spawn, TestApp};

/// A service that answers every submit at once (no inline wait), so tests control timing.
async fn async_app(configure: impl FnOnce(&mut api::Config) + Send + 'static) -> TestApp {
    TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.limits.inline_pages = 0;
            configure(c);
        }),
        ..Spawn::default()
    })
    .await
}

async fn paid_token(app: &TestApp, email: &str, credits: u64) -> String {
    app.paid_token_for(email, credits).await
}

async fn sum_ledger(app: &TestApp, kind: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .store()
        .connection()
        .query_one(Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT COALESCE(SUM(credits), 0)::bigint FROM ledger WHERE kind = '{kind}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_submits_never_overspend_an_allowance_of_ten() {
    let app = async_app(|_| {}).await;
    let png = tiny_png();
    let submits = (0..50).map(|_| app.submit(png.clone(), "p.png", &[("language", "de")], None));
    let results = join_all(submits).await;
    let accepted: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    let refused: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == 402)
        .map(|(_, b)| b)
        .collect();
    eprintln!(
        "50 concurrent submits: {} accepted, {} refused",
        accepted.len(),
        refused.len()
    );
    assert_eq!(accepted.len(), 10, "exactly the allowance is accepted");
    assert_eq!(refused.len(), 40, "every other request is 402: {results:?}");
    for body in &refused {
        assert_eq!(body["cap"], 10, "{body}");
        assert_eq!(body["used"], 10, "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("allowance"),
            "{body}"
        );
    }
    for job in &accepted {
        let done = app
            .wait_until_final(
                job["uuid"].as_str().unwrap(),
                None,
                Duration::from_secs(120),
            )
            .await;
        assert_eq!(done["status"], "done");
    }
    let (reserved, charged, refunded) = (
        sum_ledger(&app, "credits_reserved").await,
        sum_ledger(&app, "page_charged").await,
        sum_ledger(&app, "credits_refunded").await,
    );
    eprintln!("ledger: reserved {reserved}, charged {charged}, refunded {refunded}");
    assert_eq!((reserved, charged, refunded), (10, 10, 0));
    let (status, account) = app.get_json("/api/v1/account/", None).await;
    assert_eq!(status, 200);
    assert_eq!(account["plan"], "anonymous");
    assert_eq!(
        (
            account["used"].as_u64(),
            account["cap"].as_u64(),
            account["remaining"].as_u64()
        ),
        (Some(10), Some(10), Some(0))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn files_over_the_plan_page_cap_are_402_and_leave_nothing_behind() {
    let app = async_app(|_| {}).await;
    let pages: Vec<_> = (0..6).map(|_| tiny_page()).collect();
    let (status, body) = app
        .submit(multipage_tiff(&pages), "six.tiff", &[], None)
        .await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(
        (body["used"].as_u64(), body["cap"].as_u64()),
        (Some(6), Some(5)),
        "{body}"
    );
    assert!(
        body["error"].as_str().unwrap().contains("per file"),
        "{body}"
    );
    use sea_orm::{ConnectionTrait, Statement};
    for table in ["jobs", "job_events", "uploads", "ledger"] {
        let rows = app
            .store()
            .connection()
            .query_all(Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                format!("SELECT 1 FROM {table}"),
            ))
            .await
            .unwrap();
        assert!(rows.is_empty(), "{table} has rows after a 402");
    }

    // A paid account with too few credits: 402 saying what the file needs and what is left.
    let token = paid_token(&app, "low@example.com", 3).await;
    let (status, body) = app
        .submit(multipage_tiff(&pages), "six.tiff", &[], Some(&token))
        .await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(
        (body["used"].as_u64(), body["cap"].as_u64()),
        (Some(6), Some(3)),
        "{body}"
    );
    let (_, account) = app.get_json("/api/v1/account/", Some(&token)).await;
    assert_eq!(
        (account["plan"].as_str(), account["balance"].as_u64()),
        (Some("paid"), Some(3))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn paid_jobs_are_worked_before_queued_free_jobs() {
    let app = async_app(|c| {
        c.worker.ocr_threads = 1;
        c.worker.concurrency = 1;
        c.pricing.free_file_pages = 50;
    })
    .await;
    let free = app.token_for("free@example.com").await;
    let paid = paid_token(&app, "paid@example.com", 100).await;
    let pages: Vec<_> = (0..3).map(|_| tiny_page()).collect();
    let tiff = multipage_tiff(&pages);
    let mut free_jobs = Vec::new();
    for i in 0..4 {
        let (status, job) = app
            .submit(
                tiff.clone(),
                &format!("free{i}.tiff"),
                &[("language", "de")],
                Some(&free),
            )
            .await;
        assert_eq!(status, 200, "{job}");
        free_jobs.push(job["uuid"].as_str().unwrap().to_owned());
    }
    let (status, paid_job) = app
        .submit(
            tiff.clone(),
            "paid.tiff",
            &[("language", "de")],
            Some(&paid),
        )
        .await;
    assert_eq!(status, 200, "{paid_job}");
    let paid_done = app
        .wait_until_final(
            paid_job["uuid"].as_str().unwrap(),
            Some(&paid),
            Duration::from_secs(180),
        )
        .await;
    let mut free_done = Vec::new();
    for uuid in &free_jobs {
        free_done.push(
            app.wait_until_final(uuid, Some(&free), Duration::from_secs(300))
                .await,
        );
    }
    let finished = |j: &Value| j["finished_at"].as_str().unwrap().to_owned();
    let later_free = free_done
        .iter()
        .filter(|j| finished(j) > finished(&paid_done))
        .count();
    eprintln!("paid job finished before {later_free} of 4 free jobs queued ahead of it");
    // Queued behind four free jobs on one OCR thread, the paid job must overtake at least the
    // last three (the first may already be on the thread).
    assert!(
        later_free >= 3,
        "paid job did not jump the queue: {later_free} free jobs finished after it"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotency_keys_return_the_original_job_and_refuse_changed_requests() {
    let app = async_app(|_| {}).await;
    let png = tiny_png();
    let submit = |key: &str, bytes: Vec<u8>, language: &str| {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("p.png"),
            )
            .text("language", language.to_owned());
        app.http
            .post(app.url("/api/v1/ocr/"))
            .header("Idempotency-Key", key)
            .multipart(form)
            .send()
    };
    let first = submit("key-1", png.clone(), "de").await.unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let first: Value = first.json().await.unwrap();
    let again = submit("key-1", png.clone(), "de").await.unwrap();
    assert_eq!(again.status().as_u16(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["uuid"], again["uuid"], "same key, same job");
    assert_eq!(
        sum_ledger(&app, "credits_reserved").await,
        1,
        "charged once"
    );

    // Same key, different file or different fields: 422 naming the problem.
    let mut other = png.clone();
    other.extend_from_slice(b"trailing bytes change the file");
    for response in [
        submit("key-1", other, "de").await.unwrap(),
        submit("key-1", png.clone(), "en").await.unwrap(),
    ] {
        assert_eq!(response.status().as_u16(), 422);
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("Idempotency-Key"),
            "{body}"
        );
    }

    // Concurrent requests with one fresh key: one job, charged once, every answer is that job
    // (or a 409 asking to retry).
    let racing = join_all((0..8).map(|_| submit("key-2", png.clone(), "de"))).await;
    let mut uuids = std::collections::HashSet::new();
    for response in racing {
        let response = response.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        match status {
            200 => {
                uuids.insert(body["uuid"].as_str().unwrap().to_owned());
            }
            409 => assert!(body["error"].is_string()),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(uuids.len(), 1, "one job for one key: {uuids:?}");
    assert_eq!(sum_ledger(&app, "credits_reserved").await, 2);

    // Keys belong to callers: another caller's identical key makes its own job.
    let token = app.token_for("other@example.com").await;
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(png.clone()).file_name("p.png"),
        )
        .text("language", "de");
    let theirs: Value = app
        .http
        .post(app.url("/api/v1/ocr/"))
        .header("Idempotency-Key", "key-1")
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(theirs["uuid"], first["uuid"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let png = tiny_png();
    let submit_as = |app: &TestApp, forwarded: &'static str| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(png.clone()).file_name("p.png"),
        );
        app.http
            .post(app.url("/api/v1/ocr/"))
            .header("X-Forwarded-For", forwarded)
            .multipart(form)
            .send()
    };
    // Untrusted peer: the header is ignored, so changing it does not reset the allowance.
    let app = async_app(|c| c.pricing.anonymous_daily = 2).await;
    let statuses: Vec<u16> =
        join_all(["203.0.113.1", "203.0.113.2", "203.0.113.3"].map(|ip| submit_as(&app, ip)))
            .await
            .into_iter()
            .map(|r| r.unwrap().status().as_u16())
            .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 402).count(),
        1,
        "{statuses:?}"
    );

    // Trusted proxy on loopback: each forwarded client has its own allowance.
    let app = async_app(|c| {
        c.pricing.anonymous_daily = 2;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
    })
    .await;
    let statuses: Vec<u16> =
        join_all(["203.0.113.1", "203.0.113.2", "203.0.113.3"].map(|ip| submit_as(&app, ip)))
            .await
            .into_iter()
            .map(|r| r.unwrap().status().as_u16())
            .collect();
    assert_eq!(statuses, vec![200, 200, 200]);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(tiny_png()).file_name("p.png"),
    );
    let third_for_one: Vec<u16> = {
        let mut out = Vec::new();
        for _ in 0..2 {
            let r = submit_as(&app, "198.51.100.7").await.unwrap();
            out.push(r.status().as_u16());
        }
        let r = app
            .http
            .post(app.url("/api/v1/ocr/"))
            .header("X-Forwarded-For", "198.51.100.7")
            .multipart(form)
            .send()
            .await
            .unwrap();
        out.push(r.status().as_u16());
        out
    };
    assert_eq!(third_for_one, vec![200, 200, 402]);
}
