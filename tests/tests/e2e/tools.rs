//! Tool presets (issue 6): the listing and its availability, the rules of `tool` and
//! `translate_to`, `translate` with the real `llama-server` as the chat model, and
//! `handwriting-to-text` forcing the `vlm` tier (with a scripted vision model, see
//! [`crate::vlm::ScriptedModel`]).
//!
//! A small local model translates loosely: the translation's structure is asserted (present,
//! non-empty, beside each page, target reported), never its wording.

use crate::vlm::{answer, finished, vlm_app, ScriptedModel};
use serde_json::Value;
use std::time::{Duration, Instant};
use tests::{corpus, llm::LlamaServer, Spawn, TestApp};

/// A service without workers whose chat and vision models are set or not. Nothing is called:
/// these tests stop at the API.
async fn api_only(chat: bool, vision: bool) -> TestApp {
    TestApp::spawn_with(Spawn {
        workers: false,
        configure: Box::new(move |c| {
            // Never contacted: submits in these tests are refused or not processed.
            let unused = Some("http://127.0.0.1:9/v1".to_owned());
            c.llm.base_url = if chat { unused.clone() } else { None };
            c.vlm.base_url = if vision { unused } else { None };
            // Without workers an accepted job stays pending: answer at once, never inline.
            c.limits.inline_pages = 0;
        }),
    })
    .await
}

fn tool<'a>(list: &'a Value, slug: &str) -> &'a Value {
    list["tools"]
        .as_array()
        .expect("tools is a list")
        .iter()
        .find(|t| t["slug"] == slug)
        .unwrap_or_else(|| panic!("{slug} is not listed: {list}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_list_names_three_tools_whose_availability_follows_the_configured_models() {
    for (chat, vision) in [(false, false), (true, false), (false, true), (true, true)] {
        let app = api_only(chat, vision).await;
        let (status, list) = app.get_json("/api/v1/tools/", None).await;
        assert_eq!(status, 200, "{list}");
        let slugs: Vec<&str> = list["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .map(|t| t["slug"].as_str().unwrap())
            .collect();
        assert_eq!(
            slugs,
            ["extract-tables", "handwriting-to-text", "translate"],
            "{list}"
        );
        let tables = tool(&list, "extract-tables");
        let handwriting = tool(&list, "handwriting-to-text");
        let translate = tool(&list, "translate");
        for t in [tables, handwriting, translate] {
            assert!(
                t["description"].as_str().is_some_and(|d| d.len() > 20),
                "{t}"
            );
        }
        assert_eq!(tables["available"], true, "{tables}");
        assert_eq!(
            handwriting["available"], vision,
            "chat={chat} vision={vision}"
        );
        assert_eq!(handwriting["tier"], "vlm", "{handwriting}");
        assert_eq!(translate["available"], chat, "chat={chat} vision={vision}");
        // `translate` without `translate_to` translates into English: nothing is required.
        assert_eq!(translate["requires"], serde_json::json!([]));
        assert!(tables.get("tier").is_none(), "{tables}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_and_translate_to_are_checked_before_anything_is_charged() {
    let app = api_only(true, false).await;
    let page = crate::support::tiny_png();
    for (fields, says) in [
        (vec![("tool", "summarise")], "unknown tool 'summarise'"),
        (vec![("tool", "Translate")], "unknown tool 'Translate'"),
        (
            vec![("tool", "translate"), ("translate_to", "klingon")],
            "'klingon'",
        ),
        // A script model reads a script; it is not a language to write a translation in.
        (
            vec![("tool", "translate"), ("translate_to", "Latin")],
            "'Latin'",
        ),
        (vec![("translate_to", "klingon")], "'klingon'"),
    ] {
        let (status, body) = app.submit(page.clone(), "tiny.png", &fields, None).await;
        assert_eq!(status, 400, "{fields:?}: {body}");
        let message = body["error"].as_str().expect("error message");
        assert!(message.contains(says), "{fields:?}: {message}");
    }
    // Without a chat model, a translation is refused however it is asked for.
    let bare = api_only(false, false).await;
    for fields in [
        vec![("tool", "translate"), ("translate_to", "en")],
        vec![("tool", "translate")],
        vec![("translate_to", "de")],
        vec![("tool", "extract-tables"), ("translate_to", "de")],
    ] {
        let (status, body) = bare.submit(page.clone(), "tiny.png", &fields, None).await;
        assert_eq!(status, 400, "{fields:?}: {body}");
        let message = body["error"].as_str().expect("error message");
        assert!(
            message.contains("not available") && message.contains("OCRCHAT_LLM_BASE_URL"),
            "{fields:?}: {message}"
        );
    }
    for app in [&app, &bare] {
        let (_, account) = app.get_json("/api/v1/account/", None).await;
        assert_eq!(account["used"], 0, "refusals cost nothing: {account}");
    }
    // Well-formed requests are accepted where a chat model is configured: `translate` alone
    // (into English) and `translate_to` alone or beside another tool too (see
    // `a_translation_target_alone_or_beside_another_tool_translates_and_translate_alone_is_english`).
    for fields in [
        vec![("tool", "translate"), ("translate_to", "fr")],
        vec![("tool", "translate")],
        vec![("translate_to", "de")],
        vec![("tool", "extract-tables"), ("translate_to", "de")],
    ] {
        let (status, body) = app.submit(page.clone(), "tiny.png", &fields, None).await;
        assert_eq!(status, 200, "{fields:?}: {body}");
    }
}

/// The chat model's answer to a translation request: the target it was asked for, read from the
/// system prompt ("… into German. …"), so a test sees which language each page went to.
fn name_the_target(_: usize, request: &Value) -> (u16, String) {
    let prompt = request["messages"][0]["content"].as_str().unwrap_or("");
    let target = prompt
        .split("sends into ")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .unwrap_or("?");
    answer(&format!("translated into {target}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_translation_target_alone_or_beside_another_tool_translates_and_translate_alone_is_english(
) {
    let model = ScriptedModel::start(name_the_target).await;
    let base_url = model.base_url.clone();
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.llm.base_url = Some(base_url);
            c.vlm.base_url = None;
        }),
        ..Spawn::default()
    })
    .await;
    let entry = corpus::entry("de_typewritten_01.jpg");
    for (fields, tool, target, language) in [
        (
            vec![("tool", "translate")],
            Some("translate"),
            "eng",
            "English",
        ),
        (vec![("translate_to", "fr")], None, "fra", "French"),
        (
            vec![("tool", "extract-tables"), ("translate_to", "de")],
            Some("extract-tables"),
            "deu",
            "German",
        ),
    ] {
        let mut fields = fields;
        fields.push(("language", "de"));
        let job = finished(
            &app,
            std::fs::read(entry.path()).unwrap(),
            &entry.file,
            &fields,
        )
        .await;
        assert_eq!(job["status"], "done", "{fields:?}: {job}");
        assert_eq!(job["tool"], tool.map_or(Value::Null, Value::from), "{job}");
        assert_eq!(job["translate_to"], target, "{fields:?}: {job}");
        assert_eq!(
            job["pages"][0]["translation"],
            format!("translated into {language}"),
            "{fields:?}: {job}"
        );
        assert!(
            !job["pages"][0]["text"].as_str().unwrap_or("").is_empty(),
            "the recognised text stays: {job}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn translate_with_the_real_llama_server_puts_a_translation_beside_the_german_page() {
    let server = LlamaServer::start(4096)
        .await
        .expect("llama-server starts (scripts/deps.sh llama models)");
    let base_url = server.base_url.clone();
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.llm.base_url = Some(base_url);
            c.llm.model = "local".into();
            // A 135M model on two shared cores: generous, so a slow answer is not a failure (one
            // call took over 300 s while the rest of the suite ran beside it).
            c.llm.timeout = Duration::from_secs(600);
            c.vlm.base_url = None;
        }),
        ..Spawn::default()
    })
    .await;
    let entry = corpus::entry("de_typewritten_01.jpg");
    let started = Instant::now();
    let job = finished(
        &app,
        std::fs::read(entry.path()).unwrap(),
        &entry.file,
        &[
            ("language", "de"),
            ("tool", "translate"),
            ("translate_to", "en"),
        ],
    )
    .await;
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["tool"], "translate", "{job}");
    assert_eq!(job["translate_to"], "eng", "{job}");
    let page = &job["pages"][0];
    let text = page["text"].as_str().expect("text");
    let translation = page["translation"].as_str().expect("a page translation");
    eprintln!(
        "translate with {}: {seconds:.1} s, {} chars of German → {} chars; starts {:?}",
        server.model_name(),
        text.chars().count(),
        translation.chars().count(),
        translation.chars().take(160).collect::<String>()
    );
    assert!(!translation.trim().is_empty(), "{page}");
    assert_eq!(
        job["translation"], translation,
        "one page: the job's translation is the page's"
    );
    assert_ne!(
        translation.trim(),
        text.trim(),
        "the translation is not the OCR text"
    );
    // The txt download carries the translation after the page's own text, under its title.
    let uuid = job["uuid"].as_str().expect("uuid");
    let txt = reqwest::get(app.url(&format!("/api/v1/ocr/{uuid}/download/?format=txt")))
        .await
        .expect("download")
        .text()
        .await
        .expect("txt body");
    let title = txt
        .find("--- Translation (English) ---")
        .unwrap_or_else(|| panic!("a translation title in the txt download: {txt}"));
    assert!(txt[..title].contains(text.trim()), "original first: {txt}");
    assert!(
        txt[title..].contains(translation.trim()),
        "then the translation: {txt}"
    );
    // The recognised text stays the original German beside the translation: the same as the
    // page read without the tool.
    let plain = finished(
        &app,
        std::fs::read(entry.path()).unwrap(),
        &entry.file,
        &[("language", "de")],
    )
    .await;
    assert_eq!(
        plain["pages"][0]["text"], text,
        "translate leaves the OCR text alone"
    );
    assert!(plain["pages"][0].get("translation").is_none(), "{plain}");
    assert!(plain.get("translate_to").is_none(), "{plain}");
}

#[tokio::test(flavor = "multi_thread")]
async fn handwriting_to_text_forces_the_vlm_tier_and_its_price() {
    let entry = corpus::entry("fr_handwritten_01.jpg");
    let truth = entry.ground_truth().trim().to_owned();
    let reply = truth.clone();
    let model = ScriptedModel::start(move |_, _| answer(&reply)).await;
    let app = vlm_app(Some(model.base_url.clone()), 4).await;
    let job = finished(
        &app,
        std::fs::read(entry.path()).unwrap(),
        &entry.file,
        // The form asks for cpu; the tool overrides it.
        &[
            ("tool", "handwriting-to-text"),
            ("tier", "cpu"),
            ("language", "fr"),
        ],
    )
    .await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["tier"], "vlm", "{job}");
    assert_eq!(job["tool"], "handwriting-to-text", "{job}");
    let requests = model.requests();
    assert_eq!(requests.len(), 1, "the page went to the vision model");
    let ask = requests[0]["messages"][1]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(ask.contains("French"), "{ask}");
    let text = job["pages"][0]["text"].as_str().expect("text");
    assert_eq!(
        text.split_whitespace().collect::<Vec<_>>(),
        truth.split_whitespace().collect::<Vec<_>>(),
        "the page is the model's reading"
    );
    // Tesseract reads this hand badly, so only part of the model's text is confirmed.
    let confidence = job["mean_confidence"].as_f64().expect("confidence");
    eprintln!("handwriting-to-text: mean confidence {confidence:.2} (alignment with Tesseract)");
    assert!((0.0..=1.0).contains(&confidence));
    let (_, account) = app.get_json("/api/v1/account/", None).await;
    assert_eq!(
        account["used"].as_u64(),
        Some(app.config.pricing.vlm_page),
        "charged as a vlm page: {account}"
    );
}
