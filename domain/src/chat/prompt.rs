//! Prompt construction: numbered passages with their pages, earlier turns within a token budget.
//!
//! The model sees only what retrieval found, numbered `[1]`, `[2]`, … with the page each stands
//! on, in the last user message right before the question (small models attend best to what is
//! near the end). Earlier turns of the conversation go between the instructions and that message,
//! newest kept first, as far as the budget allows; passages are never dropped for history.
//!
//! Tokens are estimated, not counted: no tokenizer of the server's model is available here. One
//! token per three characters over-estimates for prose and fits OCR text full of digits and
//! punctuation, so the estimate errs on the side of a prompt that fits.

use super::{
    conversation::{Role, Turn},
    reply::MAX_QUOTES,
    Passage,
};

/// Per-message overhead of chat templates (role markers, separators), in tokens.
const MESSAGE_OVERHEAD_TOKENS: usize = 8;

/// What the model is told about its task. The output shape itself is enforced by the schema.
pub const INSTRUCTIONS: &str = "You answer questions about one document, using only the numbered \
passages the user gives you; they were extracted from the document by OCR. Reply in JSON. In \
\"quotes\", copy up to 3 short passages of text word for word from the passages that contain the \
answer, each with the page number shown in its passage header. In \"answer\", answer the question \
in one or two sentences, using only what those quotes say. If the passages do not contain the \
answer, reply with an empty \"quotes\" list and the answer \"The document does not say.\" Never use \
outside knowledge and never invent text that is not in the passages.";

/// How many tokens the prompt and the reply may use together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The model's context size.
    pub context_tokens: usize,
    /// Tokens kept free for the reply (`max_completion_tokens`).
    pub reply_tokens: usize,
}

impl Budget {
    /// The same budget with half the context: the retry after a context overflow.
    pub fn halved(self) -> Budget {
        Budget {
            context_tokens: self.context_tokens / 2,
            reply_tokens: self.reply_tokens,
        }
    }
}

/// A prompt ready to be sent as chat messages: system, then history, then the user message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// The instructions.
    pub system: String,
    /// Earlier turns that fit the budget, oldest first.
    pub history: Vec<Turn>,
    /// The numbered passages and the question.
    pub user: String,
    /// How many passages the user message shows (a budget may cut the list).
    pub passages: usize,
}

impl Prompt {
    /// The estimated size of the whole prompt in tokens.
    pub fn estimated_tokens(&self) -> usize {
        message_tokens(&self.system)
            + self
                .history
                .iter()
                .map(|t| message_tokens(&t.content))
                .sum::<usize>()
            + message_tokens(&self.user)
    }
}

/// Estimated tokens of a text (see the module docs for why this is an estimate).
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(3)
}

fn message_tokens(text: &str) -> usize {
    estimate_tokens(text) + MESSAGE_OVERHEAD_TOKENS
}

/// The newest turns that fit `budget` tokens, starting with a user turn so that no answer is
/// shown without its question.
pub fn trim_history(turns: &[Turn], budget: usize) -> &[Turn] {
    let mut used = 0;
    let mut start = turns.len();
    for (i, turn) in turns.iter().enumerate().rev() {
        used += message_tokens(&turn.content);
        if used > budget {
            break;
        }
        start = i;
    }
    while start < turns.len() && turns[start].role != Role::User {
        start += 1;
    }
    &turns[start..]
}

fn passage_block(number: usize, passage: &Passage) -> String {
    format!(
        "[{number}] (page {})\n{}\n",
        passage.page.human(),
        passage.text.trim()
    )
}

/// Builds the prompt for `question` from retrieved passages (best first) and earlier turns.
///
/// Passages are kept in order while they fit (at least one always is: if it overflows, the
/// server says so and the caller retries with a halved budget); history gets what is left.
pub fn build_prompt(
    question: &str,
    passages: &[Passage],
    history: &[Turn],
    budget: Budget,
) -> Prompt {
    let header = "Passages from the document:\n\n";
    let footer = format!("\nQuestion: {question}\nQuote at most {MAX_QUOTES} passages exactly.");
    let fixed = message_tokens(INSTRUCTIONS) + message_tokens(&format!("{header}{footer}"));
    let mut available = budget
        .context_tokens
        .saturating_sub(budget.reply_tokens)
        .saturating_sub(fixed);
    let mut blocks = Vec::with_capacity(passages.len());
    for (i, passage) in passages.iter().enumerate() {
        let block = passage_block(i + 1, passage);
        let cost = estimate_tokens(&block);
        if cost > available && !blocks.is_empty() {
            break;
        }
        available = available.saturating_sub(cost);
        blocks.push(block);
    }
    let shown = blocks.len();
    let user = format!("{header}{}{footer}", blocks.join("\n"));
    Prompt {
        system: INSTRUCTIONS.to_owned(),
        history: trim_history(history, available).to_vec(),
        user,
        passages: shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PageIndex;

    fn turn(role: Role, n: usize) -> Turn {
        Turn {
            role,
            content: "x".repeat(n),
        }
    }

    fn passage(page: u32, chars: usize) -> Passage {
        Passage {
            page: PageIndex(page),
            start: 0,
            end: chars,
            text: "p".repeat(chars),
        }
    }

    #[test]
    fn history_keeps_the_newest_whole_exchanges_that_fit() {
        // Each 30-char turn costs 10 + 8 = 18 tokens.
        let turns = vec![
            turn(Role::User, 30),
            turn(Role::Assistant, 30),
            turn(Role::User, 30),
            turn(Role::Assistant, 30),
        ];
        for (name, budget, kept) in [
            ("everything fits", 1000, 4),
            ("exactly two turns", 36, 2),
            ("three fit, but an answer never starts the history", 54, 2),
            ("less than one exchange", 20, 0),
            ("nothing", 0, 0),
        ] {
            let got = trim_history(&turns, budget);
            assert_eq!(got.len(), kept, "case: {name}");
            if let Some(first) = got.first() {
                assert_eq!(first.role, Role::User, "case: {name}");
            }
        }
        assert!(trim_history(&[], 100).is_empty());
    }

    #[test]
    fn prompts_number_passages_with_human_pages() {
        let prompt = build_prompt(
            "What is the total?",
            &[passage(0, 10), passage(4, 10)],
            &[],
            Budget {
                context_tokens: 4096,
                reply_tokens: 400,
            },
        );
        assert_eq!(prompt.passages, 2);
        assert!(prompt.user.contains("[1] (page 1)\npppppppppp"));
        assert!(prompt.user.contains("[2] (page 5)\npppppppppp"));
        assert!(prompt.user.contains("Question: What is the total?"));
        assert!(prompt.system.contains("JSON"));
    }

    #[test]
    fn budgets_cut_passages_before_the_first_and_history_before_passages() {
        let budget = Budget {
            context_tokens: 1000,
            reply_tokens: 300,
        };
        let passages = vec![passage(0, 900), passage(1, 900), passage(2, 900)];
        let history = vec![turn(Role::User, 600), turn(Role::Assistant, 600)];
        let prompt = build_prompt("q", &passages, &history, budget);
        assert_eq!(prompt.passages, 1, "the 2nd passage would not fit");
        assert!(prompt.history.is_empty(), "passages win over history");
        assert!(prompt.estimated_tokens() + budget.reply_tokens <= budget.context_tokens);

        let tiny = build_prompt("q", &passages, &history, budget.halved().halved());
        assert_eq!(tiny.passages, 1, "one passage is always shown");

        let roomy = build_prompt(
            "q",
            &passages,
            &history,
            Budget {
                context_tokens: 8192,
                reply_tokens: 300,
            },
        );
        assert_eq!((roomy.passages, roomy.history.len()), (3, 2));
    }
}
