//! Receipt and OCR vocabulary: the words a question uses for what a page abbreviates or misreads.
//!
//! A till receipt prints `TTL 39.72` and `10% SVC CHG 3.41`; a user asks for "the total" and "the
//! service charge". No stemmer or embedding bridges `TTL` and "total", so each passage is indexed
//! (and embedded) with the plain words of the abbreviations it contains, as *aliases* beside its
//! text: the stored text, and so every citation, stays verbatim.
//!
//! Two kinds of alias, both whole-token and case-insensitive:
//! - **Abbreviations** from [`ABBREVIATIONS`]: the point-of-sale and invoice short forms common on
//!   English-language receipts. Ambiguous ones carry every reading (`CHG` is a charge on
//!   `SVC CHG` and the change on `CHG DUE`): an extra alias costs a little precision, a missing one
//!   the answer.
//! - **Digit-for-letter misreadings**: a word of at least four characters that is mostly letters
//!   but has a `0`, `1` or `5` among them (`T0TAL`, `CHANGE` read as `CHAN6E` is left alone) also
//!   gets the reading with `o`, `l`, `s`, so the word is found by its spelling.
//!
//! The table is English: receipts in other languages keep their own words, which BM25 with the
//! page's stemmer and the dense half of retrieval handle as before.

/// Short forms and the words they stand for (lower-case; matched case-insensitively).
pub const ABBREVIATIONS: &[(&str, &str)] = &[
    ("amt", "amount"),
    ("bal", "balance"),
    ("cc", "credit card"),
    ("chg", "charge change"),
    ("chng", "change"),
    ("chrg", "charge"),
    ("csh", "cash"),
    ("cust", "customer"),
    ("disc", "discount"),
    ("dsc", "discount"),
    ("ea", "each"),
    ("gst", "tax"),
    ("hst", "tax"),
    ("inv", "invoice"),
    ("itm", "item"),
    ("itms", "items"),
    ("nbr", "number"),
    ("pmt", "payment"),
    ("pymt", "payment"),
    ("qty", "quantity"),
    ("rcpt", "receipt"),
    ("rnd", "rounding"),
    ("serv", "service"),
    ("srv", "service"),
    ("stl", "subtotal"),
    ("sttl", "subtotal"),
    ("subtot", "subtotal"),
    ("subttl", "subtotal"),
    ("svc", "service"),
    ("tel", "telephone phone"),
    ("tot", "total"),
    ("ttl", "total"),
    ("tx", "tax"),
    ("vat", "tax"),
];

/// The aliases of a text: the expansions of its abbreviations and the letter readings of its
/// misread words, space-separated, each once, in order of first appearance. Empty when there are
/// none (most prose).
pub fn aliases(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut push = |word: &str| {
        if !out.iter().any(|w| w == word) {
            out.push(word.to_owned());
        }
    };
    for token in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
    {
        let lower = token.to_lowercase();
        if let Ok(at) = ABBREVIATIONS.binary_search_by(|(short, _)| (*short).cmp(lower.as_str())) {
            ABBREVIATIONS[at].1.split(' ').for_each(&mut push);
        }
        if let Some(read) = letter_reading(&lower) {
            push(&read);
        }
    }
    out.join(" ")
}

/// `t0tal` → `total`: a word of four or more characters, at least three quarters letters, whose
/// other characters are all `0`, `1` or `5`, read with the letters they are mistaken for.
fn letter_reading(word: &str) -> Option<String> {
    let total = word.chars().count();
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    let confusable = word
        .chars()
        .filter(|c| matches!(c, '0' | '1' | '5'))
        .count();
    if total < 4 || confusable == 0 || letters + confusable != total || letters * 4 < total * 3 {
        return None;
    }
    Some(
        word.chars()
            .map(|c| match c {
                '0' => 'o',
                '1' => 'l',
                '5' => 's',
                other => other,
            })
            .collect(),
    )
}

/// The text a passage is embedded as: its own words, then its aliases.
pub fn with_aliases(text: &str) -> String {
    let aliases = aliases(text);
    if aliases.is_empty() {
        text.to_owned()
    } else {
        format!("{text}\n({aliases})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_for_binary_search() {
        assert!(ABBREVIATIONS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(ABBREVIATIONS
            .iter()
            .all(|(s, l)| *s == s.to_lowercase() && *l == l.to_lowercase()));
    }

    #[test]
    fn aliases_bridge_receipt_abbreviations_and_misreadings() {
        for (name, text, expected) in [
            (
                "service charge",
                "10% SVC CHG 3.41",
                "service charge change",
            ),
            ("total", "TTL 39.72", "total"),
            (
                "sub total and tax",
                "SUBTTL 36.31\nVAT 0.00",
                "subtotal tax",
            ),
            ("quantity and amount", "QTY ITEM AMT", "quantity amount"),
            ("any case, once", "Ttl 1.00 TTL 2.00 ttl", "total"),
            ("zero read for o", "T0TAL 4.20", "total"),
            ("one read for l", "BA1ANCE DUE", "balance"),
            ("prose has none", "The letter was written in May.", ""),
            ("numbers are not words", "1050 4.20 2019", ""),
            ("short tokens are left alone", "A1 B0 10x", ""),
            ("part of a word is no abbreviation", "TOTTENHAM TTLX", ""),
        ] {
            assert_eq!(aliases(text), expected, "case: {name}");
        }
    }

    #[test]
    fn embedded_text_keeps_the_original_first() {
        assert_eq!(with_aliases("TTL 39.72"), "TTL 39.72\n(total)");
        assert_eq!(with_aliases("Dear Sir,"), "Dear Sir,");
    }
}
