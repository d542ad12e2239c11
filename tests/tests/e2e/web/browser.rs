//! The page in Debian's chromium (`scripts/deps.sh browser`), driven by `web/tests/*.mjs`: what
//! a user does, checked against the API; screenshots of each state in
//! `$CARGO_TARGET_DIR/tmp/web-shots/`.

use super::layout_words;
use serde_json::Value;
use std::time::Duration;
use tests::{corpus, Spawn, TestApp};

/// Where `scripts/deps.sh browser` installs playwright-core.
fn playwright_dir() -> std::path::PathBuf {
    std::env::var_os("OCRCHAT_PLAYWRIGHT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/ocrchat/playwright-1.65.2")
        })
}

/// Where the browser tests leave their screenshots: the test target's own scratch directory,
/// kept after the run so a person can look at them.
fn shots_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-shots")
}

/// Runs one of `web/tests/*.mjs` in Debian's chromium with `envs` (plus the browser, playwright
/// and screenshot locations) and returns its `RESULT` object; fails the test with the script's
/// error and output if it did not get through.
async fn run_in_browser(script: &str, envs: &[(&str, String)]) -> Value {
    let playwright = playwright_dir();
    assert!(
        playwright
            .join("node_modules/playwright-core/package.json")
            .exists(),
        "playwright-core is not installed in {} (run scripts/deps.sh browser)",
        playwright.display()
    );
    let chromium = std::env::var("OCRCHAT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing (run scripts/deps.sh browser)"
    );
    let run = tokio::process::Command::new("node")
        .arg(tests::workspace_root().join("web/tests").join(script))
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .env("OCRCHAT_WEB_SHOTS", shots_dir())
        .env("OCRCHAT_PLAYWRIGHT", &playwright)
        .env("OCRCHAT_CHROMIUM", &chromium)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(900), run)
        .await
        .expect("the browser run ends within 15 minutes")
        .expect("node runs (scripts/deps.sh browser)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let seen: Value = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_else(|| panic!("no RESULT from {script}\n{stdout}\n{stderr}"));
    eprintln!("{script}: screenshots in {}", shots_dir().display());
    assert!(
        seen.get("error").is_none() && output.status.success(),
        "{script} failed after {}: {}\n{stderr}",
        seen["steps"],
        seen["error"]
    );
    seen
}

/// Lower-cased letters and digits, as the page matches cited words.
fn letters(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Words of page `n` of a job, from the API.
async fn api_words(app: &TestApp, uuid: &str, n: u32) -> Vec<Value> {
    let (status, layout) = app
        .get_json(&format!("/api/v1/ocr/{uuid}/pages/{n}/"), None)
        .await;
    assert_eq!(status, 200, "{layout}");
    layout["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["lines"].as_array().unwrap())
        .flat_map(|l| l["words"].as_array().unwrap())
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_reads_uploads_shows_words_on_their_page_and_answers_with_citations_in_chromium() {
    // The chat model names the evidence line holding "cash", as a model that found it would.
    let model = tests::llm::FakeLlm::start(tests::llm::Behaviour::Cite {
        containing: "cash".into(),
        answer: String::new(),
    })
    .await
    .expect("fake model server");
    let base_url = model.base_url.clone();
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            // The 2-page PDF is answered at once and followed on the event stream.
            c.limits.inline_pages = 1;
            // The receipt (1 credit) and the PDF (2) fit; the PDF again (2) does not.
            c.pricing.anonymous_daily = 4;
            c.llm.base_url = Some(base_url);
        }),
        ..Spawn::default()
    })
    .await;
    let token = app.token_for("browser@example.com").await;
    let image = corpus::dir().join("en_receipt_02.jpg");
    let pdf = corpus::dir().join("en_typewritten_letter_2p.pdf");
    let seen = run_in_browser(
        "drive.mjs",
        &[
            ("OCRCHAT_WEB_BASE", app.base.clone()),
            ("OCRCHAT_WEB_TOKEN", token.clone()),
            ("OCRCHAT_WEB_IMAGE", image.display().to_string()),
            ("OCRCHAT_WEB_PDF", pdf.display().to_string()),
        ],
    )
    .await;
    eprintln!(
        "first load: {} bytes of assets, {} bytes of API answers; first result of a one-page \
         image after {} ms",
        seen["first_load_bytes"]["assets"],
        seen["first_load_bytes"]["api"],
        seen["first_result_ms"]
    );

    let mut summary = seen.clone();
    summary["txt"] = Value::from(format!(
        "{} characters",
        seen["txt"].as_str().map_or(0, str::len)
    ));
    eprintln!("what the browser saw: {summary}");

    // The page said the limits before any upload, and the anonymous allowance.
    assert_eq!(seen["max_size_text"], "50 MB");
    assert!(
        seen["account_anonymous"]
            .as_str()
            .unwrap()
            .contains("0 of 4 credits"),
        "{seen}"
    );

    // Every word of the page has its box, and the tooltip shows that word.
    let image_job = seen["image_job"].as_str().unwrap();
    let words = api_words(&app, image_job, 0).await;
    assert_eq!(seen["image_boxes"].as_u64(), Some(words.len() as u64));
    let tip = &seen["tooltip"];
    let word = &words[tip["word_index"].as_u64().unwrap() as usize];
    assert_eq!(tip["text"], word["text"]);
    let percent = (word["confidence"].as_f64().unwrap() * 100.0).round();
    assert_eq!(tip["confidence"], format!("confidence {percent}%"));
    assert_eq!(seen["keyboard_active"], serde_json::json!([1]));
    let selection = &seen["selection"];
    assert!(selection["spans"].as_u64().unwrap() > 0);
    assert_eq!(
        selection["boxes"], selection["spans"],
        "each selected word lights its box"
    );

    // The downloaded text is the job's text, named after the upload.
    assert_eq!(seen["txt_name"], "en_receipt_02.txt");
    let txt = app
        .http
        .get(app.url(&format!("/api/v1/ocr/{image_job}/download/?format=txt")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(seen["txt"].as_str(), Some(txt.as_str()));

    // The PDF: progress from the stream up to done, both pages drawn.
    let statuses: Vec<&str> = seen["pdf_statuses"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        statuses.iter().any(|s| s.ends_with("/ 2 pages")),
        "progress was shown: {statuses:?}"
    );
    assert!(
        statuses.last().unwrap().starts_with("Done · 2 pages"),
        "{statuses:?}"
    );
    assert_eq!(seen["pdf_progress"]["value"], seen["pdf_progress"]["max"]);
    // The first stream was cut after its first event (seq 1): the page came back for the rest.
    assert_eq!(
        seen["stream_last_event_ids"],
        serde_json::json!([null, "1"]),
        "resumed with Last-Event-ID"
    );
    let pdf_job = seen["pdf_job"].as_str().unwrap();
    for n in 0..2 {
        let words = api_words(&app, pdf_job, n).await;
        assert_eq!(
            seen["pdf_boxes"][n as usize].as_u64(),
            Some(words.len() as u64),
            "page {n}"
        );
    }

    assert!(seen["text_view_chars"].as_u64().unwrap() > 1000, "{seen}");
    assert_eq!(
        seen["markdown_selected"], "true",
        "arrow keys move between tabs"
    );
    assert!(seen["markdown_blocks"].as_u64().unwrap() > 5, "{seen}");

    // Out of allowance: the 402 in words, with the numbers.
    let quota = seen["quota_message"].as_str().unwrap();
    assert!(
        quota.contains("3 of 4") && quota.ends_with("Nothing was charged."),
        "{quota}"
    );

    let refused = seen["error_400"]["text"].as_str().unwrap();
    assert!(refused.starts_with("The server refused this:"), "{refused}");
    assert!(!refused.contains('{'), "no raw JSON: {refused}");
    assert_eq!(
        seen["error_too_large"]["text"],
        "File too large: the limit is 50 MB."
    );
    let unauthorised = seen["error_401"]["text"].as_str().unwrap();
    assert!(
        unauthorised.contains("token was not accepted"),
        "{unauthorised}"
    );

    // The token: the account's plan shown, the token kept, never in a URL or the console.
    assert!(
        seen["account_with_token"]
            .as_str()
            .unwrap()
            .contains("browser@example.com"),
        "{seen}"
    );
    assert_eq!(seen["token_in_storage"], true);
    assert_eq!(seen["token_in_urls"], 0);
    assert_eq!(seen["token_in_console"], 0);

    // Chat: a cited answer; its chip marks words of the cited snippet on the page.
    let chips = seen["chips"].as_array().unwrap();
    assert!(!chips.is_empty(), "{seen}");
    assert!(chips.iter().all(|c| c.as_str().unwrap().starts_with("p. ")));
    let snippet = letters(seen["chip_snippet"].as_str().unwrap());
    let cited: Vec<&str> = seen["cited_words"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!cited.is_empty() && !seen["cited_boxes"].as_array().unwrap().is_empty());
    // The marked words, read in order, are the snippet (punctuation aside): the cited place,
    // not the same word elsewhere on the page.
    assert_eq!(
        letters(&cited.concat()),
        snippet,
        "marked {cited:?} for the snippet {:?}",
        seen["chip_snippet"]
    );

    // My jobs listed the account's job; deleting it there erased it.
    let account_job = seen["account_job"].as_str().unwrap();
    assert!(seen["jobs_listed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|j| j == account_job));
    assert!(!seen["jobs_after_delete"]
        .as_array()
        .unwrap()
        .iter()
        .any(|j| j == account_job));
    assert_eq!(seen["result_hidden_after_delete"], true);
    let (status, _) = app
        .get_json(&format!("/api/v1/ocr/{account_job}/"), Some(&token))
        .await;
    assert_eq!(status, 404);

    // Dark and phone width draw the same boxes; nothing wider than a phone.
    for name in ["11-dark-desktop", "12-phone-dark", "13-phone-light"] {
        assert_eq!(
            seen[format!("boxes_{name}")].as_u64(),
            Some(words.len() as u64),
            "{name}"
        );
    }
    assert!(seen["phone_overflow"].as_i64().unwrap() <= 0, "{seen}");
    assert_eq!(seen["page_errors"], serde_json::json!([]), "script errors");
    for shot in seen["shots"].as_array().unwrap() {
        assert!(
            std::path::Path::new(shot.as_str().unwrap()).exists(),
            "{shot}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_hundred_page_job_keeps_only_the_pages_in_view_loaded() {
    let app = TestApp::spawn().await;
    let token = app.paid_token_for("long@example.com", 1000).await;
    // 200 born-digital pages (one section each), read from their text layer: no OCR needed.
    let scratch = crate::support::Scratch::new();
    let mut html = String::from("<html><body>");
    for i in 1..=200 {
        let brk = if i > 1 {
            r#" style="page-break-before: always""#
        } else {
            ""
        };
        html.push_str(&format!(
            "<h2{brk}>Section {i}</h2><p>This is page {i} of a long report. The committee \
             met on day {i} and reviewed the accounts, the letters received and the plans for \
             the coming week.</p><p>Item {i}.1: travel. Item {i}.2: printing.</p>"
        ));
    }
    html.push_str("</body></html>");
    let source = scratch.write("long.html", html.as_bytes());
    let pdf = std::fs::read(crate::support::soffice_convert(
        &source, "pdf", "pdf", &scratch,
    ))
    .expect("read pdf");
    let (status, job) = app.submit(pdf, "long.pdf", &[], Some(&token)).await;
    assert_eq!(status, 200, "{job}");
    let uuid = job["uuid"].as_str().unwrap().to_owned();
    let job = app
        .wait_until_final(&uuid, Some(&token), Duration::from_secs(600))
        .await;
    assert_eq!(job["status"], "done", "{job}");
    let pages = job["page_count"].as_u64().unwrap();
    assert_eq!(pages, 200);

    let seen = run_in_browser(
        "long-job.mjs",
        &[
            ("OCRCHAT_WEB_BASE", app.base.clone()),
            ("OCRCHAT_WEB_TOKEN", token.clone()),
            ("OCRCHAT_WEB_JOB", uuid.clone()),
        ],
    )
    .await;
    eprintln!("200-page job in the browser: {seen}");
    assert_eq!(
        seen["pages"].as_u64(),
        Some(pages),
        "a placeholder per page"
    );
    let loaded_at_start = seen["loaded_at_start"].as_u64().unwrap();
    assert!((1..=6).contains(&loaded_at_start), "{seen}");
    assert!(seen["loaded_after_jump"].as_u64().unwrap() <= 6, "{seen}");
    let scroll = &seen["scroll"];
    assert!(scroll["max_loaded_pages"].as_u64().unwrap() <= 10, "{seen}");
    let (_, layout) = app
        .get_json(
            &format!("/api/v1/ocr/{uuid}/pages/{}/", pages - 1),
            Some(&token),
        )
        .await;
    assert_eq!(
        seen["last_page_boxes"].as_u64(),
        Some(layout_words(&layout).len() as u64)
    );
    assert_eq!(seen["page_errors"], serde_json::json!([]));
}
