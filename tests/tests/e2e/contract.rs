//! Issue 13, item 3: the contract fuzzer. schemathesis (`scripts/deps.sh schemathesis`) reads
//! the committed `openapi/openapi.json` and throws generated requests at the live service (every
//! operation, its examples, coverage and fuzzing phases, and stateful sequences that follow the
//! spec's links from a submitted job to its endpoints) with all its checks: no 5xx, status codes
//! and bodies as documented, content types right, valid requests accepted and invalid ones
//! refused, `Allow` on `405`. Any failure fails the test with schemathesis' report.
//!
//! The service runs as a deployment with every feature would: a vision model and a chat model
//! (a local OpenAI-compatible server answering every completion), and a paid account's token,
//! so `tier=vlm`, `translate` and chat are reachable rather than refused as unavailable. Rate
//! limits are off here: a fuzzer is a flood by design, and the limiter has its own tests.

use std::{path::PathBuf, process::Command, time::Instant};
use tests::{
    llm::{Behaviour, FakeLlm},
    Spawn, TestApp,
};

/// The schemathesis that `scripts/deps.sh schemathesis` installs.
fn schemathesis() -> PathBuf {
    std::env::var_os("OCRCHAT_SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/ocrchat/schemathesis-4.32.0/bin/schemathesis")
        })
}

// Not yet in the suite's default run: schemathesis still finds contract failures. Fixed so far
// (each found by this test): a NUL in a chat question (500), a listing cursor before 4713 BC
// (500), the cursor's and languages' formats now in the spec. Still open (issue 13's note):
// schema-valid combinations the server refuses with 400 because OpenAPI 3.0 cannot say them
// (`translate_to` with a tool other than `translate`, `tool=translate` without `translate_to`;
// schemathesis reports one such finding per operation per run, so more may follow). Run it with
// `cargo test -p tests --test e2e -- contract --ignored`; un-ignore it once it passes.
#[ignore = "issue 13: schemathesis still finds contract failures"]
#[tokio::test(flavor = "multi_thread")]
async fn the_live_service_keeps_its_openapi_contract_under_schemathesis() {
    let binary = schemathesis();
    assert!(
        binary.exists(),
        "schemathesis is not installed at {} (run scripts/deps.sh schemathesis)",
        binary.display()
    );
    let model = FakeLlm::start(Behaviour::Reply(serde_json::json!({
        "evidence": [],
        "answer": "The document does not say."
    })))
    .await
    .expect("fake model server");
    let base_url = model.base_url.clone();
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.guards.rates = domain::rate::RateLimits::OFF;
            c.vlm.base_url = Some(base_url.clone());
            c.llm.base_url = Some(base_url);
            c.vlm.attempts = 1;
            c.llm.timeout = std::time::Duration::from_secs(20);
        }),
        ..Spawn::default()
    })
    .await;
    let token = app.paid_token_for("contract@example.com", 1_000_000).await;
    let spec = tests::workspace_root().join("openapi/openapi.json");
    let report = app.isolation.data_dir.join("schemathesis");
    std::fs::create_dir_all(&report).unwrap();
    let started = Instant::now();
    let output = tokio::task::spawn_blocking({
        let (binary, base, token) = (binary.clone(), app.base.clone(), token.clone());
        move || {
            Command::new(binary)
                .arg("run")
                .arg(&spec)
                .args(["--url", &base])
                .args(["--checks", "all"])
                .args(["--max-examples", "30"])
                .args(["--header", &format!("Authorization: Bearer {token}")])
                .args(["--seed", "20261206"])
                .args(["--request-timeout", "60"])
                // Bounded: the whole run stays well under three minutes.
                .args(["--max-time", "150"])
                .arg("--no-color")
                // Its example database (.hypothesis) stays with the test's own files.
                .current_dir(&report)
                .output()
                .expect("running schemathesis")
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!(
        "schemathesis ran {:.0} s:\n{}",
        started.elapsed().as_secs_f64(),
        stdout
            .lines()
            .rev()
            .take(25)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        output.status.success(),
        "schemathesis found contract failures:\n{stdout}\n{stderr}"
    );
    let operations = std::fs::read_to_string(tests::workspace_root().join("openapi/openapi.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|doc| {
            doc["paths"].as_object().map(|paths| {
                paths
                    .values()
                    .filter_map(|item| item.as_object())
                    .map(|item| {
                        item.values()
                            .filter(|op| op.get("responses").is_some())
                            .count()
                    })
                    .sum::<usize>()
            })
        })
        .expect("the committed spec's operations");
    assert!(
        stdout.contains(&format!("Tested: {operations}")),
        "not every one of the {operations} operations was tested:\n{stdout}"
    );
}
