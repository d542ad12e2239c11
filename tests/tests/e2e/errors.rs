//! Bad input gets a clear 4xx with a JSON message (or a failed job that says why); nothing
//! crashes. Covers every file of `corpus/bad/`.

use std::time::Duration;
use tests::{corpus, Spawn, TestApp};

fn message(body: &serde_json::Value) -> String {
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("error body is JSON with 'error': {body}"))
        .to_lowercase()
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_files_are_refused_with_clear_messages() {
    let app = TestApp::spawn().await;
    for (file, expect_in_message) in [
        ("empty.png", "empty"),
        ("text_named_as.jpg", "unsupported"),
        ("pdf_encrypted_with_password.pdf", "password"),
        ("pixel_bomb_60000x60000.png", "too large"),
        ("pdf_3000_blank_pages.pdf", "pages"),
    ] {
        let (status, body) = app.submit_file(&corpus::bad(file), &[]).await;
        assert_eq!(status, 400, "{file}: {body}");
        let msg = message(&body);
        assert!(
            msg.contains(expect_in_message),
            "{file}: message {msg:?} should say {expect_in_message:?}"
        );
    }
    // Still serving after all of that.
    let (status, _) = app.get_json("/healthz", None).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn damaged_files_are_refused_or_recognised_as_far_as_they_decode() {
    let app = TestApp::spawn().await;
    for file in ["jpeg_truncated.jpg", "pdf_truncated.pdf"] {
        let (status, body) = app.submit_file(&corpus::bad(file), &[]).await;
        match status {
            400 => {
                let msg = message(&body);
                assert!(msg.contains("unreadable"), "{file}: {msg}");
            }
            200 => {
                let job = app
                    .wait_until_final(
                        body["uuid"].as_str().unwrap(),
                        None,
                        Duration::from_secs(120),
                    )
                    .await;
                // A damaged file may still fail while processing; then it must say why.
                if job["status"] == "failed" {
                    assert!(
                        !job["error"].as_str().unwrap_or_default().is_empty(),
                        "{file}: {job}"
                    );
                }
            }
            other => panic!("{file}: unexpected status {other}: {body}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn animated_gif_is_read_as_its_first_frame() {
    let app = TestApp::spawn().await;
    let (status, job) = app
        .submit_file(&corpus::bad("gif_25_frames.gif"), &[])
        .await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["page_count"], 1, "documented choice: first frame only");
    assert_eq!(job["status"], "done", "{job}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_fields_and_missing_files_are_400_naming_the_problem() {
    let app = TestApp::spawn().await;
    let png = std::fs::read(corpus::entry("en_receipt_02.jpg").path()).unwrap();
    for (fields, expect) in [
        (vec![("tier", "gpu")], "gpu"),
        (vec![("language", "xx")], "xx"),
        (vec![("language", "de+qq")], "qq"),
        (vec![("tool", "make-coffee")], "make-coffee"),
    ] {
        let (status, body) = app.submit(png.clone(), "r.jpg", &fields, None).await;
        assert_eq!(status, 400, "{fields:?}: {body}");
        assert!(message(&body).contains(expect), "{fields:?}: {body}");
    }

    // No file part at all.
    let form = reqwest::multipart::Form::new().text("language", "en");
    let resp = app
        .http
        .post(app.url("/api/v1/ocr/"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(message(&body).contains("no file"), "{body}");

    // Not multipart.
    let resp = app
        .http
        .post(app.url("/api/v1/ocr/"))
        .body("hello")
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert!(status == 400 || status == 415, "{status}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");

    // Unknown job and malformed uuid: 404 with JSON.
    for path in [
        "/api/v1/ocr/00000000-0000-0000-0000-000000000000/",
        "/api/v1/ocr/not-a-uuid/",
    ] {
        let (status, body) = app.get_json(path, None).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(message(&body), "job not found");
    }
    // Unknown route: 404 with JSON too.
    let (status, body) = app.get_json("/api/v1/nothing-here/", None).await;
    assert_eq!(status, 404);
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_upload_is_400() {
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(|c| c.limits.max_upload_bytes = 100_000),
        ..Spawn::default()
    })
    .await;
    let (status, body) = app
        .submit_file(&corpus::entry("en_receipt_01.jpg").path(), &[])
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("too large"), "{body}");
}
