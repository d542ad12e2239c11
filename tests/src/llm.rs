//! Chat models for tests. The only part of the stack tests may replace is the model, and only by
//! a local server speaking the real OpenAI chat-completions protocol:
//!
//! - `LlamaServer`: llama.cpp's `llama-server` with a real GGUF model on a free loopback port
//!   (built by `scripts/deps.sh llama`, models by `scripts/deps.sh models`), killed on drop;
//! - `FakeLlm`: a tiny HTTP server that answers chat completions the way a broken or lying model
//!   server would (hangs, 5xx, malformed JSON, context overflow, invented evidence), for the error
//!   paths a real server cannot be made to take on demand.

use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::{Semaphore, SemaphorePermit},
    task::JoinHandle,
};

/// One model server at a time: on two cores, two of them (plus OCR) would only slow each other
/// past any sensible timeout.
static MODEL_SLOT: Semaphore = Semaphore::const_new(1);

fn cache() -> PathBuf {
    std::env::var_os("OCRCHAT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/ocrchat")
        })
}

/// `llama-server`: `$OCRCHAT_LLAMA_SERVER`, else where `scripts/deps.sh llama` builds it.
pub fn llama_server_binary() -> PathBuf {
    std::env::var_os("OCRCHAT_LLAMA_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache().join("llama-0.94.0/llama-server"))
}

/// The model chat tests run: `$OCRCHAT_TEST_MODEL`, else SmolLM2-135M (fast, loose: tests assert
/// structure and verification, never wording).
pub fn test_model() -> PathBuf {
    std::env::var_os("OCRCHAT_TEST_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache().join("models/smollm2-135m-instruct.gguf"))
}

/// A running `llama-server`; killed (and reaped) on drop.
pub struct LlamaServer {
    child: Child,
    /// `http://127.0.0.1:<port>/v1`, for `OCRCHAT_LLM_BASE_URL`.
    pub base_url: String,
    /// The model file it serves.
    pub model: PathBuf,
    _slot: SemaphorePermit<'static>,
}

async fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    Ok(listener.local_addr()?.port())
}

impl LlamaServer {
    /// Starts the test model with a context of `ctx` tokens and waits for `/health`.
    pub async fn start(ctx: u32) -> anyhow::Result<LlamaServer> {
        LlamaServer::start_model(test_model(), ctx).await
    }

    /// Starts `model` with a context of `ctx` tokens and waits until it answers `/health`.
    pub async fn start_model(model: PathBuf, ctx: u32) -> anyhow::Result<LlamaServer> {
        let binary = llama_server_binary();
        if !binary.exists() || !model.exists() {
            bail!(
                "{} or {} is missing: run `scripts/deps.sh llama models` (or `just test`)",
                binary.display(),
                model.display()
            );
        }
        let slot = MODEL_SLOT.acquire().await.context("model slot")?;
        let mut last_error = anyhow::anyhow!("llama-server did not start");
        // A port picked free can be taken before the server binds it: try a few.
        for _ in 0..3 {
            let port = free_port().await?;
            let mut child = Command::new(&binary)
                .arg("-m")
                .arg(&model)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args([
                    "-c",
                    &ctx.to_string(),
                    "-t",
                    "2",
                    "-np",
                    "1",
                    "--alias",
                    "local",
                ])
                // Passive OpenMP waiting: spinning threads starve everything else on 2 cores.
                .env("OMP_WAIT_POLICY", "PASSIVE")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", binary.display()))?;
            let health = format!("http://127.0.0.1:{port}/health");
            let http = reqwest::Client::new();
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                if let Some(status) = child.try_wait()? {
                    last_error = anyhow::anyhow!("llama-server exited with {status}");
                    break;
                }
                let healthy = http
                    .get(&health)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if healthy {
                    return Ok(LlamaServer {
                        child,
                        base_url: format!("http://127.0.0.1:{port}/v1"),
                        model,
                        _slot: slot,
                    });
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    bail!("llama-server did not become healthy within 120 s");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Err(last_error)
    }

    /// The model file's name, for printed figures.
    pub fn model_name(&self) -> String {
        self.model
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How the fake model server answers a chat completion.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    /// Never answers (the client's timeout must fire).
    Hang,
    /// `500` with a plain-text body, as a crashed backend behind a proxy answers.
    ServerError,
    /// A well-formed completion whose content is not the requested JSON.
    MalformedContent,
    /// `200` with a body that is not JSON at all.
    GarbageBody,
    /// `400` with llama-server's exact context-overflow error object.
    ContextOverflow,
    /// A completion whose content is this reply JSON (e.g. with invented evidence numbers).
    Reply(Value),
    /// A reply naming the first evidence unit of the prompt whose text contains `containing`
    /// (case-insensitive), as a model that found it would: `{"evidence": [n], "answer": …}`,
    /// or no evidence when no unit contains it.
    Cite {
        /// Text the unit must contain.
        containing: String,
        /// The answer to give; empty: the unit's own text, as a model that copies it.
        answer: String,
    },
    /// `500` on the first request, then the given behaviour on every later one.
    FailOnceThen(Box<Behaviour>),
}

/// The number and text of the first `[n] text` line of a prompt's last message whose text
/// contains `needle` (case-insensitive).
pub fn unit_containing(request: &Value, needle: &str) -> Option<(u32, String)> {
    let last = request["messages"].as_array()?.last()?["content"].as_str()?;
    let needle = needle.to_lowercase();
    last.lines().find_map(|line| {
        let rest = line.strip_prefix('[')?;
        let (number, text) = rest.split_once(']')?;
        let text = text.strip_prefix(' ').unwrap_or(text);
        if !text.to_lowercase().contains(&needle) {
            return None;
        }
        Some((number.parse().ok()?, text.to_owned()))
    })
}

struct Shared {
    behaviour: Behaviour,
    requests: Vec<Value>,
}

/// An OpenAI-compatible server that misbehaves on purpose; stopped on drop.
pub struct FakeLlm {
    /// `http://127.0.0.1:<port>/v1`, for `OCRCHAT_LLM_BASE_URL`.
    pub base_url: String,
    shared: Arc<Mutex<Shared>>,
    accept: JoinHandle<()>,
}

impl FakeLlm {
    /// Starts on a free loopback port.
    pub async fn start(behaviour: Behaviour) -> anyhow::Result<FakeLlm> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Mutex::new(Shared {
            behaviour,
            requests: Vec::new(),
        }));
        let state = Arc::clone(&shared);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let _ = serve(stream, state).await;
                });
            }
        });
        Ok(FakeLlm {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            shared,
            accept,
        })
    }

    /// Changes how later requests are answered, and forgets the requests seen so far.
    pub fn set(&self, behaviour: Behaviour) {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.behaviour = behaviour;
        shared.requests.clear();
    }

    /// The JSON bodies of the chat completion requests received since the last `set`.
    pub fn requests(&self) -> Vec<Value> {
        self.shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .requests
            .clone()
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A chat completion object carrying `content`, as OpenAI and llama-server send it.
pub fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "fake-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}
    })
}

/// Reads one HTTP/1.1 request: its head, lower-cased, and exactly `Content-Length` bytes of
/// body. `None` when the client closed the connection before sending a whole head.
pub async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(Some((head, buf.split_off(head_end))))
}

async fn serve(mut stream: TcpStream, shared: Arc<Mutex<Shared>>) -> anyhow::Result<()> {
    let Some((_, body)) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let behaviour = {
        let mut shared = shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.requests.push(body.clone());
        let first = shared.requests.len() == 1;
        match &shared.behaviour {
            Behaviour::FailOnceThen(then) if !first => (**then).clone(),
            Behaviour::FailOnceThen(_) => Behaviour::ServerError,
            other => other.clone(),
        }
    };
    let behaviour = match behaviour {
        Behaviour::Cite { containing, answer } => match unit_containing(&body, &containing) {
            Some((number, text)) => Behaviour::Reply(json!({
                "evidence": [number],
                "answer": if answer.is_empty() { text } else { answer },
            })),
            None => Behaviour::Reply(json!({ "evidence": [], "answer": answer })),
        },
        other => other,
    };
    let (status, body) = match behaviour {
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Ok(());
        }
        Behaviour::ServerError => ("500 Internal Server Error", "upstream model crashed".into()),
        Behaviour::MalformedContent => (
            "200 OK",
            completion("The total is 42, trust me. {not json").to_string(),
        ),
        Behaviour::GarbageBody => ("200 OK", "<html>proxy error</html>".into()),
        Behaviour::ContextOverflow => (
            "400 Bad Request",
            json!({"error": {
                "code": 400,
                "message": "request (9100 tokens) exceeds the available context size (4096 tokens), try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 9100,
                "n_ctx": 4096
            }})
            .to_string(),
        ),
        Behaviour::Reply(reply) => ("200 OK", completion(&reply.to_string()).to_string()),
        // A failure nested in a failure: answered as a failure.
        Behaviour::Cite { .. } | Behaviour::FailOnceThen(_) => {
            ("500 Internal Server Error", "nested scripted failure".into())
        }
    };
    let content_type = if body.starts_with('{') {
        "application/json"
    } else {
        "text/plain"
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await?;
    Ok(())
}
