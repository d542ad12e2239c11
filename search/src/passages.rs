//! Splitting a page into passages small enough to cite: a few sentences each.
//!
//! Sentences end at `.`, `!` or `?` followed by whitespace, at `。！？`, and at blank lines (OCR
//! blocks). Text without sentence punctuation (receipts, tables) falls back to lines, and an
//! over-long line to words, so no passage grows past `MAX_CHARS`. Sentences are grouped until a
//! passage reaches `TARGET_CHARS`. Each passage is trimmed and carries its character offsets, and
//! its text is exactly that range of the page: a passage can always be quoted verbatim.

use domain::{
    chat::{
        evidence::{sentence_ranges, trimmed_passages},
        Passage,
    },
    PageIndex,
};

/// A passage grows by whole sentences until it has at least this many characters.
pub const TARGET_CHARS: usize = 280;

/// No passage is longer than this many characters.
pub const MAX_CHARS: usize = 480;

/// Byte ranges of sentence-like units, in order, covering the text, none over `MAX_CHARS`.
fn units(text: &str) -> Vec<(usize, usize)> {
    sentence_ranges(text)
        .into_iter()
        .flat_map(|(s, e)| cut_long(text, s, e))
        .collect()
}

/// Cuts a unit longer than `MAX_CHARS` at line breaks, then at spaces, then anywhere.
fn cut_long(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    if text[start..end].chars().count() <= MAX_CHARS {
        return vec![(start, end)];
    }
    let mut out = Vec::new();
    let mut from = start;
    while text[from..end].chars().count() > MAX_CHARS {
        // The byte offset after MAX_CHARS characters.
        let limit = text[from..end]
            .char_indices()
            .nth(MAX_CHARS)
            .map_or(end, |(i, _)| from + i);
        let window = &text[from..limit];
        let cut = window
            .rfind('\n')
            .or_else(|| window.rfind(char::is_whitespace))
            .filter(|i| *i > 0)
            .map_or(limit, |i| from + i + 1);
        out.push((from, cut));
        from = cut;
    }
    if from < end {
        out.push((from, end));
    }
    out
}

/// The passages of one page, in reading order.
pub fn split(page: PageIndex, text: &str) -> Vec<Passage> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for (s, e) in units(text) {
        current = match current {
            None => Some((s, e)),
            Some((cs, ce)) => {
                let len = text[cs..ce].trim().chars().count();
                let merged = text[cs..e].trim().chars().count();
                if len < TARGET_CHARS && merged <= MAX_CHARS {
                    Some((cs, e))
                } else {
                    ranges.push((cs, ce));
                    Some((s, e))
                }
            }
        };
    }
    ranges.extend(current);

    trimmed_passages(page, 0, text, ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_offsets(text: &str, passages: &[Passage]) {
        let chars: Vec<char> = text.chars().collect();
        for p in passages {
            let slice: String = chars[p.start..p.end].iter().collect();
            assert_eq!(slice, p.text, "offsets select the passage text");
            assert!(p.text.chars().count() <= MAX_CHARS);
            assert_eq!(p.text, p.text.trim());
        }
    }

    #[test]
    fn passages_group_sentences_and_keep_offsets() {
        let sentence = "This is a sentence of about fifty characters here. ";
        for (name, text, expected) in [
            ("empty page", String::new(), 0),
            ("blank page", " \n\n \n".to_owned(), 0),
            ("one short sentence", "Hello there.".to_owned(), 1),
            ("a few sentences make one passage", sentence.repeat(5), 1),
            ("many sentences make several", sentence.repeat(30), 5),
            (
                "receipt lines without punctuation",
                "TOTAL 90.00\nCASH 100.00\n".repeat(40),
                2,
            ),
            ("one huge word", "x".repeat(MAX_CHARS * 2 + 1), 3),
            (
                "unicode",
                "Grüße aus Köln. 日本語の文。次の文！".to_owned(),
                1,
            ),
        ] {
            let passages = split(PageIndex(2), &text);
            assert_eq!(passages.len(), expected, "case: {name}: {passages:#?}");
            check_offsets(&text, &passages);
            assert!(passages.iter().all(|p| p.page == PageIndex(2)));
        }
    }

    #[test]
    fn passages_cover_every_word_in_order() {
        let dir = std::env::var("OCRCHAT_CORPUS")
            .unwrap_or_else(|_| format!("{}/../../shared/corpus", env!("CARGO_MANIFEST_DIR")));
        let text = std::fs::read_to_string(format!("{dir}/en_typewritten_letter_2p.gt.txt"))
            .unwrap_or_else(|_| "A text. With sentences.\n\nAnd blocks.".repeat(50));
        let passages = split(PageIndex(0), &text);
        check_offsets(&text, &passages);
        let joined: Vec<&str> = passages
            .iter()
            .flat_map(|p| p.text.split_whitespace())
            .collect();
        let words: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(joined, words);
        assert!(passages.windows(2).all(|w| w[0].end <= w[1].start));
    }
}
