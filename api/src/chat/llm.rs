//! The chat model client: an OpenAI-compatible endpoint through async-openai, with a timeout,
//! one retry, and every failure sorted into a reason the answer's metadata can show.
//!
//! async-openai's default transport retries 5xx and 429 up to three times with backoff; this
//! client installs the plain transport instead (`ReqwestService`), because the contract is one
//! retry and then an extractive answer, and a user waits through every retry.

use crate::config::LlmConfig;
use async_openai::{
    config::OpenAIConfig,
    error::OpenAIError,
    middleware::ReqwestService,
    types::chat::{
        ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
        ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
        CreateChatCompletionRequest, FinishReason, ResponseFormat, ResponseFormatJsonSchema,
    },
    Client,
};
use domain::chat::{
    build_prompt, parse_reply, reply_schema, Budget, FallbackReason, ModelReply, Passage, Prompt,
    Role, TokenUsage, Turn,
};
use std::time::Duration;

/// Temperature of the first attempt: greedy decoding, the model's most likely reading.
const FIRST_TEMPERATURE: f32 = 0.0;
/// Temperature of the retry: a malformed greedy reply would only repeat itself at 0.
const RETRY_TEMPERATURE: f32 = 0.4;

/// Why a model request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// No complete answer within the configured time.
    #[error("the model did not answer within {0:?}")]
    Timeout(Duration),
    /// The server could not be reached (connection refused or reset).
    #[error("the model server is unreachable: {0}")]
    Unreachable(String),
    /// The server failed (5xx, or 429 busy).
    #[error("the model server failed with status {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's message, shortened.
        message: String,
    },
    /// The prompt does not fit the model's context.
    #[error("the prompt exceeds the model's context: {0}")]
    ContextOverflow(String),
    /// The server refused the request (4xx other than context overflow).
    #[error("the model server refused the request with status {status}: {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The server's message, shortened.
        message: String,
    },
    /// The reply was not a chat completion, or its content not the requested JSON.
    #[error("the model's reply is malformed: {0}")]
    Malformed(String),
}

impl LlmError {
    /// The fallback reason the answer's metadata shows.
    pub fn reason(&self) -> FallbackReason {
        match self {
            LlmError::Timeout(_) => FallbackReason::Timeout,
            LlmError::Unreachable(_) => FallbackReason::Unreachable,
            LlmError::Server { .. } => FallbackReason::ServerError,
            LlmError::ContextOverflow(_) => FallbackReason::ContextOverflow,
            LlmError::Rejected { .. } => FallbackReason::Rejected,
            LlmError::Malformed(_) => FallbackReason::MalformedReply,
        }
    }
}

/// The client could not be built from the configuration.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the model client")]
pub struct BuildError(#[source] reqwest::Error);

/// A parsed, schema-shaped reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The reply.
    pub reply: ModelReply,
    /// The model the server says answered.
    pub model: String,
    /// How many evidence units the prompt showed (the first `shown` of those given): what the
    /// reply's numbers refer to.
    pub shown: usize,
}

/// The result of asking, with what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The last attempt's result.
    pub result: Result<Completion, LlmError>,
    /// Requests made (1, or 2 with the retry).
    pub attempts: u32,
    /// Tokens the server reported, summed over attempts (`None` if it reported none).
    pub usage: Option<TokenUsage>,
}

/// An OpenAI-compatible chat model.
#[derive(Debug, Clone)]
pub struct LlmClient {
    client: Client<OpenAIConfig>,
    model: String,
    timeout: Duration,
    max_tokens: u32,
    budget: Budget,
}

/// Keeps error messages from servers short in logs and metadata.
fn shorten(text: &str) -> String {
    const MAX: usize = 300;
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Whether a server's error text describes a prompt longer than the context (llama-server says
/// `exceed_context_size_error`, OpenAI `context_length_exceeded`).
fn is_context_overflow(text: &str) -> bool {
    let t = text.to_lowercase();
    t.contains("exceed_context_size")
        || t.contains("context_length_exceeded")
        || (t.contains("context") && (t.contains("exceed") || t.contains("too long")))
}

fn classify(err: OpenAIError, timeout: Duration) -> LlmError {
    match err {
        OpenAIError::Reqwest(e) if e.is_timeout() => LlmError::Timeout(timeout),
        OpenAIError::Reqwest(e) if e.is_connect() => LlmError::Unreachable(shorten(&e.to_string())),
        OpenAIError::Reqwest(e) if e.is_decode() || e.is_body() => {
            LlmError::Malformed(shorten(&e.to_string()))
        }
        OpenAIError::Reqwest(e) => LlmError::Unreachable(shorten(&e.to_string())),
        OpenAIError::ApiError(api) => {
            let status = api.status_code.as_u16();
            let message = api.api_error.to_string();
            let kind = api.api_error.r#type.clone().unwrap_or_default();
            let code = api.api_error.code.clone().unwrap_or_default();
            if is_context_overflow(&format!("{kind} {code} {message}")) {
                LlmError::ContextOverflow(shorten(&message))
            } else if status >= 500 || status == 429 {
                LlmError::Server {
                    status,
                    message: shorten(&message),
                }
            } else {
                LlmError::Rejected {
                    status,
                    message: shorten(&message),
                }
            }
        }
        // llama-server's error objects carry a numeric `code`, which async-openai cannot read as
        // its string `code`: the body arrives here, raw.
        OpenAIError::JSONDeserialize(e, body) => {
            if is_context_overflow(&body) {
                LlmError::ContextOverflow(shorten(&body))
            } else {
                LlmError::Malformed(shorten(&format!("{e}: {body}")))
            }
        }
        other => LlmError::Malformed(shorten(&other.to_string())),
    }
}

impl LlmClient {
    /// The client for a configured endpoint; `Ok(None)` when no base URL is configured (chat
    /// then answers extractively).
    pub fn from_config(config: &LlmConfig) -> Result<Option<LlmClient>, BuildError> {
        let Some(base) = config.base_url.as_deref() else {
            return Ok(None);
        };
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(BuildError)?;
        let openai = OpenAIConfig::new()
            .with_api_base(base.trim_end_matches('/'))
            // llama-server ignores the key; hosted endpoints need one.
            .with_api_key(config.api_key.clone().unwrap_or_else(|| "none".to_owned()));
        Ok(Some(LlmClient {
            client: Client::with_config(openai).with_http_service(ReqwestService::new(http)),
            model: config.model.clone(),
            timeout: config.timeout,
            max_tokens: config.max_tokens,
            budget: Budget {
                context_tokens: config.context_tokens,
                reply_tokens: config.max_tokens as usize,
                evidence_tokens: config.evidence_tokens,
            },
        }))
    }

    /// The configured model name.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Asks the model about `question` with the ranked evidence units and earlier turns: one
    /// attempt, and one retry on any failure (after a context overflow, with half the budget and
    /// no history). Never panics and never returns early without an outcome.
    pub async fn answer(&self, question: &str, units: &[Passage], history: &[Turn]) -> Outcome {
        let prompt = build_prompt(question, units, history, self.budget);
        let (first, mut usage) = self.complete(&prompt, FIRST_TEMPERATURE).await;
        let err = match first {
            Ok(completion) => {
                return Outcome {
                    result: Ok(completion),
                    attempts: 1,
                    usage,
                }
            }
            Err(err) => err,
        };
        tracing::warn!(error = %err, "model request failed; retrying once");
        let retry_prompt = match err {
            LlmError::ContextOverflow(_) => {
                build_prompt(question, units, &[], self.budget.halved())
            }
            _ => prompt,
        };
        let (second, more) = self.complete(&retry_prompt, RETRY_TEMPERATURE).await;
        usage = match (usage, more) {
            (Some(a), Some(b)) => Some(a.plus(b)),
            (a, b) => a.or(b),
        };
        if let Err(err) = &second {
            tracing::warn!(error = %err, "model request failed again; answering extractively");
        }
        Outcome {
            result: second,
            attempts: 2,
            usage,
        }
    }

    fn request(&self, prompt: &Prompt, temperature: f32) -> CreateChatCompletionRequest {
        let mut messages: Vec<ChatCompletionRequestMessage> = Vec::new();
        messages.push(ChatCompletionRequestSystemMessage::from(prompt.system.as_str()).into());
        for turn in prompt.examples.iter().chain(&prompt.history) {
            messages.push(match turn.role {
                Role::User => ChatCompletionRequestUserMessage::from(turn.content.as_str()).into(),
                Role::Assistant => {
                    ChatCompletionRequestAssistantMessage::from(turn.content.as_str()).into()
                }
            });
        }
        messages.push(ChatCompletionRequestUserMessage::from(prompt.user.as_str()).into());
        CreateChatCompletionRequest {
            model: self.model.clone(),
            messages,
            max_completion_tokens: Some(self.max_tokens),
            temperature: Some(temperature),
            response_format: Some(ResponseFormat::JsonSchema {
                json_schema: ResponseFormatJsonSchema {
                    description: Some(
                        "The numbers of the sentences holding the answer, then the answer.".into(),
                    ),
                    name: "cited_answer".into(),
                    schema: reply_schema(prompt.units),
                    strict: Some(true),
                },
            }),
            ..CreateChatCompletionRequest::default()
        }
    }

    /// One request: its parsed reply (or why not) and the usage the server reported.
    async fn complete(
        &self,
        prompt: &Prompt,
        temperature: f32,
    ) -> (Result<Completion, LlmError>, Option<TokenUsage>) {
        let request = self.request(prompt, temperature);
        // reqwest's timeout covers the request; this one also covers reading and parsing.
        let response =
            match tokio::time::timeout(self.timeout, self.client.chat().create(request)).await {
                Err(_) => return (Err(LlmError::Timeout(self.timeout)), None),
                Ok(Err(err)) => return (Err(classify(err, self.timeout)), None),
                Ok(Ok(response)) => response,
            };
        let usage = response.usage.as_ref().map(|u| TokenUsage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            total_tokens: u.total_tokens,
        });
        let Some(choice) = response.choices.first() else {
            return (Err(LlmError::Malformed("no choices".into())), usage);
        };
        let content = choice.message.content.as_deref().unwrap_or_default();
        let result = match parse_reply(content) {
            Ok(reply) => Ok(Completion {
                reply,
                model: response.model.clone(),
                shown: prompt.units,
            }),
            Err(err) if choice.finish_reason == Some(FinishReason::Length) => Err(
                LlmError::Malformed(format!("cut off at {} tokens: {err}", self.max_tokens)),
            ),
            Err(err) => Err(LlmError::Malformed(err.to_string())),
        };
        (result, usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_overflow_is_recognised_from_each_server_dialect() {
        for (text, expected) in [
            (
                r#"{"error":{"code":400,"message":"request (9100 tokens) exceeds the available context size (4096 tokens), try increasing it","type":"exceed_context_size_error"}}"#,
                true,
            ),
            (
                "This model's maximum context length is 4097 tokens (context_length_exceeded)",
                true,
            ),
            ("the input is too long for the context window", true),
            ("invalid model", false),
            ("internal server error", false),
        ] {
            assert_eq!(is_context_overflow(text), expected, "{text}");
        }
    }

    #[test]
    fn long_server_messages_are_shortened() {
        assert_eq!(shorten("  short "), "short");
        let long = "é".repeat(400);
        assert_eq!(shorten(&long).chars().count(), 301);
    }
}
