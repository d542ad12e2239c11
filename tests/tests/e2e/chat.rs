//! Chat with a finished job (issue 5): access rules, answers whose every citation stands verbatim
//! on its page, "not in the document" for absent facts, conversations and their transcript, a
//! real local model (llama-server), and model failures that fall back instead of failing.
//!
//! Only the model is replaced, and only by local servers speaking the OpenAI protocol: the real
//! `llama-server` with a real GGUF model, or `FakeLlm` for failures a real server cannot be made
//! to produce on demand. Assertions are about structure and verification, never a model's
//! wording.

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tests::{
    corpus, job_id,
    llm::{Behaviour, FakeLlm, LlamaServer},
    Spawn, TestApp,
};

/// Whitespace runs collapsed and lower-cased: the normalisation citations are checked under.
fn norm(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Asserts that every citation of an assistant message is verbatim text of the page it names
/// (1-based), as the job JSON shows that page; returns how many there are.
fn assert_citations_on_their_pages(job: &Value, message: &Value) -> usize {
    let pages = job["pages"].as_array().expect("job has pages");
    let citations = message["citations"]
        .as_array()
        .expect("citations is a list");
    for c in citations {
        let page = c["page"].as_u64().expect("page is a number") as usize;
        assert!(
            (1..=pages.len()).contains(&page),
            "page {page} outside 1..={}: {message}",
            pages.len()
        );
        let text = pages[page - 1]["text"].as_str().unwrap_or_default();
        let snippet = c["snippet"].as_str().expect("snippet is text");
        assert!(!snippet.trim().is_empty(), "empty snippet: {message}");
        assert!(
            norm(text).contains(&norm(snippet)),
            "snippet not on page {page} even normalised: {snippet:?}"
        );
        assert!(
            text.contains(snippet),
            "snippet is not the page's own verbatim text: {snippet:?}"
        );
    }
    citations.len()
}

/// Submits a corpus file as an account and returns the finished job JSON.
async fn done_job(app: &TestApp, file: &str, token: &str) -> Value {
    let entry = corpus::entry(file);
    let bytes = std::fs::read(entry.path()).expect("corpus file");
    let (status, job) = app
        .submit(
            bytes,
            file,
            &[("language", entry.lang.as_str())],
            Some(token),
        )
        .await;
    assert_eq!(status, 200, "{job}");
    let uuid = job["uuid"].as_str().expect("uuid").to_owned();
    let job = app
        .wait_until_final(&uuid, Some(token), Duration::from_secs(180))
        .await;
    assert_eq!(job["status"], "done", "{job}");
    job
}

fn chat_path(job: &Value) -> String {
    format!("/api/v1/chat/{}/", job["uuid"].as_str().expect("uuid"))
}

fn history_path(job: &Value) -> String {
    format!(
        "/api/v1/chat/{}/history/",
        job["uuid"].as_str().expect("uuid")
    )
}

/// The longest line of the job's text containing `word` (case-insensitive), with its 1-based page.
fn line_with(job: &Value, word: &str) -> (u64, String) {
    job["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p["text"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .map(move |l| (i as u64 + 1, l.trim().to_owned()))
        })
        .filter(|(_, l)| l.to_lowercase().contains(word) && l.len() > 20)
        .max_by_key(|(_, l)| l.len())
        .unwrap_or_else(|| panic!("no line with {word:?} in the OCR text"))
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_needs_an_account_its_own_job_and_a_finished_one() {
    // No workers: the job stays pending, which is what the 409 needs.
    let app = TestApp::spawn_with(Spawn {
        workers: false,
        configure: Box::new(|c| c.limits.inline_wait = Duration::from_secs(1)),
    })
    .await;
    let alice = app.token_for("alice@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let (status, job) = app
        .submit(
            crate::support::tiny_png(),
            "tiny.png",
            &[("language", "en")],
            Some(&alice),
        )
        .await;
    assert_eq!(status, 200, "{job}");
    assert_ne!(job["status"], "done");
    let ask = json!({"message": "What is this about?"});

    for (who, token, expected) in [
        ("anonymous", None, 401),
        (
            "invalid token",
            Some("ocr_00000000000000000000000000000000_bad"),
            401,
        ),
        ("another account", Some(bob.as_str()), 404),
        ("the owner, before done", Some(alice.as_str()), 409),
    ] {
        let (status, body) = app.post_json(&chat_path(&job), &ask, token).await;
        assert_eq!(status, expected, "{who}: {body}");
        assert!(body["error"].is_string(), "{who}: JSON error body: {body}");
        let (status, body) = app.get_json(&history_path(&job), token).await;
        assert_eq!(status, expected, "{who} (history): {body}");
    }
    for path in [
        "/api/v1/chat/00000000-0000-0000-0000-000000000000/",
        "/api/v1/chat/not-a-uuid/",
    ] {
        let (status, body) = app.post_json(path, &ask, Some(&alice)).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    // Not JSON, or no message: 400 with a JSON body, never a 500.
    let resp = app
        .http
        .post(app.url(&chat_path(&job)))
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let (status, _) = app
        .post_json(&chat_path(&job), &json!({"question": "x"}), Some(&alice))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_model_answers_quote_the_best_sentence_and_keep_a_transcript() {
    let app = TestApp::spawn().await;
    let alice = app.token_for("alice@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let job = done_job(&app, "en_typewritten_letter_2p.pdf", &alice).await;

    // The API process indexes a job when Postgres announces it done, before any question.
    let chat = app.running.as_ref().unwrap().state.chat.clone().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while chat
        .index()
        .indexed_version(job_id(&job))
        .unwrap()
        .is_none()
    {
        assert!(Instant::now() < deadline, "the done job was never indexed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (status, body) = app
        .post_json(&chat_path(&job), &json!({"message": "   "}), Some(&alice))
        .await;
    assert_eq!(status, 400, "{body}");

    let question = "How much money did the Committee distribute for the Pesach holidays?";
    let (status, first) = app
        .post_json(
            &chat_path(&job),
            &json!({"message": question}),
            Some(&alice),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    let conversation = first["conversation"]
        .as_str()
        .expect("conversation id")
        .to_owned();
    let message = &first["message"];
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["metadata"]["mode"], "extractive", "{first}");
    assert_eq!(message["metadata"]["fallback"], "not_configured");
    assert_eq!(message["metadata"]["model_attempts"], 0);
    let cited = assert_citations_on_their_pages(&job, message);
    assert!(
        cited >= 1,
        "a relevant question is answered with citations: {first}"
    );
    for c in message["citations"].as_array().unwrap() {
        let reference = format!("(p. {})", c["page"]);
        assert!(
            message["content"].as_str().unwrap().contains(&reference),
            "the answer names its pages: {first}"
        );
    }

    // Something the letter does not contain: no citation, and it says so.
    let (status, absent) = app
        .post_json(
            &chat_path(&job),
            &json!({
                "message": "What is the airspeed velocity of an unladen swallow?",
                "conversation": conversation,
            }),
            Some(&alice),
        )
        .await;
    assert_eq!(status, 200, "{absent}");
    assert_eq!(absent["conversation"], conversation.as_str());
    assert_eq!(absent["message"]["citations"], json!([]));
    assert_eq!(absent["message"]["metadata"]["mode"], "not_found");
    assert!(
        absent["message"]["content"]
            .as_str()
            .unwrap()
            .contains("does not contain"),
        "{absent}"
    );

    // The transcript, in order, with the citations as answered.
    let (status, history) = app.get_json(&history_path(&job), Some(&alice)).await;
    assert_eq!(status, 200, "{history}");
    let messages = history["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
    assert_eq!(messages[0]["content"], question);
    assert_eq!(messages[1]["content"], message["content"]);
    assert_eq!(messages[1]["citations"], message["citations"]);
    assert!(
        messages[0].get("metadata").is_none(),
        "user messages have no metadata"
    );
    assert_eq!(history["conversations"], json!([conversation]));
    assert!(messages
        .windows(2)
        .all(|w| w[0]["created_at"].as_str() <= w[1]["created_at"].as_str()));

    // A second conversation; the filter shows one at a time.
    let (status, other) = app
        .post_json(
            &chat_path(&job),
            &json!({"message": "Who was the letter sent to?"}),
            Some(&alice),
        )
        .await;
    assert_eq!(status, 200, "{other}");
    assert_ne!(other["conversation"], conversation.as_str());
    let (_, all) = app.get_json(&history_path(&job), Some(&alice)).await;
    assert_eq!(all["messages"].as_array().unwrap().len(), 6);
    assert_eq!(all["conversations"].as_array().unwrap().len(), 2);
    let (status, one) = app
        .get_json(
            &format!("{}?conversation={conversation}", history_path(&job)),
            Some(&alice),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["messages"].as_array().unwrap().len(), 4);

    // Nobody continues someone else's conversation, even about their own job.
    let bobs = done_job(&app, "en_receipt_02.jpg", &bob).await;
    let (status, body) = app
        .post_json(
            &chat_path(&bobs),
            &json!({"message": "What is the total?", "conversation": conversation}),
            Some(&bob),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "conversation not found");
    let (status, _) = app
        .post_json(
            &chat_path(&job),
            &json!({"message": "x y z", "conversation": uuid::Uuid::new_v4()}),
            Some(&alice),
        )
        .await;
    assert_eq!(status, 404);
    let (_, bobs_history) = app.get_json(&history_path(&bobs), Some(&bob)).await;
    assert_eq!(bobs_history["messages"], json!([]));

    // Erasing the job erases what chat kept: its passages and its conversations (they quote it).
    let alice_id = app
        .store()
        .account_by_email("alice@example.com")
        .await
        .unwrap()
        .id;
    assert!(chat.index().passage_count(job_id(&job)).unwrap() > 0);
    let resp = app
        .http
        .delete(app.url(&format!("/api/v1/ocr/{}/", job["uuid"].as_str().unwrap())))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(chat.index().passage_count(job_id(&job)).unwrap(), 0);
    assert!(app
        .store()
        .chat_history(job_id(&job), alice_id, None)
        .await
        .unwrap()
        .is_empty());
    let (status, _) = app
        .post_json(
            &chat_path(&job),
            &json!({"message": question}),
            Some(&alice),
        )
        .await;
    assert_eq!(status, 404);
}

/// What one answer of a real model looked like, for the printed figures.
struct Observed {
    question: &'static str,
    mode: String,
    latency_ms: u64,
    proposed: u64,
    verified: u64,
    citations: usize,
    tokens: u64,
    content: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_local_model_answers_only_with_citations_that_stand_on_the_page() {
    let llm = LlamaServer::start(4096)
        .await
        .expect("llama-server starts (scripts/deps.sh llama models)");
    let base_url = llm.base_url.clone();
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.llm.base_url = Some(base_url);
            c.llm.model = "local".into();
            // Two cores shared with OCR and other tests: generous, so a slow answer is an answer.
            c.llm.timeout = Duration::from_secs(240);
        }),
        ..Spawn::default()
    })
    .await;
    let token = app.token_for("reader@example.com").await;
    let letter = done_job(&app, "en_typewritten_letter_2p.pdf", &token).await;
    let receipt = done_job(&app, "en_receipt_02.jpg", &token).await;

    let cases: [(&Value, &'static str); 6] = [
        (
            &letter,
            "How many Austrian shillings did the Committee distribute for Pesach?",
        ),
        (&letter, "How many Jews of the Burgenland were driven out?"),
        (&letter, "Which council is the letter written to?"),
        // This receipt's OCR lacks "NET TOTAL" and reads "HANGE": ask what it did read.
        (
            &receipt,
            "What is the telephone and fax number of the shop?",
        ),
        (&receipt, "In which plaza is the shop?"),
        (
            &letter,
            "What is the airspeed velocity of an unladen swallow?",
        ),
    ];
    let mut observed = Vec::new();
    let mut conversation: Option<String> = None;
    for (job, question) in cases {
        let mut body = json!({ "message": question });
        // The letter's questions form one conversation: later ones carry history to the model.
        if job == &letter {
            if let Some(c) = &conversation {
                body["conversation"] = json!(c);
            }
        }
        let (status, answer) = app.post_json(&chat_path(job), &body, Some(&token)).await;
        assert_eq!(status, 200, "{question}: {answer}");
        if job == &letter {
            conversation = answer["conversation"].as_str().map(str::to_owned);
        }
        let message = &answer["message"];
        let meta = &message["metadata"];
        let citations = assert_citations_on_their_pages(job, message);
        let mode = meta["mode"].as_str().unwrap_or_default().to_owned();
        match mode.as_str() {
            "model" => {
                assert!(citations >= 1, "{answer}");
                assert_eq!(meta["evidence_cited"].as_u64(), Some(citations as u64));
                assert!(
                    meta["usage"]["total_tokens"].as_u64().unwrap_or(0) > 0,
                    "{answer}"
                );
            }
            "not_found" => {
                assert_eq!(citations, 0, "{answer}");
                assert!(message["content"]
                    .as_str()
                    .unwrap()
                    .contains("does not contain"));
            }
            "extractive" => assert!(meta["fallback"].is_string(), "{answer}"),
            other => panic!("unknown mode {other}: {answer}"),
        }
        observed.push(Observed {
            question,
            mode,
            latency_ms: meta["latency_ms"].as_u64().unwrap_or(0),
            proposed: meta["evidence_proposed"].as_u64().unwrap_or(0),
            verified: meta["evidence_cited"].as_u64().unwrap_or(0),
            citations,
            tokens: meta["usage"]["total_tokens"].as_u64().unwrap_or(0),
            content: message["content"]
                .as_str()
                .unwrap_or_default()
                .chars()
                .take(90)
                .collect(),
        });
        if meta["passages"] == 0 {
            // Retrieval found nothing: the model is not even asked, so it cannot invent.
            assert_eq!(meta["mode"], "not_found", "{answer}");
            assert_eq!(meta["model_attempts"], 0, "{answer}");
        } else {
            assert_eq!(meta["model"], "local", "{answer}");
            assert!(
                meta["model_attempts"].as_u64().unwrap_or(0) >= 1,
                "{answer}"
            );
        }
        if question.contains("swallow") {
            assert_eq!(
                meta["passages"], 0,
                "nothing in the letter is about swallows"
            );
        }
    }
    assert!(
        observed.iter().any(|o| o.tokens > 0),
        "the real model was reached and reported its token usage"
    );
    let (_, history) = app.get_json(&history_path(&letter), Some(&token)).await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 8);

    let model = llm.model_name();
    let (proposed, verified): (u64, u64) = observed
        .iter()
        .fold((0, 0), |(p, v), o| (p + o.proposed, v + o.verified));
    for o in &observed {
        eprintln!(
            "CHAT {model}: {:>6} ms  mode={:<10} evidence {}/{} cited, {} citations, {} tokens | {}",
            o.latency_ms, o.mode, o.verified, o.proposed, o.citations, o.tokens, o.question
        );
        eprintln!("     -> {}", o.content.replace('\n', " "));
    }
    eprintln!("CHAT {model}: evidence numbers named {proposed}, cited {verified}");
}

#[tokio::test(flavor = "multi_thread")]
async fn model_failures_fall_back_to_the_best_sentence_and_never_reach_the_user_as_500() {
    let fake = FakeLlm::start(Behaviour::ServerError).await.unwrap();
    let base_url = fake.base_url.clone();
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.llm.base_url = Some(base_url);
            c.llm.model = "fake-model".into();
            c.llm.timeout = Duration::from_secs(2);
        }),
        ..Spawn::default()
    })
    .await;
    let token = app.token_for("ops@example.com").await;
    let job = done_job(&app, "en_typewritten_letter_2p.pdf", &token).await;
    let (_, line) = line_with(&job, "committee");
    // A few of the line's words: retrieval finds it, and its other words are news to the question.
    let words: Vec<&str> = line.split_whitespace().take(4).collect();
    let ask =
        json!({ "message": format!("What does the letter say about this: {}", words.join(" ")) });

    for (behaviour, reason) in [
        (Behaviour::ServerError, "server_error"),
        (Behaviour::Hang, "timeout"),
        (Behaviour::MalformedContent, "malformed_reply"),
        (Behaviour::GarbageBody, "malformed_reply"),
        (Behaviour::ContextOverflow, "context_overflow"),
    ] {
        fake.set(behaviour.clone());
        let (status, answer) = app.post_json(&chat_path(&job), &ask, Some(&token)).await;
        assert_eq!(status, 200, "{behaviour:?}: {answer}");
        let meta = &answer["message"]["metadata"];
        assert_eq!(meta["mode"], "extractive", "{behaviour:?}: {answer}");
        assert_eq!(meta["fallback"], reason, "{behaviour:?}: {answer}");
        assert!(meta["fallback_detail"]
            .as_str()
            .is_some_and(|d| !d.is_empty()));
        assert_eq!(meta["model_attempts"], 2, "retried once: {answer}");
        assert_eq!(
            fake.requests().len(),
            2,
            "{behaviour:?}: one retry, no more"
        );
        assert!(assert_citations_on_their_pages(&job, &answer["message"]) >= 1);
        if behaviour == Behaviour::ContextOverflow {
            let size = |r: &Value| r["messages"].to_string().len();
            let requests = fake.requests();
            assert!(
                size(&requests[1]) <= size(&requests[0]),
                "the retry after an overflow is not larger"
            );
        }
    }

    // The requests are real chat completions asking for the schema.
    fake.set(Behaviour::ServerError);
    let _ = app.post_json(&chat_path(&job), &ask, Some(&token)).await;
    let request = &fake.requests()[0];
    assert_eq!(request["model"], "fake-model");
    assert_eq!(request["response_format"]["type"], "json_schema");
    let schema = &request["response_format"]["json_schema"]["schema"];
    assert_eq!(schema["required"], json!(["evidence", "answer"]));
    assert_eq!(request["messages"][0]["role"], "system");
    let last = request["messages"].as_array().unwrap().last().unwrap();
    let shown = last["content"]
        .as_str()
        .unwrap()
        .lines()
        .filter(|l| {
            l.strip_prefix('[')
                .and_then(|rest| rest.split_once("] "))
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .count();
    assert!(shown >= 1, "{last}");
    assert_eq!(
        schema["properties"]["evidence"]["items"]["maximum"], shown,
        "the schema allows exactly the numbers shown"
    );

    // One failure, then a good reply: the retry recovers and cites the unit by its number.
    // (It answers with the unit's text: the question already holds the cited line's words,
    // and an answer adding nothing to its question is not an answer.)
    fake.set(Behaviour::FailOnceThen(Box::new(Behaviour::Cite {
        containing: "committee".into(),
        answer: String::new(),
    })));
    let (status, answer) = app.post_json(&chat_path(&job), &ask, Some(&token)).await;
    assert_eq!(status, 200, "{answer}");
    let meta = &answer["message"]["metadata"];
    assert_eq!(meta["mode"], "model", "{answer}");
    assert_eq!(meta["model_attempts"], 2);
    assert_eq!(meta["model"], "fake-model");
    assert_eq!(
        (
            meta["evidence_proposed"].as_u64(),
            meta["evidence_cited"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(meta["recited"], false);
    assert_eq!(
        meta["usage"]["total_tokens"], 150,
        "usage of the attempt that answered"
    );
    let snippet = answer["message"]["citations"][0]["snippet"]
        .as_str()
        .unwrap();
    assert!(snippet.to_lowercase().contains("committee"), "{answer}");
    assert_citations_on_their_pages(&job, &answer["message"]);

    // Replies the consistency rule does not let through as the model's answer: each is shown as
    // "not found", uncited, and says why; the unsupported claim is never repeated.
    for (reply, reason) in [
        (
            json!({"evidence": [99], "answer": "The total is $42."}),
            "unknown_evidence",
        ),
        (
            json!({"evidence": [1], "answer": "The total is $42."}),
            "unsupported",
        ),
        (
            json!({"evidence": [], "answer": "The total is $42."}),
            "unsupported",
        ),
        (
            json!({"evidence": [1], "answer": "The document does not say."}),
            "inconsistent",
        ),
    ] {
        fake.set(Behaviour::Reply(reply.clone()));
        let (status, answer) = app.post_json(&chat_path(&job), &ask, Some(&token)).await;
        assert_eq!(status, 200, "{answer}");
        let meta = &answer["message"]["metadata"];
        assert_eq!(meta["mode"], "not_found", "{reply}: {answer}");
        assert_eq!(meta["fallback"], reason, "{reply}: {answer}");
        assert!(meta["fallback_detail"]
            .as_str()
            .is_some_and(|d| !d.is_empty()));
        assert_eq!(
            meta["model_attempts"], 1,
            "a well-formed reply is not retried"
        );
        assert_eq!(answer["message"]["citations"], json!([]), "{answer}");
        assert!(!answer["message"]["content"]
            .as_str()
            .unwrap()
            .contains("$42"));
    }

    // A model that finds nothing says so and cites nothing.
    fake.set(Behaviour::Reply(
        json!({"evidence": [], "answer": "The document does not say."}),
    ));
    let (status, answer) = app.post_json(&chat_path(&job), &ask, Some(&token)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["message"]["metadata"]["mode"], "not_found");
    assert!(
        answer["message"]["metadata"]["fallback"].is_null(),
        "{answer}"
    );
    assert_eq!(answer["message"]["citations"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn continued_conversations_send_earlier_turns_to_the_model() {
    let fake = FakeLlm::start(Behaviour::ServerError).await.unwrap();
    let base_url = fake.base_url.clone();
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.llm.base_url = Some(base_url);
            c.llm.timeout = Duration::from_secs(5);
        }),
        ..Spawn::default()
    })
    .await;
    let token = app.token_for("talker@example.com").await;
    let job = done_job(&app, "en_typewritten_letter_2p.pdf", &token).await;
    let (_, line) = line_with(&job, "committee");
    fake.set(Behaviour::Cite {
        containing: "committee".into(),
        answer: "It names the Committee.".into(),
    });
    let first_question = format!("What does it say about: {line}");
    let (status, first) = app
        .post_json(
            &chat_path(&job),
            &json!({"message": first_question}),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    // The worked examples stand between the instructions and the history, as turns.
    let examples = domain::chat::prompt::example_turns();
    assert_eq!(
        fake.requests()[0]["messages"].as_array().unwrap().len(),
        2 + examples.len(),
        "system + examples + user"
    );

    let (status, second) = app
        .post_json(
            &chat_path(&job),
            &json!({"message": "And what else does it say about the Committee?",
                    "conversation": first["conversation"]}),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{second}");
    let messages = fake.requests()[1]["messages"].as_array().unwrap().clone();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    let mut expected = vec!["system"];
    expected.extend(examples.iter().map(|t| match t.role {
        domain::chat::Role::User => "user",
        domain::chat::Role::Assistant => "assistant",
    }));
    expected.extend(["user", "assistant", "user"]);
    assert_eq!(roles, expected, "{messages:?}");
    for (message, example) in messages[1..].iter().zip(&examples) {
        assert_eq!(message["content"], example.content.as_str());
    }
    let history = &messages[1 + examples.len()..];
    assert_eq!(history[0]["content"], first_question.as_str());
    assert_eq!(history[1]["content"], first["message"]["content"]);

    // A new conversation starts without history.
    let _ = app
        .post_json(
            &chat_path(&job),
            &json!({"message": first_question}),
            Some(&token),
        )
        .await;
    assert_eq!(
        fake.requests()[2]["messages"].as_array().unwrap().len(),
        2 + examples.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_context_overflow_falls_back_to_the_best_sentence() {
    // A real llama-server whose context is far smaller than the prompt the service builds.
    let llm = LlamaServer::start(256).await.expect("llama-server starts");
    let base_url = llm.base_url.clone();
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.llm.base_url = Some(base_url);
            c.llm.timeout = Duration::from_secs(120);
        }),
        ..Spawn::default()
    })
    .await;
    let token = app.token_for("small@example.com").await;
    let job = done_job(&app, "en_typewritten_letter_2p.pdf", &token).await;
    let (status, answer) = app
        .post_json(
            &chat_path(&job),
            &json!({"message": "What did the Committee distribute for the Pesach holidays?"}),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let meta = &answer["message"]["metadata"];
    assert_eq!(meta["mode"], "extractive", "{answer}");
    assert_eq!(meta["fallback"], "context_overflow", "{answer}");
    assert_eq!(meta["model_attempts"], 2);
    assert!(assert_citations_on_their_pages(&job, &answer["message"]) >= 1);
}
