//! Issue 13, item 2: the clients generated from `openapi/openapi.json`, kept current and driven
//! against the live service.
//!
//! - `clients/generate.sh` into a scratch folder must give exactly the committed clients, with no
//!   generator warning: a spec change without `just clients` fails here with the diff.
//! - The generated Python package (openapi-python-client) and the generated TypeScript types with
//!   the openapi-fetch wrapper each drive the service through a script of their own
//!   (`clients/tests/`): a PNG and a two-page PDF submitted, polled, downloaded in every format
//!   the spec lists, a chat question and its history, and the typed errors of 400, 401, 402, 404
//!   and 409. The TypeScript driver is compiled by `tsc` (strict) against the committed types
//!   first, so a spec change that breaks a client call fails to compile.
//! - The README's three examples (`clients/examples/`: Python requests, Node fetch, cURL) run as
//!   written, only the base URL and the token set through their environment variables.
//!
//! The tools come from `scripts/deps.sh clients` (`just test` installs them). Only the chat model
//! is replaced, by `FakeLlm`; a second service without workers keeps a job pending for the 409s.

use crate::support::{encode, Scratch};
use image::ImageFormat;
use serde_json::Value;
use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::{Command, Output},
    time::Duration,
};
use tests::{
    corpus,
    llm::{Behaviour, FakeLlm},
    Spawn, TestApp,
};

/// Where `scripts/deps.sh clients` installs the generators and the clients' runtimes.
fn tools() -> PathBuf {
    if let Some(dir) = std::env::var_os("OCRCHAT_CLIENTS_TOOLS") {
        return PathBuf::from(dir);
    }
    std::env::var_os("OCRCHAT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/ocrchat")
        })
        .join("clients-tools")
}

/// A tool under `tools()`, which must exist.
fn tool(relative: &str) -> PathBuf {
    let path = tools().join(relative);
    assert!(
        path.exists(),
        "{} is missing: run scripts/deps.sh clients (or just test)",
        path.display()
    );
    path
}

fn clients_dir() -> PathBuf {
    tests::workspace_root().join("clients")
}

/// Runs a command to its end off the async runtime; panics if it cannot start.
async fn run(mut command: Command) -> Output {
    let what = format!("{command:?}");
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("command thread")
        .unwrap_or_else(|e| panic!("could not run {what}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn committed_clients_are_what_the_generators_make_of_the_committed_spec() {
    tool("venv/bin/openapi-python-client");
    tool("node/node_modules/.bin/openapi-typescript");
    let scratch = Scratch::new();
    let mut generate = Command::new(clients_dir().join("generate.sh"));
    generate
        .arg(&scratch.0)
        .env("OCRCHAT_CLIENTS_TOOLS", tools());
    let output = run(generate).await;
    let said = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(
        output.status.success(),
        "clients/generate.sh failed:\n{said}"
    );
    assert!(
        !said.to_lowercase().contains("warn"),
        "a generator warned:\n{said}"
    );
    assert!(said.contains("Generating python"), "{said}");
    assert!(said.contains("openapi-typescript"), "{said}");

    let mut diffs = String::new();
    for (committed, fresh) in [
        (clients_dir().join("python"), scratch.0.join("python")),
        (
            clients_dir().join("typescript/schema.d.ts"),
            scratch.0.join("typescript/schema.d.ts"),
        ),
    ] {
        let mut diff = Command::new("diff");
        diff.args(["-ruN", "--exclude=__pycache__"])
            .arg(&committed)
            .arg(&fresh);
        let output = run(diff).await;
        match output.status.code() {
            Some(0) => {}
            Some(1) => diffs.push_str(&text(&output.stdout)),
            _ => panic!("diff failed: {}", text(&output.stderr)),
        }
    }
    assert!(
        diffs.is_empty(),
        "the committed clients are not what openapi/openapi.json generates; run `just clients`:\n{}",
        diffs.chars().take(20_000).collect::<String>()
    );
}

/// A spec of one model with one property: what OpenAPI Generator says of it is what it says of
/// any spec. Its `python` generator (7.10 to 7.26 at least) warns "Failed to get the schema name:
/// null" once for every spec with a property that is not a `$ref` (its `toDefaultValue` looks up
/// a reference it does not check for), so only what it says beyond this counts against ours.
const CONTROL_SPEC: &str = r##"{"openapi": "3.0.0", "info": {"title": "control", "version": "1"},
  "paths": {"/thing": {"get": {"operationId": "get_thing", "responses": {"200": {
    "description": "The thing.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}}}},
  "components": {"schemas": {"Thing": {"type": "object", "required": ["name"],
    "properties": {"name": {"type": "string"}}}}}}"##;

/// The WARN and ERROR lines OpenAPI Generator printed, without their thread prefix.
fn complaints(output: &Output) -> BTreeSet<String> {
    format!("{}{}", text(&output.stdout), text(&output.stderr))
        .lines()
        .filter(|line| line.contains("WARN") || line.contains("ERROR"))
        .map(|line| line.trim().to_owned())
        .collect()
}

/// Issue 13, item 1: OpenAPI Generator (the PyPI wheel that bundles it, pinned in
/// clients/requirements.txt; Java from the machine) validates the committed spec with nothing to
/// say, and its `python` and `typescript-fetch` generators write a model for every schema
/// without a warning or an error of their own.
#[tokio::test(flavor = "multi_thread")]
async fn openapi_generator_reads_the_committed_spec_without_a_warning() {
    let cli = tool("venv/bin/openapi-generator-cli");
    let spec_path = tests::workspace_root().join("openapi/openapi.json");
    let spec: Value =
        serde_json::from_slice(&std::fs::read(&spec_path).expect("read openapi/openapi.json"))
            .expect("openapi/openapi.json is JSON");
    let schemas: Vec<String> = spec["components"]["schemas"]
        .as_object()
        .expect("components.schemas")
        .keys()
        .cloned()
        .collect();
    let scratch = Scratch::new();
    let control = scratch.write("control.json", CONTROL_SPEC.as_bytes());

    let mut validate = Command::new(&cli);
    validate.arg("validate").arg("-i").arg(&spec_path);
    let output = run(validate).await;
    let said = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(
        output.status.success() && said.contains("No validation issues detected."),
        "openapi-generator-cli validate:\n{said}"
    );

    for generator in ["python", "typescript-fetch"] {
        let generate = |input: &Path, out: PathBuf| {
            let mut command = Command::new(&cli);
            command
                .args(["generate", "-g", generator, "-i"])
                .arg(input)
                .arg("-o")
                .arg(out);
            command
        };
        let own = run(generate(
            &control,
            scratch.0.join(format!("control-{generator}")),
        ))
        .await;
        assert!(
            own.status.success(),
            "{generator} on the control spec failed"
        );
        let out = scratch.0.join(generator);
        let output = run(generate(&spec_path, out.clone())).await;
        let said = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(output.status.success(), "{generator} failed:\n{said}");
        let ours: Vec<String> = complaints(&output)
            .difference(&complaints(&own))
            .cloned()
            .collect();
        assert!(
            ours.is_empty(),
            "OpenAPI Generator's {generator} generator complained about openapi/openapi.json:\n{}",
            ours.join("\n")
        );
        // A model for every schema: a generator that drops one says so only in its output.
        let models = if generator == "python" {
            std::fs::read_to_string(out.join("openapi_client/models/__init__.py"))
                .expect("the python models' __init__.py")
        } else {
            std::fs::read_to_string(out.join("models/index.ts")).expect("models/index.ts")
        };
        let missing: Vec<&String> = schemas
            .iter()
            .filter(|name| {
                !models.lines().any(|line| {
                    line.ends_with(&format!(" import {name}"))
                        || line == format!("export * from './{name}';")
                })
            })
            .collect();
        assert!(
            missing.is_empty(),
            "{generator} wrote no model for {missing:?}:\n{models}"
        );
    }
}

/// The question asked about the letter; the fake model cites the evidence line naming the Council.
const QUESTION: &str = "Which Council is the letter written to?";

/// Two services (one with workers, one without), the accounts and files the drivers use, and
/// the environment that hands them over.
struct Stage {
    _app: TestApp,
    _idle: TestApp,
    _model: FakeLlm,
    scratch: Scratch,
    env: Vec<(String, String)>,
}

async fn stage() -> Stage {
    let model = FakeLlm::start(Behaviour::Cite {
        containing: "council".into(),
        answer: String::new(),
    })
    .await
    .expect("fake model server");
    let base_url = model.base_url.clone();
    let app = TestApp::spawn_with(Spawn {
        configure: Box::new(move |c| {
            c.llm.base_url = Some(base_url);
            c.llm.timeout = Duration::from_secs(20);
            // One page is answered inline, two are not: the PDF is polled.
            c.limits.inline_pages = 1;
        }),
        ..Spawn::default()
    })
    .await;
    // No workers: a job stays pending, so downloads and chat answer 409.
    let idle = TestApp::spawn_with(Spawn {
        workers: false,
        configure: Box::new(|c| c.limits.inline_wait = Duration::from_secs(1)),
    })
    .await;
    let token = app.paid_token_for("clients@example.com", 1000).await;
    // One credit: the two-page PDF is a 402.
    let poor = app.paid_token_for("poor@example.com", 1).await;
    let idle_token = idle.token_for("idle@example.com").await;

    let scratch = Scratch::new();
    let receipt = image::open(corpus::entry("en_receipt_02.jpg").path()).expect("corpus page");
    let png = scratch.write("receipt.png", &encode(&receipt, ImageFormat::Png));
    let pdf = corpus::entry("en_typewritten_letter_2p.pdf").path();
    let env = [
        ("OCRCHAT_BASE_URL", app.base.clone()),
        ("OCRCHAT_TOKEN", token),
        ("OCRCHAT_POOR_TOKEN", poor),
        ("OCRCHAT_IDLE_BASE_URL", idle.base.clone()),
        ("OCRCHAT_IDLE_TOKEN", idle_token),
        ("OCRCHAT_PNG", png.display().to_string()),
        ("OCRCHAT_PDF", pdf.display().to_string()),
        ("OCRCHAT_QUESTION", QUESTION.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Stage {
        _app: app,
        _idle: idle,
        _model: model,
        scratch,
        env,
    }
}

/// A driver's JSON lines; panics with everything it said unless it ran to its end.
fn lines_of(driver: &str, output: &Output) -> Vec<Value> {
    let stdout = text(&output.stdout);
    let said = format!("{stdout}\n--- stderr ---\n{}", text(&output.stderr));
    assert!(output.status.success(), "{driver} failed:\n{said}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{driver}: {e}: {l}")))
        .collect();
    assert_eq!(
        lines.last().map(|l| l["step"].clone()),
        Some("end".into()),
        "{driver} stopped early:\n{said}"
    );
    lines
}

/// The lines of one step (and file or case).
fn steps<'a>(lines: &'a [Value], step: &str, key: &str, value: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["step"] == step && (key.is_empty() || l[key] == value))
        .collect()
}

fn one<'a>(lines: &'a [Value], step: &str, key: &str, value: &str) -> &'a Value {
    let found = steps(lines, step, key, value);
    assert_eq!(found.len(), 1, "one {step} {key}={value}: {found:?}");
    found[0]
}

/// Content type, and how the file starts, of each format the spec lists.
const FORMATS: [(&str, &str, &str); 8] = [
    ("txt", "text/plain; charset=utf-8", ""),
    ("md", "text/markdown; charset=utf-8", ""),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "PK\u{3}\u{4}",
    ),
    ("pdf", "application/pdf", "%PDF-"),
    ("csv", "text/csv; charset=utf-8", ""),
    ("json", "application/json; charset=utf-8", "{"),
    ("hocr", "application/xhtml+xml; charset=utf-8", "<?xml"),
    ("alto", "application/xml; charset=utf-8", "<?xml"),
];

/// The download formats `openapi/openapi.json` declares.
fn spec_formats() -> BTreeSet<String> {
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(tests::workspace_root().join("openapi/openapi.json"))
            .expect("committed spec"),
    )
    .expect("spec is JSON");
    spec["components"]["schemas"]["Format"]["enum"]
        .as_array()
        .expect("Format is an enum")
        .iter()
        .map(|f| f.as_str().expect("format name").to_owned())
        .collect()
}

/// What both client drivers must have seen: the same journey, asserted on its values.
fn assert_journey(driver: &str, lines: &[Value]) {
    // What the driver saw, texts left out (shown with --nocapture, and above any failure).
    for line in lines {
        let mut short = line.clone();
        if let Some(fields) = short.as_object_mut() {
            fields.remove("text");
        }
        eprintln!("{driver}: {short}");
    }
    // Submits: the one-page PNG inline and done, the two-page PDF accepted and pending.
    let png = one(lines, "submit", "file", "png");
    assert_eq!(
        (png["status"].as_u64(), png["type"].as_str()),
        (Some(200), Some("JobObject")),
        "{driver}: {png}"
    );
    assert_eq!(png["job_status"], "done", "{driver}: answered inline");
    let pdf = one(lines, "submit", "file", "pdf");
    assert_eq!(pdf["status"], 200, "{driver}: {pdf}");
    assert!(
        pdf["job_status"] == "pending" || pdf["job_status"] == "processing",
        "{driver}: two pages are not answered inline: {pdf}"
    );

    // Final jobs, read by polling for the PDF.
    let png = one(lines, "final", "file", "png");
    assert_eq!(
        (
            png["job_status"].as_str(),
            png["page_count"].as_u64(),
            png["pages"].as_u64()
        ),
        (Some("done"), Some(1), Some(1)),
        "{driver}: {png}"
    );
    let png_text = png["text"].as_str().unwrap_or_default().to_lowercase();
    for word in ["invoice", "cash", "thank you"] {
        assert!(
            png_text.contains(word),
            "{driver}: {word:?} not in the receipt's text: {png_text}"
        );
    }
    let pdf = one(lines, "final", "file", "pdf");
    assert_eq!(
        (
            pdf["job_status"].as_str(),
            pdf["page_count"].as_u64(),
            pdf["pages"].as_u64()
        ),
        (Some("done"), Some(2), Some(2)),
        "{driver}: {pdf}"
    );
    assert!(pdf["polls"].as_u64() >= Some(1), "{driver}: polled: {pdf}");
    let confidence = pdf["mean_confidence"].as_f64().expect("mean_confidence");
    assert!((0.0..=1.0).contains(&confidence), "{driver}: {pdf}");
    let pdf_text = pdf["text"].as_str().unwrap_or_default().to_lowercase();
    for word in ["council", "london", "burgenland"] {
        assert!(
            pdf_text.contains(word),
            "{driver}: {word:?} not in the letter's text: {pdf_text}"
        );
    }

    // Every format of the spec, for both jobs, as the server serves it.
    let declared = spec_formats();
    let known: BTreeSet<String> = FORMATS.iter().map(|(f, _, _)| f.to_string()).collect();
    assert_eq!(
        declared, known,
        "the spec's formats changed: teach this test the new ones"
    );
    for (file, stem, uuid) in [
        ("png", "receipt", lines_uuid(lines, "png")),
        ("pdf", "en_typewritten_letter_2p", lines_uuid(lines, "pdf")),
    ] {
        let downloads = steps(lines, "download", "file", file);
        let got: BTreeSet<String> = downloads
            .iter()
            .map(|d| d["format"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(got, declared, "{driver}: {file} downloads");
        for (format, content_type, head) in FORMATS {
            let d = downloads
                .iter()
                .find(|d| d["format"] == format)
                .expect("downloaded");
            assert_eq!(d["status"], 200, "{driver}: {d}");
            assert_eq!(d["content_type"], content_type, "{driver}: {d}");
            assert!(d["size"].as_u64() > Some(0), "{driver}: {d}");
            assert!(
                d["head"].as_str().unwrap_or_default().starts_with(head),
                "{driver}: {file}.{format} starts with {head:?}: {d}"
            );
            let disposition = d["disposition"].as_str().unwrap_or_default();
            assert!(
                disposition.starts_with("attachment") && disposition.contains(stem),
                "{driver}: {d}"
            );
        }
        let txt = downloads.iter().find(|d| d["format"] == "txt").unwrap();
        let txt = txt["text"].as_str().unwrap_or_default().to_lowercase();
        let words: &[&str] = if file == "png" {
            &["invoice", "cash"]
        } else {
            &["council", "burgenland"]
        };
        for word in words {
            assert!(
                txt.contains(word),
                "{driver}: {word:?} not in {file}.txt: {txt}"
            );
        }
        if file == "pdf" {
            assert!(
                txt.contains('\u{c}'),
                "{driver}: pages separated by a form feed"
            );
        }
        let json = downloads.iter().find(|d| d["format"] == "json").unwrap();
        assert_eq!(json["uuid"], uuid, "{driver}: the JSON download is the job");
    }

    // Chat: a cited answer, and the transcript holding the question and the answer.
    let chat = one(lines, "chat", "", "");
    assert_eq!(
        (
            chat["status"].as_u64(),
            chat["type"].as_str(),
            chat["role"].as_str()
        ),
        (Some(200), Some("ChatResponse"), Some("assistant")),
        "{driver}: {chat}"
    );
    let citations = chat["citations"].as_array().expect("citations");
    assert!(!citations.is_empty(), "{driver}: a cited answer: {chat}");
    for c in citations {
        assert!(
            (1..=2).contains(&c["page"].as_u64().unwrap_or(0)),
            "{driver}: {c}"
        );
        let snippet = c["snippet"].as_str().unwrap_or_default().to_lowercase();
        assert!(
            snippet.contains("council"),
            "{driver}: cites the Council: {c}"
        );
    }
    let history = one(lines, "history", "", "");
    assert_eq!(history["type"], "HistoryResponse", "{driver}: {history}");
    let messages = history["messages"].as_array().expect("messages");
    let said: Vec<(&str, &str)> = messages
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap_or_default(),
                m["content"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        said,
        vec![
            ("user", QUESTION),
            ("assistant", chat["content"].as_str().unwrap_or_default())
        ],
        "{driver}: {history}"
    );
    assert!(
        messages
            .iter()
            .all(|m| m["conversation"] == chat["conversation"]),
        "{driver}: {history}"
    );

    // Errors, each typed as the spec declares its status.
    let idle = one(lines, "submit", "file", "idle");
    assert_ne!(idle["job_status"], "done", "{driver}: no workers: {idle}");
    for (case, status, kind, says) in [
        ("400", 400, "ErrorBody", "xx"),
        ("401", 401, "ErrorBody", ""),
        ("402", 402, "QuotaBody", ""),
        ("404", 404, "ErrorBody", ""),
        ("409-download", 409, "ErrorBody", ""),
        ("409-chat", 409, "ErrorBody", ""),
    ] {
        let e = one(lines, "error", "case", case);
        assert_eq!(
            (e["status"].as_u64(), e["type"].as_str()),
            (Some(status), Some(kind)),
            "{driver}: {e}"
        );
        let message = e["error"].as_str().unwrap_or_default();
        assert!(
            !message.is_empty() && message.contains(says),
            "{driver}: {e}"
        );
    }
    let quota = one(lines, "error", "case", "402");
    assert_eq!(
        (quota["used"].as_u64(), quota["cap"].as_u64()),
        (Some(2), Some(1)),
        "{driver}: the PDF needs 2 credits, 1 is left: {quota}"
    );
}

fn lines_uuid(lines: &[Value], file: &str) -> Value {
    one(lines, "submit", "file", file)["uuid"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_generated_python_client_drives_the_live_service() {
    let stage = stage().await;
    let mut drive = Command::new(tool("venv/bin/python"));
    drive
        .arg(clients_dir().join("tests/drive_python.py"))
        .envs(stage.env.iter().cloned())
        .env("PYTHONPATH", clients_dir().join("python"))
        // Nothing written into the clone.
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let output = run(drive).await;
    assert_journey("python", &lines_of("drive_python.py", &output));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_generated_typescript_client_drives_the_live_service() {
    let stage = stage().await;
    // The committed client and driver, compiled in a scratch folder beside the installed
    // node_modules (the clone has none).
    let build = stage.scratch.0.join("ts");
    for (from, files) in [
        (
            "typescript",
            &["client.ts", "schema.d.ts", "package.json"][..],
        ),
        ("tests", &["drive.ts", "tsconfig.json"][..]),
    ] {
        std::fs::create_dir_all(build.join(from)).unwrap();
        for file in files {
            std::fs::copy(
                clients_dir().join(from).join(file),
                build.join(from).join(file),
            )
            .unwrap_or_else(|e| panic!("copy {from}/{file}: {e}"));
        }
    }
    // The built driver and client run as ES modules, as the client's package.json declares.
    std::fs::write(build.join("tests/package.json"), r#"{"type": "module"}"#).unwrap();
    std::os::unix::fs::symlink(tool("node/node_modules"), build.join("node_modules")).unwrap();

    let mut tsc = Command::new("node");
    tsc.arg(tool("node/node_modules/typescript/bin/tsc"))
        .arg("-p")
        .arg(build.join("tests/tsconfig.json"));
    let output = run(tsc).await;
    assert!(
        output.status.success(),
        "tsc found type errors in the TypeScript client or its driver:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );

    let mut drive = Command::new("node");
    drive
        .arg(build.join("tests/build/tests/drive.js"))
        .envs(stage.env.iter().cloned());
    let output = run(drive).await;
    assert_journey("typescript", &lines_of("drive.ts", &output));
}

/// Runs one README example as written: only `OCRCHAT_URL` and `OCRCHAT_TOKEN` set.
async fn run_example(program: &Path, args: &[PathBuf], app: &TestApp, token: &str) -> String {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(clients_dir().join("examples"))
        .env("OCRCHAT_URL", &app.base)
        .env("OCRCHAT_TOKEN", token);
    let output = run(command).await;
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{} {args:?} failed:\n{stdout}\n{}",
        program.display(),
        text(&output.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_examples_run_as_written_against_the_live_service() {
    let examples = clients_dir().join("examples");
    // The README shows each example whole, so what a user copies is what runs here.
    let readme = std::fs::read_to_string(tests::workspace_root().join("README.md")).unwrap();
    for file in ["submit.py", "submit.mjs", "submit.sh"] {
        let example = std::fs::read_to_string(examples.join(file)).unwrap();
        assert!(
            readme.contains(&example),
            "README.md does not show clients/examples/{file} as it is"
        );
    }

    let app = TestApp::spawn_with(Spawn {
        // Two pages are answered pending: the examples poll.
        configure: Box::new(|c| c.limits.inline_pages = 1),
        ..Spawn::default()
    })
    .await;
    let token = app.paid_token_for("examples@example.com", 100).await;
    let pdf = corpus::entry("en_typewritten_letter_2p.pdf").path();
    for (program, script) in [
        (tool("venv/bin/python"), "submit.py"),
        (PathBuf::from("node"), "submit.mjs"),
        (PathBuf::from("sh"), "submit.sh"),
    ] {
        let printed = run_example(
            &program,
            &[examples.join(script), pdf.clone()],
            &app,
            &token,
        )
        .await
        .to_lowercase();
        for word in ["council", "london", "burgenland"] {
            assert!(
                printed.contains(word),
                "{script}: {word:?} not in what it printed: {printed}"
            );
        }
        assert!(
            printed.contains('\u{c}'),
            "{script}: the two pages' text, separated by a form feed"
        );
    }
    // Each example submitted one two-page job, charged to the token's account.
    let (status, account) = app.get_json("/api/v1/account/", Some(&token)).await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["balance"], 100 - 3 * 2, "{account}");
}
