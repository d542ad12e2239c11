//! Upload inspection: what the file is, how many pages it has, and whether it may be processed,
//! decided cheaply and safely before anything is stored or billed.
//!
//! Called by the HTTP layer on every upload (run it in `spawn_blocking`: a PDF is opened by
//! pdfium). Nothing here decodes pixel data; each check reads headers only:
//! - the type comes from magic bytes ([`FileKind::sniff`]), never from the name;
//! - image sizes come from headers, so a decompression bomb is refused at its header with flat
//!   memory;
//! - PNG chunk lists and JPEG segments are walked, so a file cut short is refused at upload
//!   ("damaged or incomplete") instead of being half-recognised later. A truncated JPEG could be
//!   decoded partially (the missing part grey), but the user would be billed for a page whose
//!   text is silently missing; refusing says what is wrong. WEBP, GIF and BMP get a header check
//!   only: if their pixel data is damaged, rasterising fails later with the same error type;
//! - a GIF is one page, its first frame: an animation is not a multi-page document;
//! - a TIFF has one page per top-level IFD, each checked against the size limits;
//! - a PDF's pages are counted by pdfium without rendering anything; an encrypted PDF is
//!   [`InputError::PasswordProtected`]. A truncated PDF is whatever pdfium makes of it: pdfium
//!   rebuilds a missing cross-reference table by scanning the objects, so the pages it can
//!   still find are accepted and processed, and a file with no recoverable page tree is
//!   [`InputError::Unreadable`].

use super::{
    headers,
    pdf::{self, PdfEngine, PdfError},
};
use domain::FileKind;
use image::ImageFormat;
use std::io::Cursor;

/// Server-wide limits on uploads. A caller's plan may allow fewer pages; that check (a `402`)
/// belongs to the API, on [`Inspection::page_count`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file, in bytes (default 50 MiB).
    pub max_bytes: u64,
    /// Most pages one file may have on this server (default 2000).
    pub max_pages: u32,
    /// Most pixels one page image may have, decoded or rendered (default 100 million: an A4
    /// page at 1200 dpi is 140 million, at 600 dpi 35 million).
    pub max_page_pixels: u64,
    /// Longest side of a page image in pixels (default 30,000), so a 1 × 100,000,000 strip
    /// cannot pass the pixel-count check.
    pub max_dimension: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 50 * 1024 * 1024,
            max_pages: 2000,
            max_page_pixels: 100_000_000,
            max_dimension: 30_000,
        }
    }
}

/// The pixel size of one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// What an accepted upload is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The format, from the content.
    pub kind: FileKind,
    /// Pages to recognise (and bill): 1 for single images and GIFs, IFDs for TIFF, pages for PDF.
    pub page_count: u32,
    /// Each page's size in pixels, in page order (`pages.len() == page_count`). Images: as
    /// stored (before any EXIF rotation). PDFs: as they will be rendered (300 dpi, lowered for
    /// pages too large for the pixel limits).
    pub pages: Vec<PageSize>,
}

/// Why a file cannot be processed. Every variant is about the file, so retrying never helps;
/// the messages are written for the person who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// Over [`Limits::max_bytes`].
    #[error("file too large: it is {}, the limit is {}", human_bytes(*size), human_bytes(*max))]
    TooLarge {
        /// The file's size in bytes.
        size: u64,
        /// The limit in bytes.
        max: u64,
    },
    /// Not a format ocrchat reads (decided from the content, whatever the name says).
    #[error("unsupported file type: upload a PNG, JPEG, WEBP, GIF, BMP or TIFF image, or a PDF")]
    Unsupported,
    /// The format is known but the file is damaged, truncated or uses an unsupported variant.
    #[error("unreadable {} file: {detail}", kind_name(*kind))]
    Unreadable {
        /// The format the file claims to be.
        kind: FileKind,
        /// What is wrong, in a few words.
        detail: String,
    },
    /// An encrypted PDF that needs a password to open.
    #[error("the pdf is password-protected: remove the password and upload it again")]
    PasswordProtected,
    /// More pages than [`Limits::max_pages`]. `pages` is exact for PDFs and TIFFs.
    #[error(
        "too many pages: the file has {pages} pages, this server accepts at most {max} per file"
    )]
    TooManyPages {
        /// Pages in the file.
        pages: u32,
        /// The server's maximum.
        max: u32,
    },
    /// A page larger than [`Limits::max_page_pixels`] or [`Limits::max_dimension`].
    #[error(
        "image too large: it is {width}x{height} pixels; the limit is {} megapixels and {max_side} pixels per side",
        megapixels(*max)
    )]
    ImageTooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The pixel-count limit.
        max: u64,
        /// The side-length limit.
        max_side: u32,
    },
    /// A page index past the end of the file (asked by a caller, not found in a file).
    #[error("page {} does not exist; the file has {pages} pages", index + 1)]
    NoSuchPage {
        /// The 0-based index asked for.
        index: u32,
        /// Pages in the file.
        pages: u32,
    },
}

impl InputError {
    /// Always true: the file is the problem, so a worker fails the job instead of retrying.
    pub fn is_permanent(&self) -> bool {
        true
    }

    /// Builds [`InputError::Unreadable`].
    pub(crate) fn unreadable(kind: FileKind, detail: impl Into<String>) -> InputError {
        InputError::Unreadable {
            kind,
            detail: detail.into(),
        }
    }

    /// Translates a pdfium failure on a user's PDF.
    pub(crate) fn from_pdf(err: PdfError) -> InputError {
        match err {
            PdfError::PasswordProtected => InputError::PasswordProtected,
            PdfError::NoSuchPage { index, pages } => InputError::NoSuchPage { index, pages },
            PdfError::Unreadable(detail) => InputError::unreadable(FileKind::Pdf, detail),
            PdfError::Render { .. } | PdfError::Load { .. } | PdfError::AlreadyLoaded { .. } => {
                InputError::unreadable(FileKind::Pdf, err.to_string())
            }
        }
    }
}

/// Inspects an upload: its kind, page count and page sizes, or why it is refused.
///
/// Cheap (headers only; PDFs are opened but nothing is rendered) and bounded in memory whatever
/// the bytes claim. Blocking: run it in `spawn_blocking`.
pub fn inspect(bytes: &[u8], limits: &Limits, pdf: &PdfEngine) -> Result<Inspection, InputError> {
    match upload_kind(bytes, limits)? {
        FileKind::Pdf => inspect_pdf(bytes, limits, pdf),
        kind => inspect_raster(bytes, kind, limits),
    }
}

/// The checks every upload gets first: not empty, not over the size limit, a known type.
fn upload_kind(bytes: &[u8], limits: &Limits) -> Result<FileKind, InputError> {
    if bytes.is_empty() {
        return Err(InputError::Empty);
    }
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(InputError::TooLarge {
            size,
            max: limits.max_bytes,
        });
    }
    FileKind::sniff(bytes).ok_or(InputError::Unsupported)
}

/// [`inspect`] for everything but PDFs: single images and TIFFs, from their headers.
fn inspect_raster(bytes: &[u8], kind: FileKind, limits: &Limits) -> Result<Inspection, InputError> {
    let pages = match kind {
        FileKind::Tiff => tiff_page_sizes(bytes, limits)?,
        FileKind::Png => {
            headers::scan_png(bytes).map_err(|e| InputError::unreadable(kind, e))?;
            vec![image_size(bytes, kind)?]
        }
        FileKind::Jpeg => {
            headers::scan_jpeg(bytes).map_err(|e| InputError::unreadable(kind, e))?;
            vec![image_size(bytes, kind)?]
        }
        // `image_size` refuses a PDF (read by pdfium in `inspect_pdf`, never here).
        FileKind::Webp | FileKind::Gif | FileKind::Bmp | FileKind::Pdf => {
            vec![image_size(bytes, kind)?]
        }
    };
    check_page_count(pages.len() as u32, limits)?;
    for page in &pages {
        check_page_size(kind, page.width, page.height, limits)?;
    }
    Ok(Inspection {
        kind,
        page_count: pages.len() as u32,
        pages,
    })
}

/// Entry points for the fuzz targets in `fuzz/` (`just fuzz`). They live in a crate of their
/// own, which can only call public items, and the header readers of [`inspect`] are private;
/// these expose exactly those readers, without needing pdfium. Not an API: nothing else uses
/// them.
#[doc(hidden)]
pub mod fuzzing {
    use super::{headers, FileKind, InputError, Inspection, Limits, PageSize};

    /// [`super::inspect`] without its PDF branch: `None` for a PDF, else the same outcome
    /// (size and type checks, PNG chunk and JPEG segment walks, image and TIFF headers). The
    /// BMP resolution reader that `raster` uses on the same headers runs too.
    pub fn inspect_raster(bytes: &[u8], limits: &Limits) -> Option<Result<Inspection, InputError>> {
        let kind = match super::upload_kind(bytes, limits) {
            Ok(FileKind::Pdf) => return None,
            Ok(kind) => kind,
            Err(err) => return Some(Err(err)),
        };
        if kind == FileKind::Bmp {
            let _ = headers::bmp_dpi(bytes);
        }
        Some(super::inspect_raster(bytes, kind, limits))
    }

    /// The TIFF page walk of [`super::inspect`] on any bytes (no type check first): the IFD
    /// chain count, then every IFD's dimensions through the `tiff` decoder.
    pub fn tiff_page_sizes(bytes: &[u8], limits: &Limits) -> Result<Vec<PageSize>, InputError> {
        super::tiff_page_sizes(bytes, limits)
    }
}

/// Refuses a page over the pixel or side limits.
pub(crate) fn check_page_size(
    kind: FileKind,
    width: u32,
    height: u32,
    limits: &Limits,
) -> Result<(), InputError> {
    if u64::from(width) * u64::from(height) > limits.max_page_pixels
        || width > limits.max_dimension
        || height > limits.max_dimension
    {
        return Err(InputError::ImageTooLarge {
            width,
            height,
            max: limits.max_page_pixels,
            max_side: limits.max_dimension,
        });
    }
    if width == 0 || height == 0 {
        return Err(InputError::unreadable(kind, "the image has no pixels"));
    }
    Ok(())
}

fn check_page_count(pages: u32, limits: &Limits) -> Result<(), InputError> {
    if pages > limits.max_pages {
        return Err(InputError::TooManyPages {
            pages,
            max: limits.max_pages,
        });
    }
    Ok(())
}

/// The `image` crate's format for the single-image kinds (TIFF and PDF are read elsewhere).
pub(crate) fn image_format(kind: FileKind) -> Option<ImageFormat> {
    match kind {
        FileKind::Png => Some(ImageFormat::Png),
        FileKind::Jpeg => Some(ImageFormat::Jpeg),
        FileKind::Webp => Some(ImageFormat::WebP),
        FileKind::Gif => Some(ImageFormat::Gif),
        FileKind::Bmp => Some(ImageFormat::Bmp),
        FileKind::Tiff | FileKind::Pdf => None,
    }
}

/// Reads a single image's size from its header (no pixel data is decoded).
fn image_size(bytes: &[u8], kind: FileKind) -> Result<PageSize, InputError> {
    let format = image_format(kind).ok_or(InputError::Unsupported)?;
    let (width, height) = image::ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|err| InputError::unreadable(kind, image_error_detail(&err)))?;
    Ok(PageSize { width, height })
}

/// Page sizes of every IFD, after counting them (so a 10,000-page TIFF is refused before any
/// directory is parsed).
fn tiff_page_sizes(bytes: &[u8], limits: &Limits) -> Result<Vec<PageSize>, InputError> {
    let unreadable = |detail: String| InputError::unreadable(FileKind::Tiff, detail);
    let count = headers::tiff_page_count(bytes).map_err(|e| unreadable(e.into()))?;
    check_page_count(count, limits)?;
    let mut decoder = tiff::decoder::Decoder::new(Cursor::new(bytes))
        .map_err(|e| unreadable(tiff_error_detail(&e)))?;
    let mut pages = Vec::with_capacity(count as usize);
    for index in 0..count {
        if index > 0 {
            decoder
                .next_image()
                .map_err(|e| unreadable(tiff_error_detail(&e)))?;
        }
        let (width, height) = decoder
            .dimensions()
            .map_err(|e| unreadable(tiff_error_detail(&e)))?;
        pages.push(PageSize { width, height });
    }
    Ok(pages)
}

fn inspect_pdf(bytes: &[u8], limits: &Limits, pdf: &PdfEngine) -> Result<Inspection, InputError> {
    let outline = pdf
        .outline(bytes, limits.max_pages)
        .map_err(InputError::from_pdf)?;
    check_page_count(outline.page_count, limits)?;
    if outline.page_count == 0 {
        return Err(InputError::unreadable(
            FileKind::Pdf,
            "the pdf has no pages",
        ));
    }
    let pages = outline
        .page_sizes
        .iter()
        .enumerate()
        .map(|(index, &(width_pt, height_pt))| {
            pdf::fit_page(
                width_pt,
                height_pt,
                pdf::DEFAULT_DPI,
                limits.max_page_pixels,
                limits.max_dimension,
            )
            .map(|size| PageSize {
                width: size.width,
                height: size.height,
            })
            .ok_or_else(|| {
                InputError::unreadable(
                    FileKind::Pdf,
                    format!(
                        "page {} has an unusable size ({width_pt}x{height_pt} points)",
                        index + 1
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Inspection {
        kind: FileKind::Pdf,
        page_count: outline.page_count,
        pages,
    })
}

/// The `image` crate's error, trimmed to what a user can act on.
pub(crate) fn image_error_detail(err: &image::ImageError) -> String {
    match err {
        image::ImageError::Decoding(_) | image::ImageError::IoError(_) => {
            format!("the image data is damaged or incomplete ({err})")
        }
        image::ImageError::Unsupported(_) => format!("this variant is not supported ({err})"),
        image::ImageError::Limits(_) => "the image is too large to decode".into(),
        image::ImageError::Parameter(_) | image::ImageError::Encoding(_) => err.to_string(),
    }
}

/// The `tiff` crate's error, trimmed to what a user can act on.
pub(crate) fn tiff_error_detail(err: &tiff::TiffError) -> String {
    match err {
        tiff::TiffError::UnsupportedError(e) => format!("this tiff variant is not supported ({e})"),
        tiff::TiffError::LimitsExceeded => "the image is too large to decode".into(),
        other => format!("the tiff data is damaged or incomplete ({other})"),
    }
}

fn kind_name(kind: FileKind) -> &'static str {
    kind.as_str()
}

/// `52.4 MB`-style sizes for messages (decimal megabytes; bytes below 1 MB).
fn human_bytes(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1_000_000.0)
    } else {
        format!("{bytes} bytes")
    }
}

fn megapixels(pixels: u64) -> String {
    let mp = pixels as f64 / 1_000_000.0;
    if mp.fract() == 0.0 {
        format!("{mp:.0}")
    } else {
        format!("{mp:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sentences_a_user_understands() {
        for (err, expected) in [
            (InputError::Empty, "the file is empty"),
            (
                InputError::TooLarge {
                    size: 60_000_000,
                    max: 52_428_800,
                },
                "file too large: it is 60.0 MB, the limit is 52.4 MB",
            ),
            (
                InputError::ImageTooLarge {
                    width: 60_000,
                    height: 60_000,
                    max: 100_000_000,
                    max_side: 30_000,
                },
                "image too large: it is 60000x60000 pixels; the limit is 100 megapixels and 30000 pixels per side",
            ),
            (
                InputError::TooManyPages {
                    pages: 3000,
                    max: 2000,
                },
                "too many pages: the file has 3000 pages, this server accepts at most 2000 per file",
            ),
            (
                InputError::unreadable(FileKind::Jpeg, "the file ends early"),
                "unreadable jpeg file: the file ends early",
            ),
            (
                InputError::NoSuchPage { index: 2, pages: 2 },
                "page 3 does not exist; the file has 2 pages",
            ),
        ] {
            assert_eq!(err.to_string(), expected);
            assert!(err.is_permanent());
        }
    }

    #[test]
    fn size_limits_cover_pixels_and_sides() {
        let limits = Limits::default();
        let check = |w, h| check_page_size(FileKind::Png, w, h, &limits);
        assert!(check(10_000, 10_000).is_ok());
        assert!(matches!(
            check(10_001, 10_000),
            Err(InputError::ImageTooLarge { .. })
        ));
        assert!(matches!(
            check(30_001, 100),
            Err(InputError::ImageTooLarge { .. })
        ));
        assert!(matches!(check(0, 100), Err(InputError::Unreadable { .. })));
    }
}
