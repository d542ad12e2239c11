//! Citation verification: a snippet counts only if it stands on the page.
//!
//! Citations are evidence units the model pointed at, and a unit comes from the passage index, a
//! projection that may lag the pages; so each one is found again in the page's stored text before
//! it is shown, and the extractive fallback's snippet likewise.
//!
//! Both texts are normalised the same way before comparing: runs of whitespace (OCR line breaks,
//! form feeds) become one space and letters are lower-cased; typographic quotes, dashes and the
//! ellipsis character are folded to their ASCII forms, since models rarely reproduce them. Every
//! normalised character remembers where it came from, so a match maps back to the page's own
//! characters: the snippet a user sees is verbatim page text, not the model's spelling of it.

/// A quote needs at least this many letters or digits to be a citation ("the" proves nothing).
pub const MIN_QUOTE_ALPHANUMERICS: usize = 4;

/// Text folded for comparison, with the original byte range of each folded character.
struct Folded {
    text: String,
    /// For each char of `text`: (byte offset in `text`, original byte start, original byte end).
    chars: Vec<(usize, usize, usize)>,
}

/// Typographic characters models rarely reproduce, mapped to what they would type.
fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' => "'",
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{2033}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => "-",
        '\u{2026}' => "...",
        _ => return None,
    })
}

fn fold(original: &str) -> Folded {
    let mut text = String::with_capacity(original.len());
    let mut chars = Vec::with_capacity(original.len());
    let mut pending_space: Option<usize> = None;
    for (at, c) in original.char_indices() {
        let end = at + c.len_utf8();
        if c.is_whitespace() {
            if !text.is_empty() && pending_space.is_none() {
                pending_space = Some(at);
            }
            continue;
        }
        if let Some(space_at) = pending_space.take() {
            chars.push((text.len(), space_at, at));
            text.push(' ');
        }
        let mut push = |folded: char| {
            chars.push((text.len(), at, end));
            text.push(folded);
        };
        match fold_char(c) {
            Some(replacement) => replacement.chars().for_each(&mut push),
            None => c.to_lowercase().for_each(&mut push),
        }
    }
    Folded { text, chars }
}

/// Strips what models wrap quotes in (quotation marks, ellipses, brackets, a final full stop)
/// without touching the inside.
fn strip_wrapping(quote: &str) -> &str {
    quote.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | '\''
                    | '`'
                    | '\u{2018}'
                    | '\u{2019}'
                    | '\u{201c}'
                    | '\u{201d}'
                    | '\u{00ab}'
                    | '\u{00bb}'
                    | '\u{2026}'
                    | '.'
                    | ','
                    | ';'
                    | ':'
                    | '('
                    | ')'
                    | '['
                    | ']'
            )
    })
}

/// Finds `quote` in `page` after normalisation and returns the page's own text for it, or
/// `None` when it is not there or too short to be a citation.
pub fn find_verbatim<'a>(page: &'a str, quote: &str) -> Option<&'a str> {
    let needle = fold(strip_wrapping(quote)).text;
    if needle.chars().filter(|c| c.is_alphanumeric()).count() < MIN_QUOTE_ALPHANUMERICS {
        return None;
    }
    let hay = fold(page);
    let at = hay.text.find(&needle)?;
    let end = at + needle.len();
    // `find` returns a char boundary of the folded text; map its first and last chars back.
    let first = hay.chars.partition_point(|(offset, _, _)| *offset < at);
    let last = hay.chars.partition_point(|(offset, _, _)| *offset < end);
    let (_, start_byte, _) = *hay.chars.get(first)?;
    let (_, _, end_byte) = *hay.chars.get(last.checked_sub(1)?)?;
    page.get(start_byte..end_byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LETTER: &str = "Dear Sirs,\nI am here in England as the authorised representative\n\
                          of the Board of Deputies. We need \u{201c}free-meal\u{201d} \u{2013} now\u{2026}";

    #[test]
    fn quotes_are_found_after_whitespace_and_case_normalisation() {
        for (name, quote, expected) in [
            ("exact", "Dear Sirs", Some("Dear Sirs")),
            (
                "across a line break",
                "authorised representative of the Board",
                Some("authorised representative\nof the Board"),
            ),
            (
                "different case and spacing",
                "  I AM HERE   in england ",
                Some("I am here in England"),
            ),
            (
                "wrapped in quotes with a final stop",
                "\"the Board of Deputies.\"",
                Some("the Board of Deputies"),
            ),
            (
                "ASCII for typographic quotes and dashes",
                "need \"free-meal\" - now...",
                Some("need \u{201c}free-meal\u{201d} \u{2013} now"),
            ),
            ("not on the page", "the Board of Directors", None),
            ("too short to mean anything", "the", None),
            ("empty", "", None),
            ("only punctuation", "\"...\"", None),
        ] {
            assert_eq!(find_verbatim(LETTER, quote), expected, "case: {name}");
        }
    }

    #[test]
    fn snippets_are_verbatim_even_with_multibyte_text() {
        let page = "Straße  Nr. 5\nÜBER  uns: Grüße";
        assert_eq!(find_verbatim(page, "über uns"), Some("ÜBER  uns"));
        assert_eq!(find_verbatim(page, "STRASSE"), None, "no transliteration");
        assert_eq!(
            find_verbatim(page, "straße nr. 5 über"),
            Some("Straße  Nr. 5\nÜBER")
        );
    }
}
