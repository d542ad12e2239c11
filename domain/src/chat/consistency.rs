//! Whether a model's answer agrees with the evidence it points at, and what the user is shown.
//!
//! Small models contradict themselves: "The document does not say." beside three sentences that
//! say it, a claim resting on sentences that never mention it, or the question repeated as its
//! own answer. The rule, for a reply naming evidence units (numbers into the units the prompt
//! showed) and an answer:
//!
//! | the answer                          | its evidence                         | shown as                        |
//! |-------------------------------------|--------------------------------------|---------------------------------|
//! | says the document lacks it          | none                                 | not found, uncited              |
//! | says the document lacks it          | some                                 | not found, uncited (`inconsistent`) |
//! | only repeats the question's words   | any                                  | not found, uncited (`unsupported`) |
//! | claims something                    | units sharing a new content word     | model answer citing those units |
//! | claims something                    | none, or none supporting it          | model answer citing the shown unit that supports it, if one does; else not found (`unsupported`, or `unknown_evidence` when every number named was invented) |
//!
//! An answer the evidence does not support is never shown, and never shown with citations: a
//! reply that says "absent" carries none, and a reply with citations never says "absent". Where
//! the model's claim cannot be shown, the user is told the document does not contain the answer
//! rather than given a different sentence as if it were one: the model read the evidence and did
//! not find it there.
//!
//! "Supporting" is mechanical: the unit contains at least one content word of the answer that
//! the question does not already contain (not a stop word, at least two characters or a digit)
//! and, when the answer has numbers, one of its numbers — "The total is 4.20" is not supported by
//! a line reading `CASH 50.00`. Words are compared with their diacritics folded (`Rumänien` =
//! `Rumanien`), and a word of four or more letters also inside a longer OCR token, since OCR runs
//! words together (`ausRumanien`). Numbers that do not exist in the prompt (`[7]` of five units)
//! are ignored.

use super::{answer::FallbackReason, Passage};

/// What the service does with a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Show the model's answer, citing these units (0-based indices into the shown units, in
    /// the order given, without duplicates; never empty).
    Answer {
        /// The units cited.
        cite: Vec<usize>,
        /// Whether the service chose the unit because the model's own numbers did not support
        /// its answer.
        recited: bool,
    },
    /// Show that the document does not contain the answer, uncited: the model said so
    /// (`rejected: None`), or its reply could not be shown, for the reason given.
    NotFound {
        /// Why the model's reply was not shown, when it claimed something.
        rejected: Option<FallbackReason>,
    },
}

/// Words that carry no claim of their own, in the languages of the corpus (English, German,
/// French, Danish), lower-case.
const STOP_WORDS: &[&str] = &[
    "a", "am", "an", "and", "are", "as", "at", "be", "by", "de", "der", "des", "die", "das", "den",
    "dem", "det", "du", "en", "er", "es", "et", "for", "from", "had", "has", "have", "he", "her",
    "his", "i", "in", "is", "it", "its", "la", "le", "les", "of", "og", "on", "or", "she", "that",
    "the", "their", "they", "this", "to", "un", "une", "und", "von", "was", "were", "which", "who",
    "with", "zu", "answer", "document", "page", "p", "text",
];

/// Phrases that say the document does not hold the answer (lower-case, apostrophes straight).
const ABSENT_PHRASES: &[&str] = &[
    "not in the document",
    "not in the text",
    "does not say",
    "doesn't say",
    "does not state",
    "doesn't state",
    "does not contain",
    "doesn't contain",
    "does not mention",
    "doesn't mention",
    "does not provide",
    "doesn't provide",
    "does not specify",
    "doesn't specify",
    "not mentioned",
    "not stated",
    "not specified",
    "not provided",
    "not given",
    "not found",
    "no information",
    "no mention",
    "cannot be determined",
    "can't be determined",
    "cannot answer",
    "can't answer",
    "not available",
    "nicht im dokument",
    "nicht im text",
    "nicht angegeben",
    "nicht erwähnt",
    "nicht enthalten",
    "keine angabe",
    "keine information",
    "pas dans le document",
    "pas mentionné",
    "pas précisé",
    "pas indiqué",
    "aucune information",
    "ne contient pas",
    "ne précise pas",
    "ne dit pas",
];

/// Whole answers that mean "absent".
const ABSENT_ANSWERS: &[&str] = &[
    "unknown",
    "none",
    "n/a",
    "not found",
    "no answer",
    "unbekannt",
];

/// Whether an answer says the document does not contain what was asked (an empty answer does).
pub fn says_absent(answer: &str) -> bool {
    let folded = answer.to_lowercase().replace(['\u{2019}', '`'], "'");
    let bare = folded.trim().trim_end_matches(['.', '!']).trim();
    bare.is_empty()
        || ABSENT_ANSWERS.contains(&bare)
        || ABSENT_PHRASES.iter().any(|p| folded.contains(p))
}

/// The words of a text as compared here: lower-case runs of letters and digits, with `.` and
/// `,` kept inside numbers (`4.20`, `1,000`), and a number's trailing ordinal or currency letters
/// split off (`9th` → `9`).
fn words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let inside_number = matches!(c, '.' | ',')
            && current.chars().last().is_some_and(|p| p.is_ascii_digit())
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_alphanumeric() || inside_number {
            current.extend(c.to_lowercase().map(fold_diacritic));
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out.into_iter()
        .map(|w| {
            let digits = w.trim_end_matches(char::is_alphabetic);
            if !digits.is_empty()
                && digits
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
            {
                digits.to_owned()
            } else {
                w
            }
        })
        .collect()
}

/// Latin letters with diacritics as their base letter (`ä` → `a`): OCR and models drop or add
/// them. Others are kept.
fn fold_diacritic(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

fn is_number(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_digit())
}

/// The words of an answer that a supporting unit must share: no stop words, no single letters.
pub fn content_words(answer: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words(answer) {
        let keep = is_number(&w) || (w.chars().count() >= 2 && !STOP_WORDS.contains(&w.as_str()));
        if keep && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// Whether a unit's words contain `word`: as a word, or, for a number, inside a token between
/// non-digits (`rm4.20`), or, for a word of four or more letters, inside a longer token
/// (`ausrumanien`).
fn contains_word(have: &[String], word: &str) -> bool {
    have.iter().any(|token| {
        if token == word {
            return true;
        }
        if is_number(word) {
            return token.match_indices(word).any(|(at, _)| {
                let before = token[..at].chars().last();
                let after = token[at + word.len()..].chars().next();
                !before.is_some_and(|c| c.is_ascii_digit())
                    && !after.is_some_and(|c| c.is_ascii_digit())
            });
        }
        word.chars().count() >= 4 && token.contains(word)
    })
}

/// How strongly `unit` supports an answer with these content words: the number of them it
/// contains, or 0 when it shares none, or when the answer has numbers and the unit none of them.
pub fn support(content: &[String], unit: &str) -> usize {
    let have = words(unit);
    let shared = content.iter().filter(|w| contains_word(&have, w)).count();
    let numbers: Vec<&String> = content.iter().filter(|w| is_number(w)).collect();
    if !numbers.is_empty() && !numbers.iter().any(|n| contains_word(&have, n)) {
        return 0;
    }
    shared
}

/// Decides what to show for a reply to `question` pointing at `ids` (1-based numbers as the
/// prompt showed the units) with `answer`, given the units the prompt showed, best-ranked first.
/// Pure; see the module docs for the table.
pub fn decide(question: &str, answer: &str, ids: &[u32], shown: &[Passage]) -> Decision {
    let mut valid: Vec<usize> = Vec::new();
    for id in ids {
        let Some(index) = (*id as usize).checked_sub(1).filter(|i| *i < shown.len()) else {
            continue;
        };
        if !valid.contains(&index) {
            valid.push(index);
        }
    }
    let not_found = |reason| Decision::NotFound {
        rejected: Some(reason),
    };
    if says_absent(answer) {
        return if valid.is_empty() {
            Decision::NotFound { rejected: None }
        } else {
            not_found(FallbackReason::Inconsistent)
        };
    }
    // Only what the answer adds to the question can be supported: "The population of Tokyo"
    // answers nothing, whatever sentence mentions a population.
    let asked = content_words(question);
    let content: Vec<String> = content_words(answer)
        .into_iter()
        .filter(|w| !asked.contains(w))
        .collect();
    if content.is_empty() {
        return not_found(FallbackReason::Unsupported);
    }
    let supporting: Vec<usize> = valid
        .iter()
        .copied()
        .filter(|i| support(&content, &shown[*i].text) > 0)
        .collect();
    if !supporting.is_empty() {
        return Decision::Answer {
            cite: supporting,
            recited: false,
        };
    }
    // The best-supporting shown unit; on a tie, the better-ranked one.
    let best = shown
        .iter()
        .enumerate()
        .map(|(i, u)| (support(&content, &u.text), i))
        .filter(|(s, _)| *s > 0)
        .max_by(|(a, i), (b, j)| a.cmp(b).then(j.cmp(i)));
    match best {
        Some((_, i)) => Decision::Answer {
            cite: vec![i],
            recited: true,
        },
        None if !ids.is_empty() && valid.is_empty() => not_found(FallbackReason::UnknownEvidence),
        None => not_found(FallbackReason::Unsupported),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PageIndex;

    fn shown() -> Vec<Passage> {
        [
            "TOTAL 4.20",
            "CASH 50.00",
            "CHANGE 45.80",
            "I have been in England for ten days.",
            "Zuzuges ausRumanien.",
        ]
        .iter()
        .map(|t| Passage {
            page: PageIndex(0),
            start: 0,
            end: t.chars().count(),
            text: (*t).to_owned(),
        })
        .collect()
    }

    fn answer(cite: Vec<usize>, recited: bool) -> Decision {
        Decision::Answer { cite, recited }
    }

    fn not_found(rejected: Option<FallbackReason>) -> Decision {
        Decision::NotFound { rejected }
    }

    #[test]
    fn replies_are_shown_only_as_their_evidence_allows() {
        use FallbackReason::*;
        let question = "How much was paid?";
        for (name, text, ids, expected) in [
            (
                "supported by its unit",
                "The total was 4.20.",
                vec![1],
                answer(vec![0], false),
            ),
            (
                "keeps only supporting units, in order",
                "45.80 in change",
                vec![2, 3],
                answer(vec![2], false),
            ),
            (
                "numbers must match",
                "The total was 4.20.",
                vec![2],
                answer(vec![0], true),
            ),
            (
                "words without numbers",
                "Ten days",
                vec![4],
                answer(vec![3], false),
            ),
            (
                "ordinal and comma forms",
                "ten days, in England",
                vec![4, 4],
                answer(vec![3], false),
            ),
            (
                "absent and uncited",
                "The document does not say.",
                vec![],
                not_found(None),
            ),
            (
                "absent, in German",
                "Das ist nicht im Dokument angegeben.",
                vec![],
                not_found(None),
            ),
            ("an empty answer is absent", "  ", vec![], not_found(None)),
            (
                "absent with invented ids only",
                "Not in the document.",
                vec![9],
                not_found(None),
            ),
            (
                "absent yet cited",
                "The document does not say.",
                vec![1, 2],
                not_found(Some(Inconsistent)),
            ),
            (
                "the question repeated",
                "Paid (how much)",
                vec![1],
                not_found(Some(Unsupported)),
            ),
            (
                "uncited claim found in a shown unit",
                "4.20",
                vec![],
                answer(vec![0], true),
            ),
            (
                "uncited claim found nowhere",
                "It cost 99 dollars.",
                vec![],
                not_found(Some(Unsupported)),
            ),
            (
                "cited claim its unit does not support",
                "Paris",
                vec![1],
                not_found(Some(Unsupported)),
            ),
            (
                "only invented ids",
                "It cost 99 dollars.",
                vec![0, 7],
                not_found(Some(UnknownEvidence)),
            ),
            (
                "invented ids, answer found elsewhere",
                "CASH 50.00",
                vec![12],
                answer(vec![1], true),
            ),
            (
                "stop words alone support nothing",
                "It was the one.",
                vec![4],
                not_found(Some(Unsupported)),
            ),
            (
                "diacritics and OCR-joined words",
                "Aus Rumänien",
                vec![5],
                answer(vec![4], false),
            ),
            (
                "numbers inside OCR tokens, bounded",
                "RM 45.80",
                vec![],
                answer(vec![2], true),
            ),
            (
                "a number is not part of a longer one",
                "5.80",
                vec![3],
                not_found(Some(Unsupported)),
            ),
        ] {
            assert_eq!(
                decide(question, text, &ids, &shown()),
                expected,
                "case: {name}"
            );
        }
    }

    #[test]
    fn words_keep_numbers_whole() {
        assert_eq!(
            words("TOTAL: 1,000.50 (9th May, 1938)"),
            ["total", "1,000.50", "9", "may", "1938"]
        );
        assert_eq!(
            content_words("The date was the 9th of May."),
            ["date", "9", "may"]
        );
        assert!(!says_absent("The total is 4.20."));
        assert!(says_absent("Unknown."));
        assert!(says_absent(
            "The document doesn\u{2019}t mention a loyalty card."
        ));
    }
}
