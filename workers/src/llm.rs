//! An OpenAI-compatible chat client for the worker: the vision model of the `vlm` tier and the
//! chat model of the `translate` tool.
//!
//! Both run in the worker, not the API, because workers may run on other machines and the model
//! calls are part of recognising a page (their output is recorded in the page's event).
//!
//! Design choices a newcomer may question:
//! - **async-openai with a custom base URL**, so any server speaking the chat-completions
//!   protocol works: OpenAI, vLLM, llama.cpp's `llama-server`, Ollama.
//! - **Retries live here, per call**, with exponential backoff, for what may pass: no
//!   connection, a timeout, `408`, `429` and `5xx`. Other answers (`400` bad request, `401`,
//!   `404` unknown model) are permanent and fail at once. When the attempts run out the last
//!   error is returned with the count, and the caller fails the page with that reason.
//!   async-openai's default transport would retry 5xx and 429 itself (three more calls per
//!   attempt, 100 ms apart and doubling), so `attempts` would not be the number of calls; the
//!   client installs the plain transport (`ReqwestService`) instead.
//! - **Errors keep the server's own message** (e.g. llama.cpp's "image input is not
//!   supported"), so a failed job says what the server said.

use async_openai::{
    config::OpenAIConfig,
    error::OpenAIError,
    middleware::ReqwestService,
    types::chat::{ChatCompletionRequestMessage, CreateChatCompletionRequestArgs},
    Client,
};
use std::time::Duration;

/// Where the model is and how hard to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmOptions {
    /// Base URL of the OpenAI-compatible API, including its version path
    /// (e.g. `http://127.0.0.1:8081/v1`).
    pub base_url: String,
    /// Model name sent with every request.
    pub model: String,
    /// Bearer key, if the server wants one.
    pub api_key: Option<String>,
    /// Longest wait for one answer.
    pub timeout: Duration,
    /// Calls per request, the first included (at least 1).
    pub attempts: u32,
    /// Wait before the first retry; doubled for each further retry (capped at 30 s).
    pub backoff: Duration,
}

impl LlmOptions {
    /// Options with the usual retry policy: 4 attempts, 1 s then 2 s then 4 s apart.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        LlmOptions {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            timeout: Duration::from_secs(120),
            attempts: 4,
            backoff: Duration::from_secs(1),
        }
    }
}

/// Why a model call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// The server answered with an error status.
    #[error("the model server answered {status}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The server's own message.
        message: String,
    },
    /// No answer within the timeout.
    #[error("the model server did not answer within {} s", .0.as_secs())]
    Timeout(Duration),
    /// The server could not be reached.
    #[error("could not reach the model server: {0}")]
    Unreachable(String),
    /// The answer was not a chat completion.
    #[error("the model server's answer could not be read: {0}")]
    BadAnswer(String),
    /// The completion held no text.
    #[error("the model returned no text")]
    Empty,
    /// The request could not be built (a bug, or an invalid option).
    #[error("the model request is invalid: {0}")]
    Request(String),
    /// Every attempt failed; the last error says why.
    #[error("{last} (gave up after {attempts} attempts)")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last attempt's error.
        last: Box<LlmError>,
    },
}

impl LlmError {
    /// Whether another attempt may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            LlmError::Status { status, .. } => {
                *status == 408 || *status == 429 || (500..600).contains(status)
            }
            LlmError::Timeout(_) | LlmError::Unreachable(_) => true,
            LlmError::BadAnswer(_)
            | LlmError::Empty
            | LlmError::Request(_)
            | LlmError::GaveUp { .. } => false,
        }
    }
}

/// A completion and what it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The assistant's text.
    pub text: String,
    /// Calls made, the successful one included.
    pub attempts: u32,
}

/// A chat-completions client for one model. Cheap to clone.
#[derive(Clone)]
pub struct LlmClient {
    client: Client<OpenAIConfig>,
    options: LlmOptions,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("base_url", &self.options.base_url)
            .field("model", &self.options.model)
            .finish_non_exhaustive()
    }
}

impl LlmClient {
    /// Builds a client; fails only if the HTTP client cannot be built (no TLS backend).
    pub fn new(options: LlmOptions) -> Result<Self, LlmError> {
        let mut config = OpenAIConfig::new().with_api_base(options.base_url.trim_end_matches('/'));
        // async-openai sends `Authorization: Bearer <key>` only when a key is set; local
        // servers need none.
        if let Some(key) = options.api_key.as_deref().filter(|k| !k.is_empty()) {
            config = config.with_api_key(key);
        }
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .build()
            .map_err(|e| LlmError::Request(e.to_string()))?;
        Ok(LlmClient {
            // The plain transport: every retry is ours (see the module docs).
            client: Client::with_config(config).with_http_service(ReqwestService::new(http)),
            options,
        })
    }

    /// The options in use.
    pub fn options(&self) -> &LlmOptions {
        &self.options
    }

    /// Sends one chat request and returns the assistant's text, retrying transient failures
    /// with exponential backoff. Deterministic sampling (temperature 0): OCR and translation
    /// want the most likely text, not variety.
    pub async fn complete(
        &self,
        messages: Vec<ChatCompletionRequestMessage>,
        max_tokens: u32,
    ) -> Result<Completion, LlmError> {
        let attempts = self.options.attempts.max(1);
        let mut delay = self.options.backoff;
        let mut attempt = 1;
        loop {
            match self.complete_once(messages.clone(), max_tokens).await {
                Ok(text) => {
                    return Ok(Completion {
                        text,
                        attempts: attempt,
                    })
                }
                Err(err) if err.is_transient() && attempt < attempts => {
                    tracing::warn!(
                        model = %self.options.model, attempt, error = %err,
                        "model call failed; retrying in {delay:?}"
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                    attempt += 1;
                }
                Err(err) if attempt > 1 || err.is_transient() => {
                    return Err(LlmError::GaveUp {
                        attempts: attempt,
                        last: Box::new(err),
                    })
                }
                Err(err) => return Err(err),
            }
        }
    }

    async fn complete_once(
        &self,
        messages: Vec<ChatCompletionRequestMessage>,
        max_tokens: u32,
    ) -> Result<String, LlmError> {
        let request = CreateChatCompletionRequestArgs::default()
            .model(self.options.model.clone())
            .messages(messages)
            .temperature(0.0)
            .max_completion_tokens(max_tokens)
            .build()
            .map_err(|e| LlmError::Request(e.to_string()))?;
        let response = self
            .client
            .chat()
            .create(request)
            .await
            .map_err(|e| self.classify(e))?;
        let text = response
            .choices
            .into_iter()
            .next()
            .and_then(|choice| choice.message.content)
            .unwrap_or_default();
        if text.trim().is_empty() {
            return Err(LlmError::Empty);
        }
        Ok(text)
    }

    fn classify(&self, err: OpenAIError) -> LlmError {
        match err {
            OpenAIError::ApiError(api) => LlmError::Status {
                status: api.status_code.as_u16(),
                message: server_message(&api.api_error.message),
            },
            OpenAIError::Reqwest(e) if e.is_timeout() => LlmError::Timeout(self.options.timeout),
            OpenAIError::Reqwest(e) => LlmError::Unreachable(error_chain(&e)),
            OpenAIError::JSONDeserialize(e, body) => {
                LlmError::BadAnswer(format!("{e}: {}", shorten(&body, 200)))
            }
            other => LlmError::BadAnswer(other.to_string()),
        }
    }
}

/// The message of a server error body: the `error.message` of an OpenAI-style JSON body (what
/// llama.cpp and vLLM send even with 5xx), else the body itself, shortened.
fn server_message(body: &str) -> String {
    let parsed = serde_json::from_str::<serde_json::Value>(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("message"))
            .and_then(|m| m.as_str())
    });
    shorten(message.unwrap_or(body).trim(), 300)
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// An error with its causes, which reqwest keeps in `source()` ("error sending request" alone
/// says nothing).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors_are_the_ones_worth_retrying() {
        let status = |status| LlmError::Status {
            status,
            message: String::new(),
        };
        for (err, transient) in [
            (status(500), true),
            (status(503), true),
            (status(429), true),
            (status(408), true),
            (status(400), false),
            (status(401), false),
            (status(404), false),
            (LlmError::Timeout(Duration::from_secs(1)), true),
            (LlmError::Unreachable("refused".into()), true),
            (LlmError::Empty, false),
        ] {
            assert_eq!(err.is_transient(), transient, "{err}");
        }
    }

    #[test]
    fn server_messages_come_from_openai_style_bodies() {
        assert_eq!(
            server_message(
                r#"{"error":{"code":500,"message":"image input is not supported","type":"server_error"}}"#
            ),
            "image input is not supported"
        );
        assert_eq!(server_message("Bad Gateway"), "Bad Gateway");
        assert_eq!(server_message(&"x".repeat(400)).chars().count(), 301);
    }
}
