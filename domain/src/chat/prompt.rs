//! Prompt construction: numbered evidence units with their pages, earlier turns within a budget.
//!
//! The model sees only the evidence retrieval ranked highest, one sentence (or receipt line) per
//! line, numbered `[1]`, `[2]`, … best first, with the page each stands on, in the last user
//! message right before the question (small models attend best to what is near the end). On two
//! cores reading the prompt is most of an answer's time, so the evidence has a budget of its own
//! (`Budget::evidence_tokens`), well under the context. Earlier turns of the conversation go
//! between the instructions and that message, newest kept first, as far as the context allows;
//! evidence is never dropped for history. The instructions come first and never change, so a
//! server that caches prompt prefixes (llama-server does) reads them once.
//!
//! Tokens are estimated, not counted: no tokenizer of the server's model is available here. One
//! token per three characters over-estimates for prose and fits OCR text full of digits and
//! punctuation, so the estimate errs on the side of a prompt that fits.

use super::{
    conversation::{Role, Turn},
    reply::MAX_EVIDENCE,
    Passage,
};

/// Per-message overhead of chat templates (role markers, separators), in tokens.
const MESSAGE_OVERHEAD_TOKENS: usize = 8;

/// What the model is told about its task. The output shape itself is enforced by the schema.
pub const INSTRUCTIONS: &str = "You answer questions about one document, using only the numbered \
sentences the user gives you; they were read from the document by OCR and may contain reading \
errors. Reply in JSON. In \"evidence\", list the numbers of the sentences that state the answer \
(at most 3). In \"answer\", give the answer in the words of those sentences, complete (a whole \
date, an amount as written, a full name). If no sentence states the answer, reply with an empty \
\"evidence\" list and the answer \"The document does not say.\" Never use outside knowledge and \
never guess.";

/// How many tokens the prompt and the reply may use together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The model's context size.
    pub context_tokens: usize,
    /// Tokens kept free for the reply (`max_completion_tokens`).
    pub reply_tokens: usize,
    /// Most tokens of evidence shown (at least one unit is always shown).
    pub evidence_tokens: usize,
}

impl Budget {
    /// The same budget with half the context: the retry after a context overflow.
    pub fn halved(self) -> Budget {
        Budget {
            context_tokens: self.context_tokens / 2,
            reply_tokens: self.reply_tokens,
            evidence_tokens: self.evidence_tokens / 2,
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
    /// The numbered evidence and the question.
    pub user: String,
    /// How many evidence units the user message shows: the first `units` of those given.
    pub units: usize,
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

fn unit_line(number: usize, unit: &Passage) -> String {
    let text = unit.text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("[{number}] (page {}) {text}\n", unit.page.human())
}

/// Builds the prompt for `question` from evidence units (best first) and earlier turns.
///
/// Units are kept in order while they fit both the evidence budget and the context (at least one
/// always is: if it overflows, the server says so and the caller retries with a halved budget);
/// history gets what is left of the context.
pub fn build_prompt(question: &str, units: &[Passage], history: &[Turn], budget: Budget) -> Prompt {
    let header = "Sentences from the document:\n";
    let footer = format!("\nQuestion: {question}\nName at most {MAX_EVIDENCE} sentence numbers.");
    let fixed = message_tokens(INSTRUCTIONS) + message_tokens(&format!("{header}{footer}"));
    let mut available = budget
        .context_tokens
        .saturating_sub(budget.reply_tokens)
        .saturating_sub(fixed);
    let mut evidence_left = budget.evidence_tokens;
    let mut lines = Vec::with_capacity(units.len());
    for (i, unit) in units.iter().enumerate() {
        let line = unit_line(i + 1, unit);
        let cost = estimate_tokens(&line);
        if (cost > available || cost > evidence_left) && !lines.is_empty() {
            break;
        }
        available = available.saturating_sub(cost);
        evidence_left = evidence_left.saturating_sub(cost);
        lines.push(line);
    }
    let shown = lines.len();
    let user = format!("{header}{}{footer}", lines.concat());
    Prompt {
        system: INSTRUCTIONS.to_owned(),
        history: trim_history(history, available).to_vec(),
        user,
        units: shown,
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
    fn prompts_number_units_with_human_pages_one_per_line() {
        let mut unit = passage(4, 10);
        unit.text = "TOTAL\n  4.20".into();
        let prompt = build_prompt(
            "What is the total?",
            &[passage(0, 10), unit],
            &[],
            Budget {
                context_tokens: 4096,
                reply_tokens: 400,
                evidence_tokens: 500,
            },
        );
        assert_eq!(prompt.units, 2);
        assert!(prompt
            .user
            .contains("[1] (page 1) pppppppppp\n[2] (page 5) TOTAL 4.20\n"));
        assert!(prompt
            .user
            .ends_with("Question: What is the total?\nName at most 3 sentence numbers."));
        assert!(prompt.system.contains("JSON"));
    }

    #[test]
    fn budgets_cut_units_after_the_first_and_history_before_units() {
        let budget = Budget {
            context_tokens: 1000,
            reply_tokens: 300,
            evidence_tokens: 2000,
        };
        let units = vec![passage(0, 900), passage(1, 900), passage(2, 900)];
        let history = vec![turn(Role::User, 600), turn(Role::Assistant, 600)];
        let prompt = build_prompt("q", &units, &history, budget);
        assert_eq!(prompt.units, 1, "the 2nd unit would not fit the context");
        assert!(prompt.history.is_empty(), "evidence wins over history");
        assert!(prompt.estimated_tokens() + budget.reply_tokens <= budget.context_tokens);

        let tiny = build_prompt("q", &units, &history, budget.halved().halved());
        assert_eq!(tiny.units, 1, "one unit is always shown");

        let roomy = Budget {
            context_tokens: 8192,
            reply_tokens: 300,
            evidence_tokens: 2000,
        };
        let prompt = build_prompt("q", &units, &history, roomy);
        assert_eq!((prompt.units, prompt.history.len()), (3, 2));

        let small_evidence = Budget {
            evidence_tokens: 650,
            ..roomy
        };
        let prompt = build_prompt("q", &units, &history, small_evidence);
        assert_eq!(prompt.units, 2, "each unit costs ~310 tokens: two fit 650");
        assert_eq!(prompt.history.len(), 2, "history still gets the context");
    }
}
