//! Webhooks: signed, retried with backoff, every attempt an event; no server-side request
//! forgery into private networks unless configured.

use crate::support::tiny_png;
use serde_json::Value;
use std::time::{Duration, Instant};
use tests::{receiver::Receiver, Spawn, TestApp};

async fn app_allowing_loopback_hooks(attempts: u32) -> TestApp {
    TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.worker.webhook_allow_private = true;
            c.worker.webhook_attempts = attempts;
        }),
        ..Spawn::default()
    })
    .await
}

async fn wait_for_webhook(app: &TestApp, uuid: &str, token: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, job) = app
            .get_json(&format!("/api/v1/ocr/{uuid}/"), Some(token))
            .await;
        if job["webhook_status"] == status {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "webhook never became {status}: {job}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_is_signed_retried_with_backoff_and_every_attempt_recorded() {
    let app = app_allowing_loopback_hooks(5).await;
    let receiver = Receiver::start(vec![503, 500], 200).await;
    let token = app.token_for("hooks@example.com").await;
    let callback = format!("{}/hooks/ocr?source=test", receiver.base);
    let (status, job) = app
        .submit(
            tiny_png(),
            "p.png",
            &[("language", "de"), ("callback_url", &callback)],
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{job}");
    let uuid = job["uuid"].as_str().unwrap().to_owned();
    let job = wait_for_webhook(&app, &uuid, &token, "delivered").await;
    assert_eq!(job["status"], "done");

    let received = receiver.received();
    assert_eq!(received.len(), 3, "two failures, then the delivery");
    let account = app
        .store()
        .account_by_email("hooks@example.com")
        .await
        .unwrap();
    let secret = app.store().webhook_secret(account.id).await.unwrap();
    for r in &received {
        assert_eq!(r.path, "/hooks/ocr?source=test");
        let timestamp: i64 = r.headers["x-ocrchat-timestamp"].parse().unwrap();
        assert_eq!(
            r.headers["x-ocrchat-signature"],
            workers::webhook::sign(&secret, timestamp, &r.body),
            "signature verifies with the account's secret"
        );
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            (body["uuid"].as_str(), body["status"].as_str()),
            (Some(uuid.as_str()), Some("done"))
        );
        assert_eq!(body["event"], "job.done");
    }
    let (_, audit) = app
        .get_json(&format!("/api/v1/ocr/{uuid}/events/"), Some(&token))
        .await;
    let attempts: Vec<&Value> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "webhook_attempted")
        .collect();
    let statuses: Vec<(u64, bool)> = attempts
        .iter()
        .map(|e| {
            (
                e["payload"]["status"].as_u64().unwrap(),
                e["payload"]["delivered"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(statuses, vec![(503, false), (500, false), (200, true)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_gives_up_after_its_attempts() {
    let app = app_allowing_loopback_hooks(2).await;
    let receiver = Receiver::start(vec![], 500).await;
    let token = app.token_for("gives-up@example.com").await;
    let (_, job) = app
        .submit(
            tiny_png(),
            "p.png",
            &[("language", "de"), ("callback_url", &receiver.base)],
            Some(&token),
        )
        .await;
    let uuid = job["uuid"].as_str().unwrap().to_owned();
    wait_for_webhook(&app, &uuid, &token, "abandoned").await;
    assert_eq!(receiver.received().len(), 2);
    let (_, audit) = app
        .get_json(&format!("/api/v1/ocr/{uuid}/events/"), Some(&token))
        .await;
    let kinds: Vec<&str> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        &kinds[kinds.len() - 3..],
        [
            "webhook_attempted",
            "webhook_attempted",
            "webhook_abandoned"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn callback_urls_to_private_networks_and_odd_schemes_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.token_for("ssrf@example.com").await;
    for url in [
        "http://127.0.0.1:9/",
        "http://localhost/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "https://user:secret@example.com/",
    ] {
        let (status, body) = app
            .submit(tiny_png(), "p.png", &[("callback_url", url)], Some(&token))
            .await;
        assert_eq!(status, 400, "{url}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("callback_url"),
            "{url}: {body}"
        );
    }
    // Anonymous callers have no secret to sign with.
    let (status, body) = app
        .submit(
            tiny_png(),
            "p.png",
            &[("callback_url", "https://example.com/hook")],
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    // Nothing was charged for any of it.
    let (_, account) = app.get_json("/api/v1/account/", Some(&token)).await;
    assert_eq!(account["used"], 0);
}
