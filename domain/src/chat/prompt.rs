//! Prompt construction: numbered evidence units, earlier turns within a budget.
//!
//! The model sees only the evidence retrieval ranked highest, one sentence (or receipt line) per
//! line, numbered `[1]`, `[2]`, … best first, in the last user message right before the question
//! (small models attend best to what is near the end). On two cores reading the prompt is most
//! of an answer's time, so the evidence has a budget of its own (`Budget::evidence_tokens`), well
//! under the context, and carries no page labels: the model names numbers, and the service,
//! which knows each unit's page, cites the pages itself (a label per line was a sixth of the
//! evidence's tokens). Earlier turns of the conversation go
//! between the instructions and that message, newest kept first, as far as the context allows;
//! evidence is never dropped for history. The instructions come first and never change, so a
//! server that caches prompt prefixes (llama-server does) reads them once.
//!
//! Between the instructions and the history stand a few worked examples (`EXAMPLES`), as earlier
//! turns shaped exactly like a real question and its reply: the small models that run on two
//! cores follow a shown reply far better than a described one (naming the line that holds the
//! answer, a bare amount, an empty evidence list when nothing answers). They are invented
//! documents, none of the kinds' real ones, and never change, so the prefix cache reads them
//! once too. They give way to evidence when the context is tight; history gives way to them.
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

/// A worked example: the evidence lines, the question and the reply.
struct Example {
    units: &'static [&'static str],
    question: &'static str,
    reply: &'static str,
}

/// The worked examples (see the module docs): an amount read off a receipt's abbreviated line,
/// a question the evidence does not answer although it holds tempting numbers, and a name from
/// a letter's closing lines.
const EXAMPLES: &[Example] = &[
    Example {
        units: &[
            "CAFE LUNA 12 HIGH ST",
            "2 CAPPUCCINO 7.80",
            "TEL 0161 496 0321",
            "TTL 9.90",
            "VISA 9.90",
        ],
        question: "How much was paid in total?",
        reply: r#"{"evidence": [4], "answer": "9.90"}"#,
    },
    Example {
        units: &[
            "CAFE LUNA 12 HIGH ST",
            "TEL 0161 496 0321",
            "TABLE 4 COVERS 2",
            "TTL 9.90",
        ],
        question: "What was the waiter's name?",
        reply: r#"{"evidence": [], "answer": "The document does not say."}"#,
    },
    Example {
        units: &[
            "Yours faithfully,",
            "We received your application on 3rd March, 1951, and have passed it to the committee.",
            "J. R. Whitaker, Secretary",
        ],
        question: "Who signed the letter?",
        reply: r#"{"evidence": [3], "answer": "J. R. Whitaker, Secretary"}"#,
    },
];

/// The worked examples as turns, a question and its reply each.
pub fn example_turns() -> Vec<Turn> {
    EXAMPLES
        .iter()
        .flat_map(|example| {
            let lines: String = example
                .units
                .iter()
                .enumerate()
                .map(|(i, text)| numbered_line(i + 1, text))
                .collect();
            [
                Turn {
                    role: Role::User,
                    content: user_message(&lines, example.question),
                },
                Turn {
                    role: Role::Assistant,
                    content: example.reply.to_owned(),
                },
            ]
        })
        .collect()
}

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
    /// The worked examples, as turns (none when the context is too tight for them).
    pub examples: Vec<Turn>,
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
                .examples
                .iter()
                .chain(&self.history)
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

fn numbered_line(number: usize, text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("[{number}] {text}\n")
}

const EVIDENCE_HEADER: &str = "Sentences from the document:\n";

fn user_message(lines: &str, question: &str) -> String {
    format!(
        "{EVIDENCE_HEADER}{lines}\nQuestion: {question}\nName at most {MAX_EVIDENCE} sentence numbers."
    )
}

/// Builds the prompt for `question` from evidence units (best first) and earlier turns.
///
/// Units are kept in order while they fit both the evidence budget and the context (at least one
/// always is: if it overflows, the server says so and the caller retries with a halved budget);
/// the worked examples come next if what is left of the context holds them, and history gets
/// the rest.
pub fn build_prompt(question: &str, units: &[Passage], history: &[Turn], budget: Budget) -> Prompt {
    let fixed = message_tokens(INSTRUCTIONS) + message_tokens(&user_message("", question));
    let mut available = budget
        .context_tokens
        .saturating_sub(budget.reply_tokens)
        .saturating_sub(fixed);
    let mut evidence_left = budget.evidence_tokens;
    let mut lines = Vec::with_capacity(units.len());
    for (i, unit) in units.iter().enumerate() {
        let line = numbered_line(i + 1, &unit.text);
        let cost = estimate_tokens(&line);
        if (cost > available || cost > evidence_left) && !lines.is_empty() {
            break;
        }
        available = available.saturating_sub(cost);
        evidence_left = evidence_left.saturating_sub(cost);
        lines.push(line);
    }
    let shown = lines.len();
    let user = user_message(&lines.concat(), question);
    let mut examples = example_turns();
    let examples_cost: usize = examples.iter().map(|t| message_tokens(&t.content)).sum();
    if examples_cost <= available {
        available -= examples_cost;
    } else {
        examples.clear();
    }
    Prompt {
        system: INSTRUCTIONS.to_owned(),
        examples,
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
    fn prompts_number_units_one_per_line_without_pages() {
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
        assert!(prompt.user.contains("[1] pppppppppp\n[2] TOTAL 4.20\n"));
        assert!(prompt
            .user
            .ends_with("Question: What is the total?\nName at most 3 sentence numbers."));
        assert!(prompt.system.contains("JSON"));
    }

    #[test]
    fn worked_examples_are_shaped_like_real_turns_and_give_way_to_evidence() {
        let roomy = Budget {
            context_tokens: 4096,
            reply_tokens: 400,
            evidence_tokens: 300,
        };
        let prompt = build_prompt("What is the total?", &[passage(0, 10)], &[], roomy);
        assert_eq!(prompt.examples.len(), 2 * EXAMPLES.len());
        for pair in prompt.examples.chunks(2) {
            assert_eq!((pair[0].role, pair[1].role), (Role::User, Role::Assistant));
            assert!(pair[0]
                .content
                .starts_with("Sentences from the document:\n[1] "));
            assert!(pair[0]
                .content
                .ends_with("\nName at most 3 sentence numbers."));
            let reply =
                crate::chat::parse_reply(&pair[1].content).expect("an example reply parses");
            let shown = pair[0].content.matches("\n[").count() as u32;
            assert!(reply.evidence.iter().all(|n| (1..=shown).contains(n)));
        }
        assert!(
            prompt.estimated_tokens() + roomy.reply_tokens <= roomy.context_tokens,
            "the examples fit a 4k context beside the evidence"
        );

        let tight = Budget {
            context_tokens: 700,
            ..roomy
        };
        let prompt = build_prompt("What is the total?", &[passage(0, 600)], &[], tight);
        assert_eq!(prompt.units, 1);
        assert!(prompt.examples.is_empty(), "evidence first, then examples");
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
