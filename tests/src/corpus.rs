//! The shared developer corpus (`../shared/corpus`): real scans with ground truth.

use std::path::PathBuf;

/// One row of `manifest.tsv`.
#[derive(Debug, Clone)]
pub struct Entry {
    /// File name in the corpus directory.
    pub file: String,
    /// Ground-truth file name.
    pub gt: String,
    /// Page count.
    pub pages: u32,
    /// ISO 639-1 language.
    pub lang: String,
    /// Tesseract language string the reference run used.
    pub tess: String,
    /// Kind of document (`receipt-scan`, `typewritten`, …).
    pub kind: String,
    /// `casefold` or `exact`.
    pub compare: String,
}

impl Entry {
    /// Absolute path of the file.
    pub fn path(&self) -> PathBuf {
        dir().join(&self.file)
    }

    /// The ground-truth text.
    pub fn ground_truth(&self) -> String {
        std::fs::read_to_string(dir().join(&self.gt)).expect("ground truth readable")
    }

    /// Whether scoring ignores case.
    pub fn casefold(&self) -> bool {
        self.compare == "casefold"
    }
}

/// The corpus directory: `$OCRCHAT_CORPUS`, else `../shared/corpus` next to the workspace.
pub fn dir() -> PathBuf {
    std::env::var_os("OCRCHAT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("../shared/corpus"))
}

/// A file under `corpus/bad/`.
pub fn bad(name: &str) -> PathBuf {
    dir().join("bad").join(name)
}

/// Every manifest row.
pub fn manifest() -> Vec<Entry> {
    let text =
        std::fs::read_to_string(dir().join("manifest.tsv")).expect("corpus manifest readable");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            Entry {
                file: cols[0].to_owned(),
                gt: cols[1].to_owned(),
                pages: cols[2].parse().expect("page count"),
                lang: cols[3].to_owned(),
                tess: cols[4].to_owned(),
                kind: cols[5].to_owned(),
                compare: cols[6].to_owned(),
            }
        })
        .collect()
}

/// The manifest row for a file.
pub fn entry(file: &str) -> Entry {
    manifest()
        .into_iter()
        .find(|e| e.file == file)
        .unwrap_or_else(|| panic!("{file} is not in the corpus manifest"))
}
