//! A conversation about one job: its events, the state they fold into, and the decide function
//! that records a question with its answer.
//!
//! A question and its answer are recorded together, in one append, once the answer exists: a
//! transcript never shows a question answered by the reply to another one, even when two requests
//! race on the same conversation (the loser reloads and appends after the winner).

use super::{answer::Answer, Citation};
use crate::{
    chat::answer::AnswerMeta,
    ids::{AccountId, JobId},
};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Longest question accepted, in characters: enough for any real question, small enough that a
/// question never crowds the passages out of the model's context.
pub const MAX_QUESTION_CHARS: usize = 4000;

/// Identifies one conversation (the `conversation` clients see and send back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(pub Uuid);

impl ConversationId {
    /// A fresh time-ordered id (UUIDv7).
    pub fn new_v7() -> Self {
        ConversationId(Uuid::now_v7())
    }
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The account holder asking.
    User,
    /// The service answering.
    Assistant,
}

impl Role {
    /// The wire name (`user`, `assistant`), as in the OpenAI protocol and the history endpoint.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One earlier message, as the prompt's history needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
}

/// One fact in a conversation's life. Serialized names never change once shipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConversationEvent {
    /// The conversation was opened about a job by an account: always the first event.
    Started {
        /// The job talked about.
        job: JobId,
        /// The account talking.
        account: AccountId,
    },
    /// The user asked something.
    UserAsked {
        /// The question as sent (trimmed).
        content: String,
    },
    /// The service answered the question just before.
    AssistantAnswered {
        /// The answer text.
        content: String,
        /// Verified citations (possibly none: a not-found answer cites nothing).
        citations: Vec<Citation>,
        /// How the answer was produced.
        meta: AnswerMeta,
    },
}

impl ConversationEvent {
    /// The stable kind name stored in its own column (same as the serde tag).
    pub fn kind(&self) -> &'static str {
        match self {
            ConversationEvent::Started { .. } => "started",
            ConversationEvent::UserAsked { .. } => "user_asked",
            ConversationEvent::AssistantAnswered { .. } => "assistant_answered",
        }
    }
}

/// A conversation's state as its events say.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conversation {
    /// The conversation.
    pub id: Option<ConversationId>,
    /// Events applied: the expected version of the next append (0: it does not exist yet).
    pub version: u64,
    /// The job it is about.
    pub job: Option<JobId>,
    /// The account it belongs to.
    pub account: Option<AccountId>,
    /// Every message in order.
    pub turns: Vec<Turn>,
}

impl Conversation {
    /// Applies one event. Total: no checks that can fail, so a stored history always replays.
    pub fn apply(mut self, event: &ConversationEvent) -> Conversation {
        self.version += 1;
        match event {
            ConversationEvent::Started { job, account } => {
                self.job = Some(*job);
                self.account = Some(*account);
            }
            ConversationEvent::UserAsked { content } => self.turns.push(Turn {
                role: Role::User,
                content: content.clone(),
            }),
            ConversationEvent::AssistantAnswered { content, .. } => self.turns.push(Turn {
                role: Role::Assistant,
                content: content.clone(),
            }),
        }
        self
    }

    /// Folds a history from the start.
    pub fn replay<'a>(
        id: ConversationId,
        events: impl IntoIterator<Item = &'a ConversationEvent>,
    ) -> Conversation {
        let start = Conversation {
            id: Some(id),
            ..Conversation::default()
        };
        events.into_iter().fold(start, Conversation::apply)
    }

    /// Whether `account` may continue this conversation about `job`. A conversation that does
    /// not exist yet belongs to whoever starts it.
    pub fn belongs_to(&self, job: JobId, account: AccountId) -> bool {
        match (self.job, self.account) {
            (Some(j), Some(a)) => j == job && a == account,
            _ => self.version == 0,
        }
    }
}

/// A chat request or history that the rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A question with nothing but whitespace.
    #[error("the message is empty")]
    EmptyQuestion,
    /// A question longer than `MAX_QUESTION_CHARS`.
    #[error("the message has {chars} characters; at most {max} are accepted")]
    QuestionTooLong {
        /// Characters sent.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// The conversation is about another job or belongs to another account (shown as not found,
    /// never as someone else's).
    #[error("conversation {0} does not belong to this job and account")]
    NotThisConversation(ConversationId),
}

/// Trims a question and checks its length: the only input rule of a chat request. NUL
/// characters are dropped: no text means anything by them, and Postgres cannot store them (a
/// contract fuzzer's question with `\u0000` in it was a 500).
pub fn validate_question(raw: &str) -> Result<String, Error> {
    let without_nul: String = raw.chars().filter(|c| *c != '\0').collect();
    let question = without_nul.trim();
    if question.is_empty() {
        return Err(Error::EmptyQuestion);
    }
    let chars = question.chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Err(Error::QuestionTooLong {
            chars,
            max: MAX_QUESTION_CHARS,
        });
    }
    Ok(question.to_owned())
}

/// Records a question and its answer; the first exchange also opens the conversation.
///
/// Refuses a conversation about another job or of another account. Not idempotent on purpose: the
/// same question asked twice is two exchanges, as the user sees it.
pub fn record_exchange(
    conversation: &Conversation,
    job: JobId,
    account: AccountId,
    question: String,
    answer: Answer,
) -> Result<Vec<ConversationEvent>, Error> {
    if !conversation.belongs_to(job, account) {
        return Err(Error::NotThisConversation(
            conversation.id.unwrap_or(ConversationId(Uuid::nil())),
        ));
    }
    let mut events = Vec::with_capacity(3);
    if conversation.version == 0 {
        events.push(ConversationEvent::Started { job, account });
    }
    events.push(ConversationEvent::UserAsked { content: question });
    events.push(ConversationEvent::AssistantAnswered {
        content: answer.content,
        citations: answer.citations,
        meta: answer.meta,
    });
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::answer::not_found_answer;

    const CONV: ConversationId = ConversationId(Uuid::from_u128(1));
    const JOB: JobId = JobId(Uuid::from_u128(2));
    const ALICE: AccountId = AccountId(Uuid::from_u128(3));
    const BOB: AccountId = AccountId(Uuid::from_u128(4));

    fn started() -> ConversationEvent {
        ConversationEvent::Started {
            job: JOB,
            account: ALICE,
        }
    }

    fn asked(q: &str) -> ConversationEvent {
        ConversationEvent::UserAsked { content: q.into() }
    }

    fn answered() -> ConversationEvent {
        let a = not_found_answer(3);
        ConversationEvent::AssistantAnswered {
            content: a.content,
            citations: a.citations,
            meta: a.meta,
        }
    }

    #[test]
    fn record_exchange_rules() {
        for (name, history, job, account, expected) in [
            (
                "first exchange opens the conversation",
                vec![],
                JOB,
                ALICE,
                Ok(vec![started(), asked("q"), answered()]),
            ),
            (
                "later exchange continues it",
                vec![started(), asked("a"), answered()],
                JOB,
                ALICE,
                Ok(vec![asked("q"), answered()]),
            ),
            (
                "another account cannot continue it",
                vec![started()],
                JOB,
                BOB,
                Err(Error::NotThisConversation(CONV)),
            ),
            (
                "another job cannot continue it",
                vec![started()],
                JobId(Uuid::from_u128(99)),
                ALICE,
                Err(Error::NotThisConversation(CONV)),
            ),
        ] {
            let conversation = Conversation::replay(CONV, &history);
            assert_eq!(
                record_exchange(&conversation, job, account, "q".into(), not_found_answer(3)),
                expected,
                "case: {name}"
            );
        }
    }

    #[test]
    fn questions_are_trimmed_and_bounded() {
        for (name, input, expected) in [
            (
                "plain",
                "  What is the total? ",
                Ok("What is the total?".to_owned()),
            ),
            ("blank", " \n\t ", Err(Error::EmptyQuestion)),
            ("NUL characters dropped", "a\0b?\0", Ok("ab?".to_owned())),
            ("only NUL", "\0 \0", Err(Error::EmptyQuestion)),
            (
                "too long",
                &"x".repeat(MAX_QUESTION_CHARS + 1),
                Err(Error::QuestionTooLong {
                    chars: MAX_QUESTION_CHARS + 1,
                    max: MAX_QUESTION_CHARS,
                }),
            ),
            (
                "limit counts characters, not bytes",
                &"é".repeat(MAX_QUESTION_CHARS),
                Ok("é".repeat(MAX_QUESTION_CHARS)),
            ),
        ] {
            assert_eq!(validate_question(input), expected, "case: {name}");
        }
    }

    #[test]
    fn replay_keeps_turns_in_order() {
        let c = Conversation::replay(CONV, &[started(), asked("one"), answered(), asked("two")]);
        assert_eq!(c.version, 4);
        let roles: Vec<Role> = c.turns.iter().map(|t| t.role).collect();
        assert_eq!(roles, vec![Role::User, Role::Assistant, Role::User]);
        assert_eq!(c.turns[2].content, "two");
        assert!(c.belongs_to(JOB, ALICE));
        assert!(!c.belongs_to(JOB, BOB));
        assert!(
            Conversation::default().belongs_to(JOB, BOB),
            "a new one belongs to its starter"
        );
    }

    #[test]
    fn event_names_are_stable() {
        let json = serde_json::to_value(started()).unwrap();
        assert_eq!(json["type"], "started");
        assert_eq!(started().kind(), "started");
        assert_eq!(asked("x").kind(), "user_asked");
        assert_eq!(answered().kind(), "assistant_answered");
        let back: ConversationEvent =
            serde_json::from_value(serde_json::to_value(answered()).unwrap()).unwrap();
        assert_eq!(back, answered());
    }
}
