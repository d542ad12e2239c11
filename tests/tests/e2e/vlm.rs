//! The `vlm` tier (issue 6): a vision-language model reads the page, Tesseract's word boxes
//! place its text. Refused (and never charged) without a model; with a scripted model server:
//! the request's shape, the page result built from the model's Markdown, exports, retries of
//! transient errors and a page that keeps failing; with the real `llama-server`, which has no
//! vision projector here, the job fails with llama's own error.
//!
//! No vision model ships in any package reachable from these machines, so the model is replaced
//! by [`ScriptedModel`], a local server speaking the OpenAI chat-completions protocol whose
//! answers each test writes. `tests::llm::FakeLlm` answers with JSON content only (its `Reply`
//! serialises a value), while a transcription is plain Markdown, and its failures are one-shot;
//! hence this server.

use serde_json::{json, Value};
use std::{
    process::Command,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};
use tests::{corpus, llm::LlamaServer, Spawn, TestApp};
use tokio::{
    io::AsyncWriteExt,
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// What the scripted server answers to the `n`th chat request (0-based): status and JSON body.
pub type Script = Arc<dyn Fn(usize, &Value) -> (u16, String) + Send + Sync>;

/// A local OpenAI-compatible chat server whose answers a closure decides, recording every
/// request body; stopped on drop.
pub struct ScriptedModel {
    /// `http://127.0.0.1:<port>/v1`, for `OCRCHAT_VLM_BASE_URL` or `OCRCHAT_LLM_BASE_URL`.
    pub base_url: String,
    requests: Arc<Mutex<Vec<(Instant, Value)>>>,
    accept: JoinHandle<()>,
}

impl ScriptedModel {
    /// Starts on a free loopback port.
    pub async fn start(
        script: impl Fn(usize, &Value) -> (u16, String) + Send + Sync + 'static,
    ) -> ScriptedModel {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("local addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Script = Arc::new(script);
        let counter = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&requests);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (seen, script, counter) =
                    (Arc::clone(&seen), Arc::clone(&script), Arc::clone(&counter));
                tokio::spawn(async move {
                    let _ = serve(stream, seen, script, counter).await;
                });
            }
        });
        ScriptedModel {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            requests,
            accept,
        }
    }

    /// The chat request bodies received so far, in arrival order.
    pub fn requests(&self) -> Vec<Value> {
        self.recorded().into_iter().map(|(_, body)| body).collect()
    }

    /// When each request arrived, in arrival order.
    pub fn arrivals(&self) -> Vec<Instant> {
        self.recorded().into_iter().map(|(at, _)| at).collect()
    }

    fn recorded(&self) -> Vec<(Instant, Value)> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for ScriptedModel {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A `200` chat completion whose content is `text`.
pub fn answer(text: &str) -> (u16, String) {
    (200, tests::llm::completion(text).to_string())
}

/// An error status with an OpenAI-style error body, as llama.cpp and vLLM send.
pub fn failure(status: u16, message: &str) -> (u16, String) {
    (
        status,
        json!({"error": {"code": status, "message": message, "type": "server_error"}}).to_string(),
    )
}

async fn serve(
    mut stream: TcpStream,
    seen: Arc<Mutex<Vec<(Instant, Value)>>>,
    script: Script,
    counter: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let Some((head, request)) = tests::llm::read_request(&mut stream).await? else {
        return Ok(());
    };
    let (status, body) = if head.starts_with("post ") && head.contains("/chat/completions") {
        let request: Value = serde_json::from_slice(&request).unwrap_or(Value::Null);
        let n = counter.fetch_add(1, Ordering::SeqCst);
        seen.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((Instant::now(), request.clone()));
        script(n, &request)
    } else {
        failure(404, "no such endpoint")
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// Standard base64 (with padding), for the image the model was sent.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = ALPHABET
            .iter()
            .position(|a| *a == byte)
            .unwrap_or_else(|| panic!("not base64: {:?}", byte as char)) as u32;
        acc = (acc << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// A service with a vision model at `base_url` (or none), anonymous allowance raised.
pub async fn vlm_app(base_url: Option<String>, attempts: u32) -> TestApp {
    TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.pricing.anonymous_daily = 1000;
            c.vlm.base_url = base_url;
            c.vlm.model = "vision-test-model".into();
            c.vlm.attempts = attempts;
            c.vlm.timeout = Duration::from_secs(60);
            c.llm.base_url = None;
        }),
        ..Spawn::default()
    })
    .await
}

/// Submits and waits for the end (inline or polled). The wait only guards against a hang: on two
/// loaded cores a real local model's translation of a page took over 300 s in a CI run.
pub async fn finished(app: &TestApp, bytes: Vec<u8>, name: &str, fields: &[(&str, &str)]) -> Value {
    let (status, job) = app.submit(bytes, name, fields, None).await;
    assert_eq!(status, 200, "{job}");
    match job["status"].as_str() {
        Some("done" | "failed") => job,
        _ => {
            app.wait_until_final(
                job["uuid"].as_str().expect("uuid"),
                None,
                Duration::from_secs(900),
            )
            .await
        }
    }
}

/// The Markdown a good vision model would write for `en_receipt_01.jpg` (its ground truth with
/// a heading, a subheading and the item table), plus one sentence that is not on the receipt,
/// and the plain page text the service must make of it (headings without `#`, table rows as
/// cells joined by ` | `, blocks separated by blank lines).
pub fn receipt_transcription() -> (&'static str, &'static str) {
    const MARKDOWN: &str = "# SWC ENTERPRISE SDN BHD

(1125830-V)
8 & 10
PUSAT NIAGA IJOK PERMAI
48000 IJOK

## TAX INVOICE

(GST ID NO. : 002017808384)
02/01/2018 CASHIER: 123
10:46:55 NO:0100036262

| ITEM/DESC. | QTY | PRICE | AMT. |
|---|---:|---:|---:|
| 5X8 500G | 1 | 4.20 | 4.20 |

TOTAL QTY : 1
TOTAL AMOUNT 4.20
CASH 50.20
CHANGE 46.00
GST @6% INCLUDED IN TOTAL 0.24

THANK YOU ! PLEASE COME AGAIN !
GOODS SOLD ONLY EXCHANGABLE
WITHIN 3 DAYS !

Quantum zebras juggle marmalade over Jupiter.";
    const TEXT: &str = "SWC ENTERPRISE SDN BHD

(1125830-V)
8 & 10
PUSAT NIAGA IJOK PERMAI
48000 IJOK

TAX INVOICE

(GST ID NO. : 002017808384)
02/01/2018 CASHIER: 123
10:46:55 NO:0100036262

ITEM/DESC. | QTY | PRICE | AMT.
5X8 500G | 1 | 4.20 | 4.20

TOTAL QTY : 1
TOTAL AMOUNT 4.20
CASH 50.20
CHANGE 46.00
GST @6% INCLUDED IN TOTAL 0.24

THANK YOU ! PLEASE COME AGAIN !
GOODS SOLD ONLY EXCHANGABLE
WITHIN 3 DAYS !

Quantum zebras juggle marmalade over Jupiter.";
    (MARKDOWN, TEXT)
}

/// The user message's parts of a recorded vision request: (text part, image data URL).
fn request_parts(request: &Value) -> (String, String) {
    let parts = request["messages"][1]["content"]
        .as_array()
        .unwrap_or_else(|| panic!("the user message is a list of parts: {request:#}"));
    let text = parts
        .iter()
        .find(|p| p["type"] == "text")
        .and_then(|p| p["text"].as_str())
        .expect("a text part")
        .to_owned();
    let url = parts
        .iter()
        .find(|p| p["type"] == "image_url")
        .and_then(|p| p["image_url"]["url"].as_str())
        .expect("an image_url part")
        .to_owned();
    (text, url)
}

async fn account_used(app: &TestApp) -> u64 {
    let (status, account) = app.get_json("/api/v1/account/", None).await;
    assert_eq!(status, 200, "{account}");
    account["used"].as_u64().expect("used")
}

#[tokio::test(flavor = "multi_thread")]
async fn vlm_tier_and_handwriting_tool_are_refused_and_free_without_a_vision_model() {
    let app = vlm_app(None, 4).await;
    let before = account_used(&app).await;
    let receipt = corpus::entry("en_receipt_01.jpg").path();
    for (fields, names) in [
        (vec![("tier", "vlm")], "the vlm tier"),
        (
            vec![("tool", "handwriting-to-text")],
            "the handwriting-to-text tool",
        ),
        (
            vec![("tool", "handwriting-to-text"), ("tier", "cpu")],
            "the handwriting-to-text tool",
        ),
    ] {
        let (status, body) = app.submit_file(&receipt, &fields).await;
        assert_eq!(status, 400, "{fields:?}: {body}");
        let message = body["error"].as_str().expect("error message");
        assert!(message.contains(names), "{fields:?}: {message}");
        assert!(
            message.contains("not available") && message.contains("OCRCHAT_VLM_BASE_URL"),
            "the message says why and what to configure: {message}"
        );
    }
    assert_eq!(
        account_used(&app).await,
        before,
        "a refused submit costs nothing"
    );
    assert_eq!(count_rows(&app, "jobs").await, 0, "no job was recorded");
    assert_eq!(
        count_rows(&app, "ledger").await,
        0,
        "no ledger entry was written"
    );
}

/// Rows in one of the app's tables.
async fn count_rows(app: &TestApp, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .store()
        .connection()
        .query_one(Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT COUNT(*)::bigint FROM {table}"),
        ))
        .await
        .expect("count query")
        .expect("one row");
    row.try_get_by_index::<i64>(0).expect("a count")
}

#[tokio::test(flavor = "multi_thread")]
async fn vlm_page_is_the_models_markdown_placed_on_tesseract_word_boxes() {
    let (markdown, expected_text) = receipt_transcription();
    let model = ScriptedModel::start(move |_, _| answer(markdown)).await;
    let app = vlm_app(Some(model.base_url.clone()), 4).await;
    let entry = corpus::entry("en_receipt_01.jpg");
    let started = Instant::now();
    let job = finished(
        &app,
        std::fs::read(entry.path()).unwrap(),
        &entry.file,
        &[("tier", "vlm"), ("language", "en")],
    )
    .await;
    eprintln!("vlm receipt job: {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["tier"], "vlm", "{job}");

    // One request, of the right shape.
    let requests = model.requests();
    assert_eq!(requests.len(), 1, "one call for one page");
    let request = &requests[0];
    assert_eq!(request["model"], "vision-test-model", "{request:#}");
    assert_eq!(request["messages"][0]["role"], "system");
    assert_eq!(
        request["messages"][0]["content"],
        workers::vlm::SYSTEM_PROMPT,
        "the transcription instruction is sent"
    );
    assert_eq!(request["messages"][1]["role"], "user");
    let (ask, url) = request_parts(request);
    assert!(ask.contains("Transcribe"), "{ask}");
    assert!(
        ask.contains("English"),
        "the named language is passed on: {ask}"
    );
    let png = base64_decode(
        url.strip_prefix("data:image/png;base64,")
            .unwrap_or_else(|| panic!("a PNG data URL: {}", &url[..url.len().min(60)])),
    );
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "the data URL holds a PNG");
    let sent = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .expect("the PNG decodes");
    let page = &job["pages"][0];
    let (width, height) = (
        page["width"].as_u64().unwrap() as f64,
        page["height"].as_u64().unwrap() as f64,
    );
    assert!(sent.width().max(sent.height()) <= workers::vlm::MAX_SIDE);
    let (ratio_sent, ratio_page) = (
        f64::from(sent.width()) / f64::from(sent.height()),
        width / height,
    );
    assert!(
        (ratio_sent - ratio_page).abs() < 0.01,
        "the page itself was sent: {}x{} for a {width}x{height} page",
        sent.width(),
        sent.height()
    );

    // The page is the model's text, in the model's blocks.
    assert_eq!(page["text"], expected_text, "{page:#}");
    assert_eq!(job["text"], expected_text);
    assert_eq!(
        job["markdown"], markdown,
        "the job's Markdown is the model's"
    );
    let blocks = page["blocks"].as_array().expect("blocks");
    let texts: Vec<&str> = blocks.iter().map(|b| b["text"].as_str().unwrap()).collect();
    assert_eq!(texts, expected_text.split("\n\n").collect::<Vec<_>>());

    // Boxes from the alignment: inside the page, real areas; confidences in 0..1 that say how
    // much of each block Tesseract confirms where it is placed.
    let mut confirmed = Vec::new();
    for block in blocks {
        let bbox: Vec<f64> = block["bbox"]
            .as_array()
            .expect("bbox")
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(
            bbox[0] < bbox[2] && bbox[1] < bbox[3] && bbox[2] <= width && bbox[3] <= height,
            "bbox inside the page: {block}"
        );
        let confidence = block["confidence"].as_f64().expect("confidence");
        assert!((0.0..=1.0).contains(&confidence), "{block}");
        confirmed.push((block["text"].as_str().unwrap(), confidence, bbox));
    }
    for (text, confidence, bbox) in &confirmed {
        eprintln!(
            "  {confidence:.2} {bbox:?} {:?}",
            text.lines().next().unwrap_or("")
        );
    }
    let (invented, rest) = confirmed.split_last().expect("blocks");
    assert!(
        invented.1 < 0.2,
        "a sentence that is not on the receipt is not confirmed: {invented:?}"
    );
    let real_mean = rest.iter().map(|(_, c, _)| c).sum::<f64>() / rest.len() as f64;
    assert!(
        real_mean > 0.6,
        "text that is on the receipt is confirmed by Tesseract: mean {real_mean:.2}"
    );
    assert!(
        rest.iter().all(|(_, c, _)| *c > invented.1),
        "{confirmed:?}"
    );
    // Reading order is kept on the page: the heading is above the thank-you note.
    let heading = &confirmed[0].2;
    let thanks = &confirmed[rest.len() - 1].2;
    assert!(heading[1] < thanks[1], "{heading:?} vs {thanks:?}");
    let mean = job["mean_confidence"].as_f64().expect("mean confidence");
    assert!((0.0..=1.0).contains(&mean), "{mean}");

    // Exports still work on a vlm page.
    let uuid = job["uuid"].as_str().unwrap();
    let get = |format: &'static str| {
        let url = app.url(&format!("/api/v1/ocr/{uuid}/download/?format={format}"));
        let http = app.http.clone();
        async move {
            let resp = http.get(url).send().await.expect("download");
            assert_eq!(resp.status(), 200, "{format}");
            resp.bytes().await.expect("body").to_vec()
        }
    };
    let txt = String::from_utf8(get("txt").await).expect("utf-8 txt");
    assert_eq!(txt.trim_end(), expected_text);
    let md = String::from_utf8(get("md").await).expect("utf-8 md");
    for part in [
        "# SWC ENTERPRISE SDN BHD",
        "## TAX INVOICE",
        "| 5X8 500G | 1 | 4.20 | 4.20 |",
    ] {
        assert!(
            md.contains(part),
            "md download keeps the model's {part:?}: {md}"
        );
    }
    let pdf = get("pdf").await;
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let dir = std::env::temp_dir().join(tests::unique_name());
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("receipt.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let _ = std::fs::remove_dir_all(&dir);
    let searchable = String::from_utf8_lossy(&out.stdout);
    // The words of the receipt (the invented sentence has no place on the page to be found
    // at, so it is left out) are in the PDF's invisible text layer.
    let (on_page, _) = expected_text.rsplit_once("\n\n").expect("blocks");
    let words: Vec<&str> = on_page
        .split_whitespace()
        .filter(|w| w.chars().filter(|c| c.is_alphanumeric()).count() >= 4)
        .collect();
    let found = words.iter().filter(|w| searchable.contains(**w)).count();
    eprintln!("searchable PDF: {found} of {} receipt words", words.len());
    assert!(
        found * 10 >= words.len() * 9,
        "the searchable PDF has the model's words ({found}/{}): {searchable}",
        words.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_vision_errors_are_retried_until_the_page_is_read() {
    let (markdown, expected_text) = receipt_transcription();
    // 500, 503, 500, then an answer: four calls, the default number of attempts.
    let model = ScriptedModel::start(move |n, _| match n {
        0 | 2 => failure(500, "loading model"),
        1 => failure(503, "server busy"),
        _ => answer(markdown),
    })
    .await;
    let app = vlm_app(Some(model.base_url.clone()), 4).await;
    let entry = corpus::entry("en_receipt_01.jpg");
    let started = Instant::now();
    let job = finished(
        &app,
        std::fs::read(entry.path()).unwrap(),
        &entry.file,
        &[("tier", "vlm")],
    )
    .await;
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["pages"][0]["text"], expected_text);
    let requests = model.requests();
    assert_eq!(requests.len(), 4, "three failures and the answer");
    assert!(
        requests.windows(2).all(|w| w[0] == w[1]),
        "every retry sends the same request"
    );
    // Backoff 1 s, 2 s, 4 s between the calls (OCRCHAT_VLM_ATTEMPTS counts calls: no hidden
    // retries of the HTTP client in between).
    let gaps: Vec<f64> = model
        .arrivals()
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64())
        .collect();
    eprintln!("vlm page after 3 transient errors: {seconds:.1} s, calls apart {gaps:.2?} s");
    for (gap, backoff) in gaps.iter().zip([1.0, 2.0, 4.0]) {
        assert!(
            *gap >= backoff && *gap < backoff + 1.5,
            "retries back off exponentially: {gaps:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_the_vision_model_keeps_failing_fails_the_job_and_keeps_the_pages_read() {
    let entry = corpus::entry("en_typewritten_letter_2p.pdf");
    let truth = entry.ground_truth();
    let first_page: String = truth.split('\u{c}').next().unwrap().trim().to_owned();
    let reply = first_page.clone();
    // The first page image the model sees gets its answer (again, should a redelivered job ask
    // for it twice), every other image is refused as an overloaded server would. Keyed on the
    // image, not on arrival order, so an at-least-once redelivery of the job cannot turn the
    // answered page's second request into a failure. Which page that is depends on which
    // request arrives first: a job keeps one page more in flight than it has OCR threads.
    let first_image: Mutex<Option<String>> = Mutex::new(None);
    let model = ScriptedModel::start(move |_, request| {
        let (_, image) = request_parts(request);
        let mut first = first_image.lock().unwrap_or_else(|e| e.into_inner());
        if first.get_or_insert_with(|| image.clone()) == &image {
            answer(&reply)
        } else {
            failure(503, "model overloaded, try later")
        }
    })
    .await;
    let app = vlm_app(Some(model.base_url.clone()), 2).await;
    let job = finished(
        &app,
        std::fs::read(entry.path()).unwrap(),
        &entry.file,
        &[("tier", "vlm"), ("language", "en")],
    )
    .await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error_code"], "engine_error", "{job}");
    let error = job["error"].as_str().expect("a reason");
    eprintln!("failed vlm job: {error}");
    let pages = job["pages"].as_array().expect("pages");
    assert_eq!(pages.len(), 1, "the page that was read is kept: {job}");
    let kept_index = pages[0]["index"].as_u64().expect("a page index");
    assert!(kept_index < 2, "{job}");
    let failed_page = format!("page {}", 2 - kept_index);
    for part in [
        "vision model",
        failed_page.as_str(),
        "503",
        "model overloaded, try later",
        "gave up after 2 attempts",
    ] {
        assert!(error.contains(part), "the reason says {part:?}: {error}");
    }
    assert_eq!(job["page_count"], 2);
    assert_eq!(job["pages_done"], 1, "{job}");
    let kept = pages[0]["text"].as_str().unwrap();
    assert_eq!(
        kept.split_whitespace().collect::<Vec<_>>(),
        first_page.split_whitespace().collect::<Vec<_>>(),
        "the page kept is the model's text"
    );
    let images: Vec<String> = model
        .requests()
        .iter()
        .map(|r| request_parts(r).1)
        .collect();
    let refused_calls = images.iter().filter(|i| **i != images[0]).count();
    assert_eq!(
        refused_calls, 2,
        "the refused page: two attempts, then the job fails"
    );
    assert!(
        images.len() >= 3,
        "the answered page at least once, the refused one twice: {}",
        images.len()
    );
    // Only the page read is paid for: the other page's reservation is returned.
    let price = app.config.pricing.vlm_page;
    assert_eq!(account_used(&app).await, price, "one vlm page is charged");
}

#[tokio::test(flavor = "multi_thread")]
async fn real_llama_server_without_a_vision_projector_fails_the_job_with_its_own_error() {
    let server = LlamaServer::start(2048)
        .await
        .expect("llama-server starts (scripts/deps.sh llama models)");
    let app = vlm_app(Some(server.base_url.clone()), 2).await;
    let entry = corpus::entry("en_receipt_01.jpg");
    let started = Instant::now();
    let job = finished(
        &app,
        std::fs::read(entry.path()).unwrap(),
        &entry.file,
        &[("tier", "vlm")],
    )
    .await;
    eprintln!(
        "vlm job on llama-server ({}) ended in {:.1} s: {}",
        server.model_name(),
        started.elapsed().as_secs_f64(),
        job["error"]
    );
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error_code"], "engine_error", "{job}");
    let error = job["error"].as_str().expect("a reason");
    assert!(error.contains("vision model"), "{error}");
    assert!(error.contains("page 1"), "{error}");
    // llama.cpp's own words for a text-only model asked about an image.
    assert!(
        error.contains("image input is not supported"),
        "the reason quotes llama-server: {error}"
    );
    assert_eq!(job["pages_done"], 0, "{job}");
    // The service is still healthy afterwards (no panic took a worker down): a cpu page works.
    let job = finished(
        &app,
        crate::support::tiny_png(),
        "tiny.png",
        &[("language", "de")],
    )
    .await;
    assert_eq!(job["status"], "done", "{job}");
}
