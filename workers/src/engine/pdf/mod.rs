//! PDF documents through pdfium: page counts, page images and born-digital text.
//!
//! pdfium is a C++ library that is not thread-safe, and pdfium-render binds it once per process
//! (a second `bind_to_library` fails). So there is one process-wide binding, handed out by
//! [`PdfEngine::load`] as a cheap clonable handle.
//!
//! **One pdfium thread.** Every pdfium call of the process runs on one dedicated OS thread that
//! owns the binding; callers send it work and block for the answer (call from `spawn_blocking`
//! or a plain thread, never the async executor). Serialising everything is what pdfium needs
//! (pdfium-render's per-call lock stops two calls at once but not interleaving, which can turn
//! "password-protected" into "unknown error"), and owning the thread lets documents stay open.
//!
//! **Documents stay open for a job.** A [`PdfSession`] is one job attempt's handle on its
//! document: the pdfium thread parses the file once, on the session's first page, and keeps it
//! until the session is dropped (a few documents at most, least recently used first out), so a
//! 500-page job does not parse its cross-reference table 500 times. One-off calls (inspection at
//! upload) open and close the document in the same call.
//!
//! How each page is read (its text layer, its embedded scan, or a rendering) is decided by
//! [`domain::pdf_page::plan_pdf_page`] from what [`page`] measures on it.

use image::{DynamicImage, GrayImage, RgbImage};
use pdfium_render::prelude::{
    PdfBitmap, PdfBitmapFormat, PdfDocument, PdfPage, PdfRenderConfig, Pdfium, PdfiumError,
    PdfiumInternalError,
};
use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    path::{Path, PathBuf},
    sync::{mpsc, Arc, Mutex, PoisonError},
};

pub mod page;

/// Resolution pages without images are rendered at unless the page is too large for it: what
/// the reference Tesseract setups use, and where Tesseract's LSTM models read printed text best.
pub const DEFAULT_DPI: u32 = domain::pdf_page::RENDER_DPI;

/// PDF points per inch.
const POINTS_PER_INCH: f64 = domain::pdf_page::POINTS_PER_INCH;

/// Documents the pdfium thread keeps open at once (one per job attempt in progress).
const OPEN_DOCUMENTS: usize = 4;

/// Why a PDF operation failed. Everything but [`PdfError::Load`] and
/// [`PdfError::AlreadyLoaded`] is about the file, not the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// `libpdfium.so` could not be loaded (missing file, wrong architecture, missing symbols).
    #[error("pdfium could not be loaded from {path}: {detail}")]
    Load {
        /// The library path that was tried.
        path: PathBuf,
        /// What the loader said.
        detail: String,
    },
    /// pdfium is already bound in this process to another library file; it binds only once.
    #[error("pdfium is already loaded from {loaded}; it cannot also be loaded from {requested}")]
    AlreadyLoaded {
        /// The library in use.
        loaded: PathBuf,
        /// The library asked for now.
        requested: PathBuf,
    },
    /// The document needs a password to be opened.
    #[error("the pdf is password-protected")]
    PasswordProtected,
    /// The bytes are not a PDF pdfium can open (damaged, truncated, unsupported encryption).
    #[error("{0}")]
    Unreadable(String),
    /// A page index past the end of the document (a caller bug, or a file that changed).
    #[error("page {index} does not exist; the pdf has {pages} pages")]
    NoSuchPage {
        /// The 0-based index asked for.
        index: u32,
        /// Pages in the document.
        pages: u32,
    },
    /// pdfium opened the page but could not render or read it.
    #[error("page {} could not be rendered: {detail}", index + 1)]
    Render {
        /// The 0-based page index.
        index: u32,
        /// What failed.
        detail: String,
    },
}

/// Page count and page sizes of a document, read without rendering anything.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfOutline {
    /// Pages in the document.
    pub page_count: u32,
    /// Each page's `(width, height)` in points (1/72 inch) as displayed, i.e. after the page's
    /// `/Rotate`. Empty when `page_count` exceeded the `max_pages` asked for, so a 3,000-page
    /// file costs one page-count call, not 3,000 size look-ups.
    pub page_sizes: Vec<(f32, f32)>,
}

/// One rendered page.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedPage {
    /// The page on a white background: `ImageLuma8` when every pixel is grey (a scanned
    /// black-and-white page), `ImageRgb8` otherwise, so Tesseract can threshold colour itself.
    pub image: DynamicImage,
    /// The resolution it was rendered at: the requested one, or lower when the page was too large
    /// for the pixel limits.
    pub dpi: u32,
}

/// Work for the pdfium thread: a closure over the open documents.
type Work = Box<dyn FnOnce(&mut Documents<'_>) + Send>;

/// The process-wide pdfium thread.
struct Shared {
    /// The library file it was bound to.
    library: PathBuf,
    /// Sends work to the pdfium thread.
    work: Mutex<mpsc::Sender<Work>>,
}

/// The binding, created by the first successful [`PdfEngine::load`].
static LOADED: Mutex<Option<Arc<Shared>>> = Mutex::new(None);

/// Handle on the process's pdfium: cheap to clone, `Send + Sync`, every call serialised on the
/// pdfium thread.
#[derive(Clone)]
pub struct PdfEngine {
    shared: Arc<Shared>,
}

// Shared across request handlers and workers: a compile error here, not a surprise later.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<PdfEngine>();
    shareable::<PdfSession>();
};

impl std::fmt::Debug for PdfEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfEngine")
            .field("library", &self.shared.library)
            .finish()
    }
}

/// The documents the pdfium thread holds open, keyed by session.
pub(crate) struct Documents<'a> {
    pdfium: &'a Pdfium,
    open: Vec<(u64, PdfDocument<'a>)>,
}

impl<'a> Documents<'a> {
    /// The session's document, parsed on first use and moved to the front (most recent).
    fn session(&mut self, key: u64, bytes: &[u8]) -> Result<&PdfDocument<'a>, PdfError> {
        if let Some(at) = self.open.iter().position(|(k, _)| *k == key) {
            let entry = self.open.remove(at);
            self.open.insert(0, entry);
        } else {
            let document = self
                .pdfium
                .load_pdf_from_byte_vec(bytes.to_vec(), None)
                .map_err(open_error)?;
            self.open.insert(0, (key, document));
            self.open.truncate(OPEN_DOCUMENTS);
        }
        Ok(&self.open[0].1)
    }

    fn close(&mut self, key: u64) {
        self.open.retain(|(k, _)| *k != key);
    }
}

/// Runs the pdfium thread until every engine handle is gone.
fn serve(pdfium: Pdfium, work: mpsc::Receiver<Work>) {
    let mut documents = Documents {
        pdfium: &pdfium,
        open: Vec::new(),
    };
    for job in work {
        // A panic inside pdfium-render (a malformed file reaching an unexpected path) drops
        // the caller's answer channel, which it reports as an unreadable file; documents that
        // may have been mid-operation are closed.
        if catch_unwind(AssertUnwindSafe(|| job(&mut documents))).is_err() {
            documents.open.clear();
        }
    }
}

impl PdfEngine {
    /// Binds pdfium from `library` (a `libpdfium.so` path) and starts the pdfium thread, or
    /// returns the existing binding when this process already bound the same file.
    ///
    /// pdfium can be bound once per process, so asking for a different file afterwards is
    /// [`PdfError::AlreadyLoaded`]. Finding the default path is the caller's job (the API reads
    /// `OCRCHAT_PDFIUM_LIB`).
    pub fn load(library: impl AsRef<Path>) -> Result<PdfEngine, PdfError> {
        let requested = library.as_ref().to_path_buf();
        let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(shared) = loaded.as_ref() {
            if same_file(&shared.library, &requested) {
                return Ok(PdfEngine {
                    shared: Arc::clone(shared),
                });
            }
            return Err(PdfError::AlreadyLoaded {
                loaded: shared.library.clone(),
                requested,
            });
        }
        let bindings = Pdfium::bind_to_library(&requested).map_err(|err| PdfError::Load {
            path: requested.clone(),
            detail: one_line(&err),
        })?;
        let pdfium = Pdfium::new(bindings);
        let (sender, receiver) = mpsc::channel::<Work>();
        // `Pdfium` is not `Send` in every build of pdfium-render; it is created here and moved
        // into its thread through a wrapper, and never touched by any other thread afterwards.
        struct Owned(Pdfium);
        // SAFETY: the binding is used by exactly one thread (the pdfium thread) from here on.
        unsafe impl Send for Owned {}
        let owned = Owned(pdfium);
        std::thread::Builder::new()
            .name("pdfium".into())
            .spawn(move || {
                let owned = owned;
                serve(owned.0, receiver)
            })
            .map_err(|err| PdfError::Load {
                path: requested.clone(),
                detail: format!("could not start the pdfium thread: {err}"),
            })?;
        let shared = Arc::new(Shared {
            library: requested,
            work: Mutex::new(sender),
        });
        *loaded = Some(Arc::clone(&shared));
        Ok(PdfEngine { shared })
    }

    /// The library file this engine is bound to.
    pub fn library(&self) -> &Path {
        &self.shared.library
    }

    /// Runs `f` on the pdfium thread and waits for its answer. Blocking.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Documents<'_>) -> Result<T, PdfError> + Send + 'static,
    ) -> Result<T, PdfError> {
        let (answer, result) = mpsc::sync_channel(1);
        let work: Work = Box::new(move |documents| {
            let _ = answer.send(f(documents));
        });
        let sent = self
            .shared
            .work
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(work);
        if sent.is_err() {
            return Err(PdfError::Unreadable("the pdf reader is not running".into()));
        }
        result.recv().unwrap_or_else(|_| {
            Err(PdfError::Unreadable(
                "the pdf made the pdf reader fail".into(),
            ))
        })
    }

    /// Opens `bytes` for one call and runs `f` on the document (closed afterwards).
    fn with_document<T: Send + 'static>(
        &self,
        bytes: &[u8],
        f: impl FnOnce(&PdfDocument<'_>) -> Result<T, PdfError> + Send + 'static,
    ) -> Result<T, PdfError> {
        let bytes = bytes.to_vec();
        self.run(move |documents| {
            let document = documents
                .pdfium
                .load_pdf_from_byte_vec(bytes, None)
                .map_err(open_error)?;
            f(&document)
        })
    }

    /// A session on one document (one job attempt): the document is parsed once, on the first
    /// page asked for, and closed when the session is dropped.
    pub fn session(&self, bytes: Arc<Vec<u8>>) -> PdfSession {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        PdfSession {
            inner: Arc::new(SessionInner {
                engine: self.clone(),
                key: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                bytes,
            }),
        }
    }

    /// Counts the pages; detects password protection ([`PdfError::PasswordProtected`]).
    pub fn page_count(&self, bytes: &[u8]) -> Result<u32, PdfError> {
        self.with_document(bytes, |document| Ok(page_count(document)))
    }

    /// Page count, plus each page's size when there are at most `max_pages` pages.
    ///
    /// Used at upload: nothing is rendered, and a file over the page limit is not walked.
    pub fn outline(&self, bytes: &[u8], max_pages: u32) -> Result<PdfOutline, PdfError> {
        self.with_document(bytes, move |document| {
            let count = page_count(document);
            let mut page_sizes = Vec::new();
            if count <= max_pages {
                page_sizes.reserve(count as usize);
                let pages = document.pages();
                for index in 0..count {
                    // Reads the size from the page dictionary without loading the page.
                    let rect = pages
                        .page_size(index as i32)
                        .map_err(|err| PdfError::Render {
                            index,
                            detail: one_line(&err),
                        })?;
                    page_sizes.push((rect.width().value, rect.height().value));
                }
            }
            Ok(PdfOutline {
                page_count: count,
                page_sizes,
            })
        })
    }

    /// Renders page `index` (0-based) at `target_dpi`, lowered as needed so the image has
    /// at most `max_pixels` pixels and `max_side` pixels on its longer side.
    ///
    /// The effective resolution is returned with the image; a poster-sized page comes back at
    /// a lower dpi rather than as a multi-gigabyte bitmap. Blocking: call it off the executor.
    pub fn render_page(
        &self,
        bytes: &[u8],
        index: u32,
        target_dpi: u32,
        max_pixels: u64,
        max_side: u32,
    ) -> Result<RenderedPage, PdfError> {
        self.with_document(bytes, move |document| {
            let page = load_page(document, index)?;
            render(&page, index, target_dpi, max_pixels, max_side)
        })
    }

    /// The text layer of page `index`, as pdfium extracts it (empty for a scanned page).
    pub fn page_text(&self, bytes: &[u8], index: u32) -> Result<String, PdfError> {
        self.with_document(bytes, move |document| {
            let page = load_page(document, index)?;
            let text = page.text().map_err(|err| PdfError::Render {
                index,
                detail: one_line(&err),
            })?;
            Ok(text.all())
        })
    }
}

/// One job attempt's handle on its PDF (see the module docs). Cheap to clone and share across
/// the attempt's page tasks; the document is closed when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct PdfSession {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    engine: PdfEngine,
    key: u64,
    bytes: Arc<Vec<u8>>,
}

impl std::fmt::Debug for SessionInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfSession")
            .field("key", &self.key)
            .finish()
    }
}

impl PdfSession {
    /// Runs `f` on page `index` of the session's document. Blocking.
    pub(crate) fn with_page<T: Send + 'static>(
        &self,
        index: u32,
        f: impl FnOnce(&PdfDocument<'_>, &PdfPage<'_>) -> Result<T, PdfError> + Send + 'static,
    ) -> Result<T, PdfError> {
        let (key, bytes) = (self.inner.key, Arc::clone(&self.inner.bytes));
        self.inner.engine.run(move |documents| {
            let document = documents.session(key, &bytes)?;
            let page = load_page(document, index)?;
            f(document, &page)
        })
    }
}

impl Drop for SessionInner {
    fn drop(&mut self) {
        let key = self.key;
        let work: Work = Box::new(move |documents| documents.close(key));
        let _ = self
            .engine
            .shared
            .work
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(work);
    }
}

/// Loads page `index`, or says it does not exist.
fn load_page<'a>(document: &'a PdfDocument<'_>, index: u32) -> Result<PdfPage<'a>, PdfError> {
    let count = page_count(document);
    if index >= count {
        return Err(PdfError::NoSuchPage {
            index,
            pages: count,
        });
    }
    document
        .pages()
        .get(index as i32)
        .map_err(|err| PdfError::Render {
            index,
            detail: one_line(&err),
        })
}

/// Renders a loaded page at `target_dpi` within the pixel limits.
pub(crate) fn render(
    page: &PdfPage<'_>,
    index: u32,
    target_dpi: u32,
    max_pixels: u64,
    max_side: u32,
) -> Result<RenderedPage, PdfError> {
    let render_error = |err: PdfiumError| PdfError::Render {
        index,
        detail: one_line(&err),
    };
    let size = fit_page(
        page.width().value,
        page.height().value,
        target_dpi,
        max_pixels,
        max_side,
    )
    .ok_or_else(|| PdfError::Render {
        index,
        detail: format!(
            "the page is {:.0}x{:.0} points, too large to render within {max_pixels} pixels",
            page.width().value,
            page.height().value
        ),
    })?;
    let pixels = u64::from(size.width) * u64::from(size.height);
    let image = if pixels > STRIPS_ABOVE_PIXELS {
        render_in_strips(page, size, STRIP_BYTES).map_err(render_error)?
    } else {
        let mut buffer = Vec::new();
        let stride = render_rows(page, size, 0, size.height, &mut buffer).map_err(render_error)?;
        image_from_bgr(&buffer, size.width, size.height, stride)
    }
    .ok_or_else(|| PdfError::Render {
        index,
        detail: "pdfium returned a bitmap of unexpected size".into(),
    })?;
    Ok(RenderedPage {
        image,
        dpi: size.dpi,
    })
}

/// Pages of more pixels than this are rendered in strips ([`render_in_strips`]); an A4 page at
/// 300 dpi (8.7 MP) and anything smaller is rendered whole.
const STRIPS_ABOVE_PIXELS: u64 = 16_000_000;

/// The size of one strip's bitmap: a few strips per 100-megapixel page.
const STRIP_BYTES: usize = 32 << 20;

/// The pixels of a colour-decision thumbnail ([`render_in_strips`]).
const THUMBNAIL_PIXELS: f64 = 1_000_000.0;

/// Renders rows `top..top + rows` of the page drawn at `size` into `buffer` as 24-bit BGR rows
/// padded to 4 bytes, and returns the row stride.
///
/// pdfium leaves image objects out of 8-bit grey bitmaps (only text and paths are drawn), so it
/// renders BGR into a buffer we own (no copy on the way out) and the page is reduced to grey
/// afterwards when it has no colour.
fn render_rows(
    page: &PdfPage<'_>,
    size: FittedSize,
    top: u32,
    rows: u32,
    buffer: &mut Vec<u8>,
) -> Result<usize, PdfiumError> {
    let stride = (size.width as usize * 3).div_ceil(4) * 4;
    buffer.clear();
    buffer.resize(stride * rows as usize, 0);
    let mut bitmap =
        PdfBitmap::from_bytes(size.width as i32, rows as i32, PdfBitmapFormat::BGR, buffer)?;
    // The page is drawn at its full size with its top `top` rows above the bitmap: pdfium
    // clips to the bitmap, so only these rows are rasterised.
    let config = PdfRenderConfig::new()
        .set_target_size(size.width as i32, size.height as i32)
        .set_format(PdfBitmapFormat::BGR)
        .set_reverse_byte_order(false)
        .render_annotations(true)
        .render_form_data(true)
        .set_origin(0, -(top as i32));
    page.render_into_bitmap_with_config(&mut bitmap, &config)?;
    Ok(stride)
}

/// Renders a large page strip by strip straight into its final image, so the only full-size
/// buffer alive is the page itself (issue 14: memory bounded on purpose). Rendered whole, a
/// 100-megapixel page needed its 300 MB BGR bitmap plus the grey or RGB copy made from it (up
/// to 600 MB); in strips it needs the final image plus one 32 MB strip.
///
/// Grey or colour is decided first, on a thumbnail of about a megapixel rendered by pdfium, by
/// the same rule as a whole page ([`image_from_bgr`]): the colour share it samples is the same
/// at any scale. Each strip is then converted as a whole page would be, so the page comes out
/// as [`render_rows`] of the whole page would give it.
fn render_in_strips(
    page: &PdfPage<'_>,
    size: FittedSize,
    strip_bytes: usize,
) -> Result<Option<DynamicImage>, PdfiumError> {
    let (width, height) = (size.width, size.height);
    let scale = (THUMBNAIL_PIXELS / (f64::from(width) * f64::from(height))).sqrt();
    let thumbnail = FittedSize {
        width: ((f64::from(width) * scale).round() as u32).max(1),
        height: ((f64::from(height) * scale).round() as u32).max(1),
        dpi: size.dpi,
    };
    let mut buffer = Vec::new();
    let stride = render_rows(page, thumbnail, 0, thumbnail.height, &mut buffer)?;
    let coloured = matches!(
        image_from_bgr(&buffer, thumbnail.width, thumbnail.height, stride),
        Some(DynamicImage::ImageRgb8(_))
    );
    let channels = if coloured { 3 } else { 1 };
    let row_bytes = width as usize * channels;
    let mut pixels = vec![0u8; row_bytes * height as usize];
    let stride = (width as usize * 3).div_ceil(4) * 4;
    let strip_rows = (strip_bytes / stride).clamp(1, height as usize) as u32;
    let mut top = 0;
    while top < height {
        let rows = strip_rows.min(height - top);
        render_rows(page, size, top, rows, &mut buffer)?;
        let strip = &mut pixels[top as usize * row_bytes..(top + rows) as usize * row_bytes];
        for (target, source) in strip
            .chunks_exact_mut(row_bytes)
            .zip(buffer.chunks_exact(stride))
        {
            let source = &source[..width as usize * 3];
            if coloured {
                for (to, bgr) in target.chunks_exact_mut(3).zip(source.chunks_exact(3)) {
                    to.copy_from_slice(&[bgr[2], bgr[1], bgr[0]]);
                }
            } else {
                for (to, bgr) in target.iter_mut().zip(source.chunks_exact(3)) {
                    *to = luma([bgr[2], bgr[1], bgr[0]]);
                }
            }
        }
        top += rows;
    }
    Ok(if coloured {
        RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8)
    } else {
        GrayImage::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8)
    })
}

/// The grey of one RGB pixel, as the `image` crate computes it (`to_luma8`), so a page rendered
/// in strips has the grey a page rendered whole has.
fn luma(rgb: [u8; 3]) -> u8 {
    use image::Pixel;
    image::Rgb(rgb).to_luma().0[0]
}

/// A rendered size: pixels and the whole-number dpi that produced them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FittedSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution in dots per inch.
    pub dpi: u32,
}

/// Chooses the render size of a `width_pt` × `height_pt` page: `target_dpi`, lowered to a whole
/// dpi at which the page has at most `max_pixels` pixels and `max_side` pixels per side.
///
/// `None` when the page has no usable size or does not fit even at 1 dpi.
pub fn fit_page(
    width_pt: f32,
    height_pt: f32,
    target_dpi: u32,
    max_pixels: u64,
    max_side: u32,
) -> Option<FittedSize> {
    let (width_in, height_in) = (
        f64::from(width_pt) / POINTS_PER_INCH,
        f64::from(height_pt) / POINTS_PER_INCH,
    );
    if !(width_in.is_finite() && height_in.is_finite() && width_in > 0.0 && height_in > 0.0) {
        return None;
    }
    let mut dpi = f64::from(target_dpi.max(1));
    let area = width_in * height_in;
    if area * dpi * dpi > max_pixels as f64 {
        dpi = (max_pixels as f64 / area).sqrt();
    }
    let longest = width_in.max(height_in);
    if longest * dpi > f64::from(max_side) {
        dpi = f64::from(max_side) / longest;
    }
    let dpi = dpi.floor();
    if dpi < 1.0 {
        return None;
    }
    // Floor keeps both limits true after rounding; a sliver page still gets one pixel.
    let width = ((width_in * dpi).floor() as u32).max(1);
    let height = ((height_in * dpi).floor() as u32).max(1);
    if u64::from(width) * u64::from(height) > max_pixels || width.max(height) > max_side {
        return None;
    }
    Some(FittedSize {
        width,
        height,
        dpi: dpi as u32,
    })
}

fn page_count(document: &PdfDocument<'_>) -> u32 {
    document.pages().len().max(0) as u32
}

/// Maps a failed document load to what the user should hear.
fn open_error(err: PdfiumError) -> PdfError {
    match err {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError) => {
            PdfError::PasswordProtected
        }
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::SecurityError) => {
            PdfError::Unreadable("the pdf uses an encryption this server cannot open".into())
        }
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FormatError) => {
            PdfError::Unreadable("the pdf is damaged or incomplete".into())
        }
        other => PdfError::Unreadable(format!(
            "the pdf could not be opened ({})",
            one_line(&other)
        )),
    }
}

/// Converts padded BGR rows (pdfium aligns rows to 4 bytes) to a tight image: grey when every
/// pixel has equal channels, RGB otherwise.
pub(crate) fn image_from_bgr(
    raw: &[u8],
    width: u32,
    height: u32,
    stride: usize,
) -> Option<DynamicImage> {
    let (w, h) = (width as usize, height as usize);
    if w == 0 || h == 0 || stride < w * 3 || raw.len() < stride * h {
        return None;
    }
    let rows = || raw.chunks_exact(stride).take(h).map(|row| &row[..w * 3]);
    let grey = rows().all(|row| row.chunks_exact(3).all(|p| p[0] == p[1] && p[1] == p[2]));
    if grey {
        let pixels = rows()
            .flat_map(|row| row.chunks_exact(3).map(|p| p[0]))
            .collect();
        GrayImage::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8)
    } else {
        let pixels = rows()
            .flat_map(|row| row.chunks_exact(3).flat_map(|p| [p[2], p[1], p[0]]))
            .collect();
        RgbImage::from_raw(width, height, pixels).map(crate::engine::raster::grey_if_colourless)
    }
}

/// pdfium-render formats its errors with `{:#?}`; keep them on one line for messages and logs.
pub(crate) fn one_line(err: &dyn std::fmt::Debug) -> String {
    format!("{err:?}")
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::GenericImageView;

    #[test]
    fn a4_renders_at_the_target_dpi() {
        let size = fit_page(595.0, 842.0, 300, 100_000_000, 30_000).unwrap();
        assert_eq!(size.dpi, 300);
        assert_eq!((size.width, size.height), (2479, 3508));
    }

    #[test]
    fn huge_pages_lower_the_dpi_to_fit_the_limits() {
        // A 200 x 200 inch poster: 300 dpi would be 3.6 gigapixels.
        let size = fit_page(14_400.0, 14_400.0, 300, 100_000_000, 30_000).unwrap();
        assert_eq!(size.dpi, 50);
        assert!(u64::from(size.width) * u64::from(size.height) <= 100_000_000);
        // A long strip is bounded by the side limit instead.
        let strip = fit_page(72.0, 72.0 * 500.0, 300, 100_000_000, 30_000).unwrap();
        assert_eq!(strip.dpi, 60);
        assert!(strip.height <= 30_000);
    }

    #[test]
    fn degenerate_pages_have_no_size() {
        assert_eq!(fit_page(0.0, 842.0, 300, 100_000_000, 30_000), None);
        assert_eq!(fit_page(f32::NAN, 842.0, 300, 100_000_000, 30_000), None);
        assert_eq!(fit_page(1.0e9, 1.0e9, 300, 100_000_000, 30_000), None);
    }

    #[test]
    fn padded_bgr_rows_become_grey_or_rgb() {
        // 1 x 2 pixels, rows padded from 3 to 4 bytes.
        let grey = [7, 7, 7, 0, 9, 9, 9, 0];
        let image = image_from_bgr(&grey, 1, 2, 4).unwrap();
        assert_eq!(
            image,
            DynamicImage::ImageLuma8(GrayImage::from_raw(1, 2, vec![7, 9]).unwrap())
        );
        let colour = [10, 120, 240, 0, 9, 9, 9, 0];
        let image = image_from_bgr(&colour, 1, 2, 4).unwrap();
        assert_eq!(image.to_rgb8().as_raw(), &vec![240, 120, 10, 9, 9, 9]);
        assert!(image_from_bgr(&colour, 2, 2, 4).is_none());
        // Channels a few levels apart (JPEG chroma noise) are not colour.
        let noise = [7, 8, 9, 0, 9, 9, 9, 0];
        let image = image_from_bgr(&noise, 1, 2, 4).unwrap();
        assert!(matches!(image, DynamicImage::ImageLuma8(_)));
    }

    /// The process's pdfium (`OCRCHAT_PDFIUM_LIB`, else where `scripts/deps.sh` puts it).
    fn engine() -> PdfEngine {
        let path = std::env::var_os("OCRCHAT_PDFIUM_LIB")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let home = std::env::var_os("HOME").unwrap_or_default();
                Path::new(&home).join(".cache/ocrchat/pdfium-5.15.2/libpdfium.so")
            });
        PdfEngine::load(&path).unwrap_or_else(|e| panic!("pdfium from {}: {e}", path.display()))
    }

    /// A one-page PDF made by pdfium: black text and grey rules, plus a red band and a blue
    /// box when `colour`.
    fn drawn_pdf(engine: &PdfEngine, colour: bool) -> Vec<u8> {
        use pdfium_render::prelude::{PdfColor, PdfPageObjectsCommon, PdfPagePaperSize, PdfPoints};
        engine
            .run(move |documents| {
                let fail = |e: PdfiumError| PdfError::Unreadable(one_line(&e));
                let mut document = documents.pdfium.create_new_pdf().map_err(fail)?;
                let font = document.fonts_mut().helvetica();
                let mut page = document
                    .pages_mut()
                    .create_page_at_end(PdfPagePaperSize::a4())
                    .map_err(fail)?;
                let objects = page.objects_mut();
                for line in 0..40 {
                    let y = PdfPoints::new(800.0 - line as f32 * 19.0);
                    objects
                        .create_text_object(
                            PdfPoints::new(40.0),
                            y,
                            "Strips must join without a seam: 0123456789 ÄÖÜ",
                            font,
                            PdfPoints::new(11.0 + (line % 5) as f32),
                        )
                        .map_err(fail)?;
                }
                let grey = PdfColor::new(90, 90, 90, 255);
                for rule in 0..12 {
                    let y = PdfPoints::new(30.0 + rule as f32 * 61.3);
                    objects
                        .create_path_object_line(
                            PdfPoints::new(30.0),
                            y,
                            PdfPoints::new(560.0),
                            y,
                            grey,
                            PdfPoints::new(0.7),
                        )
                        .map_err(fail)?;
                }
                if colour {
                    let red = PdfColor::new(210, 30, 30, 255);
                    let blue = PdfColor::new(20, 60, 200, 255);
                    for (colour, y) in [(red, 100.0), (blue, 400.0)] {
                        objects
                            .create_path_object_rect(
                                pdfium_render::prelude::PdfRect::new_from_values(
                                    y,
                                    20.0,
                                    y + 150.0,
                                    575.0,
                                ),
                                None,
                                None,
                                Some(colour),
                            )
                            .map_err(fail)?;
                    }
                }
                document.save_to_bytes().map_err(fail)
            })
            .expect("a drawn pdf")
    }

    #[test]
    fn a_page_rendered_in_strips_is_the_page_rendered_whole() {
        let engine = engine();
        for colour in [false, true] {
            let bytes = drawn_pdf(&engine, colour);
            let (whole, strips) = engine
                .with_document(&bytes, |document| {
                    let page = load_page(document, 0)?;
                    let fail = |e: PdfiumError| PdfError::Render {
                        index: 0,
                        detail: one_line(&e),
                    };
                    let size = fit_page(
                        page.width().value,
                        page.height().value,
                        200,
                        u64::MAX,
                        30_000,
                    )
                    .expect("a size");
                    let mut buffer = Vec::new();
                    let stride =
                        render_rows(&page, size, 0, size.height, &mut buffer).map_err(fail)?;
                    let whole = image_from_bgr(&buffer, size.width, size.height, stride);
                    // About 17 strips, the last one shorter.
                    let strips = render_in_strips(&page, size, 1 << 20).map_err(fail)?;
                    Ok((whole.expect("whole"), strips.expect("strips")))
                })
                .expect("rendered");
            assert_eq!(
                matches!(whole, DynamicImage::ImageRgb8(_)),
                colour,
                "the whole page's colour"
            );
            assert_eq!(whole.color(), strips.color(), "grey or colour alike");
            assert_eq!(whole.dimensions(), strips.dimensions());
            let (a, b) = (whole.as_bytes(), strips.as_bytes());
            let differing = a.iter().zip(b).filter(|(x, y)| x != y).count();
            assert_eq!(
                differing,
                0,
                "{differing} of {} bytes differ (colour {colour})",
                a.len()
            );
            let ink = whole.to_luma8().pixels().filter(|p| p.0[0] < 128).count();
            assert!(ink > 10_000, "the page has text ({ink} dark pixels)");
        }
    }
}
