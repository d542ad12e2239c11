//! Completing a model's partial answer from the evidence it cites.
//!
//! Small models point at the right sentence and then copy only part of what it says: asked when
//! a letter was written, they cite `9th May, 1938/5698.` and answer `1938/5698`. The instructions
//! ask for a whole date; on two cores the model that can be run does not always give one. Where
//! the question asks for a date and the answer is part of a date written out in a cited unit,
//! the answer is widened to the whole of it, as written there. Nothing is invented: the widened
//! answer is the cited unit's own text, and an answer that is not part of a date in its
//! evidence is left as the model wrote it.
//!
//! A written-out date is a month name (English, German, French or Danish, in full or the usual
//! short forms) with the day next to it (`9th May`, `14. Oktober`, `May 9`, `le 3 mai`) and the
//! year after it (`1938`), as far as they are there.

/// Words that make a question ask for a date (lower-case, whole words).
const DATE_QUESTION_WORDS: &[&str] = &[
    "when", "date", "dated", "day", "wann", "datum", "datiert", "quand", "hvornår", "dato",
];

/// Month names and their usual short forms (lower-case, diacritics kept).
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "januar",
    "jänner",
    "februar",
    "märz",
    "mai",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "janvier",
    "février",
    "mars",
    "avril",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
    "marts",
    "maj",
    "okt",
];

/// Whether `question` asks for a date.
pub fn asks_for_date(question: &str) -> bool {
    question
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| DATE_QUESTION_WORDS.contains(&w.to_lowercase().as_str()))
}

/// The answer widened to the whole date it is part of in one of the `cited` units, or `None`
/// when the question does not ask for a date, the answer already holds a whole date, or it is
/// not part of one in its evidence.
pub fn complete_date(question: &str, answer: &str, cited: &[&str]) -> Option<String> {
    let wanted = fold(answer);
    if !asks_for_date(question) || wanted.is_empty() {
        return None;
    }
    widen(&wanted, answer, cited).filter(|widened| fold(widened) != wanted)
}

/// The first date of `cited` the answer is inside of or overlaps, widened to hold both.
fn widen(wanted: &[String], answer: &str, cited: &[&str]) -> Option<String> {
    for unit in cited {
        for (start, end) in dates(unit) {
            let date = &unit[start..end];
            let folded_date = fold(date);
            // The answer inside the date (`May 1938` of `9th May, 1938`): the date.
            if tokens_within(wanted, &folded_date) {
                return Some(date.to_owned());
            }
            // The answer overlapping the date (`1938/5698` beside `9th May, 1938`): both.
            if let Some((a_start, a_end)) = find_folded(unit, answer) {
                if a_start < end && start < a_end {
                    return Some(unit[start.min(a_start)..end.max(a_end)].to_owned());
                }
            }
        }
    }
    None
}

/// Lower-case words of a text, punctuation dropped.
fn fold(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .map(|(s, e)| text[s..e].to_lowercase())
        .collect()
}

/// Whether every word of `part` is one of `whole`'s.
fn tokens_within(part: &[String], whole: &[String]) -> bool {
    part.iter().all(|w| whole.contains(w))
}

/// Byte ranges of the words of a text: runs of letters and digits (`9th`, `1938`, `Mai`).
fn words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// Where `needle` stands in `text`, compared word by word, case folded (punctuation and
/// spacing between words may differ): the byte range from its first word to its last.
fn find_folded(text: &str, needle: &str) -> Option<(usize, usize)> {
    let want = fold(needle);
    let spans = words(text);
    if want.is_empty() || spans.len() < want.len() {
        return None;
    }
    (0..=spans.len() - want.len()).find_map(|i| {
        let hit = want
            .iter()
            .enumerate()
            .all(|(k, w)| text[spans[i + k].0..spans[i + k].1].to_lowercase() == *w);
        hit.then(|| (spans[i].0, spans[i + want.len() - 1].1))
    })
}

/// A day of the month: `9`, `09`, `9th`, `1st`, `22nd`, `3rd`, `1er`.
fn is_day(word: &str) -> bool {
    let lower = word.to_lowercase();
    let digits: String = lower.chars().take_while(char::is_ascii_digit).collect();
    let suffix = &lower[digits.len()..];
    matches!(digits.parse::<u32>(), Ok(1..=31))
        && digits.len() <= 2
        && ["", "st", "nd", "rd", "th", "er"].contains(&suffix)
}

/// A year: four digits from 1000 to 2999.
fn is_year(word: &str) -> bool {
    word.len() == 4
        && word.chars().all(|c| c.is_ascii_digit())
        && matches!(word.as_bytes()[0], b'1' | b'2')
}

fn is_month(word: &str) -> bool {
    MONTHS.contains(&word.to_lowercase().as_str())
}

/// Byte ranges of the written-out dates of a text (see the module docs).
fn dates(text: &str) -> Vec<(usize, usize)> {
    let spans = words(text);
    let word = |i: usize| &text[spans[i].0..spans[i].1];
    let mut out = Vec::new();
    for m in 0..spans.len() {
        if !is_month(word(m)) {
            continue;
        }
        let mut first = m;
        let mut last = m;
        let mut has_day = false;
        // The day before the month (`9th May`, `9th of May`, `14. Oktober`)…
        if m >= 1 && is_day(word(m - 1)) {
            first = m - 1;
            has_day = true;
        } else if m >= 2 && word(m - 1).eq_ignore_ascii_case("of") && is_day(word(m - 2)) {
            first = m - 2;
            has_day = true;
        }
        // …or after it (`May 9, 1938`).
        if !has_day && m + 1 < spans.len() && is_day(word(m + 1)) {
            last = m + 1;
            has_day = true;
        }
        if last + 1 < spans.len() && is_year(word(last + 1)) {
            last += 1;
        } else if !has_day {
            // A month alone (`may` the verb, `Mars`) is no date.
            continue;
        }
        out.push((spans[first].0, spans[last].1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_found_as_written() {
        for (text, expected) in [
            ("9th May, 1938/5698.", vec!["9th May, 1938"]),
            ("LONDON, 9 May 1938", vec!["9 May 1938"]),
            ("written on May 9, 1938 in London", vec!["May 9, 1938"]),
            ("am 14. Oktober 1952 in Bonn", vec!["14. Oktober 1952"]),
            ("Paris, le 3 mai 1921", vec!["3 mai 1921"]),
            ("the 1st of June", vec!["1st of June"]),
            ("in March 1951", vec!["March 1951"]),
            ("We may go in May.", vec![]),
            ("TOTAL 4.20 02/01/2018", vec![]),
            ("45 May", vec![]),
        ] {
            let got: Vec<&str> = dates(text).into_iter().map(|(s, e)| &text[s..e]).collect();
            assert_eq!(got, expected, "{text}");
        }
    }

    #[test]
    fn a_partial_date_is_completed_from_its_evidence_only() {
        let letter = "9th May, 1938/5698.";
        for (question, answer, cited, expected) in [
            (
                "On what date was the letter written?",
                "1938/5698",
                vec![letter],
                Some("9th May, 1938/5698"),
            ),
            (
                "When was it written?",
                "1938",
                vec![letter],
                Some("9th May, 1938"),
            ),
            (
                "When was it written?",
                "May 1938",
                vec!["Dear Sir,", letter],
                Some("9th May, 1938"),
            ),
            (
                "Wann wurde es geschrieben?",
                "1952",
                vec!["am 14. Oktober 1952 in Bonn"],
                Some("14. Oktober 1952"),
            ),
            // Already whole, not asked for a date, or not part of a date in its evidence.
            ("When was it written?", "9th May, 1938", vec![letter], None),
            (
                "What is the reference number?",
                "1938/5698",
                vec![letter],
                None,
            ),
            ("When was it written?", "1951", vec![letter], None),
            (
                "When was it paid?",
                "02/01/2018",
                vec!["02/01/2018 Cashier"],
                None,
            ),
            ("When was it written?", "", vec![letter], None),
        ] {
            assert_eq!(
                complete_date(question, answer, &cited).as_deref(),
                expected,
                "{question} / {answer}"
            );
        }
    }
}
