//! Language detection for `language=auto`: which Tesseract models to read a page with.
//!
//! The pipeline (run by [`super::auto`]) is: Tesseract's OSD names the page's script and
//! orientation; a first pass reads the page with that script's model ([`script_model`], e.g.
//! `Latin`, `Cyrillic`, `HanS`), which knows every language of the script a little; the
//! language of that text is identified with `whatlang` ([`detect_languages`]); the page is then
//! read again with the language's own model, which knows its vocabulary and letters well.
//!
//! Everything here is pure (text and names in, names out), so the rules are unit-tested without
//! Tesseract.
//!
//! Design choices a newcomer may question:
//! - **whatlang, not lingua.** whatlang covers 70 languages with trigram tables compiled in
//!   (no model files, microseconds per page); lingua is more accurate on short snippets but
//!   ships hundreds of MB of models. A page gives hundreds of characters, where whatlang is
//!   reliable.
//! - **Only installed languages are candidates.** The detector's allowlist is the intersection
//!   of what it knows and what Tesseract can read here, restricted to the first pass's script,
//!   so a detection always names a model that can be loaded.
//! - **Unsure means the script model.** When the text is too short or the detector not
//!   confident, the first pass (read with the script model) is kept: measured on the corpus, the
//!   `Latin` model reads Latin pages within a point or two of the right language, while a wrong
//!   language costs more.
//! - **Several languages.** Blocks are also identified one by one; a second language that holds
//!   a quarter of the text is added (`deu+eng`), as a caller would name it.

use domain::language::{lookup, LANGUAGES};
use std::collections::HashSet;
use whatlang::{Detector, Lang};

/// OSD orientation confidence from which a page is turned. Measured on the corpus: pages turned
/// by 90°, 180° or 270° scored 7.4 to 20 on typewritten and printed pages, while wrong calls on
/// upright receipts and handwriting stayed under 3.
pub const ROTATE_MIN_CONFIDENCE: f32 = 5.0;

/// OSD script confidence from which the script is believed; below it the page is read with the
/// fallback model first. Wrong scripts on the corpus (handwriting called `Japanese`) scored
/// under 0.1; right ones on receipts scored 1 to 2.
pub const SCRIPT_MIN_CONFIDENCE: f32 = 0.5;

/// The detector's confidence (0..1) from which its language is believed.
pub const LANGUAGE_MIN_CONFIDENCE: f64 = 0.5;

/// Letters needed before the detector is asked at all: shorter texts are guesses.
pub const MIN_LETTERS: usize = 40;

/// Letters a block needs to be identified on its own (for a second language).
const MIN_BLOCK_LETTERS: usize = 80;

/// Share of the identified text a second language needs to be added.
const SECOND_LANGUAGE_SHARE: f64 = 0.25;

/// Most languages a page is read with.
const MAX_LANGUAGES: usize = 3;

/// The model read with when nothing better is known: the Latin script model (every Latin-script
/// language a little), or English where script models are not installed.
pub fn fallback_model(installed: &HashSet<String>) -> &'static str {
    if installed.contains("Latin") {
        "Latin"
    } else {
        "eng"
    }
}

/// The Tesseract model for a first pass over a page in `script` (an OSD script name), if one is
/// installed. OSD names Japanese kana scripts separately and has no model of its own for
/// `Common`; those map to `Japanese` and nothing.
pub fn script_model(script: &str, installed: &HashSet<String>) -> Option<&'static str> {
    let model = match script {
        "Han" => "HanS",
        "Japanese" | "Katakana" | "Hiragana" => "Japanese",
        other => {
            LANGUAGES
                .iter()
                .find(|l| l.tesseract == other && is_script_model(l.tesseract))?
                .tesseract
        }
    };
    installed.contains(model).then_some(model)
}

/// Whether a Tesseract name is a script model (capitalised: `Latin`, `Fraktur`), not a language.
pub fn is_script_model(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
}

/// The writing system (as the domain table names it) that a first-pass model reads, which
/// restricts the languages the detector may answer. `None` for a model of no single script.
pub fn model_script(model: &str) -> Option<&'static str> {
    match model {
        "Fraktur" | "Vietnamese" => Some("Latin"),
        "HanS" | "HanT" => Some("Han"),
        other => LANGUAGES
            .iter()
            .find(|l| l.tesseract == other)
            .map(|l| l.script),
    }
}

/// The Tesseract language for a whatlang language, if the domain table has one.
fn tesseract_name(lang: Lang) -> Option<&'static str> {
    match lang.code() {
        // Mandarin is written in Han; Tesseract names the writing, not the spoken language.
        "cmn" => Some("chi_sim"),
        // Western Persian and Norwegian Bokmål are what Tesseract's `fas` and `nor` read.
        "pes" => Some("fas"),
        "nob" => Some("nor"),
        "tgl" => Some("fil"),
        code => lookup(code)
            .filter(|l| !is_script_model(l.tesseract))
            .map(|l| l.tesseract),
    }
}

/// What the detector found in a page's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Detected {
    /// Tesseract names, main language first.
    pub languages: Vec<String>,
    /// The detector's confidence in the main language, 0..1.
    pub confidence: f64,
}

/// Identifies the language(s) of `text` among the installed languages written in `script` (any
/// script when `None`; see [`model_script`]). `None` when the text is too short or the detector
/// unsure.
pub fn detect_languages(
    text: &str,
    script: Option<&str>,
    installed: &HashSet<String>,
) -> Option<Detected> {
    let allowed: Vec<Lang> = Lang::all()
        .iter()
        .copied()
        .filter(|lang| {
            tesseract_name(*lang).is_some_and(|name| {
                installed.contains(name)
                    && script.is_none_or(|s| {
                        LANGUAGES
                            .iter()
                            .any(|l| l.tesseract == name && l.script == s)
                    })
            })
        })
        .collect();
    if allowed.is_empty() || letters(text) < MIN_LETTERS {
        return None;
    }
    let detector = Detector::with_allowlist(allowed);
    let info = detector.detect(&clean(text))?;
    if info.confidence() < LANGUAGE_MIN_CONFIDENCE {
        return None;
    }
    let main = tesseract_name(info.lang())?;
    let mut languages = vec![han_variant(main, text).to_owned()];
    for extra in other_languages(text, &detector, main) {
        if languages.len() < MAX_LANGUAGES && !languages.contains(&extra) {
            languages.push(extra);
        }
    }
    Some(Detected {
        languages,
        confidence: info.confidence(),
    })
}

/// Languages other than `main` that hold at least [`SECOND_LANGUAGE_SHARE`] of the text, judged
/// block by block (paragraphs separated by blank lines), most text first.
fn other_languages(text: &str, detector: &Detector, main: &str) -> Vec<String> {
    let mut weights: Vec<(String, usize)> = Vec::new();
    let mut total = 0usize;
    for block in text.split("\n\n") {
        let count = letters(block);
        if count < MIN_BLOCK_LETTERS {
            continue;
        }
        let Some(info) = detector.detect(&clean(block)) else {
            continue;
        };
        if info.confidence() < LANGUAGE_MIN_CONFIDENCE {
            continue;
        }
        total += count;
        if let Some(name) = tesseract_name(info.lang()).filter(|n| *n != main) {
            match weights.iter_mut().find(|(n, _)| n == name) {
                Some((_, weight)) => *weight += count,
                None => weights.push((name.to_owned(), count)),
            }
        }
    }
    weights.sort_by_key(|(_, weight)| std::cmp::Reverse(*weight));
    weights
        .into_iter()
        .filter(|(_, weight)| total > 0 && *weight as f64 / total as f64 >= SECOND_LANGUAGE_SHARE)
        .map(|(name, _)| name)
        .collect()
}

/// Characters used only in Traditional (first) or only in Simplified (second) Chinese, among
/// the most frequent ones: enough to tell the two writings apart on a page.
const TRADITIONAL_ONLY: &str =
    "這們個來說時會對學國為與經發還開見關長問間點體動現實當無後過從將進種樣書話讓邊認題議運變華區";
const SIMPLIFIED_ONLY: &str =
    "这们个来说时会对学国为与经发还开见关长问间点体动现实当无后过从将进种样书话让边认题议运变华区";

/// `chi_tra` for Chinese text written mostly in traditional characters, else `main`.
fn han_variant<'a>(main: &'a str, text: &str) -> &'a str {
    if main != "chi_sim" {
        return main;
    }
    let count = |set: &str| text.chars().filter(|c| set.contains(*c)).count();
    if count(TRADITIONAL_ONLY) > count(SIMPLIFIED_ONLY) {
        "chi_tra"
    } else {
        main
    }
}

/// Letters in a text (what the detector learns from; digits and punctuation say nothing).
fn letters(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphabetic()).count()
}

/// The text without OCR noise that misleads trigram statistics: tokens without letters.
fn clean(text: &str) -> String {
    text.split_whitespace()
        .filter(|token| token.chars().any(char::is_alphabetic))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installed() -> HashSet<String> {
        LANGUAGES.iter().map(|l| l.tesseract.to_owned()).collect()
    }

    #[test]
    fn scripts_map_to_installed_first_pass_models() {
        let all = installed();
        assert_eq!(script_model("Latin", &all), Some("Latin"));
        assert_eq!(script_model("Cyrillic", &all), Some("Cyrillic"));
        assert_eq!(script_model("Han", &all), Some("HanS"));
        assert_eq!(script_model("Katakana", &all), Some("Japanese"));
        assert_eq!(script_model("Fraktur", &all), Some("Fraktur"));
        assert_eq!(script_model("Common", &all), None);
        assert_eq!(script_model("Cyrillic", &HashSet::new()), None);
        assert_eq!(fallback_model(&all), "Latin");
        assert_eq!(fallback_model(&HashSet::from(["eng".to_owned()])), "eng");
    }

    #[test]
    fn languages_are_found_within_the_first_pass_script() {
        let all = installed();
        for (model, text, expected) in [
            (
                "Latin",
                "Die Regierung hat beschlossen, dass alle Beamten der Behörde die neuen \
                 Vorschriften ab dem ersten Januar befolgen müssen.",
                "deu",
            ),
            (
                "Latin",
                "Le gouvernement a décidé que tous les fonctionnaires devront suivre les \
                 nouvelles règles à partir du premier janvier prochain.",
                "fra",
            ),
            (
                "Cyrillic",
                "Все люди рождаются свободными и равными в своем достоинстве и правах. Они \
                 наделены разумом и совестью.",
                "rus",
            ),
            (
                "HanS",
                "人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神相对待。\
                 这是我们大家的共同理想，也是各国人民努力实现的目标。",
                "chi_sim",
            ),
            (
                "HanS",
                "人人生而自由，在尊嚴和權利上一律平等。他們賦有理性和良心，並應以兄弟關係的精神相對待。\
                 這是我們大家的共同理想，也是各國人民努力實現的目標。",
                "chi_tra",
            ),
        ] {
            let found = detect_languages(text, model_script(model), &all).expect(expected);
            assert_eq!(found.languages[0], expected, "{text}");
        }
    }

    #[test]
    fn short_or_empty_text_is_unsure() {
        let all = installed();
        assert_eq!(detect_languages("TOTAL 12.00", Some("Latin"), &all), None);
        assert_eq!(detect_languages("", None, &all), None);
        // Nothing of the model's script is installed.
        let only_eng = HashSet::from(["eng".to_owned()]);
        assert_eq!(
            detect_languages(
                "Все люди рождаются свободными и равными в своем достоинстве и правах.",
                Some("Cyrillic"),
                &only_eng
            ),
            None
        );
    }

    #[test]
    fn a_second_language_with_enough_text_is_added() {
        let text = "Die Regierung hat beschlossen, dass alle Beamten der Behörde die neuen \
                    Vorschriften ab dem ersten Januar befolgen müssen und dass keine Ausnahme \
                    gemacht werden darf.\n\n\
                    The government has decided that every official of the authority must follow \
                    the new regulations from the first of January and that no exception may be \
                    made for anyone.";
        let found = detect_languages(text, Some("Latin"), &installed()).unwrap();
        let mut sorted = found.languages.clone();
        sorted.sort();
        assert_eq!(sorted, vec!["deu", "eng"], "{found:?}");
    }
}
