//! Which recognition engine reads a page: the caller's `engine` field and the `auto` rule.
//!
//! Two engines read page images on the CPU: Tesseract (fast, best on clean print) and PP-OCR
//! (PP-OCRv6's neural detector and recogniser: best on receipts, phone photos, handwriting and
//! Fraktur, about 3 times slower). `auto` reads every page with Tesseract and asks PP-OCR for a
//! second reading only where Tesseract's own confidence says it struggled, then keeps the reading
//! whose confidence is higher, once each engine's confidence is put on the same scale
//! ([`keep_second_reading`]). The thresholds come from the developer corpus (see the constants);
//! the `ocr` bench prints the figures behind them.

use crate::{error::Error, language, page::PageResult, LanguageSpec};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// The `engine` form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineChoice {
    /// Tesseract, and PP-OCR as well where Tesseract struggled, keeping the better reading.
    #[default]
    Auto,
    /// Tesseract only (the behaviour before PP-OCR existed).
    Tesseract,
    /// PP-OCR only, for pages in a script it reads; other pages fall back to Tesseract.
    #[serde(rename = "ppocr")]
    PpOcr,
}

impl EngineChoice {
    /// Every choice, as the API lists them.
    pub const ALL: [EngineChoice; 3] = [
        EngineChoice::Auto,
        EngineChoice::Tesseract,
        EngineChoice::PpOcr,
    ];

    /// The wire name (`auto`, `tesseract`, `ppocr`).
    pub fn as_str(self) -> &'static str {
        match self {
            EngineChoice::Auto => "auto",
            EngineChoice::Tesseract => "tesseract",
            EngineChoice::PpOcr => "ppocr",
        }
    }

    /// `true` for the default, which events leave out.
    pub fn is_auto(&self) -> bool {
        *self == EngineChoice::Auto
    }
}

impl fmt::Display for EngineChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EngineChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(EngineChoice::Auto),
            "tesseract" => Ok(EngineChoice::Tesseract),
            "ppocr" | "pp-ocr" => Ok(EngineChoice::PpOcr),
            _ => Err(Error::UnknownEngine(s.to_owned())),
        }
    }
}

/// How much work a page-image engine spends on one reading.
///
/// Under `auto`, PP-OCR reads only the pages Tesseract struggled with, as a second opinion, and
/// that second reading is most of what `auto` costs beyond Tesseract alone. A second opinion
/// needs to be good, not RapidOCR's reading to the character, so it does three things
/// differently (`workers::engine::ppocr`), each measured on the corpus (`cargo bench -p workers
/// --bench ocr`, runs `ppocr`, `second` and `auto`; a 2-core AMD EPYC):
/// - the detector looks at the page scaled to about a megapixel, not at the 2000-px bound
///   (a third of the detector's time at the bound); lines are still cut from the page at the
///   bound;
/// - each line is read alone at its own width, not padded to its batch's widest;
/// - lines are read as they stand: no orientation classifier, no re-reading of the lines it
///   turns (the page is upright: Tesseract read it, after OSD where its reading was in doubt).
///
/// Together they read the corpus at 4.94% CER instead of 5.09% at full effort, single pages
/// moving by up to 1.7 points either way (handwriting 19.2% → 20.0%, typed Danish 10.3% →
/// 9.0%, Fraktur 6.3% → 6.7%), at 0.77–0.81 pages/s where full effort reads 0.52–0.54 (all 12
/// pages, 2 threads, the same runs). `auto` reads the corpus at 4.67% CER (4.68% with
/// full-effort second opinions) at 0.57–0.64× Tesseract-only's pages/s (fourteen runs, a mean
/// of 0.61×; 0.50× with full-effort second opinions); on a 2-core Xeon with AVX-512, at
/// 0.66–0.70× (ten runs).
///
/// So `auto` asks for its second readings with [`Effort::SecondOpinion`], and `engine=ppocr` is
/// read at [`Effort::Full`], as RapidOCR reads it: the per-page movement is more than its
/// one-point bound against RapidOCR allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Effort {
    /// The engine as its reference runs it (PP-OCR: RapidOCR 3.10's settings).
    #[default]
    Full,
    /// `auto`'s second reading of a page: PP-OCR detects on the page scaled to about a
    /// megapixel and reads each line alone, as it stands. Engines with nothing cheaper to offer
    /// (Tesseract) read as at `Full`.
    SecondOpinion,
}

/// The scripts PP-OCRv6's recogniser has characters for: its dictionary holds 550 Latin
/// letters (with the accents of the European languages), 62 Greek ones, ~15,900 CJK ideographs
/// and the Japanese kana, and nothing of Cyrillic, Arabic, Hangul, Hebrew, Devanagari, Thai or
/// any other script (counted from the model's `character` metadata). Names as in
/// [`language::Language::script`].
pub const PPOCR_SCRIPTS: &[&str] = &["Latin", "Greek", "Han", "Japanese"];

/// Whether PP-OCR can read text in `script`: a [`language::Language::script`] name, or a
/// script as Tesseract's orientation detection names it (`Fraktur` is Latin to PP-OCR).
pub fn ppocr_reads_script(script: &str) -> bool {
    let script = if script == "Fraktur" { "Latin" } else { script };
    PPOCR_SCRIPTS
        .iter()
        .any(|known| known.eq_ignore_ascii_case(script))
}

/// The script of a language by its Tesseract name (`deu` → `Latin`), if it is known here.
fn script_of(name: &str) -> Option<&'static str> {
    language::LANGUAGES
        .iter()
        .find(|l| l.tesseract == name)
        .map(|l| l.script)
}

/// Whether PP-OCR can read every language of a Tesseract language string (`deu+eng`); `None`
/// when a name is unknown here (then nothing is promised).
pub fn ppocr_reads_languages(languages: &str) -> Option<bool> {
    let mut all = true;
    for name in languages.split('+').filter(|n| !n.is_empty()) {
        all &= ppocr_reads_script(script_of(name)?);
    }
    Some(all)
}

/// Whether `engine=ppocr` reads a page itself: unless its script is known (from the named
/// languages, or `detected_script`, the script orientation detection is sure of) and PP-OCR
/// has none of its characters; such a page is read by Tesseract and `pages[].engine` says so.
pub fn ppocr_reads_page(language: &LanguageSpec, detected_script: Option<&str>) -> bool {
    match language {
        LanguageSpec::Named(names) => ppocr_reads_languages(&names.join("+")).unwrap_or(true),
        LanguageSpec::Auto => detected_script.is_none_or(ppocr_reads_script),
    }
}

/// Refuses, at submit and before anything is charged, `engine=ppocr` on a server without
/// PP-OCR (`installed` false). Any language may go with it: pages in a script PP-OCR has no
/// characters for, named (`language=ru`) or found per page (`auto`), are read by Tesseract
/// ([`ppocr_reads_page`]; `pages[].engine` says which). A refusal of `ppocr` with such a
/// language was a rule no API description can state (a constraint between two fields), and
/// the reading the caller gets is the one `auto` languages already got.
pub fn check_choice(choice: EngineChoice, installed: bool) -> Result<(), Error> {
    if choice == EngineChoice::PpOcr && !installed {
        return Err(Error::EngineNotInstalled(EngineChoice::PpOcr.as_str()));
    }
    Ok(())
}

/// Below this mean word confidence (0..1) Tesseract's reading gets a second one from PP-OCR
/// under `auto`. Measured on the 12 corpus pages (`cargo bench -p workers --bench ocr`, table
/// "auto rule inputs"): every page Tesseract scored 0.29 to 0.82 (receipts, the phone photo,
/// typed French, Fraktur, handwriting) PP-OCR reads better, by 4 to 69 CER points; the pages
/// scored 0.87 to 0.94 Tesseract reads better (typed Danish, the 1879 book page) or within 1.4
/// points of PP-OCR (the letter, a typed French report). The bound sits in that gap.
pub const SECOND_READING_BELOW: f32 = 0.85;

/// Fewer words than this and Tesseract's mean confidence says little: a second reading is
/// asked for whatever it is (a photo with a few words, a page Tesseract mostly missed).
pub const SECOND_READING_MIN_WORDS: usize = 8;

/// Whether `auto` asks PP-OCR for a second reading of a page Tesseract read as `first`.
/// `script` is the page's script when known (OSD's or the named languages'); a script PP-OCR
/// cannot read never gets one.
pub fn wants_second_reading(first: &PageResult, ppocr_can_read: bool) -> bool {
    if !ppocr_can_read {
        return false;
    }
    if first.word_count() < SECOND_READING_MIN_WORDS {
        return true;
    }
    first
        .mean_confidence
        .is_none_or(|confidence| confidence < SECOND_READING_BELOW)
}

/// PP-OCR's confidences run high: on the corpus its mean word confidence is above Tesseract's
/// on every page, by 0.06 to 0.12 where Tesseract reads better or about as well, and by 0.15 to
/// 0.58 where PP-OCR reads better. Its confidence must beat Tesseract's by this much to be kept.
pub const SECOND_READING_MARGIN: f32 = 0.12;

/// Whether `auto` keeps PP-OCR's `second` reading over Tesseract's `first`: the one with more
/// confidence once PP-OCR's is discounted by [`SECOND_READING_MARGIN`]. An empty second reading
/// is never kept over a first with words.
pub fn keep_second_reading(first: &PageResult, second: &PageResult) -> bool {
    if second.word_count() == 0 {
        return false;
    }
    if first.word_count() == 0 {
        return true;
    }
    let confidence = |page: &PageResult| page.mean_confidence.unwrap_or(0.0);
    confidence(second) - SECOND_READING_MARGIN > confidence(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::{BBox, Block, Line, Word};

    fn page(words: usize, confidence: f32) -> PageResult {
        let words: Vec<Word> = (0..words)
            .map(|i| Word {
                text: format!("w{i}"),
                bbox: BBox::from([0, 0, 10, 10]),
                confidence,
            })
            .collect();
        let line = Line {
            text: words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            bbox: BBox::from([0, 0, 10, 10]),
            words,
        };
        let blocks = if line.words.is_empty() {
            Vec::new()
        } else {
            vec![Block {
                text: line.text.clone(),
                bbox: BBox::from([0, 0, 10, 10]),
                confidence,
                lines: vec![line],
            }]
        };
        PageResult::recognised(0, [100, 100], 300, blocks, "eng".into(), "tesseract")
    }

    #[test]
    fn choices_parse_from_their_wire_names() {
        for (raw, choice) in [
            ("", EngineChoice::Auto),
            ("auto", EngineChoice::Auto),
            ("Tesseract", EngineChoice::Tesseract),
            ("ppocr", EngineChoice::PpOcr),
            (" PP-OCR ", EngineChoice::PpOcr),
        ] {
            assert_eq!(raw.parse::<EngineChoice>(), Ok(choice), "{raw:?}");
        }
        assert_eq!(
            "easyocr".parse::<EngineChoice>(),
            Err(Error::UnknownEngine("easyocr".into()))
        );
        assert_eq!(
            serde_json::to_string(&EngineChoice::PpOcr).unwrap(),
            "\"ppocr\""
        );
    }

    #[test]
    fn scripts_ppocr_reads() {
        for (languages, reads) in [
            ("eng", Some(true)),
            ("deu+fra", Some(true)),
            ("chi_sim", Some(true)),
            ("jpn", Some(true)),
            ("ell", Some(true)),
            ("Fraktur", Some(true)),
            ("rus", Some(false)),
            ("eng+ara", Some(false)),
            ("kor", Some(false)),
            ("hin", Some(false)),
            ("xyz", None),
        ] {
            assert_eq!(ppocr_reads_languages(languages), reads, "{languages}");
        }
    }

    #[test]
    fn ppocr_reads_a_page_unless_its_script_is_known_and_missing() {
        let named = |s: &str| LanguageSpec::parse(s).unwrap();
        for (language, detected, reads) in [
            (named("de"), None, true),
            (named("ru"), None, false),
            (LanguageSpec::Auto, None, true),
            (LanguageSpec::Auto, Some("Latin"), true),
            (LanguageSpec::Auto, Some("Fraktur"), true),
            (LanguageSpec::Auto, Some("Cyrillic"), false),
        ] {
            assert_eq!(
                ppocr_reads_page(&language, detected),
                reads,
                "{language} {detected:?}"
            );
        }
    }

    #[test]
    fn ppocr_is_refused_only_where_it_is_not_installed_and_other_scripts_go_to_tesseract() {
        let named = |s: &str| LanguageSpec::parse(s).unwrap();
        assert!(check_choice(EngineChoice::PpOcr, true).is_ok());
        assert!(check_choice(EngineChoice::Auto, false).is_ok());
        assert!(check_choice(EngineChoice::Tesseract, false).is_ok());
        assert_eq!(
            check_choice(EngineChoice::PpOcr, false),
            Err(Error::EngineNotInstalled("ppocr"))
        );
        assert!(ppocr_reads_page(&named("de+en"), None));
        assert!(!ppocr_reads_page(&named("ru"), None));
        assert!(!ppocr_reads_page(&named("de+ar"), None));
    }

    #[test]
    fn auto_asks_for_a_second_reading_where_tesseract_struggled() {
        // (words, Tesseract's mean confidence, PP-OCR reads the script, second reading?)
        for (words, confidence, readable, expected) in [
            (200, 0.95, true, false),
            (200, 0.86, true, false),
            (200, 0.84, true, true),
            (200, 0.40, true, true),
            (200, 0.40, false, false),
            (3, 0.99, true, true),
            (0, 0.0, true, true),
            (0, 0.0, false, false),
        ] {
            assert_eq!(
                wants_second_reading(&page(words, confidence), readable),
                expected,
                "{words} words at {confidence}, readable {readable}"
            );
        }
    }

    #[test]
    fn auto_keeps_the_second_reading_only_when_clearly_more_confident() {
        // (first: words, confidence; second: words, confidence; keep second?)
        for (first, second, expected) in [
            ((200, 0.80), (190, 0.97), true),
            ((200, 0.86), (190, 0.95), false),
            ((200, 0.50), (0, 0.0), false),
            ((0, 0.0), (10, 0.6), true),
            ((200, 0.30), (150, 0.90), true),
            ((200, 0.90), (200, 0.90), false),
        ] {
            assert_eq!(
                keep_second_reading(&page(first.0, first.1), &page(second.0, second.1)),
                expected,
                "{first:?} vs {second:?}"
            );
        }
    }
}
