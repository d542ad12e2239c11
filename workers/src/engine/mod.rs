//! The recognition engines: from uploaded bytes to a [`domain::PageResult`].
//!
//! The path of one page: `input::inspect` (at upload: type, page count, sizes, refusals), then
//! `raster::render_page` (one page image, grey or colour, with its dpi; PDFs through
//! `pdf::PdfEngine`), then `ocr::OcrPool::recognize` (Tesseract on a dedicated thread).
//! `score` measures results against ground truth for tests and benchmarks.
//! `tables` finds tables in a recognised page, from its word positions (the `extract-tables` tool).
//! `auto` turns pages upright (Tesseract OSD) and reads `language=auto` pages: script model
//! first, then the language `detect` identifies in that text.
//!
//! Design choices a newcomer may question:
//! - Every refusal of a file is an [`input::InputError`] with a sentence a user understands,
//!   decided from headers before anything large is decoded: a 437 KB PNG that would decode to
//!   3.6 gigapixels is refused from its 33-byte header, with flat memory.
//! - Tesseract runs on its own OS threads, never on the async executor or tokio's blocking pool,
//!   so a slow page cannot starve HTTP handlers and the number of concurrent Tesseract runs is
//!   exactly the pool size (what the CPU can give).
//! - pdfium is not thread-safe: one process-wide engine serialises every document operation
//!   behind one lock (rasterising does not parallelise; it is ~60 ms a page, OCR is ~1 s).
//! - Pages keep their colour and Tesseract is told a resolution only when the file states a
//!   credible one: both measured against the `tesseract` command on the corpus (see `raster`).
//!   Preprocessing beyond that is deliberately absent until measured.
//! - Tesseract needs `OMP_THREAD_LIMIT=1` in the environment *when the process starts*
//!   (see [`ocr::reexec_with_omp_thread_limit`]).

pub mod auto;
pub mod detect;
mod headers;
pub mod input;
pub mod ocr;
pub mod page_engine;
pub mod pdf;
pub mod ppocr;
pub mod preprocess;
pub mod raster;
pub mod score;
pub mod tables;
