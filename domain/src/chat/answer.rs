//! What the user is told: a model's answer with its verified citations, the extractive answer
//! when no model could answer, or the plain statement that the document does not contain it.

use super::{
    reply::ModelReply,
    verify::{find_verbatim, Verified},
    Citation, Passage,
};
use crate::ids::PageIndex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The answer to a question the document cannot answer (nothing retrieved, or no quote of the
/// model verified). Never accompanied by a citation.
pub const NOT_FOUND_ANSWER: &str =
    "The document does not contain an answer to this question: nothing in its text supports one.";

/// How many passages an extractive answer quotes.
pub const EXTRACTIVE_PASSAGES: usize = 2;

/// How an answer was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerMode {
    /// The model answered and at least one of its quotes verified.
    Model,
    /// The best matching passages, quoted: no model is configured or it failed.
    Extractive,
    /// The document does not contain an answer (nothing retrieved, or nothing verified).
    NotFound,
}

impl AnswerMode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerMode::Model => "model",
            AnswerMode::Extractive => "extractive",
            AnswerMode::NotFound => "not_found",
        }
    }
}

/// Why the model did not answer, when the service fell back to an extractive answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FallbackReason {
    /// No model is configured on this server.
    NotConfigured,
    /// The model did not answer within the configured time.
    Timeout,
    /// The model server could not be reached.
    Unreachable,
    /// The model server answered with a 5xx.
    ServerError,
    /// The model server refused the request (a 4xx other than context overflow).
    Rejected,
    /// The prompt did not fit the model's context, even shortened.
    ContextOverflow,
    /// The reply was not the JSON the schema asks for.
    MalformedReply,
}

impl FallbackReason {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            FallbackReason::NotConfigured => "not_configured",
            FallbackReason::Timeout => "timeout",
            FallbackReason::Unreachable => "unreachable",
            FallbackReason::ServerError => "server_error",
            FallbackReason::Rejected => "rejected",
            FallbackReason::ContextOverflow => "context_overflow",
            FallbackReason::MalformedReply => "malformed_reply",
        }
    }
}

/// A fallback and its cause, kept in the message metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fallback {
    /// The class of failure.
    pub reason: FallbackReason,
    /// The last error, in words (for operators; never the document's text).
    pub detail: String,
}

/// Tokens the model reported for one answer (summed over attempts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generated tokens.
    pub completion_tokens: u32,
    /// Both.
    pub total_tokens: u32,
}

impl TokenUsage {
    /// Adds another attempt's usage.
    pub fn plus(self, other: TokenUsage) -> TokenUsage {
        TokenUsage {
            prompt_tokens: self.prompt_tokens.saturating_add(other.prompt_tokens),
            completion_tokens: self
                .completion_tokens
                .saturating_add(other.completion_tokens),
            total_tokens: self.total_tokens.saturating_add(other.total_tokens),
        }
    }
}

/// How an answer came about: stored with the answer and shown as message metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerMeta {
    /// Model, extractive or not found.
    pub mode: AnswerMode,
    /// The model asked, if one was (also when it failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Time from the question to the answer, in milliseconds (retrieval and model included).
    #[serde(default)]
    pub latency_ms: u64,
    /// Tokens the model reported, if it answered at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<TokenUsage>,
    /// Why the answer is extractive, if the model was not used or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Fallback>,
    /// Requests made to the model (0, 1, or 2 with the retry).
    #[serde(default)]
    pub model_attempts: u32,
    /// Passages retrieval found for the question.
    #[serde(default)]
    pub passages: u32,
    /// Quotes the model proposed.
    #[serde(default)]
    pub quotes_proposed: u32,
    /// Quotes of the model that verified against their page (the citations of a model answer;
    /// 0 for extractive answers, whose citations are retrieved passages).
    #[serde(default)]
    pub quotes_verified: u32,
}

impl AnswerMeta {
    fn new(mode: AnswerMode, passages: usize) -> AnswerMeta {
        AnswerMeta {
            mode,
            model: None,
            latency_ms: 0,
            usage: None,
            fallback: None,
            model_attempts: 0,
            passages: u32::try_from(passages).unwrap_or(u32::MAX),
            quotes_proposed: 0,
            quotes_verified: 0,
        }
    }
}

/// An answer ready to be stored and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The text shown to the user.
    pub content: String,
    /// Verified citations (none for a not-found answer).
    pub citations: Vec<Citation>,
    /// How it came about.
    pub meta: AnswerMeta,
}

/// The answer for a question the document does not answer.
pub fn not_found_answer(passages: usize) -> Answer {
    Answer {
        content: NOT_FOUND_ANSWER.to_owned(),
        citations: Vec::new(),
        meta: AnswerMeta::new(AnswerMode::NotFound, passages),
    }
}

/// Quotes the best retrieved passages (in retrieval order) that still stand verbatim on their
/// page: the answer when no model is available. Passages that no longer match their page (a
/// stale index) are skipped; if none is left, the answer is "not found".
pub fn extractive_answer(passages: &[Passage], pages: &BTreeMap<PageIndex, String>) -> Answer {
    let mut citations: Vec<Citation> = Vec::new();
    for passage in passages {
        if citations.len() == EXTRACTIVE_PASSAGES {
            break;
        }
        let Some(page_text) = pages.get(&passage.page) else {
            continue;
        };
        let Some(snippet) = find_verbatim(page_text, &passage.text) else {
            continue;
        };
        let citation = Citation {
            page: passage.page,
            snippet: snippet.to_owned(),
        };
        if !citations.contains(&citation) {
            citations.push(citation);
        }
    }
    if citations.is_empty() {
        return not_found_answer(passages.len());
    }
    let quoted: Vec<String> = citations
        .iter()
        .map(|c| format!("\"{}\" (p. {})", collapse(&c.snippet), c.page.human()))
        .collect();
    // `quotes_*` count the model's quotes only: an extractive answer has none.
    let meta = AnswerMeta::new(AnswerMode::Extractive, passages.len());
    Answer {
        content: format!(
            "The passages of the document that best match your question:\n\n{}",
            quoted.join("\n\n")
        ),
        citations,
        meta,
    }
}

/// The model's answer with only its verified quotes as citations; with none verified, the
/// not-found answer (never an uncited claim). Page references the text lacks are appended.
pub fn model_answer(reply: &ModelReply, verified: Verified, passages: usize) -> Answer {
    let proposed = u32::try_from(reply.quotes.len()).unwrap_or(u32::MAX);
    if verified.citations.is_empty() {
        let mut answer = not_found_answer(passages);
        answer.meta.quotes_proposed = proposed;
        return answer;
    }
    let mut content = reply.answer.trim().to_owned();
    if content.is_empty() {
        content = collapse(&verified.citations[0].snippet);
    }
    let mut pages: Vec<u32> = verified.citations.iter().map(|c| c.page.human()).collect();
    pages.dedup();
    let mentioned = pages
        .iter()
        .any(|p| content.contains(&format!("p. {p}")) || content.contains(&format!("page {p}")));
    if !mentioned {
        let list = pages
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        content = format!("{content} (p. {list})");
    }
    let mut meta = AnswerMeta::new(AnswerMode::Model, passages);
    meta.quotes_proposed = proposed;
    meta.quotes_verified = verified.citations.len() as u32;
    Answer {
        content,
        citations: verified.citations,
        meta,
    }
}

/// Collapses whitespace runs (OCR line breaks) into single spaces for display in a sentence.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::reply::Quote;

    fn pages() -> BTreeMap<PageIndex, String> {
        BTreeMap::from([
            (
                PageIndex(0),
                "INVOICE\nNET TOTAL : 90.00\nCASH : 100.00".to_owned(),
            ),
            (PageIndex(1), "Due on March 3.\nThank you.".to_owned()),
        ])
    }

    fn passage(page: u32, text: &str) -> Passage {
        Passage {
            page: PageIndex(page),
            start: 0,
            end: text.chars().count(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn extractive_answers_quote_verified_passages_only() {
        for (name, passages, expected_pages) in [
            (
                "two best passages, in order",
                vec![
                    passage(1, "Due on March 3."),
                    passage(0, "NET TOTAL : 90.00"),
                    passage(0, "CASH : 100.00"),
                ],
                vec![1, 0],
            ),
            (
                "a stale passage is skipped",
                vec![passage(0, "TOTAL : 95.00"), passage(0, "CASH : 100.00")],
                vec![0],
            ),
            (
                "nothing left is not found",
                vec![passage(1, "nope")],
                vec![],
            ),
            ("no passages is not found", vec![], vec![]),
        ] {
            let answer = extractive_answer(&passages, &pages());
            let got: Vec<u32> = answer.citations.iter().map(|c| c.page.0).collect();
            assert_eq!(got, expected_pages, "case: {name}");
            if expected_pages.is_empty() {
                assert_eq!(answer.content, NOT_FOUND_ANSWER, "case: {name}");
                assert_eq!(answer.meta.mode, AnswerMode::NotFound, "case: {name}");
            } else {
                assert_eq!(answer.meta.mode, AnswerMode::Extractive, "case: {name}");
                for c in &answer.citations {
                    assert!(pages()[&c.page].contains(&c.snippet), "case: {name}");
                    assert!(answer.content.contains(&format!("(p. {})", c.page.human())));
                }
            }
        }
    }

    #[test]
    fn model_answers_keep_only_verified_quotes() {
        let reply = ModelReply {
            answer: "The total is 90.00.".into(),
            quotes: vec![
                Quote {
                    page: 1,
                    text: "net total : 90.00".into(),
                },
                Quote {
                    page: 1,
                    text: "TOTAL 1000".into(),
                },
            ],
        };
        let verified = crate::chat::verify::verify_quotes(&reply.quotes, &pages());
        let answer = model_answer(&reply, verified, 3);
        assert_eq!(answer.meta.mode, AnswerMode::Model);
        assert_eq!(
            (answer.meta.quotes_proposed, answer.meta.quotes_verified),
            (2, 1)
        );
        assert_eq!(answer.citations[0].snippet, "NET TOTAL : 90.00");
        assert_eq!(answer.content, "The total is 90.00. (p. 1)");
    }

    #[test]
    fn an_answer_without_verified_quotes_says_not_found() {
        for quotes in [
            vec![],
            vec![Quote {
                page: 1,
                text: "an invented sentence".into(),
            }],
        ] {
            let reply = ModelReply {
                answer: "It is 42.".into(),
                quotes,
            };
            let verified = crate::chat::verify::verify_quotes(&reply.quotes, &pages());
            let answer = model_answer(&reply, verified, 2);
            assert_eq!(answer.content, NOT_FOUND_ANSWER);
            assert!(answer.citations.is_empty());
            assert_eq!(answer.meta.mode, AnswerMode::NotFound);
        }
    }

    #[test]
    fn page_references_are_not_repeated() {
        let reply = ModelReply {
            answer: "Due March 3 (p. 2).".into(),
            quotes: vec![Quote {
                page: 2,
                text: "Due on March 3".into(),
            }],
        };
        let verified = crate::chat::verify::verify_quotes(&reply.quotes, &pages());
        assert_eq!(
            model_answer(&reply, verified, 1).content,
            "Due March 3 (p. 2)."
        );
    }
}
