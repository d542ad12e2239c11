//! The seam between the OCR pool and the engines that turn a page image into a
//! [`domain::PageResult`]: Tesseract ([`super::ocr`]) and PP-OCR ([`super::ppocr`]).
//!
//! Each pool thread owns one [`Engines`]: one instance of every engine, created lazily on the
//! thread's first page for it (a loaded PP-OCR is ~100 MB, Tesseract 10–100 MB a language), so
//! CPU-bound inference always runs on a pool thread, with the pool's priorities and exactly as
//! many pages at once as it has threads. A new page-image engine is one module implementing
//! [`Engine`] plus its [`EngineKind`] variant. The two other sources of a page's text are not
//! page-image engines and stay outside the pool: a PDF's own text layer (`pdf`, read with the
//! page) and the vision model (an HTTP call, `crate::vlm`).

use super::{
    ocr::{tesseract, OcrError},
    ppocr::{Crew, PpOcr, PpOcrConfig, PpOcrError, Reading},
    raster::PageImage,
};
use domain::{engine::Effort, PageResult};

/// Which engine a pool request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineKind {
    /// Tesseract with the request's languages.
    Tesseract,
    /// PP-OCRv6 (the request's languages are only recorded in the result).
    PpOcr,
}

impl EngineKind {
    /// The name written into `pages[].engine`.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Tesseract => tesseract::ENGINE_NAME,
            EngineKind::PpOcr => super::ppocr::ENGINE_NAME,
        }
    }
}

/// One page-image engine as a pool thread holds it.
pub trait Engine: Send {
    /// Reads one page: text in reading order, blocks → lines → words with boxes in the page's
    /// pixels and confidences in 0..1. Blocking; called on a pool thread, never on the executor.
    /// `languages` is a Tesseract language string (`deu+eng`), a hint to engines that need one;
    /// `effort` lets an engine read a second opinion more cheaply (`domain::engine::Effort`);
    /// `crew` is the pool's idle threads, which an engine may share its work with
    /// (`super::ppocr::Crew`).
    fn recognise(
        &mut self,
        page: &PageImage,
        languages: &str,
        effort: Effort,
        crew: &dyn Crew,
    ) -> Result<PageResult, OcrError>;
    /// Frees what the engine keeps between pages (the thread has been idle a while).
    fn release(&mut self) {}
    /// Forgets any state kept for `languages` after a failure.
    fn discard(&mut self, _languages: &str) {}
}

impl Engine for tesseract::Engines {
    /// Tesseract has nothing cheaper to offer: every effort reads the same. Its reading of a
    /// page is one call that cannot be shared.
    fn recognise(
        &mut self,
        page: &PageImage,
        languages: &str,
        _effort: Effort,
        _crew: &dyn Crew,
    ) -> Result<PageResult, OcrError> {
        tesseract::Engines::recognize(self, page, languages)
    }
    fn release(&mut self) {
        tesseract::Engines::release(self);
    }
    fn discard(&mut self, languages: &str) {
        tesseract::Engines::discard(self, languages);
    }
}

/// PP-OCR as a pool thread holds it: loaded on its first page, dropped when the thread idles.
pub struct PpOcrEngine {
    config: Option<PpOcrConfig>,
    loaded: Option<PpOcr>,
}

impl PpOcrEngine {
    /// An engine that loads from `config` when first used; `None` answers every page with
    /// [`OcrError::EngineUnavailable`] (the server was started without the models).
    pub fn new(config: Option<PpOcrConfig>) -> PpOcrEngine {
        PpOcrEngine {
            config,
            loaded: None,
        }
    }
}

fn unavailable(detail: impl std::fmt::Display) -> OcrError {
    OcrError::EngineUnavailable {
        engine: EngineKind::PpOcr.name(),
        detail: detail.to_string(),
    }
}

impl PpOcrEngine {
    /// The loaded engine, loading it on first use.
    fn loaded(&mut self) -> Result<&PpOcr, OcrError> {
        let engine = match self.loaded.take() {
            Some(engine) => engine,
            None => {
                let config = self
                    .config
                    .as_ref()
                    .ok_or_else(|| unavailable("this server has no PP-OCR models configured"))?;
                let started = std::time::Instant::now();
                let engine = PpOcr::load(config).map_err(unavailable)?;
                tracing::debug!(
                    ms = started.elapsed().as_secs_f64() * 1000.0,
                    "pp-ocr loaded on this pool thread"
                );
                engine
            }
        };
        Ok(self.loaded.insert(engine))
    }

    /// Makes runs of another thread's `reading` while `stop` allows, and says how many; `None`
    /// when PP-OCR cannot be loaded on this thread. A thread that has not read a page with
    /// PP-OCR yet loads it first, unless `stop` or the reading say there is no point: loading
    /// takes a fraction of a page's recognition, and the thread keeps it for its own pages.
    pub(crate) fn help(&mut self, reading: &Reading, stop: &dyn Fn() -> bool) -> Option<usize> {
        if self.loaded.is_none() && (stop() || !reading.has_more()) {
            return Some(0);
        }
        let engine = self.loaded().ok()?;
        Some(reading.help(engine, stop))
    }
}

impl Engine for PpOcrEngine {
    fn recognise(
        &mut self,
        page: &PageImage,
        languages: &str,
        effort: Effort,
        crew: &dyn Crew,
    ) -> Result<PageResult, OcrError> {
        let mut result = self
            .loaded()?
            .recognize_shared(page, effort, crew)
            .map_err(|err| match err {
                PpOcrError::Inference { .. } => OcrError::Recognition {
                    page: page.index,
                    detail: err.to_string(),
                },
                other => unavailable(other),
            })?;
        result.language = languages.to_owned();
        Ok(result)
    }

    fn release(&mut self) {
        self.loaded = None;
    }
}

/// Every engine of one pool thread.
pub struct Engines {
    tesseract: tesseract::Engines,
    ppocr: PpOcrEngine,
}

impl Engines {
    /// The engines of one thread.
    pub(crate) fn new(tesseract: tesseract::Engines, ppocr: PpOcrEngine) -> Engines {
        Engines { tesseract, ppocr }
    }

    /// The engine of `kind`.
    pub fn get(&mut self, kind: EngineKind) -> &mut dyn Engine {
        match kind {
            EngineKind::Tesseract => &mut self.tesseract,
            EngineKind::PpOcr => &mut self.ppocr,
        }
    }

    /// Lends this thread to another's PP-OCR `reading` (see [`PpOcrEngine::help`]).
    pub(crate) fn help(&mut self, reading: &Reading, stop: &dyn Fn() -> bool) -> Option<usize> {
        self.ppocr.help(reading, stop)
    }

    /// Tesseract itself, for orientation detection (an OSD model, not a reading).
    pub(crate) fn tesseract(&mut self) -> &mut tesseract::Engines {
        &mut self.tesseract
    }

    /// Releases every engine, then hands what they held back to the system.
    pub fn release(&mut self) {
        self.tesseract.release();
        self.ppocr.release();
        return_freed_native_memory();
    }
}

/// Returns memory freed by native code to the system.
///
/// Tesseract, ONNX Runtime and pdfium allocate with glibc's malloc (only Rust code uses
/// mimalloc), and glibc keeps freed pages in its arenas, one per thread that allocated: after
/// the engines of both pool threads were dropped, an idle server still held 417 MB. Trimming
/// every arena once all engines of a thread are gone gives them back.
pub(crate) fn return_freed_native_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only walks glibc's own free lists; it is safe from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
