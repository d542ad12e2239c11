//! OCR accuracy against ground truth: character and word error rates.
//!
//! The rules are the corpus's (`corpus/README.md`, "How we score"), so tests, benchmarks and the
//! held-out evaluation agree on one number:
//! - both texts are normalised: Unicode NFC, every run of whitespace (newlines and form feeds
//!   included) collapsed to one space, trimmed; on `casefold` files both sides are case-folded;
//! - CER = Levenshtein distance over characters / number of reference characters;
//! - WER = Levenshtein distance over whitespace-separated words / number of reference words;
//! - totals are micro-averaged: add up [`Score`]s, then take the rate.
//!
//! [`read_manifest`] and [`ground_truth_pages`] read a corpus laid out like `corpus/` (a
//! `manifest.tsv` and `NAME.gt.txt` files, pages separated by form feeds).

use std::{
    ops::{Add, AddAssign},
    path::Path,
};
use unicode_normalization::UnicodeNormalization;

/// One file of a scoring corpus: a row of its `manifest.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusFile {
    /// File name inside the corpus directory.
    pub file: String,
    /// Ground-truth file name inside the corpus directory.
    pub ground_truth: String,
    /// Pages in the file (and form-feed-separated pages in the ground truth).
    pub pages: u32,
    /// Tesseract language string to recognise it with (`tess` column).
    pub languages: String,
    /// Whether both sides are case-folded before comparing (`compare` = `casefold`).
    pub casefold: bool,
    /// The kind of document (`kind` column: `receipt-scan`, `handwritten`, …; empty if absent).
    pub kind: String,
}

/// Reads `manifest.tsv` from a corpus directory. Columns are found by their header names
/// (`file`, `gt`, `pages`, `tess`, `compare`), so added columns do not matter.
pub fn read_manifest(corpus: &Path) -> std::io::Result<Vec<CorpusFile>> {
    let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let text = std::fs::read_to_string(corpus.join("manifest.tsv"))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| invalid(format!("manifest.tsv has no '{name}' column")))
    };
    let (file, gt, pages, tess, compare) = (
        column("file")?,
        column("gt")?,
        column("pages")?,
        column("tess")?,
        column("compare")?,
    );
    let kind = column("kind").ok();
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let col = |i: usize| {
                cols.get(i)
                    .copied()
                    .ok_or_else(|| invalid(format!("short manifest row: {line}")))
            };
            Ok(CorpusFile {
                file: col(file)?.to_owned(),
                ground_truth: col(gt)?.to_owned(),
                pages: col(pages)?
                    .parse()
                    .map_err(|_| invalid(format!("bad page count in: {line}")))?,
                languages: col(tess)?.to_owned(),
                casefold: col(compare)? == "casefold",
                kind: kind
                    .and_then(|k| cols.get(k))
                    .map_or_else(String::new, |k| (*k).to_owned()),
            })
        })
        .collect()
}

/// A ground-truth text split into its pages (form feeds separate pages).
pub fn ground_truth_pages(text: &str) -> Vec<&str> {
    text.split('\u{c}').collect()
}

/// Edits against a reference: a rate is `edits / reference_len`, summed before dividing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Score {
    /// Levenshtein distance (insertions, deletions and substitutions).
    pub edits: usize,
    /// Length of the normalised reference, in the unit that was compared (chars or words).
    pub reference_len: usize,
}

impl Score {
    /// The error rate, 0 for a perfect match; above 1 when the hypothesis adds more than the
    /// reference has. An empty reference gives 0 for an empty hypothesis and 1 otherwise, so an
    /// engine that invents text on a blank page is never scored as perfect.
    pub fn rate(&self) -> f64 {
        if self.reference_len == 0 {
            return if self.edits == 0 { 0.0 } else { 1.0 };
        }
        self.edits as f64 / self.reference_len as f64
    }
}

impl Add for Score {
    type Output = Score;
    fn add(self, other: Score) -> Score {
        Score {
            edits: self.edits + other.edits,
            reference_len: self.reference_len + other.reference_len,
        }
    }
}

impl AddAssign for Score {
    fn add_assign(&mut self, other: Score) {
        *self = *self + other;
    }
}

impl std::iter::Sum for Score {
    fn sum<I: Iterator<Item = Score>>(iter: I) -> Score {
        iter.fold(Score::default(), Add::add)
    }
}

/// Normalises a text for scoring: NFC, whitespace runs to one space, trimmed, and case-folded
/// when `casefold` is set.
///
/// Case folding is `to_uppercase().to_lowercase()`, which matches Unicode full case folding on
/// the cases that matter for OCR (`ß` → `ss`, final sigma → `σ`) without a folding table.
pub fn normalize(text: &str, casefold: bool) -> String {
    let nfc: String = text.nfc().collect();
    let folded = if casefold {
        nfc.to_uppercase().to_lowercase().nfc().collect()
    } else {
        nfc
    };
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Character-level edits of `hypothesis` against `reference`, both normalised first.
pub fn char_score(reference: &str, hypothesis: &str, casefold: bool) -> Score {
    let reference: Vec<char> = normalize(reference, casefold).chars().collect();
    let hypothesis: Vec<char> = normalize(hypothesis, casefold).chars().collect();
    Score {
        edits: levenshtein(&reference, &hypothesis),
        reference_len: reference.len(),
    }
}

/// Word-level edits of `hypothesis` against `reference`, both normalised first.
pub fn word_score(reference: &str, hypothesis: &str, casefold: bool) -> Score {
    let reference = normalize(reference, casefold);
    let hypothesis = normalize(hypothesis, casefold);
    let reference: Vec<&str> = reference.split(' ').filter(|w| !w.is_empty()).collect();
    let hypothesis: Vec<&str> = hypothesis.split(' ').filter(|w| !w.is_empty()).collect();
    Score {
        edits: levenshtein(&reference, &hypothesis),
        reference_len: reference.len(),
    }
}

/// Character error rate of one text (see [`Score::rate`] for the empty-reference rule).
pub fn cer(reference: &str, hypothesis: &str, casefold: bool) -> f64 {
    char_score(reference, hypothesis, casefold).rate()
}

/// Word error rate of one text.
pub fn wer(reference: &str, hypothesis: &str, casefold: bool) -> f64 {
    word_score(reference, hypothesis, casefold).rate()
}

/// Levenshtein distance with unit costs, in O(len(a) · len(b)) time and O(len(b)) memory.
pub fn levenshtein<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    if a.is_empty() {
        return b.len();
    }
    if b.is_empty() {
        return a.len();
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0usize; b.len() + 1];
    for (i, item_a) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, item_b) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(item_a != item_b);
            let deletion = previous[j + 1] + 1;
            let insertion = current[j] + 1;
            current[j + 1] = substitution.min(deletion).min(insertion);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_counts_unit_edits() {
        for (a, b, expected) in [
            ("", "", 0),
            ("abc", "", 3),
            ("", "abc", 3),
            ("kitten", "sitting", 3),
            ("flaw", "lawn", 2),
            ("same", "same", 0),
        ] {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            assert_eq!(levenshtein(&a, &b), expected, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn normalisation_follows_the_corpus_rules() {
        // Decomposed "é" (e + combining acute) becomes one NFC character.
        assert_eq!(
            normalize("  Caf\u{65}\u{301}\n\n\u{c}au  lait ", false),
            "Café au lait"
        );
        assert_eq!(normalize("TOTAL  Straße", true), "total strasse");
        assert_eq!(normalize("TOTAL", false), "TOTAL");
    }

    #[test]
    fn rates_are_micro_averaged() {
        let a = char_score("abcd", "abcx", false);
        let b = char_score("ab", "", false);
        assert_eq!(
            a,
            Score {
                edits: 1,
                reference_len: 4
            }
        );
        assert_eq!(
            b,
            Score {
                edits: 2,
                reference_len: 2
            }
        );
        assert!(((a + b).rate() - 0.5).abs() < 1e-12);
        assert!((cer("Total 12", "total 12", true)).abs() < 1e-12);
        assert!((cer("Total 12", "total 12", false) - 1.0 / 8.0).abs() < 1e-12);
        assert!((wer("one two three", "one too three", false) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn manifests_are_read_by_column_name() {
        let dir = std::env::temp_dir().join(format!("ocrchat-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("manifest.tsv"),
            "file\tgt\tpages\tlang\ttess\tkind\tcompare\n\
             a.jpg\ta.gt.txt\t1\ten\teng\treceipt\tcasefold\n\
             b.pdf\tb.gt.txt\t2\tde\tdeu+Fraktur\tprint\texact\n",
        )
        .unwrap();
        let files = read_manifest(&dir).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(
            files[1],
            CorpusFile {
                file: "b.pdf".into(),
                ground_truth: "b.gt.txt".into(),
                pages: 2,
                languages: "deu+Fraktur".into(),
                casefold: false,
                kind: "print".into(),
            }
        );
        assert!(files[0].casefold);
        assert_eq!(ground_truth_pages("one\u{c}two"), vec!["one", "two"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_empty_reference_is_perfect_only_for_an_empty_hypothesis() {
        assert_eq!(cer("", "  ", false), 0.0);
        assert_eq!(cer("", "noise", false), 1.0);
    }
}
