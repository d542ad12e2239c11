//! What the user is told: a model's answer citing the evidence it pointed at, the single best
//! piece of evidence when no model could answer, or the plain statement that the document does
//! not contain it.

use super::{
    completion::complete_date,
    consistency::{decide, Decision},
    reply::ModelReply,
    verify::find_verbatim,
    Citation, Passage,
};
use crate::ids::PageIndex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The answer to a question the document cannot answer (nothing retrieved, or the model found
/// nothing in the evidence). Never accompanied by a citation.
pub const NOT_FOUND_ANSWER: &str =
    "The document does not contain an answer to this question: nothing in its text supports one.";

/// How an answer was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerMode {
    /// The model answered, citing evidence that supports its answer.
    Model,
    /// The best matching sentence or line, quoted: no model is configured, it failed, or its
    /// reply could not be shown.
    Extractive,
    /// The document does not contain an answer (nothing retrieved, or the model found nothing).
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

/// Why the model's answer is not what the user is shown: it did not answer (the service quotes
/// its best evidence), or its reply broke the consistency rule (the service says "not found").
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
    /// The reply says the document lacks the answer yet points at evidence for it.
    Inconsistent,
    /// The reply's answer adds nothing to the question that any evidence shown contains.
    Unsupported,
    /// The reply names only evidence numbers the prompt never showed.
    UnknownEvidence,
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
            FallbackReason::Inconsistent => "inconsistent",
            FallbackReason::Unsupported => "unsupported",
            FallbackReason::UnknownEvidence => "unknown_evidence",
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
    /// Why the model's answer is not what is shown: the model was not used or failed (the
    /// answer is extractive), or its reply broke the consistency rule (the answer is "not
    /// found").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Fallback>,
    /// Requests made to the model (0, 1, or 2 with the retry).
    #[serde(default)]
    pub model_attempts: u32,
    /// Passages retrieval found for the question.
    #[serde(default)]
    pub passages: u32,
    /// Evidence units the prompt showed the model.
    #[serde(default)]
    pub evidence_shown: u32,
    /// Evidence numbers the model named (valid or not).
    #[serde(default)]
    pub evidence_proposed: u32,
    /// Units a model answer cites (0 for extractive and not-found answers).
    #[serde(default)]
    pub evidence_cited: u32,
    /// Whether the service chose the cited unit because the units the model named did not
    /// support its answer (see `consistency`).
    #[serde(default)]
    pub recited: bool,
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
            evidence_shown: 0,
            evidence_proposed: 0,
            evidence_cited: 0,
            recited: false,
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

/// A unit as a citation, if its text still stands on its page (a stale index may lag the page).
fn cite(unit: &Passage, pages: &BTreeMap<PageIndex, String>) -> Option<Citation> {
    let snippet = find_verbatim(pages.get(&unit.page)?, &unit.text)?;
    Some(Citation {
        page: unit.page,
        snippet: snippet.to_owned(),
    })
}

/// Quotes the single best evidence unit (the first of `ranked` that still stands on its page):
/// the answer when no model is available or its reply cannot be shown. With none left, the
/// answer is "not found".
pub fn extractive_answer(
    ranked: &[Passage],
    pages: &BTreeMap<PageIndex, String>,
    passages: usize,
) -> Answer {
    let Some(citation) = ranked.iter().find_map(|u| cite(u, pages)) else {
        return not_found_answer(passages);
    };
    Answer {
        content: format!(
            "The best match in the document (p. {}): \"{}\"",
            citation.page.human(),
            collapse(&citation.snippet)
        ),
        citations: vec![citation],
        meta: AnswerMeta::new(AnswerMode::Extractive, passages),
    }
}

/// The model's answer citing the units it rests on (those still on their page), with page
/// references appended when the text lacks them. `None` when no cited unit still stands on its
/// page: the caller falls back rather than show an uncited claim.
pub fn model_answer(
    text: &str,
    cited: &[&Passage],
    pages: &BTreeMap<PageIndex, String>,
    passages: usize,
) -> Option<Answer> {
    let mut citations: Vec<Citation> = Vec::new();
    for citation in cited.iter().filter_map(|u| cite(u, pages)) {
        if !citations.contains(&citation) {
            citations.push(citation);
        }
    }
    if citations.is_empty() {
        return None;
    }
    let mut content = text.trim().to_owned();
    if content.is_empty() {
        content = collapse(&citations[0].snippet);
    }
    let mut numbers: Vec<u32> = citations.iter().map(|c| c.page.human()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mentioned = numbers
        .iter()
        .any(|p| content.contains(&format!("p. {p}")) || content.contains(&format!("page {p}")));
    if !mentioned {
        let list = numbers
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        content = format!("{content} (p. {list})");
    }
    let mut meta = AnswerMeta::new(AnswerMode::Model, passages);
    meta.evidence_cited = u32::try_from(citations.len()).unwrap_or(u32::MAX);
    Some(Answer {
        content,
        citations,
        meta,
    })
}

/// An extractive answer standing in for a model's, with the reason in its metadata.
pub fn fallback_answer(
    ranked: &[Passage],
    pages: &BTreeMap<PageIndex, String>,
    passages: usize,
    reason: FallbackReason,
    detail: String,
) -> Answer {
    let mut answer = extractive_answer(ranked, pages, passages);
    answer.meta.fallback = Some(Fallback { reason, detail });
    answer
}

/// What the user is shown for a parsed model reply to `question`, by the consistency rule
/// (`consistency`): the model's answer citing supporting units (a partial date widened to the
/// whole date its evidence writes, see `completion`), or "not found", uncited, with
/// the reason when the reply claimed something that cannot be shown. `shown` are the units the
/// prompt numbered. Counts the evidence in the metadata.
pub fn reply_answer(
    question: &str,
    reply: &ModelReply,
    shown: &[Passage],
    pages: &BTreeMap<PageIndex, String>,
    passages: usize,
) -> Answer {
    let rejected = |reason: FallbackReason, detail: String| {
        let mut answer = not_found_answer(passages);
        answer.meta.fallback = Some(Fallback { reason, detail });
        answer
    };
    let mut answer = match decide(question, &reply.answer, &reply.evidence, shown) {
        Decision::Answer { cite, recited } => {
            let cited: Vec<&Passage> = cite.iter().map(|i| &shown[*i]).collect();
            let texts: Vec<&str> = cited.iter().map(|u| u.text.as_str()).collect();
            let text = complete_date(question, &reply.answer, &texts)
                .unwrap_or_else(|| reply.answer.clone());
            match model_answer(&text, &cited, pages, passages) {
                Some(mut answer) => {
                    answer.meta.recited = recited;
                    answer
                }
                None => rejected(
                    FallbackReason::Unsupported,
                    "the evidence the answer rests on is no longer on its page".to_owned(),
                ),
            }
        }
        Decision::NotFound { rejected: None } => not_found_answer(passages),
        Decision::NotFound {
            rejected: Some(reason),
        } => {
            let detail = match reason {
                FallbackReason::Inconsistent => format!(
                    "the reply says the document does not say, yet names evidence {:?}",
                    reply.evidence
                ),
                FallbackReason::UnknownEvidence => format!(
                    "the reply names evidence {:?}, but the prompt showed only 1 to {}",
                    reply.evidence,
                    shown.len()
                ),
                _ => "no evidence shown supports the answer with a word (or number) the \
                      question does not already contain"
                    .to_owned(),
            };
            rejected(reason, detail)
        }
    };
    answer.meta.evidence_shown = u32::try_from(shown.len()).unwrap_or(u32::MAX);
    answer.meta.evidence_proposed = u32::try_from(reply.evidence.len()).unwrap_or(u32::MAX);
    answer
}

/// Collapses whitespace runs (OCR line breaks) into single spaces for display in a sentence.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages() -> BTreeMap<PageIndex, String> {
        BTreeMap::from([
            (
                PageIndex(0),
                "INVOICE\nNET TOTAL : 90.00\nCASH : 100.00".to_owned(),
            ),
            (PageIndex(1), "Due on March 3.\nThank you.".to_owned()),
        ])
    }

    fn unit(page: u32, text: &str) -> Passage {
        Passage {
            page: PageIndex(page),
            start: 0,
            end: text.chars().count(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn extractive_answers_quote_the_best_unit_still_on_its_page() {
        for (name, ranked, expected) in [
            (
                "the best unit",
                vec![unit(0, "NET TOTAL : 90.00"), unit(1, "Due on March 3.")],
                Some((0, "NET TOTAL : 90.00")),
            ),
            (
                "a stale unit is skipped",
                vec![unit(0, "TOTAL : 95.00"), unit(0, "cash : 100.00")],
                Some((0, "CASH : 100.00")),
            ),
            ("nothing left is not found", vec![unit(1, "nope")], None),
            ("no units is not found", vec![], None),
        ] {
            let answer = extractive_answer(&ranked, &pages(), 4);
            assert_eq!(answer.meta.passages, 4, "case: {name}");
            match expected {
                Some((page, snippet)) => {
                    assert_eq!(answer.meta.mode, AnswerMode::Extractive, "case: {name}");
                    assert_eq!(
                        answer.citations,
                        vec![Citation {
                            page: PageIndex(page),
                            snippet: snippet.into()
                        }],
                        "case: {name}"
                    );
                    assert!(answer.content.contains(snippet), "case: {name}");
                    assert!(answer.content.contains("(p. 1)"), "case: {name}");
                }
                None => {
                    assert_eq!(answer.content, NOT_FOUND_ANSWER, "case: {name}");
                    assert_eq!(answer.meta.mode, AnswerMode::NotFound, "case: {name}");
                    assert!(answer.citations.is_empty(), "case: {name}");
                }
            }
        }
    }

    #[test]
    fn model_answers_cite_their_units_as_page_text() {
        let total = unit(0, "net total : 90.00");
        let stale = unit(0, "TOTAL 1000");
        let due = unit(1, "Due on March 3.");
        let answer = model_answer(
            "The total is 90.00.",
            &[&total, &stale, &total],
            &pages(),
            3,
        )
        .expect("one unit stands on its page");
        assert_eq!(answer.meta.mode, AnswerMode::Model);
        assert_eq!(answer.meta.evidence_cited, 1);
        assert_eq!(answer.citations[0].snippet, "NET TOTAL : 90.00");
        assert_eq!(answer.content, "The total is 90.00. (p. 1)");

        let both = model_answer("March 3 (page 2), 90.00", &[&due, &total], &pages(), 3).unwrap();
        assert_eq!(
            both.content, "March 3 (page 2), 90.00",
            "a page reference is not repeated"
        );
        assert_eq!(both.citations.len(), 2);

        let empty = model_answer("  ", &[&due], &pages(), 1).unwrap();
        assert_eq!(empty.content, "Due on March 3 (p. 2)");

        assert_eq!(model_answer("It is 42.", &[&stale], &pages(), 1), None);
        assert_eq!(model_answer("It is 42.", &[], &pages(), 1), None);
    }

    #[test]
    fn replies_become_answers_by_the_consistency_rule() {
        let shown = vec![unit(0, "NET TOTAL : 90.00"), unit(0, "CASH : 100.00")];
        let reply = |answer: &str, evidence: Vec<u32>| ModelReply {
            answer: answer.into(),
            evidence,
        };
        use FallbackReason::*;
        for (name, reply, mode, reason, cited) in [
            (
                "supported",
                reply("90.00", vec![1]),
                AnswerMode::Model,
                None,
                vec!["NET TOTAL : 90.00"],
            ),
            (
                "absent",
                reply("The document does not say.", vec![]),
                AnswerMode::NotFound,
                None,
                vec![],
            ),
            (
                "absent yet cited",
                reply("The document does not say.", vec![2]),
                AnswerMode::NotFound,
                Some(Inconsistent),
                vec![],
            ),
            (
                "unsupported",
                reply("It was 42 euros.", vec![]),
                AnswerMode::NotFound,
                Some(Unsupported),
                vec![],
            ),
            (
                "invented numbers",
                reply("It was 42 euros.", vec![5]),
                AnswerMode::NotFound,
                Some(UnknownEvidence),
                vec![],
            ),
            (
                "the question echoed",
                reply("The net total", vec![1]),
                AnswerMode::NotFound,
                Some(Unsupported),
                vec![],
            ),
        ] {
            let answer = reply_answer("What is the net total?", &reply, &shown, &pages(), 2);
            assert_eq!(answer.meta.mode, mode, "case: {name}");
            assert_eq!(
                answer.meta.fallback.as_ref().map(|f| f.reason),
                reason,
                "case: {name}"
            );
            let snippets: Vec<&str> = answer
                .citations
                .iter()
                .map(|c| c.snippet.as_str())
                .collect();
            assert_eq!(snippets, cited, "case: {name}");
            if mode == AnswerMode::NotFound {
                assert_eq!(answer.content, NOT_FOUND_ANSWER, "case: {name}");
            }
            assert_eq!(answer.meta.evidence_shown, 2, "case: {name}");
            assert_eq!(
                answer.meta.evidence_proposed as usize,
                reply.evidence.len(),
                "case: {name}"
            );
        }
    }
}
