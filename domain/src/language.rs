//! Language codes callers send, and the Tesseract traineddata each one means.
//!
//! Callers speak several dialects: the OCR.chat short codes (`en`, `de`, `ch`, `ja`), ISO 639-1
//! and 639-3 codes, and Tesseract's own file names (`chi_sim`, `deu`, `Fraktur`). All of them
//! resolve through one table to Tesseract names. Whether a pack is actually installed is a fact
//! about the machine, so it is checked outside this crate.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One recognisable language (or script model) and the names it answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language {
    /// Tesseract's traineddata name, e.g. `deu`, `chi_sim`, `Fraktur`.
    pub tesseract: &'static str,
    /// English name for listings.
    pub name: &'static str,
    /// Writing system, for listings and script-based defaults.
    pub script: &'static str,
    /// Other codes that mean this language: ISO 639-1, OCR.chat short codes, ISO 639-3 variants.
    pub aliases: &'static [&'static str],
}

macro_rules! langs {
    ($( $tess:literal, $name:literal, $script:literal, [$($alias:literal),*] ;)*) => {
        /// Every language and script model this server knows how to name.
        pub const LANGUAGES: &[Language] = &[
            $( Language { tesseract: $tess, name: $name, script: $script, aliases: &[$($alias),*] }, )*
        ];
    };
}

langs! {
    "afr", "Afrikaans", "Latin", ["af"];
    "amh", "Amharic", "Ethiopic", ["am"];
    "ara", "Arabic", "Arabic", ["ar"];
    "asm", "Assamese", "Bengali", ["as"];
    "aze", "Azerbaijani", "Latin", ["az"];
    "aze_cyrl", "Azerbaijani (Cyrillic)", "Cyrillic", ["az-cyrl"];
    "bel", "Belarusian", "Cyrillic", ["be"];
    "ben", "Bengali", "Bengali", ["bn"];
    "bod", "Tibetan", "Tibetan", ["bo", "tib"];
    "bos", "Bosnian", "Latin", ["bs"];
    "bre", "Breton", "Latin", ["br"];
    "bul", "Bulgarian", "Cyrillic", ["bg"];
    "cat", "Catalan", "Latin", ["ca"];
    "ceb", "Cebuano", "Latin", [];
    "ces", "Czech", "Latin", ["cs", "cze"];
    "chi_sim", "Chinese (Simplified)", "Han", ["ch", "zh", "zh-cn", "zh-hans", "zho", "chi", "ch_sim"];
    "chi_sim_vert", "Chinese (Simplified, vertical)", "Han", [];
    "chi_tra", "Chinese (Traditional)", "Han", ["zh-tw", "zh-hant", "chinese_cht", "ch_tra", "cht"];
    "chi_tra_vert", "Chinese (Traditional, vertical)", "Han", [];
    "chr", "Cherokee", "Cherokee", [];
    "cos", "Corsican", "Latin", ["co"];
    "cym", "Welsh", "Latin", ["cy", "wel"];
    "dan", "Danish", "Latin", ["da"];
    "deu", "German", "Latin", ["de", "ger", "german"];
    "div", "Dhivehi", "Thaana", ["dv"];
    "dzo", "Dzongkha", "Tibetan", ["dz"];
    "ell", "Greek", "Greek", ["el", "gre"];
    "eng", "English", "Latin", ["en", "english"];
    "enm", "Middle English", "Latin", [];
    "epo", "Esperanto", "Latin", ["eo"];
    "est", "Estonian", "Latin", ["et"];
    "eus", "Basque", "Latin", ["eu", "baq"];
    "fao", "Faroese", "Latin", ["fo"];
    "fas", "Persian", "Arabic", ["fa", "per"];
    "fil", "Filipino", "Latin", ["tl"];
    "fin", "Finnish", "Latin", ["fi"];
    "fra", "French", "Latin", ["fr", "fre", "french"];
    "frk", "German (Fraktur)", "Latin", [];
    "frm", "Middle French", "Latin", [];
    "fry", "Western Frisian", "Latin", ["fy"];
    "gla", "Scottish Gaelic", "Latin", ["gd"];
    "gle", "Irish", "Latin", ["ga"];
    "glg", "Galician", "Latin", ["gl"];
    "grc", "Ancient Greek", "Greek", [];
    "guj", "Gujarati", "Gujarati", ["gu"];
    "hat", "Haitian Creole", "Latin", ["ht"];
    "heb", "Hebrew", "Hebrew", ["he", "iw"];
    "hin", "Hindi", "Devanagari", ["hi"];
    "hrv", "Croatian", "Latin", ["hr"];
    "hun", "Hungarian", "Latin", ["hu"];
    "hye", "Armenian", "Armenian", ["hy", "arm"];
    "iku", "Inuktitut", "Canadian_Aboriginal", ["iu"];
    "ind", "Indonesian", "Latin", ["id"];
    "isl", "Icelandic", "Latin", ["is", "ice"];
    "ita", "Italian", "Latin", ["it"];
    "ita_old", "Italian (Old)", "Latin", [];
    "jav", "Javanese", "Latin", ["jv"];
    "jpn", "Japanese", "Japanese", ["ja", "japan", "jp"];
    "jpn_vert", "Japanese (vertical)", "Japanese", [];
    "kan", "Kannada", "Kannada", ["kn", "ka_in"];
    "kat", "Georgian", "Georgian", ["ka", "geo"];
    "kat_old", "Georgian (Old)", "Georgian", [];
    "kaz", "Kazakh", "Cyrillic", ["kk"];
    "khm", "Khmer", "Khmer", ["km"];
    "kir", "Kyrgyz", "Cyrillic", ["ky"];
    "kmr", "Kurmanji (Kurdish)", "Latin", ["ku"];
    "kor", "Korean", "Hangul", ["ko", "korean"];
    "kor_vert", "Korean (vertical)", "Hangul", [];
    "lao", "Lao", "Lao", ["lo"];
    "lat", "Latin", "Latin", ["la"];
    "lav", "Latvian", "Latin", ["lv"];
    "lit", "Lithuanian", "Latin", ["lt"];
    "ltz", "Luxembourgish", "Latin", ["lb"];
    "mal", "Malayalam", "Malayalam", ["ml"];
    "mar", "Marathi", "Devanagari", ["mr"];
    "mkd", "Macedonian", "Cyrillic", ["mk", "mac"];
    "mlt", "Maltese", "Latin", ["mt"];
    "mon", "Mongolian", "Cyrillic", ["mn"];
    "mri", "Maori", "Latin", ["mi", "mao"];
    "msa", "Malay", "Latin", ["ms", "may"];
    "mya", "Burmese", "Myanmar", ["my", "bur"];
    "nep", "Nepali", "Devanagari", ["ne"];
    "nld", "Dutch", "Latin", ["nl", "dut"];
    "nor", "Norwegian", "Latin", ["no", "nb", "nn", "nob", "nno"];
    "oci", "Occitan", "Latin", ["oc"];
    "ori", "Oriya", "Oriya", ["or"];
    "pan", "Punjabi", "Gurmukhi", ["pa"];
    "pol", "Polish", "Latin", ["pl"];
    "por", "Portuguese", "Latin", ["pt", "pt-br"];
    "pus", "Pashto", "Arabic", ["ps"];
    "que", "Quechua", "Latin", ["qu"];
    "ron", "Romanian", "Latin", ["ro", "rum", "mo"];
    "rus", "Russian", "Cyrillic", ["ru"];
    "san", "Sanskrit", "Devanagari", ["sa"];
    "sin", "Sinhala", "Sinhala", ["si"];
    "slk", "Slovak", "Latin", ["sk", "slo"];
    "slv", "Slovenian", "Latin", ["sl"];
    "snd", "Sindhi", "Arabic", ["sd"];
    "spa", "Spanish", "Latin", ["es", "spanish"];
    "spa_old", "Spanish (Old)", "Latin", [];
    "sqi", "Albanian", "Latin", ["sq", "alb"];
    "srp", "Serbian (Cyrillic)", "Cyrillic", ["sr", "rs_cyrillic"];
    "srp_latn", "Serbian (Latin)", "Latin", ["sr-latn", "rs_latin"];
    "sun", "Sundanese", "Latin", ["su"];
    "swa", "Swahili", "Latin", ["sw"];
    "swe", "Swedish", "Latin", ["sv"];
    "syr", "Syriac", "Syriac", [];
    "tam", "Tamil", "Tamil", ["ta"];
    "tat", "Tatar", "Cyrillic", ["tt"];
    "tel", "Telugu", "Telugu", ["te"];
    "tgk", "Tajik", "Cyrillic", ["tg"];
    "tha", "Thai", "Thai", ["th"];
    "tir", "Tigrinya", "Ethiopic", ["ti"];
    "ton", "Tongan", "Latin", ["to"];
    "tur", "Turkish", "Latin", ["tr"];
    "uig", "Uyghur", "Arabic", ["ug"];
    "ukr", "Ukrainian", "Cyrillic", ["uk"];
    "urd", "Urdu", "Arabic", ["ur"];
    "uzb", "Uzbek", "Latin", ["uz"];
    "uzb_cyrl", "Uzbek (Cyrillic)", "Cyrillic", ["uz-cyrl"];
    "vie", "Vietnamese", "Latin", ["vi"];
    "yid", "Yiddish", "Hebrew", ["yi"];
    "yor", "Yoruba", "Latin", ["yo"];
    "Arabic", "Arabic script", "Arabic", [];
    "Armenian", "Armenian script", "Armenian", [];
    "Bengali", "Bengali script", "Bengali", [];
    "Canadian_Aboriginal", "Canadian Aboriginal syllabics", "Canadian_Aboriginal", [];
    "Cherokee", "Cherokee script", "Cherokee", [];
    "Cyrillic", "Cyrillic script", "Cyrillic", [];
    "Devanagari", "Devanagari script", "Devanagari", [];
    "Ethiopic", "Ethiopic script", "Ethiopic", [];
    "Fraktur", "Fraktur script", "Latin", [];
    "Georgian", "Georgian script", "Georgian", [];
    "Greek", "Greek script", "Greek", [];
    "Gujarati", "Gujarati script", "Gujarati", [];
    "Gurmukhi", "Gurmukhi script", "Gurmukhi", [];
    "HanS", "Han (Simplified) script", "Han", [];
    "HanS_vert", "Han (Simplified, vertical) script", "Han", [];
    "HanT", "Han (Traditional) script", "Han", [];
    "HanT_vert", "Han (Traditional, vertical) script", "Han", [];
    "Hangul", "Hangul script", "Hangul", [];
    "Hangul_vert", "Hangul (vertical) script", "Hangul", [];
    "Hebrew", "Hebrew script", "Hebrew", [];
    "Japanese", "Japanese script", "Japanese", [];
    "Japanese_vert", "Japanese (vertical) script", "Japanese", [];
    "Kannada", "Kannada script", "Kannada", [];
    "Khmer", "Khmer script", "Khmer", [];
    "Lao", "Lao script", "Lao", [];
    "Latin", "Latin script", "Latin", [];
    "Malayalam", "Malayalam script", "Malayalam", [];
    "Myanmar", "Myanmar script", "Myanmar", [];
    "Oriya", "Oriya script", "Oriya", [];
    "Sinhala", "Sinhala script", "Sinhala", [];
    "Syriac", "Syriac script", "Syriac", [];
    "Tamil", "Tamil script", "Tamil", [];
    "Telugu", "Telugu script", "Telugu", [];
    "Thaana", "Thaana script", "Thaana", [];
    "Thai", "Thai script", "Thai", [];
    "Tibetan", "Tibetan script", "Tibetan", [];
    "Vietnamese", "Vietnamese script", "Latin", [];
}

/// Finds the language a single code names, in any dialect the table knows.
///
/// Tesseract names match exactly first (they are case-sensitive: `Latin` the script model is not
/// `lat` the language); everything else matches case-insensitively, with `_` and `-` alike.
pub fn lookup(code: &str) -> Option<&'static Language> {
    let code = code.trim();
    if let Some(lang) = LANGUAGES.iter().find(|l| l.tesseract == code) {
        return Some(lang);
    }
    let folded = code.to_ascii_lowercase().replace('_', "-");
    LANGUAGES.iter().find(|l| {
        l.tesseract.to_ascii_lowercase().replace('_', "-") == folded
            || l.aliases.iter().any(|a| a.replace('_', "-") == folded)
    })
}

/// Every spelling [`lookup`] accepts for one language, as a caller would write it: the
/// Tesseract name and each alias, in both `_` and `-` forms (lower-case aliases; lookup also
/// takes other cases, which the pattern leaves out).
fn spellings(lang: &Language) -> impl Iterator<Item = String> + '_ {
    std::iter::once(lang.tesseract)
        .chain(lang.aliases.iter().copied())
        .flat_map(|code| {
            [
                code.to_owned(),
                code.replace('_', "-"),
                code.replace('-', "_"),
            ]
        })
}

/// The languages a `translate_to` may name: languages, not script models (`Latin`, `Cyrillic`).
pub fn is_script_model(lang: &Language) -> bool {
    lang.tesseract.starts_with(|c: char| c.is_ascii_uppercase())
}

/// One code of `languages` as a regular-expression alternation, longest spelling first.
fn alternation<'a>(languages: impl Iterator<Item = &'a Language>) -> String {
    let mut codes: Vec<String> = languages.flat_map(spellings).collect();
    codes.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    codes.dedup();
    codes.join("|")
}

/// The pattern (ECMA-262, as OpenAPI uses) of a `language` field [`LanguageSpec::parse`]
/// accepts: empty or `auto`, or known codes joined by `+` or `,`. Said in the OpenAPI
/// document so clients and validators know the codes before the server answers `400`.
pub fn request_pattern() -> String {
    let code = alternation(LANGUAGES.iter());
    format!("^(?:|auto|(?:{code})(?:[+,](?:{code}))*)$")
}

/// The pattern of a `translate_to` field: empty (no target, as if left out) or one language
/// code (no script models).
pub fn translate_target_pattern() -> String {
    let code = alternation(LANGUAGES.iter().filter(|l| !is_script_model(l)));
    format!("^(?:|{code})$")
}

/// What the caller asked for: automatic detection, or one or more named languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "mode", content = "tesseract")]
pub enum LanguageSpec {
    /// Let the server decide.
    #[default]
    Auto,
    /// Tesseract names in priority order, e.g. `["deu", "eng"]` for `de+en`.
    Named(Vec<String>),
}

impl LanguageSpec {
    /// Parses `auto`, a single code, or codes joined by `+` (`de+en`); an unknown code is named in
    /// the error. Duplicates collapse, keeping the first position.
    pub fn parse(input: &str) -> Result<LanguageSpec, Error> {
        let trimmed = input.trim();
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("auto") {
            return Ok(LanguageSpec::Auto);
        }
        let mut names: Vec<String> = Vec::new();
        for part in trimmed
            .split(['+', ','])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let lang = lookup(part).ok_or_else(|| Error::UnknownLanguage(part.to_owned()))?;
            if !names.iter().any(|n| n == lang.tesseract) {
                names.push(lang.tesseract.to_owned());
            }
        }
        if names.is_empty() {
            return Err(Error::UnknownLanguage(input.to_owned()));
        }
        Ok(LanguageSpec::Named(names))
    }

    /// The Tesseract language string (`deu+eng`), or `None` for automatic detection.
    pub fn tesseract(&self) -> Option<String> {
        match self {
            LanguageSpec::Auto => None,
            LanguageSpec::Named(names) => Some(names.join("+")),
        }
    }
}

impl fmt::Display for LanguageSpec {
    /// The canonical request string: `auto` or Tesseract names joined by `+`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tesseract() {
            None => f.write_str("auto"),
            Some(s) => f.write_str(&s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_in_every_dialect_resolve_to_tesseract_names() {
        for (input, expected) in [
            ("en", "eng"),
            ("de", "deu"),
            ("ch", "chi_sim"),
            ("ja", "jpn"),
            ("ar", "ara"),
            ("ru", "rus"),
            ("hi", "hin"),
            ("fra", "fra"),
            ("ger", "deu"),
            ("chi_sim", "chi_sim"),
            ("ZH-CN", "chi_sim"),
            ("Fraktur", "Fraktur"),
            ("Latin", "Latin"),
            ("lat", "lat"),
        ] {
            assert_eq!(
                LanguageSpec::parse(input),
                Ok(LanguageSpec::Named(vec![expected.to_owned()])),
                "input {input}"
            );
        }
    }

    #[test]
    fn every_spelling_in_the_patterns_is_accepted_and_only_languages_are_targets() {
        // The patterns are alternations of spellings: each must parse, and translate targets
        // must name languages, not script models.
        let pattern = request_pattern();
        let codes = pattern
            .trim_start_matches("^(?:|auto|(?:")
            .split(")(?:[+,]")
            .next()
            .unwrap();
        let codes: Vec<&str> = codes.split('|').collect();
        assert!(codes.len() >= LANGUAGES.len(), "{} codes", codes.len());
        for code in &codes {
            assert!(
                matches!(LanguageSpec::parse(code), Ok(LanguageSpec::Named(_))),
                "{code}"
            );
        }
        assert!(codes.contains(&"chi-sim") && codes.contains(&"zh-cn") && codes.contains(&"Latin"));
        let targets = translate_target_pattern();
        let targets: Vec<&str> = targets
            .trim_start_matches("^(?:|")
            .trim_end_matches(")$")
            .split('|')
            .collect();
        assert!(targets.contains(&"en") && targets.contains(&"deu"));
        for code in &targets {
            let lang = lookup(code).unwrap_or_else(|| panic!("{code}"));
            assert!(!is_script_model(lang), "{code}");
        }
        assert!(!targets.contains(&"Latin") && !targets.contains(&"Fraktur"));
    }

    #[test]
    fn combinations_keep_order_and_drop_duplicates() {
        assert_eq!(
            LanguageSpec::parse("de+en+deu")
                .unwrap()
                .tesseract()
                .as_deref(),
            Some("deu+eng")
        );
    }

    #[test]
    fn auto_and_unknown_codes() {
        assert_eq!(LanguageSpec::parse("AUTO"), Ok(LanguageSpec::Auto));
        assert_eq!(LanguageSpec::parse(""), Ok(LanguageSpec::Auto));
        assert_eq!(
            LanguageSpec::parse("de+xx"),
            Err(Error::UnknownLanguage("xx".into()))
        );
    }

    #[test]
    fn no_alias_names_two_languages() {
        let mut seen = std::collections::HashMap::new();
        for lang in LANGUAGES {
            for key in std::iter::once(&lang.tesseract).chain(lang.aliases.iter()) {
                let k = key.to_ascii_lowercase().replace('_', "-");
                if let Some(prev) = seen.insert(k.clone(), lang.tesseract) {
                    // Script models share lowercase spellings with nothing else except `lat`.
                    assert!(
                        prev.eq_ignore_ascii_case(lang.tesseract),
                        "{k} names both {prev} and {}",
                        lang.tesseract
                    );
                }
            }
        }
    }
}
