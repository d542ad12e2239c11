//! Chat with a recognised document: the pure rules.
//!
//! A question is answered from passages that retrieval found in the job's pages. The rules here
//! decide everything that does not need IO: how passages and earlier turns become a prompt within
//! a token budget ([`prompt`]), what structured reply the model must give ([`reply`]), whether a
//! quote the model gives really stands on the page it cites ([`verify`]), what the user is told
//! when nothing verifies or no model is available ([`answer`]), and the conversation's events
//! ([`conversation`]).
//!
//! The one promise: a citation leaves this module only if its snippet was found, mechanically, in
//! the text of the page it names (after whitespace and case normalisation), and the snippet is the
//! page's own verbatim text, never the model's rendering of it.

pub mod answer;
pub mod conversation;
pub mod prompt;
pub mod reply;
pub mod verify;

pub use answer::{
    extractive_answer, model_answer, not_found_answer, Answer, AnswerMeta, AnswerMode, Fallback,
    FallbackReason, TokenUsage, NOT_FOUND_ANSWER,
};
pub use conversation::{
    record_exchange, validate_question, Conversation, ConversationEvent, ConversationId, Error,
    Role, Turn, MAX_QUESTION_CHARS,
};
pub use prompt::{build_prompt, estimate_tokens, trim_history, Budget, Prompt};
pub use reply::{parse_reply, reply_schema, ModelReply, Quote, ReplyError};
pub use verify::{find_verbatim, verify_quotes, Verified};

use crate::ids::PageIndex;
use serde::{Deserialize, Serialize};

/// A citable piece of one page: a few sentences with their position, as retrieval returns it.
///
/// `start` and `end` are offsets in characters (Unicode scalar values, not bytes) into the page's
/// text, `end` exclusive; `text` is exactly that range of the page text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passage {
    /// The page the passage stands on (0-based).
    pub page: PageIndex,
    /// First character of the passage in the page text.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// The passage, verbatim.
    pub text: String,
}

/// A verified reference to a page: the snippet is verbatim text of that page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// The cited page (0-based here; shown 1-based through `PageIndex::human`).
    pub page: PageIndex,
    /// Verbatim text of the page.
    pub snippet: String,
}
