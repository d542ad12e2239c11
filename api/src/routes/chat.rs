//! `POST /api/v1/chat/<uuid>/` and `GET /api/v1/chat/<uuid>/history/`: questions about a
//! finished job, answered from its text with verified citations, and the transcript.

use super::{ocr::parse_job_id, ApiTags};
use crate::{
    app::AppState,
    auth::{Caller, Credentials},
    error::ApiError,
};
use domain::{
    chat::{
        validate_question, AnswerMeta, AnswerMode, Citation, ConversationId, FallbackReason, Role,
    },
    AccountId, JobId, JobStatus,
};
use poem::{web::Data, Request};
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    Enum, Object, OpenApi,
};
use std::sync::Arc;
use storage::conversations::MessageView;

/// A question about the job.
#[derive(Debug, Clone, Object)]
pub struct ChatRequest {
    /// The question (1 to 4000 characters).
    pub message: JsonString,
    /// The conversation to continue (from an earlier answer); omitted, a new one starts. Earlier
    /// turns of the conversation are part of what the model sees.
    pub conversation: Option<uuid::Uuid>,
}

/// A JSON string and nothing else. poem-openapi's `String` also takes a number or a boolean and
/// turns it into text, which made `{"message": 5e16}` a question; a contract fuzzer found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonString(pub String);

impl poem_openapi::types::Type for JsonString {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> std::borrow::Cow<'static, str> {
        String::name()
    }

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        String::schema_ref()
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl poem_openapi::types::ParseFromJSON for JsonString {
    fn parse_from_json(value: Option<serde_json::Value>) -> poem_openapi::types::ParseResult<Self> {
        match value {
            Some(serde_json::Value::String(text)) => Ok(JsonString(text)),
            other => Err(poem_openapi::types::ParseError::expected_type(
                other.unwrap_or_default(),
            )),
        }
    }
}

impl poem_openapi::types::ToJSON for JsonString {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(serde_json::Value::String(self.0.clone()))
    }
}

/// A verified citation: the snippet is verbatim text of the page.
#[derive(Debug, Clone, Object)]
pub struct CitationObject {
    /// 1-based page number.
    pub page: u32,
    /// Verbatim text of that page.
    pub snippet: String,
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum MessageRole {
    /// The account holder.
    User,
    /// The service.
    Assistant,
}

/// How an answer was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum AnswerModeObject {
    /// The model answered, and at least one of its quotes verified against its page.
    Model,
    /// The best matching sentence or line, quoted (no model configured, it failed, or its reply
    /// could not be shown: see `fallback`).
    Extractive,
    /// The document does not contain an answer: nothing matched, or the model found nothing in
    /// the evidence it was shown.
    NotFound,
}

/// Why the model's answer was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum FallbackReasonObject {
    /// No chat model is configured on this server.
    NotConfigured,
    /// The model did not answer in time (twice).
    Timeout,
    /// The model server could not be reached.
    Unreachable,
    /// The model server failed (5xx).
    ServerError,
    /// The model server refused the request.
    Rejected,
    /// The prompt did not fit the model's context, even shortened.
    ContextOverflow,
    /// The model's reply was not the requested JSON (twice).
    MalformedReply,
    /// The reply said the document lacks the answer, yet named evidence for it.
    Inconsistent,
    /// The reply's answer adds nothing to the question that any evidence shown contains.
    Unsupported,
    /// The reply named only evidence numbers the prompt never showed.
    UnknownEvidence,
}

/// Tokens the model reported.
#[derive(Debug, Clone, Object)]
pub struct UsageObject {
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generated tokens.
    pub completion_tokens: u32,
    /// Both.
    pub total_tokens: u32,
}

/// How an assistant message came about.
#[derive(Debug, Clone, Object)]
pub struct MessageMetadata {
    /// `model`, `extractive` or `not_found`.
    pub mode: AnswerModeObject,
    /// The model asked, if one was (also when it failed).
    pub model: Option<String>,
    /// Milliseconds from the question to the answer (retrieval and model included).
    pub latency_ms: u64,
    /// Tokens the model reported, summed over attempts.
    pub usage: Option<UsageObject>,
    /// Why the model's answer is not what is shown: with `extractive`, the model was not used or
    /// failed; with `not_found`, its reply broke the consistency rule (an `inconsistent`,
    /// `unsupported` or `unknown_evidence` reply).
    pub fallback: Option<FallbackReasonObject>,
    /// The last model error, in words (with `fallback`).
    pub fallback_detail: Option<String>,
    /// Requests made to the model (0, 1, or 2 with the retry).
    pub model_attempts: u32,
    /// Passages retrieval found for the question.
    pub passages: u32,
    /// Evidence sentences (or lines) the model was shown, numbered.
    pub evidence_shown: u32,
    /// Evidence numbers the model named.
    pub evidence_proposed: u32,
    /// Sentences a model answer cites (its citations).
    pub evidence_cited: u32,
    /// True when the service cited the shown sentence that supports the model's answer because
    /// the numbers the model named did not.
    pub recited: bool,
}

/// One message.
#[derive(Debug, Clone, Object)]
pub struct MessageObject {
    /// `user` or `assistant`.
    pub role: MessageRole,
    /// The text.
    pub content: String,
    /// Verified citations (empty for user messages and not-found answers).
    pub citations: Vec<CitationObject>,
    /// How an assistant message came about (absent on user messages).
    #[oai(skip_serializing_if_is_none)]
    pub metadata: Option<MessageMetadata>,
    /// When the message was recorded.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The answer to a question.
#[derive(Debug, Clone, Object)]
pub struct ChatResponse {
    /// The conversation: send it back to continue.
    pub conversation: uuid::Uuid,
    /// The assistant's message.
    pub message: MessageObject,
}

/// One message of a transcript.
#[derive(Debug, Clone, Object)]
pub struct HistoryMessage {
    /// The conversation it belongs to.
    pub conversation: uuid::Uuid,
    /// `user` or `assistant`.
    pub role: MessageRole,
    /// The text.
    pub content: String,
    /// Verified citations (empty for user messages and not-found answers).
    pub citations: Vec<CitationObject>,
    /// How an assistant message came about (absent on user messages).
    #[oai(skip_serializing_if_is_none)]
    pub metadata: Option<MessageMetadata>,
    /// When the message was recorded.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The caller's transcript of a job.
#[derive(Debug, Clone, Object)]
pub struct HistoryResponse {
    /// The job.
    pub uuid: uuid::Uuid,
    /// The caller's conversations about the job, oldest first.
    pub conversations: Vec<uuid::Uuid>,
    /// Every message, user and assistant, in the order they were recorded.
    pub messages: Vec<HistoryMessage>,
}

fn citations(list: &[Citation]) -> Vec<CitationObject> {
    list.iter()
        .map(|c| CitationObject {
            page: c.page.human(),
            snippet: c.snippet.clone(),
        })
        .collect()
}

fn metadata(meta: &AnswerMeta) -> MessageMetadata {
    MessageMetadata {
        mode: match meta.mode {
            AnswerMode::Model => AnswerModeObject::Model,
            AnswerMode::Extractive => AnswerModeObject::Extractive,
            AnswerMode::NotFound => AnswerModeObject::NotFound,
        },
        model: meta.model.clone(),
        latency_ms: meta.latency_ms,
        usage: meta.usage.map(|u| UsageObject {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            total_tokens: u.total_tokens,
        }),
        fallback: meta.fallback.as_ref().map(|f| match f.reason {
            FallbackReason::NotConfigured => FallbackReasonObject::NotConfigured,
            FallbackReason::Timeout => FallbackReasonObject::Timeout,
            FallbackReason::Unreachable => FallbackReasonObject::Unreachable,
            FallbackReason::ServerError => FallbackReasonObject::ServerError,
            FallbackReason::Rejected => FallbackReasonObject::Rejected,
            FallbackReason::ContextOverflow => FallbackReasonObject::ContextOverflow,
            FallbackReason::MalformedReply => FallbackReasonObject::MalformedReply,
            FallbackReason::Inconsistent => FallbackReasonObject::Inconsistent,
            FallbackReason::Unsupported => FallbackReasonObject::Unsupported,
            FallbackReason::UnknownEvidence => FallbackReasonObject::UnknownEvidence,
        }),
        fallback_detail: meta.fallback.as_ref().map(|f| f.detail.clone()),
        model_attempts: meta.model_attempts,
        passages: meta.passages,
        evidence_shown: meta.evidence_shown,
        evidence_proposed: meta.evidence_proposed,
        evidence_cited: meta.evidence_cited,
        recited: meta.recited,
    }
}

fn role(role: Role) -> MessageRole {
    match role {
        Role::User => MessageRole::User,
        Role::Assistant => MessageRole::Assistant,
    }
}

fn conversation_not_found() -> ApiError {
    ApiError::NotFound(Json(crate::error::ErrorBody {
        error: "conversation not found".into(),
    }))
}

/// Chat endpoints.
pub struct ChatApi;

impl ChatApi {
    /// The account calling (401 anonymously) and its finished job (404 if missing or someone
    /// else's, 409 if not done yet).
    async fn account_and_job(
        state: &AppState,
        credentials: &Credentials,
        req: &Request,
        uuid: &str,
    ) -> Result<(AccountId, JobId), ApiError> {
        let account = match state.caller(credentials, req).await? {
            Caller::Account(id, _) => id,
            Caller::Anonymous { .. } => {
                return Err(ApiError::unauthorized(
                    "chat requires an account token: send 'Authorization: Bearer <token>'",
                ))
            }
        };
        let job = parse_job_id(uuid)?;
        let view = state
            .store
            .job_view(job, false)
            .await?
            .filter(|v| v.owner_account == Some(account))
            .ok_or_else(ApiError::job_not_found)?;
        if view.status != JobStatus::Done {
            return Err(ApiError::conflict(format!(
                "the job is {}: chat is available once it is done",
                view.status.as_str()
            )));
        }
        Ok((account, job))
    }
}

#[OpenApi]
impl ChatApi {
    /// Asks a question about a finished job.
    ///
    /// The answer is grounded only in the job's recognised text: the service retrieves the best
    /// matching passages, asks the configured model with only those, and keeps only the quotes
    /// that stand verbatim (after whitespace and case normalisation) on the page they cite. With
    /// no verified quote, or nothing relevant in the document, the answer says the document does
    /// not contain it and cites nothing. Without a model (or when it fails twice) the answer quotes
    /// the best passages; `metadata.fallback` says why.
    ///
    /// Requires an account token (`401` anonymously); the job must be the caller's (`404`) and
    /// done (`409`). Pass `conversation` from an earlier answer to continue a conversation.
    #[oai(
        path = "/api/v1/chat/:uuid/",
        method = "post",
        tag = "ApiTags::Chat",
        operation_id = "chat"
    )]
    async fn chat(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        /// The job's uuid.
        uuid: Path<String>,
        body: Json<ChatRequest>,
    ) -> Result<Json<ChatResponse>, ApiError> {
        let (account, job) = Self::account_and_job(&state, &credentials, req, &uuid.0).await?;
        let question = validate_question(&body.0.message.0)?;
        let (conversation, history) = match body.0.conversation {
            None => (ConversationId::new_v7(), Vec::new()),
            Some(id) => {
                let id = ConversationId(id);
                let existing = state.store.load_conversation(id).await?;
                if existing.version == 0 || !existing.belongs_to(job, account) {
                    return Err(conversation_not_found());
                }
                (id, existing.turns)
            }
        };
        let chat = state.chat.as_ref().ok_or_else(|| {
            ApiError::Unavailable(Json(crate::error::ErrorBody {
                error: "chat is not served by this process".into(),
            }))
        })?;
        let answer = chat.answer(job, &question, &history).await?;
        let shown = answer.clone();
        let recorded = state
            .store
            .record_exchange(conversation, job, account, question, answer)
            .await??;
        // The exchange's events share one commit time.
        let created_at = recorded
            .last()
            .map_or_else(chrono::Utc::now, |r| r.recorded_at);
        Ok(Json(ChatResponse {
            conversation: conversation.0,
            message: MessageObject {
                role: MessageRole::Assistant,
                content: shown.content,
                citations: citations(&shown.citations),
                metadata: Some(metadata(&shown.meta)),
                created_at,
            },
        }))
    }

    /// Returns the caller's transcript of a job: user and assistant messages, in order.
    ///
    /// Every conversation of the caller about the job, or only one with `?conversation=`.
    /// Same access rules as asking: an account token (`401`), the caller's job (`404`), done
    /// (`409`).
    #[oai(
        path = "/api/v1/chat/:uuid/history/",
        method = "get",
        tag = "ApiTags::Chat",
        operation_id = "get_chat_history"
    )]
    async fn history(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
        /// The job's uuid.
        uuid: Path<String>,
        /// Only this conversation.
        conversation: Query<Option<uuid::Uuid>>,
    ) -> Result<Json<HistoryResponse>, ApiError> {
        let (account, job) = Self::account_and_job(&state, &credentials, req, &uuid.0).await?;
        let only = conversation.0.map(ConversationId);
        let conversations = state.store.conversations_of(job, account).await?;
        if let Some(id) = only {
            if !conversations.contains(&id) {
                return Err(conversation_not_found());
            }
        }
        let messages = state.store.chat_history(job, account, only).await?;
        Ok(Json(HistoryResponse {
            uuid: job.0,
            conversations: conversations.into_iter().map(|c| c.0).collect(),
            messages: messages.iter().map(history_message).collect(),
        }))
    }
}

fn history_message(m: &MessageView) -> HistoryMessage {
    HistoryMessage {
        conversation: m.conversation.0,
        role: role(m.role),
        content: m.content.clone(),
        citations: citations(&m.citations),
        metadata: m.meta.as_ref().map(metadata),
        created_at: m.created_at,
    }
}
