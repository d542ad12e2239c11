//! Issue 14: hostile clients. Uploads are bounded while they stream, whatever the framing; the
//! caller is decided (401, 402) before the body is read; clients over their rate limit get
//! `429` with `Retry-After`; a connection that dribbles a request head is closed, while a slow
//! answer on a live request is not cut. Raw sockets, so nothing on the client side buffers or
//! fixes the framing for us.

use crate::support::tiny_png;
use serde_json::Value;
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use tests::{Spawn, TestApp};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const BOUNDARY: &str = "ocrchat-hostile-boundary";
const MIB: u64 = 1024 * 1024;

/// Raw sockets need the address without the scheme.
fn host(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// The head of a multipart submit; `length` is a declared `Content-Length`, else chunked.
fn submit_head(app: &TestApp, length: Option<u64>, token: Option<&str>) -> String {
    let mut head = format!(
        "POST /api/v1/ocr/ HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; \
         boundary={BOUNDARY}\r\n",
        host(app)
    );
    match length {
        Some(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
        None => head.push_str("Transfer-Encoding: chunked\r\n"),
    }
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n");
    head
}

fn part_head() -> String {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
}

fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// Reads one HTTP/1.1 response (head and a `Content-Length` body).
async fn read_response(stream: &mut (impl AsyncRead + Unpin)) -> (u16, String, Value) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut tmp).await.unwrap();
                assert!(n > 0, "connection closed inside the body");
                buf.extend_from_slice(&tmp[..n]);
            }
            let body =
                serde_json::from_slice(&buf[end + 4..end + 4 + length]).unwrap_or(Value::Null);
            return (status, head, body);
        }
        let n = stream.read(&mut tmp).await.unwrap();
        assert!(
            n > 0,
            "connection closed before a response: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&tmp[..n]);
    }
}

/// Sends a chunked upload of up to `cap` body bytes and reads the answer as it comes; returns
/// it with the body bytes the socket had taken when the answer arrived.
async fn streamed_upload(app: &TestApp, token: Option<&str>, cap: u64) -> (u16, Value, u64) {
    let stream = TcpStream::connect(host(app)).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let sent = Arc::new(AtomicU64::new(0));
    let head = submit_head(app, None, token);
    let writer = {
        let sent = Arc::clone(&sent);
        tokio::spawn(async move {
            write.write_all(head.as_bytes()).await?;
            write.write_all(&chunk(part_head().as_bytes())).await?;
            let block = chunk(&vec![0x5a; 64 * 1024]);
            while sent.load(Ordering::Acquire) < cap {
                write.write_all(&block).await?;
                sent.fetch_add(64 * 1024, Ordering::AcqRel);
            }
            std::io::Result::Ok(())
        })
    };
    let (status, _, body) =
        tokio::time::timeout(Duration::from_secs(120), read_response(&mut read))
            .await
            .expect("an answer while the upload streams");
    let taken = sent.load(Ordering::Acquire);
    writer.abort();
    (status, body, taken)
}

fn spawn_configured(configure: impl FnOnce(&mut api::Config) + Send + 'static) -> Spawn {
    Spawn {
        workers: true,
        configure: Box::new(configure),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_without_a_declared_length_is_refused_at_the_limit_not_read_whole() {
    let app = TestApp::spawn_with(spawn_configured(|c| c.limits.max_upload_bytes = 2 * MIB)).await;
    // 256 MiB offered; the server must answer long before (limit + form margin + the kernel's
    // socket buffers, a few MiB on loopback).
    let (status, body, taken) = streamed_upload(&app, None, 256 * MIB).await;
    eprintln!("a 2 MiB limit: the socket took {taken} bytes of a 256 MiB chunked upload");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "file too large: the limit is 2 MB", "{body}");
    assert!(
        taken < 2 * MIB + MIB + 32 * MIB,
        "the server took {taken} bytes of an upload limited to 2 MiB"
    );

    // A declared length over the limit is refused before any of the body is sent.
    let mut stream = TcpStream::connect(host(&app)).await.unwrap();
    stream
        .write_all(submit_head(&app, Some(10 * 1024 * MIB), None).as_bytes())
        .await
        .unwrap();
    let (status, _, body) =
        tokio::time::timeout(Duration::from_secs(10), read_response(&mut stream))
            .await
            .expect("refused without waiting for the body");
    assert_eq!(status, 400);
    assert_eq!(body["error"], "file too large: the limit is 2 MB");

    // A file within the limit, chunked, still works.
    let png = tiny_png();
    let mut body = part_head().into_bytes();
    body.extend_from_slice(&png);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let mut stream = TcpStream::connect(host(&app)).await.unwrap();
    stream
        .write_all(submit_head(&app, None, None).as_bytes())
        .await
        .unwrap();
    for piece in body.chunks(1000) {
        stream.write_all(&chunk(piece)).await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let (status, _, job) = read_response(&mut stream).await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["status"], "done", "{job}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_token_or_an_exhausted_allowance_is_answered_before_the_body_is_read() {
    let app = TestApp::spawn_with(spawn_configured(|c| c.pricing.anonymous_daily = 0)).await;
    // Only the head is sent: the answer must not wait for a body that never comes.
    for (token, expected) in [(Some("ocr_not_a_token"), 401), (None, 402)] {
        let mut stream = TcpStream::connect(host(&app)).await.unwrap();
        stream
            .write_all(submit_head(&app, Some(40 * MIB), token).as_bytes())
            .await
            .unwrap();
        let started = Instant::now();
        let (status, _, body) =
            tokio::time::timeout(Duration::from_secs(10), read_response(&mut stream))
                .await
                .expect("answered before the body");
        assert_eq!(status, expected, "{body}");
        assert!(body["error"].is_string(), "{body}");
        assert!(started.elapsed() < Duration::from_secs(5));
        if expected == 402 {
            assert_eq!(body["used"], 0);
            assert_eq!(body["cap"], 0);
            assert_eq!(
                body["error"],
                "daily allowance exhausted: 0 of 0 credits used"
            );
        }
    }
    // An account with allowance left is not refused by the anonymous exhaustion.
    let token = app.token_for("has-allowance@example.com").await;
    let (status, job) = app.submit(tiny_png(), "page.png", &[], Some(&token)).await;
    assert_eq!(status, 200, "{job}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_small_request_is_answered_and_its_connection_kept() {
    // A chat question with a bad token: refused before the handler, but its (small) body is
    // read first, so the client sees the 401 rather than a reset connection, and can go on.
    let app = TestApp::spawn().await;
    let mut stream = TcpStream::connect(host(&app)).await.unwrap();
    let question = serde_json::json!({ "message": "x".repeat(200_000) }).to_string();
    for round in 0..3 {
        let head = format!(
            "POST /api/v1/chat/00000000-0000-0000-0000-000000000000/ HTTP/1.1\r\nHost: {}\r\n\
             Authorization: Bearer ocr_not_a_token\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            host(&app),
            question.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(question.as_bytes()).await.unwrap();
        let (status, head, body) =
            tokio::time::timeout(Duration::from_secs(10), read_response(&mut stream))
                .await
                .expect("answered");
        assert_eq!(status, 401, "round {round}: {head} {body}");
        assert!(body["error"].is_string(), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_over_their_rate_get_429_with_retry_after_and_others_are_unaffected() {
    use domain::rate::{RateLimit, RateLimits};
    let app = TestApp::spawn_with(spawn_configured(|c| {
        c.guards.rates = RateLimits {
            submit: Some(RateLimit {
                per_minute: 2,
                burst: 2,
            }),
            read: Some(RateLimit {
                per_minute: 60,
                burst: 5,
            }),
            ..RateLimits::default()
        }
    }))
    .await;
    // Anonymous: two submits, then refused.
    for _ in 0..2 {
        let (status, job) = app.submit(tiny_png(), "page.png", &[], None).await;
        assert_eq!(status, 200, "{job}");
    }
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(tiny_png()).file_name("page.png"),
    );
    let refused = app
        .http
        .post(app.url("/api/v1/ocr/"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "Retry-After {retry_after}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"],
        format!("too many submit requests: the limit is 2 per minute; retry in {retry_after} s")
    );
    // An account is its own client.
    let token = app.token_for("rate@example.com").await;
    let (status, job) = app.submit(tiny_png(), "page.png", &[], Some(&token)).await;
    assert_eq!(status, 200, "{job}");
    // Reads have their own, more generous limit: five polls pass, then 429.
    let id = job["uuid"].as_str().unwrap().to_owned();
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let (status, _) = app
            .get_json(&format!("/api/v1/ocr/{id}/"), Some(&token))
            .await;
        statuses.push(status);
    }
    assert_eq!(statuses[..5], [200; 5], "{statuses:?}");
    assert_eq!(statuses[6], 429, "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dribbled_request_head_is_cut_but_a_slow_answer_is_not() {
    let app = TestApp::spawn_with(spawn_configured(|c| {
        c.guards.header_timeout = Duration::from_millis(500);
        c.guards.body_idle = Duration::from_secs(1);
    }))
    .await;
    // One byte every 200 ms never completes a head: the connection is closed after ~0.5 s.
    let mut stream = TcpStream::connect(host(&app)).await.unwrap();
    let started = Instant::now();
    let head = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\nX-Slow: ", host(&app));
    stream.write_all(head.as_bytes()).await.unwrap();
    let closed = loop {
        if stream.write_all(b"a").await.is_err() {
            break started.elapsed();
        }
        let mut byte = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut byte)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break started.elapsed(),
            Ok(Ok(_)) => {} // a 408 or similar from hyper: it is closing
            Err(_) => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "a dribbling client kept its connection for 15 s"
        );
    };
    assert!(
        closed >= Duration::from_millis(450),
        "closed after {closed:?}"
    );

    // A body that stops arriving is refused after the body idle timeout.
    let mut stream = TcpStream::connect(host(&app)).await.unwrap();
    stream
        .write_all(submit_head(&app, Some(100_000), None).as_bytes())
        .await
        .unwrap();
    stream.write_all(part_head().as_bytes()).await.unwrap();
    let (status, _, body) =
        tokio::time::timeout(Duration::from_secs(10), read_response(&mut stream))
            .await
            .expect("a stalled body is answered");
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"],
        "the request body stalled: nothing arrived for 1 s"
    );

    // A request answered after longer than the header timeout (an inline job: OCR of the page
    // takes longer than half a second) is not cut, and its connection serves another after.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let page = crate::support::encode(&crate::support::sample_page(), image::ImageFormat::Png);
    let started = Instant::now();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(page).file_name("page.png"),
    );
    let response = client
        .post(app.url("/api/v1/ocr/"))
        .multipart(form)
        .send()
        .await
        .expect("the slow answer arrives");
    assert_eq!(response.status(), 200);
    let job: Value = response.json().await.unwrap();
    assert_eq!(job["status"], "done", "{job}");
    assert!(
        started.elapsed() > Duration::from_millis(600),
        "the answer came in {:?}: too fast to show the timeout spares live requests",
        started.elapsed()
    );
    let health = client.get(app.url("/healthz")).send().await.unwrap();
    assert!(health.status().is_success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misspelt_form_field_is_refused_by_name_not_ignored() {
    let app = TestApp::spawn_with(spawn_configured(|_| {})).await;
    let (status, body) = app
        .submit(tiny_png(), "page.png", &[("langauge", "deu")], None)
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"].as_str().unwrap_or_default();
    assert!(message.contains("unknown field `langauge`"), "{message}");
}
