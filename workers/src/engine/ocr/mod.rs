//! Tesseract on a pool of dedicated threads, fed by a priority queue.
//!
//! - **Threads, not tasks.** N OS threads (default: the number of cores) each own their
//!   Tesseract instances. Async callers wait on a oneshot channel, so Tesseract never runs on
//!   the executor, and at most N pages are recognised at once whatever the number of jobs.
//! - **Priority.** Requests are served highest `priority` first, first come first served within
//!   a priority, so paid jobs can overtake free ones page by page.
//! - **Failure isolation.** A Rust panic while handling a request (in the bindings or in result
//!   extraction) is caught; that request fails with [`OcrError::Panicked`], the instance it used
//!   is dropped and rebuilt on the next request, and the thread keeps serving. (A crash inside
//!   the C++ library itself, a segfault, cannot be caught in-process; the job queue's retry
//!   limits bound a file that does that.)
//! - **Cancellation.** A request whose caller stopped waiting (its future was dropped) is
//!   skipped when its turn comes.
//!
//! # `OMP_THREAD_LIMIT=1`
//!
//! Debian's libtesseract uses OpenMP; with its default thread count a dense page took 4.8 s
//! instead of 0.65 s on two shared cores, because OpenMP threads spin against each other and
//! against the other pool threads. Parallelism comes from the pool instead. The variable must be
//! in the environment **when the process starts**: libgomp reads it in a load-time constructor,
//! before `main`, so `std::env::set_var` in the pool constructor has no effect on this process
//! (verified: a program that sets it at the top of `main` still gets the default limit). Binaries
//! call [`reexec_with_omp_thread_limit`] first thing in `main` (or are started with the variable
//! set); [`OcrPool::new`] logs a warning when it is missing.

mod pool;
pub(crate) mod tesseract;

pub use pool::OcrPool;

use crate::engine::raster::PageImage;
use std::path::{Path, PathBuf};

/// The environment variable libgomp reads at load time.
pub const OMP_THREAD_LIMIT: &str = "OMP_THREAD_LIMIT";

/// Tesseract's orientation and script detection model (`osd.traineddata`).
pub const OSD_MODEL: &str = "osd";

/// What Tesseract's orientation and script detection found on a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Orientation {
    /// Clockwise degrees (0, 90, 180, 270) to turn the page image by so its text stands upright.
    pub rotate: u16,
    /// How sure OSD is of the orientation (Tesseract's margin; above ~5 is a clear call, under 2
    /// is noise).
    pub orientation_confidence: f32,
    /// The script OSD found, in Tesseract's names (`Latin`, `Cyrillic`, `Han`, `Fraktur`, …).
    pub script: String,
    /// How sure OSD is of the script (same scale as `orientation_confidence`).
    pub script_confidence: f32,
}

/// One page to recognise.
#[derive(Debug, Clone)]
pub struct OcrRequest {
    /// The page image; its `index` and `dpi` are carried into the result.
    pub image: PageImage,
    /// Tesseract language string, e.g. `deu+eng` (names of installed `.traineddata` files joined
    /// by `+`). `auto` is not understood here: callers resolve it first.
    pub languages: String,
    /// Higher is served first; equal priorities are served in arrival order.
    pub priority: u8,
}

/// Why a page could not be recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcrError {
    /// The language string is malformed (empty parts, characters no traineddata name has).
    #[error("invalid language string '{0}'")]
    InvalidLanguages(String),
    /// Some languages have no traineddata file in the tessdata directory.
    #[error("language data not installed: {}", missing.join(", "))]
    LanguageNotInstalled {
        /// The string asked for.
        languages: String,
        /// The parts without a traineddata file.
        missing: Vec<String>,
    },
    /// Tesseract refused to initialise with these languages (a damaged traineddata file).
    #[error("the text recogniser could not load '{languages}': {detail}")]
    Init {
        /// The string asked for.
        languages: String,
        /// What failed.
        detail: String,
    },
    /// Tesseract returned an error for the page.
    #[error("the text recogniser failed on page {}: {detail}", page + 1)]
    Recognition {
        /// 0-based page index.
        page: u32,
        /// What failed.
        detail: String,
    },
    /// A panic was caught while recognising the page; the instance was replaced.
    #[error("the text recogniser crashed on page {}: {detail}", page + 1)]
    Panicked {
        /// 0-based page index.
        page: u32,
        /// The panic message.
        detail: String,
    },
    /// The pool is shut down (or lost all its threads); another worker may succeed.
    #[error("the ocr pool is shut down")]
    PoolClosed,
    /// The engine asked for is not installed or would not load here (PP-OCR's models or ONNX
    /// Runtime missing): permanent on this server.
    #[error("the {engine} engine is unavailable: {detail}")]
    EngineUnavailable {
        /// The engine's name.
        engine: &'static str,
        /// Why, naming the missing file.
        detail: String,
    },
}

impl OcrError {
    /// Whether retrying the same page can help. Everything about the request, the page or the
    /// installed data is permanent; only a closed pool (this process shutting down) is not.
    pub fn is_permanent(&self) -> bool {
        match self {
            OcrError::InvalidLanguages(_)
            | OcrError::LanguageNotInstalled { .. }
            | OcrError::Init { .. }
            | OcrError::Recognition { .. }
            | OcrError::Panicked { .. }
            | OcrError::EngineUnavailable { .. } => true,
            OcrError::PoolClosed => false,
        }
    }
}

/// How the pool is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcrOptions {
    /// Recognition threads (at least 1). Default: available cores.
    pub threads: usize,
    /// Directory of `*.traineddata` files.
    pub tessdata: PathBuf,
    /// Tesseract page segmentation mode; default 3 (fully automatic), as the `tesseract` command.
    pub page_seg_mode: u8,
    /// Initialised language strings kept per thread (least recently used dropped first).
    /// Default 4: a model takes 10–100 MB.
    pub cached_languages: usize,
    /// Where PP-OCR's models and runtime are; `None` (the default) serves Tesseract only.
    pub ppocr: Option<crate::engine::ppocr::PpOcrConfig>,
}

impl OcrOptions {
    /// Defaults for `tessdata`: one thread per core, automatic segmentation, 4 cached languages.
    pub fn new(tessdata: impl Into<PathBuf>) -> Self {
        OcrOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            tessdata: tessdata.into(),
            page_seg_mode: 3,
            cached_languages: 4,
            ppocr: None,
        }
    }
}

/// Names of the installed languages and scripts: the `*.traineddata` files in `tessdata`,
/// sorted. An unreadable directory yields an empty list (the caller decides whether that is
/// fatal). `osd` is included when installed; it is not a language but a request for it works.
pub fn installed_languages(tessdata: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(tessdata) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let language = name.strip_suffix(".traineddata")?;
            (!language.is_empty()).then(|| language.to_owned())
        })
        .collect();
    names.sort();
    names
}

/// Re-executes the current program with `OMP_THREAD_LIMIT=1` when the variable is not set; a
/// no-op when it is.
///
/// Call it first thing in `main`, before any thread exists: libgomp only reads the variable
/// when it is loaded (see the module docs). On success it does not return (the process image
/// is replaced, same pid, arguments kept); an `Err` means the exec failed and the process goes
/// on unchanged.
pub fn reexec_with_omp_thread_limit() -> std::io::Result<()> {
    use std::os::unix::process::CommandExt;
    if std::env::var_os(OMP_THREAD_LIMIT).is_some() {
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    Err(command.args(args).env(OMP_THREAD_LIMIT, "1").exec())
}

/// Checks a `+`-joined language string: well-formed names (no path tricks reach Tesseract's
/// file loading), each with a traineddata file.
fn check_languages(languages: &str, tessdata: &Path) -> Result<(), OcrError> {
    let parts: Vec<&str> = languages.split('+').collect();
    let well_formed = |part: &&str| {
        !part.is_empty()
            && part.len() <= 64
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !parts.iter().all(well_formed) {
        return Err(OcrError::InvalidLanguages(languages.to_owned()));
    }
    let missing: Vec<String> = parts
        .iter()
        .filter(|part| !tessdata.join(format!("{part}.traineddata")).is_file())
        .map(|part| (*part).to_owned())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(OcrError::LanguageNotInstalled {
            languages: languages.to_owned(),
            missing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn temp_tessdata(name: &str, languages: &[&str]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ocrchat-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for language in languages {
            std::fs::write(dir.join(format!("{language}.traineddata")), b"").unwrap();
        }
        dir
    }

    #[test]
    fn language_strings_are_checked_before_tesseract_sees_them() {
        let dir = temp_tessdata("languages", &["eng", "deu"]);
        assert_eq!(check_languages("deu+eng", &dir), Ok(()));
        assert_eq!(
            check_languages("deu+fra", &dir),
            Err(OcrError::LanguageNotInstalled {
                languages: "deu+fra".into(),
                missing: vec!["fra".into()]
            })
        );
        for bad in ["", "eng+", "../eng", "e ng", "eng\0"] {
            assert_eq!(
                check_languages(bad, &dir),
                Err(OcrError::InvalidLanguages(bad.into())),
                "{bad:?}"
            );
        }
        assert_eq!(installed_languages(&dir), vec!["deu", "eng"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
