//! Issue 12: the web page and the two endpoints it needs beside the job object.
//!
//! - `GET /api/v1/ocr/<uuid>/pages/<n>/` and `…/pages/<n>/image/`: one page's words and its stored
//!   image, visible exactly as the job is (owner, anonymous), cacheable, `404` for a page that
//!   is not there;
//! - `GET /api/v1/ocr/?limit=&cursor=`: the caller's jobs, newest first, a page at a time;
//! - `/`: the page itself with its security headers and embedded assets;
//! - the page driven in Debian's chromium (`scripts/deps.sh browser`): upload, progress, word
//!   boxes over the page, tooltips, downloads, a `402`, a token, chat citations, screenshots.
//!
//! `endpoints` checks the two endpoints and the served page over HTTP; `browser` drives the page.

mod browser;
mod endpoints;

use serde_json::Value;
use std::time::Duration;
use tests::TestApp;

/// Submits a file (as `token`, or anonymously) and waits until it is done.
pub(super) async fn done_job(
    app: &TestApp,
    bytes: Vec<u8>,
    name: &str,
    token: Option<&str>,
) -> Value {
    let (status, job) = app.submit(bytes, name, &[("language", "en")], token).await;
    assert_eq!(status, 200, "{job}");
    let uuid = job["uuid"].as_str().expect("uuid").to_owned();
    let job = app
        .wait_until_final(&uuid, token, Duration::from_secs(180))
        .await;
    assert_eq!(job["status"], "done", "{job}");
    job
}

/// GET with an optional bearer token and extra headers; the raw response.
pub(super) async fn get(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app.http.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("request")
}

pub(super) fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Asserts a `404` with the JSON error body `expected`.
pub(super) async fn assert_not_found(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    expected: &str,
) {
    let resp = get(app, path, token, &[]).await;
    assert_eq!(resp.status(), 404, "{path}");
    assert!(
        header(&resp, "content-type").starts_with("application/json"),
        "{path}: a 404 is JSON"
    );
    let body: Value = resp.json().await.expect("json error body");
    assert_eq!(body["error"], expected, "{path}: {body}");
}

/// Words of a page layout, as the viewer draws them.
pub(super) fn layout_words(layout: &Value) -> Vec<String> {
    layout["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .flat_map(|b| b["lines"].as_array().expect("lines"))
        .flat_map(|l| l["words"].as_array().expect("words"))
        .map(|w| w["text"].as_str().expect("word text").to_owned())
        .collect()
}
