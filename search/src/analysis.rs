//! Tokenisation: one language-neutral analyser for every page, plus the language-aware ones
//! tantivy offers (Snowball stemmers with stop words, and character bigrams for CJK scripts).
//!
//! Pages name their Tesseract languages (`deu+eng`); each language with a stemmer gets its own
//! field, so German pages are stemmed as German and English pages as English, and a question is
//! analysed with the stemmers of the languages its job was indexed with. The neutral field
//! (lower-cased, ASCII-folded words) catches what stemming misses: numbers, names, OCR noise.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, NgramTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer, TokenizerManager,
};

/// Tokenizer name of the language-neutral text field.
pub(crate) const NEUTRAL: &str = "ocrchat_neutral";

/// Tokenizer name of the CJK bigram field.
pub(crate) const CJK: &str = "ocrchat_cjk";

/// Tokens longer than this are OCR garbage or base64, never words.
const MAX_TOKEN_BYTES: usize = 40;

/// A language with a Snowball stemmer: its field suffix and tantivy's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stemmed {
    /// Short code used in field names (`stem_en`).
    pub code: &'static str,
    /// tantivy's stemmer and stop-word language.
    pub language: Language,
}

/// Tesseract language names with a stemmer, and the stemmer.
pub(crate) const STEMMED: &[(&str, Stemmed)] = &[
    ("ara", stem("ar", Language::Arabic)),
    ("dan", stem("da", Language::Danish)),
    ("nld", stem("nl", Language::Dutch)),
    ("eng", stem("en", Language::English)),
    ("fin", stem("fi", Language::Finnish)),
    ("fra", stem("fr", Language::French)),
    ("deu", stem("de", Language::German)),
    ("ell", stem("el", Language::Greek)),
    ("hun", stem("hu", Language::Hungarian)),
    ("ita", stem("it", Language::Italian)),
    ("nor", stem("no", Language::Norwegian)),
    ("por", stem("pt", Language::Portuguese)),
    ("ron", stem("ro", Language::Romanian)),
    ("rus", stem("ru", Language::Russian)),
    ("spa", stem("es", Language::Spanish)),
    ("swe", stem("sv", Language::Swedish)),
    ("tam", stem("ta", Language::Tamil)),
    ("tur", stem("tr", Language::Turkish)),
];

const fn stem(code: &'static str, language: Language) -> Stemmed {
    Stemmed { code, language }
}

/// Tesseract models whose script has no spaces between words: indexed as character bigrams.
const CJK_LANGUAGES: &[&str] = &[
    "chi_sim",
    "chi_tra",
    "jpn",
    "kor",
    "chi_sim_vert",
    "chi_tra_vert",
    "jpn_vert",
    "kor_vert",
];

/// The analysis a page (or a job) needs, decided from its Tesseract language string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Languages {
    /// Stemmers to apply, without duplicates.
    pub stemmed: Vec<Stemmed>,
    /// Whether CJK bigrams are needed.
    pub cjk: bool,
}

impl Languages {
    /// Reads `deu+eng`-style strings (several may be given, one per page).
    pub fn from_tesseract<'a>(names: impl IntoIterator<Item = &'a str>) -> Languages {
        let mut out = Languages::default();
        for name in names.into_iter().flat_map(|n| n.split('+')) {
            let name = name.trim();
            if let Some((_, s)) = STEMMED.iter().find(|(t, _)| *t == name) {
                if !out.stemmed.contains(s) {
                    out.stemmed.push(*s);
                }
            }
            out.cjk |= CJK_LANGUAGES.contains(&name);
        }
        out
    }

    /// Stored form: codes joined by commas, `cjk` included when needed.
    pub fn encode(&self) -> String {
        let mut codes: Vec<&str> = self.stemmed.iter().map(|s| s.code).collect();
        if self.cjk {
            codes.push("cjk");
        }
        codes.join(",")
    }

    /// Reads the stored form back; unknown codes are ignored.
    pub fn decode(stored: &str) -> Languages {
        let mut out = Languages::default();
        for code in stored.split(',') {
            if code == "cjk" {
                out.cjk = true;
            } else if let Some((_, s)) = STEMMED.iter().find(|(_, s)| s.code == code) {
                out.stemmed.push(*s);
            }
        }
        out
    }
}

/// The field (and tokenizer) name of a stemmed language.
pub(crate) fn stem_field(code: &str) -> String {
    format!("stem_{code}")
}

fn base() -> tantivy::tokenizer::TextAnalyzerBuilder {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .dynamic()
}

/// Registers the indexing analysers on an index's tokenizer manager (they are not persisted, so
/// every open registers them again).
pub(crate) fn register(manager: &TokenizerManager) -> tantivy::Result<()> {
    manager.register(NEUTRAL, base().filter_dynamic(AsciiFoldingFilter).build());
    for (_, s) in STEMMED {
        manager.register(
            &stem_field(s.code),
            base().filter_dynamic(Stemmer::new(s.language)).build(),
        );
    }
    manager.register(
        CJK,
        TextAnalyzer::builder(NgramTokenizer::new(2, 2, false)?)
            .filter(LowerCaser)
            .build(),
    );
    Ok(())
}

fn tokens(mut analyzer: TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token().text.clone();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Words of questions and chat requests that tantivy's English list (Lucene's, 33 words) keeps
/// but that say nothing about a document: left in, "What is …?" would match every "what" in it.
const QUESTION_WORDS: &[&str] = &[
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "does",
    "did",
    "do",
    "has",
    "have",
    "had",
    "can",
    "could",
    "would",
    "should",
    "may",
    "might",
    "must",
    "shall",
    "am",
    "been",
    "being",
    "me",
    "my",
    "you",
    "your",
    "i",
    "we",
    "our",
    "us",
    "he",
    "she",
    "him",
    "her",
    "his",
    "its",
    "them",
    "tell",
    "say",
    "says",
    "said",
    "please",
    "about",
    "document",
    "page",
    "pages",
    "text",
    "mention",
    "mentioned",
    "mentions",
    "any",
    "some",
    "all",
    "from",
    "were",
    "so",
    "than",
    "too",
    "very",
    "just",
    "also",
    "only",
    "give",
    "show",
    "find",
    "list",
];

fn question_words() -> StopWordFilter {
    StopWordFilter::remove(QUESTION_WORDS.iter().map(|w| (*w).to_owned()))
}

/// Query terms for the neutral field: stop words of English and of the job's languages removed
/// (a question is mostly function words), single letters dropped.
pub(crate) fn neutral_query_terms(question: &str, languages: &Languages) -> Vec<String> {
    let mut builder = base().filter_dynamic(question_words());
    let mut stop_languages = vec![Language::English];
    stop_languages.extend(languages.stemmed.iter().map(|s| s.language));
    for language in stop_languages {
        if let Some(filter) = StopWordFilter::new(language) {
            builder = builder.filter_dynamic(filter);
        }
    }
    tokens(builder.filter_dynamic(AsciiFoldingFilter).build(), question)
        .into_iter()
        .filter(|t| t.chars().count() > 1 || t.chars().all(|c| c.is_ascii_digit()))
        .collect()
}

/// Query terms for a stemmed field: the language's stop words removed, then stemmed.
pub(crate) fn stemmed_query_terms(question: &str, stemmed: Stemmed) -> Vec<String> {
    let mut builder = base();
    if stemmed.language == Language::English {
        builder = builder.filter_dynamic(question_words());
    }
    if let Some(filter) = StopWordFilter::new(stemmed.language) {
        builder = builder.filter_dynamic(filter);
    }
    tokens(
        builder
            .filter_dynamic(Stemmer::new(stemmed.language))
            .build(),
        question,
    )
    .into_iter()
    .filter(|t| t.chars().count() > 1)
    .collect()
}

/// Every term of a text as the fields index it, for comparing short texts without an index:
/// neutral terms as they are, each stemmed language's terms prefixed with its code (`en:invoic`),
/// CJK bigrams prefixed with `cjk:`.
pub(crate) fn text_terms(text: &str, languages: &Languages) -> Vec<String> {
    let mut out = tokens(base().filter_dynamic(AsciiFoldingFilter).build(), text);
    for stemmed in &languages.stemmed {
        let analyzer = base()
            .filter_dynamic(Stemmer::new(stemmed.language))
            .build();
        out.extend(
            tokens(analyzer, text)
                .into_iter()
                .map(|t| format!("{}:{t}", stemmed.code)),
        );
    }
    if languages.cjk {
        if let Ok(tokenizer) = NgramTokenizer::new(2, 2, false) {
            let analyzer = TextAnalyzer::builder(tokenizer).filter(LowerCaser).build();
            out.extend(
                tokens(analyzer, text)
                    .into_iter()
                    .map(|t| format!("cjk:{t}")),
            );
        }
    }
    out
}

/// The terms of a question in the form `text_terms` gives a text: what a unit must contain to
/// match it lexically (stop words removed as for the index query).
pub(crate) fn question_terms(question: &str, languages: &Languages) -> Vec<String> {
    let mut out = neutral_query_terms(question, languages);
    for stemmed in &languages.stemmed {
        out.extend(
            stemmed_query_terms(question, *stemmed)
                .into_iter()
                .map(|t| format!("{}:{t}", stemmed.code)),
        );
    }
    if languages.cjk {
        if let Ok(terms) = cjk_query_terms(question) {
            out.extend(terms.into_iter().map(|t| format!("cjk:{t}")));
        }
    }
    out
}

/// Query bigrams for the CJK field: only those made of two non-space, non-ASCII characters, so
/// Latin words in a question do not match random letter pairs.
pub(crate) fn cjk_query_terms(question: &str) -> tantivy::Result<Vec<String>> {
    let analyzer = TextAnalyzer::builder(NgramTokenizer::new(2, 2, false)?)
        .filter(LowerCaser)
        .build();
    Ok(tokens(analyzer, question)
        .into_iter()
        .filter(|t| t.chars().all(|c| !c.is_whitespace() && !c.is_ascii()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_come_from_tesseract_names() {
        for (name, input, stems, cjk) in [
            ("english", vec!["eng"], vec!["en"], false),
            (
                "two pages, three languages",
                vec!["deu+eng", "fra"],
                vec!["de", "en", "fr"],
                false,
            ),
            ("script model only", vec!["deu+Fraktur"], vec!["de"], false),
            ("cjk", vec!["chi_sim+eng"], vec!["en"], true),
            ("unknown", vec!["xyz", ""], vec![], false),
        ] {
            let l = Languages::from_tesseract(input);
            let codes: Vec<&str> = l.stemmed.iter().map(|s| s.code).collect();
            assert_eq!((codes, l.cjk), (stems, cjk), "case: {name}");
            assert_eq!(Languages::decode(&l.encode()), l, "case: {name} round trip");
        }
    }

    #[test]
    fn questions_lose_stop_words_and_get_stemmed() {
        let en = Languages::from_tesseract(["eng"]);
        assert_eq!(
            neutral_query_terms("What is the total of the invoices in 1938?", &en),
            vec!["total", "invoices", "1938"]
        );
        assert_eq!(
            stemmed_query_terms("What is the total of the invoices?", en.stemmed[0]),
            vec!["total", "invoic"]
        );
        let de = Languages::from_tesseract(["deu"]);
        let terms = neutral_query_terms("Wer hat die Grüße geschickt?", &de);
        assert!(
            terms.ends_with(&["grusse".to_owned(), "geschickt".to_owned()]),
            "{terms:?}"
        );
        assert!(!terms.iter().any(|t| t == "die" || t == "hat"), "{terms:?}");
        assert!(neutral_query_terms("Is it?", &en).is_empty());
    }

    #[test]
    fn cjk_questions_become_bigrams() {
        assert_eq!(
            cjk_query_terms("東京 tower 駅").unwrap(),
            vec!["東京".to_owned()]
        );
    }
}
