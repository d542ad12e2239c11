//! From an upload to page images, each with the resolution it represents.
//!
//! **Colour is kept when the page has colour.** Tesseract thresholds a colour image channel by
//! channel (Otsu on each; a pixel is ink if any usable channel says so), which is not the same
//! as thresholding its luma. On the corpus, converting to grey first cost 15 points of CER on a
//! receipt scan and 14 on a handwritten page, gained 15 on one phone photo, and was worse overall
//! (21.2% against 20.95% on the JPEG pages). So pages are `ImageRgb8` when they have visible
//! colour and `ImageLuma8` when they have none, JPEG chroma noise aside (most scans: a third of
//! the memory, the same recognition, a faster one; see [`grey_if_colourless`]). Transparency is
//! composited on white (a transparent PNG of black text must not become a black page).
//!
//! **Resolution.** Tesseract sizes its layout thresholds from the page resolution, and when it
//! is told none it estimates one from the text. One rule:
//! 1. a PDF page rendered by pdfium has a known dpi (chosen from its images, 300 without any,
//!    lower for huge pages): [`DpiSource::Rendered`]; a PDF page that is one embedded scan is
//!    decoded as stored ([`from_embedded`]) and treated like an image file whose tag is the
//!    resolution the page size implies;
//! 2. a resolution tag (PNG `pHYs`, JPEG JFIF density, TIFF `XResolution`, BMP header) of at
//!    least [`MIN_CREDIBLE_DPI`] is believed: [`DpiSource::Tagged`]. Lower values are software
//!    defaults (72 or 96 on phone photos and screenshots) that say nothing about the document;
//! 3. otherwise the page gets a nominal [`ASSUMED_DPI`] (300) for page geometry (exports), and
//!    Tesseract is left to estimate the real one: [`DpiSource::Assumed`]. Telling Tesseract 300
//!    instead was measured worse: +9.5 CER points on a receipt scan (really ~360 dpi), +3 on a
//!    typewritten page, about even elsewhere;
//! 4. an image whose longer side is under [`UPSCALE_BELOW`] pixels is upscaled 2× (Catmull-Rom):
//!    text a few pixels high binarises badly. A believed tag doubles with it. (No corpus image
//!    is that small, so this rule is not measured yet.)
//!
//! JPEG, PNG, WEBP and TIFF orientation tags are applied, so a photo taken sideways is read
//! upright. Decoding runs under `image::Limits` / `tiff` limits as a second guard behind
//! [`super::input::inspect`]: a file that lies about its size still cannot allocate without
//! bound.

use super::{
    headers,
    input::{check_page_size, image_error_detail, image_format, InputError, Limits},
    pdf::{PdfEngine, DEFAULT_DPI},
};
use domain::FileKind;
use image::{imageops::FilterType, DynamicImage, GrayImage, ImageDecoder, Luma, Rgb, RgbImage};
use std::{io::Cursor, sync::Arc};

mod tiff;

/// Resolution tags below this are not believed (see the module docs).
pub const MIN_CREDIBLE_DPI: f64 = 150.0;
/// Resolution tags above this are ignored: no scanner writes them, broken software does.
pub const MAX_CREDIBLE_DPI: f64 = 2400.0;
/// The nominal resolution given to an image without a credible tag.
pub const ASSUMED_DPI: u32 = 300;
/// Images whose longer side is shorter than this are upscaled 2× before recognition.
pub const UPSCALE_BELOW: u32 = 1000;

/// Where a page's dpi comes from, which decides whether Tesseract is told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpiSource {
    /// A PDF page rendered at this resolution.
    Rendered,
    /// The file's resolution tag, believed (and doubled if the image was upscaled).
    Tagged,
    /// No credible tag: the dpi is nominal, and Tesseract estimates the real one from the text.
    Assumed,
}

/// One page ready for recognition.
#[derive(Debug, Clone, PartialEq)]
pub struct PageImage {
    /// 0-based page index in the file.
    pub index: u32,
    /// The page, `ImageLuma8` (no colour) or `ImageRgb8`; every bbox of the result is in these
    /// pixels. The OCR pool accepts other variants (converted to RGB), but they are never
    /// produced here. Shared: a page is decoded once and every step that reads it (engines,
    /// the stored page image, the vision model) holds the same pixels, so cloning a
    /// `PageImage` never copies a 100-megapixel page (issue 14: memory bounded on purpose).
    pub image: Arc<DynamicImage>,
    /// The resolution this image represents, in dots per inch (nominal when `dpi_source` is
    /// [`DpiSource::Assumed`]).
    pub dpi: u32,
    /// Whether `dpi` was rendered, read from the file, or assumed.
    pub dpi_source: DpiSource,
}

/// Produces the image of page `index` (0-based) of an upload.
///
/// Blocking and CPU-heavy (a 300-dpi page decodes in tens of milliseconds): run it in
/// `spawn_blocking`. Errors are [`InputError`]s: a file that passed [`super::input::inspect`] can
/// still have damaged pixel data, which is only found here.
pub fn render_page(
    bytes: &[u8],
    kind: FileKind,
    index: u32,
    pdf: &PdfEngine,
    limits: &Limits,
) -> Result<PageImage, InputError> {
    match kind {
        FileKind::Pdf => {
            let page = pdf
                .render_page(
                    bytes,
                    index,
                    DEFAULT_DPI,
                    limits.max_page_pixels,
                    limits.max_dimension,
                )
                .map_err(InputError::from_pdf)?;
            Ok(PageImage {
                index,
                image: Arc::new(page.image),
                dpi: page.dpi,
                dpi_source: DpiSource::Rendered,
            })
        }
        FileKind::Tiff => {
            let (image, tagged) = tiff::decode_tiff_page(bytes, index, limits)?;
            Ok(prepare(index, image, tagged))
        }
        FileKind::Png | FileKind::Jpeg | FileKind::Webp | FileKind::Gif | FileKind::Bmp => {
            if index != 0 {
                return Err(InputError::NoSuchPage { index, pages: 1 });
            }
            let tagged = tagged_dpi(bytes, kind);
            let image = decode_image(bytes, kind, limits)?;
            Ok(prepare(index, image, tagged))
        }
    }
}

/// How a raster page is scaled and which dpi it is said to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution {
    /// 1 (as is) or 2 (upscaled).
    pub scale: u32,
    /// The dpi of the (scaled) image.
    pub dpi: u32,
    /// Whether the dpi comes from the file or is nominal.
    pub source: DpiSource,
}

/// The resolution rule of the module docs, for an image `width` × `height` with an optional
/// resolution tag.
pub fn resolution(width: u32, height: u32, tagged_dpi: Option<f64>) -> Resolution {
    let believed = tagged_dpi
        .filter(|dpi| (MIN_CREDIBLE_DPI..=MAX_CREDIBLE_DPI).contains(dpi))
        .map(|dpi| dpi.round() as u32);
    let scale = if width.max(height) < UPSCALE_BELOW {
        2
    } else {
        1
    };
    match believed {
        Some(dpi) => Resolution {
            scale,
            dpi: dpi * scale,
            source: DpiSource::Tagged,
        },
        None => Resolution {
            scale,
            dpi: ASSUMED_DPI,
            source: DpiSource::Assumed,
        },
    }
}

/// A PDF page's embedded scan, decoded as stored, with the resolution that follows from the page
/// size: the same rule as an image file's tag (a 72 ppi "pixel per point" page is not believed
/// and Tesseract estimates the resolution; a small image is upscaled).
///
/// The page's dpi stays the one its size implies (scaled with the image), believed or not, so
/// exports keep the document's page size; only Tesseract is not told an unbelieved one.
pub fn from_embedded(index: u32, image: DynamicImage, dpi: u32) -> PageImage {
    let scale = resolution(image.width(), image.height(), Some(f64::from(dpi))).scale;
    let mut page = prepare(index, image, Some(f64::from(dpi)));
    if page.dpi_source == DpiSource::Assumed {
        page.dpi = dpi.saturating_mul(scale).max(1);
    }
    page
}

/// Applies [`resolution`] to a decoded page.
fn prepare(index: u32, image: DynamicImage, tagged_dpi: Option<f64>) -> PageImage {
    let rule = resolution(image.width(), image.height(), tagged_dpi);
    let image = if rule.scale > 1 {
        image.resize_exact(
            image.width() * rule.scale,
            image.height() * rule.scale,
            FilterType::CatmullRom,
        )
    } else {
        image
    };
    PageImage {
        index,
        image: Arc::new(image),
        dpi: rule.dpi,
        dpi_source: rule.source,
    }
}

/// The resolution tag of a single image, read from its header.
fn tagged_dpi(bytes: &[u8], kind: FileKind) -> Option<f64> {
    match kind {
        FileKind::Png => headers::scan_png(bytes).ok()?.dpi,
        FileKind::Jpeg => headers::scan_jpeg(bytes).ok()?.dpi,
        FileKind::Bmp => headers::bmp_dpi(bytes),
        FileKind::Webp | FileKind::Gif | FileKind::Tiff | FileKind::Pdf => None,
    }
}

/// Bytes the decoders may allocate: the largest allowed page in the widest common pixel format
/// (RGBA, 16 bits per channel).
fn max_alloc(limits: &Limits) -> u64 {
    limits.max_page_pixels.saturating_mul(8)
}

/// Decodes a PNG, JPEG, WEBP, GIF (first frame) or BMP, flattened on white and upright.
fn decode_image(bytes: &[u8], kind: FileKind, limits: &Limits) -> Result<DynamicImage, InputError> {
    let format = image_format(kind).ok_or(InputError::Unsupported)?;
    let unreadable = |err: image::ImageError| match err {
        image::ImageError::Limits(_) => {
            InputError::unreadable(kind, "the image is too large to decode")
        }
        other => InputError::unreadable(kind, image_error_detail(&other)),
    };
    // The size check first, from the header alone, so an oversized page is reported as such
    // rather than as the decoder's allocation refusal.
    let (width, height) = image::ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(unreadable)?;
    check_page_size(kind, width, height, limits)?;
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_dimension);
    image_limits.max_image_height = Some(limits.max_dimension);
    image_limits.max_alloc = Some(max_alloc(limits));
    reader.limits(image_limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    // A broken EXIF block must not cost the page: read it as stored instead.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    // Flatten first, then rotate: fewer bytes to move.
    let mut image = flatten(image);
    image.apply_orientation(orientation);
    Ok(image)
}

/// Reduces any decoded image to 8-bit grey or RGB on white paper: grey when it has no colour.
fn flatten(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_) => image,
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.into_luma8()),
        DynamicImage::ImageLumaA8(_) | DynamicImage::ImageLumaA16(_) => {
            let with_alpha = image.to_luma_alpha8();
            let (width, height) = with_alpha.dimensions();
            let mut out = GrayImage::new(width, height);
            for (target, source) in out.pixels_mut().zip(with_alpha.pixels()) {
                let [luma, alpha] = source.0;
                *target = Luma([over_white(luma, alpha)]);
            }
            DynamicImage::ImageLuma8(out)
        }
        other if other.color().has_alpha() => {
            let with_alpha = other.to_rgba8();
            let (width, height) = with_alpha.dimensions();
            let mut out = RgbImage::new(width, height);
            for (target, source) in out.pixels_mut().zip(with_alpha.pixels()) {
                let [r, g, b, a] = source.0;
                *target = Rgb([over_white(r, a), over_white(g, a), over_white(b, a)]);
            }
            grey_if_colourless(out)
        }
        other => grey_if_colourless(other.into_rgb8()),
    }
}

/// An RGB image without visible colour, as grey: the same recognition, a third of the memory,
/// and Tesseract thresholds one channel instead of three (25–40% faster on the corpus pages).
///
/// "Without visible colour" is judged on a sample of pixels: at most [`COLOURED_SHARE`] of
/// them differ between their channels by more than [`CHROMA_NOISE`] levels. JPEG's chroma
/// noise makes a grey scan stored in colour fail an exact test; such pages read the same in
/// grey (measured with `tesseract` on the corpus: the receipts, the French letter and the
/// Antiqua page, whose 95th-percentile chroma is 0 to 3, gave the same CER as RGB), while
/// pages on tinted paper (median chroma 5 to 31) read differently, better or worse, and stay
/// RGB (see the module docs).
pub(crate) fn grey_if_colourless(image: RgbImage) -> DynamicImage {
    if visibly_coloured(image.as_raw()) {
        DynamicImage::ImageRgb8(image)
    } else {
        // The `image` crate's luma: exact for pixels whose channels are equal, and the same
        // grey every other conversion in the service uses.
        DynamicImage::ImageLuma8(DynamicImage::ImageRgb8(image).to_luma8())
    }
}

/// Channel spread (max − min, 0..255) below which a pixel counts as grey: JPEG chroma noise.
pub const CHROMA_NOISE: u8 = 6;

/// Share of sampled pixels above [`CHROMA_NOISE`] from which a page counts as coloured.
pub const COLOURED_SHARE: f64 = 0.05;

/// Whether more than [`COLOURED_SHARE`] of a sample of about 100,000 pixels are coloured.
fn visibly_coloured(raw: &[u8]) -> bool {
    let pixels = raw.len() / 3;
    if pixels == 0 {
        return false;
    }
    // An odd step, so the sample does not fall into the same columns on every row.
    let step = (pixels / 100_000).max(1) | 1;
    let (mut sampled, mut coloured) = (0usize, 0usize);
    for p in raw.chunks_exact(3).step_by(step) {
        let (high, low) = (p[0].max(p[1]).max(p[2]), p[0].min(p[1]).min(p[2]));
        sampled += 1;
        coloured += usize::from(high - low > CHROMA_NOISE);
    }
    coloured as f64 > COLOURED_SHARE * sampled as f64
}

/// `value` with opacity `alpha` over white.
fn over_white(value: u8, alpha: u8) -> u8 {
    let (v, a) = (u32::from(value), u32::from(alpha));
    ((v * a + 255 * (255 - a) + 127) / 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_chroma_noise_is_grey_and_tinted_paper_is_colour() {
        // A grey page whose channels differ by JPEG-like noise of a few levels.
        let noisy = RgbImage::from_fn(400, 300, |x, y| {
            let v = if (x / 7 + y / 5) % 9 == 0 { 30 } else { 235 };
            let n = ((x * 7 + y * 13) % 5) as u8;
            image::Rgb([v, v.saturating_sub(n), v.saturating_add(n / 2)])
        });
        let grey = grey_if_colourless(noisy);
        assert!(
            matches!(grey, DynamicImage::ImageLuma8(_)),
            "noise is not colour"
        );
        // Yellowish paper: every background pixel has a chroma of 25.
        let tinted = RgbImage::from_fn(400, 300, |x, _| {
            if x % 11 == 0 {
                image::Rgb([20, 20, 20])
            } else {
                image::Rgb([240, 230, 215])
            }
        });
        assert!(matches!(
            grey_if_colourless(tinted),
            DynamicImage::ImageRgb8(_)
        ));
        // A red stamp on 10% of a white page is visible colour.
        let stamped = RgbImage::from_fn(100, 100, |x, _| {
            if x < 10 {
                image::Rgb([200, 30, 30])
            } else {
                image::Rgb([255, 255, 255])
            }
        });
        assert!(matches!(
            grey_if_colourless(stamped),
            DynamicImage::ImageRgb8(_)
        ));
    }

    #[test]
    fn the_resolution_rule() {
        use DpiSource::{Assumed, Tagged};
        let r = |scale, dpi, source| Resolution { scale, dpi, source };
        // A 400-dpi scan keeps its tag.
        assert_eq!(resolution(3307, 4935, Some(400.0)), r(1, 400, Tagged));
        // A phone photo tagged 72 dpi: the tag is not believed.
        assert_eq!(resolution(3000, 4000, Some(72.0)), r(1, 300, Assumed));
        // No tag at all.
        assert_eq!(resolution(2481, 3508, None), r(1, 300, Assumed));
        // Small images are upscaled; a credible tag doubles with them.
        assert_eq!(resolution(600, 800, None), r(2, 300, Assumed));
        assert_eq!(resolution(600, 800, Some(150.0)), r(2, 300, Tagged));
        assert_eq!(resolution(600, 800, Some(10_000.0)), r(2, 300, Assumed));
    }

    #[test]
    fn transparency_is_composited_on_white_and_colourless_rgb_is_grey() {
        assert_eq!(over_white(0, 0), 255);
        assert_eq!(over_white(0, 255), 0);
        assert_eq!(over_white(100, 255), 100);
        assert_eq!(over_white(0, 128), 127);
        let transparent_black = image::RgbaImage::from_pixel(2, 1, image::Rgba([0, 0, 0, 0]));
        let flat = flatten(DynamicImage::ImageRgba8(transparent_black));
        assert_eq!(flat.as_luma8().unwrap().as_raw(), &vec![255, 255]);
        let red = RgbImage::from_pixel(1, 1, Rgb([200, 0, 0]));
        assert!(flatten(DynamicImage::ImageRgb8(red)).as_rgb8().is_some());
    }
}
