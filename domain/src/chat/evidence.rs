//! Evidence: the sentences (or, on receipts and tables, the lines) a model may point at.
//!
//! Retrieval returns passages of a few sentences; the prompt shows them cut into numbered
//! evidence units, and the model answers with the numbers of the units it relies on instead of
//! copying text. The service then cites each unit's own text, so a citation is verbatim by
//! construction and a paraphrasing model can no longer fail verification.
//!
//! A unit is a sentence: text up to `.`, `!` or `?` followed by whitespace, up to `。！？`, or up to
//! a blank line (an OCR block). A sentence whose lines are all short is a list, a receipt or a
//! table, where each line is its own statement (`TOTAL 4.20`): it is cut into its lines, except
//! that a line ending in a comma, dash, colon or ampersand runs on into the next (an address
//! block, `Cashier:` above its value). Prose wraps mid-sentence, and its lines are long, so a
//! sentence of prose stays whole.

use super::Passage;
use crate::ids::PageIndex;

/// A sentence whose lines are all at most this many characters is cut into lines. Receipt and
/// table lines are 15–40 characters; typewritten and printed prose lines 50–90.
pub const LIST_LINE_CHARS: usize = 44;

/// Byte ranges of the sentence-like units of a text, in order, covering it (whitespace between
/// units belongs to the unit before). Shared with passage splitting, so passages and evidence
/// agree on where sentences end.
pub fn sentence_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let end = at + c.len_utf8();
        let next = chars.peek().map(|(_, n)| *n);
        let boundary = match c {
            '.' => next.is_none_or(char::is_whitespace) && !abbreviated(&text[start..at]),
            '!' | '?' => next.is_none_or(char::is_whitespace),
            '\u{3002}' | '\u{ff01}' | '\u{ff1f}' => true,
            '\n' => {
                // A blank line (only whitespace up to the next newline) ends a block.
                text[end..]
                    .split('\n')
                    .next()
                    .is_some_and(|rest| rest.trim().is_empty() && text[end..].contains('\n'))
            }
            _ => false,
        };
        if boundary {
            out.push((start, end));
            start = end;
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out
}

/// Short forms after which a full stop ends no sentence (lower-case, without the stop).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "nr", "nos", "vol", "p", "pp", "ca", "bzw", "z.b",
    "u.a", "d.h", "usw", "vgl", "mme", "mlle", "cf", "etc", "e.g", "i.e", "jr", "sr", "co",
];

/// Whether the word before a full stop makes it an abbreviation's or an ordinal's, not a
/// sentence's end: an initial (`J.`), a known short form (`Dr.`, `Nr.`), or a day or ordinal
/// of one or two digits (`3. Mai`, German and Danish dates).
fn abbreviated(before: &str) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let chars = word.chars().count();
    (chars == 1 && word.chars().all(char::is_alphabetic))
        || (1..=2).contains(&chars) && word.chars().all(|c| c.is_ascii_digit())
        || ABBREVIATIONS.contains(&word.to_lowercase().as_str())
}

/// Whether a short line runs on into the next one rather than standing alone: it ends with a
/// comma, a dash, a colon or an ampersand, as the lines of an address block do (`TO -`, `The
/// Council for German Jewry,`, `Woburn House,`), a salutation or closing (`Yours truly,`) or a
/// label whose value is on the next line (`Cashier:`). Cut apart, such a line says nothing on
/// its own and its statement is split over two units a model must put together; receipt and
/// table lines end with their value and stay cut.
fn continues(line: &str) -> bool {
    line.trim_end()
        .ends_with([',', '-', '\u{2013}', '\u{2014}', ':', '&'])
}

/// Cuts a sentence made of short lines into its lines, a line that runs on (`continues`) kept
/// with the next; returns other sentences whole.
fn lines_if_list(text: &str, (start, end): (usize, usize)) -> Vec<(usize, usize)> {
    let slice = &text[start..end];
    let lines: Vec<&str> = slice
        .trim()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let is_list = lines.len() > 1
        && lines
            .iter()
            .all(|l| l.trim().chars().count() <= LIST_LINE_CHARS);
    if !is_list {
        return vec![(start, end)];
    }
    let mut out = Vec::new();
    let mut from = start;
    for (i, _) in slice.match_indices('\n') {
        if continues(&text[from..start + i]) {
            continue;
        }
        out.push((from, start + i + 1));
        from = start + i + 1;
    }
    if from < end {
        out.push((from, end));
    }
    out
}

/// Passages of `page` for byte `ranges` of `text` (in order), each trimmed, empty ones
/// skipped, with character offsets into the page: `base` (the text's own first character on
/// the page) plus the range's place in the text. Shared by passage splitting and `units`.
pub fn trimmed_passages(
    page: PageIndex,
    base: usize,
    text: &str,
    ranges: impl IntoIterator<Item = (usize, usize)>,
) -> Vec<Passage> {
    let mut out = Vec::new();
    // Character offsets, counted once along the text.
    let mut counted_bytes = 0;
    let mut counted_chars = 0;
    let mut char_offset = |byte: usize| {
        counted_chars += text[counted_bytes..byte].chars().count();
        counted_bytes = byte;
        counted_chars
    };
    for (s, e) in ranges {
        let slice = &text[s..e];
        let trimmed = slice.trim();
        if trimmed.is_empty() {
            continue;
        }
        let first = s + (slice.len() - slice.trim_start().len());
        let start = char_offset(first);
        let end = char_offset(first + trimmed.len());
        out.push(Passage {
            page,
            start: base + start,
            end: base + end,
            text: trimmed.to_owned(),
        });
    }
    out
}

/// The evidence units of a passage, in reading order, each trimmed, non-empty, with character
/// offsets into the page (the passage's own offsets plus the unit's place in it).
pub fn units(passage: &Passage) -> Vec<Passage> {
    let text = passage.text.as_str();
    let ranges = sentence_ranges(text)
        .into_iter()
        .flat_map(|range| lines_if_list(text, range));
    trimmed_passages(passage.page, passage.start, text, ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(start: usize, text: &str) -> Passage {
        Passage {
            page: PageIndex(1),
            start,
            end: start + text.chars().count(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn units_are_sentences_of_prose_and_lines_of_lists() {
        for (name, text, expected) in [
            (
                "prose wraps mid-sentence and stays whole",
                "I have been in England for ten days now and I\nhave written to the Council. Yours truly,\nJohn Smith",
                vec![
                    "I have been in England for ten days now and I\nhave written to the Council.",
                    "Yours truly,\nJohn Smith",
                ],
            ),
            (
                "an address block runs on; a receipt's own lines stay apart",
                "TO -\nThe Council for German Jewry,\nWoburn House,\nLONDON W.C.1\nCashier:\nSAMY\nTTL 9.90\n",
                vec![
                    "TO -\nThe Council for German Jewry,\nWoburn House,\nLONDON W.C.1",
                    "Cashier:\nSAMY",
                    "TTL 9.90",
                ],
            ),
            (
                "a receipt is cut into its lines",
                "SUBTOTAL 36.31\n10% SVC CHG 3.41\nTTL 39.72\n",
                vec!["SUBTOTAL 36.31", "10% SVC CHG 3.41", "TTL 39.72"],
            ),
            (
                "blank lines end blocks",
                "Berlin, den 3. Mai\n\nAn die Grenzkontrollstellen",
                vec!["Berlin, den 3. Mai", "An die Grenzkontrollstellen"],
            ),
            ("one line", "TOTAL 4.20", vec!["TOTAL 4.20"]),
            (
                "initials, short forms and ordinals end no sentence",
                "Dear Dr. Smith, J. Brown wrote on the 9. May to Mr. Jones. It rained in 1938. Then",
                vec!["Dear Dr. Smith, J. Brown wrote on the 9. May to Mr. Jones.", "It rained in 1938.", "Then"],
            ),
            ("whitespace only", " \n \n", vec![]),
            (
                "unicode and CJK stops",
                "Grüße aus Köln. 日本語の文。次の文！",
                vec!["Grüße aus Köln.", "日本語の文。", "次の文！"],
            ),
        ] {
            let p = passage(7, text);
            let got = units(&p);
            let texts: Vec<&str> = got.iter().map(|u| u.text.as_str()).collect();
            assert_eq!(texts, expected, "case: {name}");
            let page: String = " ".repeat(7) + text;
            let chars: Vec<char> = page.chars().collect();
            for u in &got {
                let slice: String = chars[u.start..u.end].iter().collect();
                assert_eq!(slice, u.text, "case: {name}: offsets select the unit");
                assert_eq!(u.page, PageIndex(1));
            }
        }
    }
}
