//! Chat with a recognised document: the pure rules.
//!
//! A question is answered from passages that retrieval found in the job's pages. The rules here
//! decide everything that does not need IO: how passages are cut into numbered evidence units
//! ([`evidence`]), how those and earlier turns become a prompt within a token budget
//! ([`prompt`]), what structured reply the model must give (evidence numbers and a short answer,
//! [`reply`]), whether the answer agrees with the evidence it points at ([`consistency`]), that a
//! cited unit still stands on its page ([`verify`]), what the user is told in every case
//! ([`answer`]), and the conversation's events ([`conversation`]).
//!
//! Two promises: a citation leaves this module only if its snippet was found, mechanically, in
//! the text of the page it names, and is the page's own verbatim text, never the model's
//! rendering of it (the model names evidence by number; it never writes a citation); and a model
//! answer is shown only with evidence that supports it, never beside a claim that the document
//! is silent.

pub mod answer;
pub mod completion;
pub mod consistency;
pub mod conversation;
pub mod evidence;
pub mod prompt;
pub mod reply;
pub mod verify;

pub use answer::{
    fallback_answer, not_found_answer, reply_answer, Answer, AnswerMeta, AnswerMode, Fallback,
    FallbackReason, TokenUsage, NOT_FOUND_ANSWER,
};
pub use consistency::{decide, says_absent, Decision};
pub use conversation::{
    record_exchange, validate_question, Conversation, ConversationEvent, ConversationId, Error,
    Role, Turn, MAX_QUESTION_CHARS,
};
pub use prompt::{build_prompt, estimate_tokens, trim_history, Budget, Prompt};
pub use reply::{parse_reply, reply_schema, ModelReply, ReplyError};
pub use verify::find_verbatim;

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
