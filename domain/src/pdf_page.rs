//! How a PDF page is turned into something to read: its own text layer, its one embedded scan
//! decoded as stored, or a rendering at a resolution chosen from its content.
//!
//! The worker measures a page ([`PdfPageTraits`]: sizes, images, text objects) and these pure
//! rules decide; the decision is recorded in the page's `page_recognized` event
//! ([`PageSource`]), so an auditor sees how every page was obtained.
//!
//! Choices a newcomer may question:
//! - **A scan is decoded, never re-rendered.** A page that is one image covering the page (what
//!   scanners, phone scanner apps and img2pdf write) is read from the image's own pixels, as
//!   `pdfimages` gives them. Rendering at "300 dpi of the page size" made a 2442 × 3409 JPEG tagged
//!   72 ppi (a 34 × 47 inch page) into a 100-megapixel bitmap, 12 times the pixels of the scan
//!   and none of them new.
//! - **Invisible text is an OCR layer, and it is re-read.** A scan with an invisible text layer
//!   (OCRmyPDF, scanner software) is OCRed again by default: such layers are often an old
//!   engine's output, and judging their quality reliably would take an OCR pass anyway. Only
//!   visible text (what a reader of the page sees) counts as a real text layer.
//! - **A text layer is real only if it reads like text**: enough characters, few of them
//!   unmapped glyphs (U+FFFD, private use, control codes), most of them letters or digits. A PDF
//!   whose fonts lack a Unicode map extracts as garbage and is OCRed instead.
//! - **Pages with large images are OCRed even when they have text**: an image covering most of
//!   the page (a scanned figure, a photographed form) holds text the layer does not.

use serde::{Deserialize, Serialize};

/// PDF points per inch.
pub const POINTS_PER_INCH: f64 = 72.0;
/// Resolution of pages rendered without images to go by (vector-only pages that must be OCRed),
/// and the ceiling of resolutions chosen from images: where Tesseract reads print best.
pub const RENDER_DPI: u32 = 300;
/// Lowest resolution a page with vector text is rendered at for OCR, whatever its images say:
/// below it, vector glyphs are too small to read.
pub const MIN_RENDER_DPI: u32 = 150;
/// Resolution of the page image kept for exports and viewers of a born-digital page (its text
/// comes from the text layer, so the image only has to look right).
pub const TEXT_PAGE_IMAGE_DPI: u32 = 150;
/// Share of the page area one image must cover to count as the page's scan.
pub const FULL_PAGE_COVERAGE: f64 = 0.85;
/// Share of the page area images may cover on a page whose text layer is used as it is.
pub const MAX_IMAGE_COVERAGE_FOR_TEXT: f64 = 0.5;
/// Fewest visible characters for a text layer to be taken instead of OCR.
pub const MIN_TEXT_CHARS: u32 = 16;
/// Most unmapped glyphs (share of visible characters) a usable text layer may have.
pub const MAX_GARBAGE_SHARE: f64 = 0.05;
/// Fewest letters or digits (share of visible non-space characters) a usable layer must have.
pub const MIN_ALNUM_SHARE: f64 = 0.5;

/// One image object on a page, as measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImagePlacement {
    /// The image's own pixel width, as stored.
    pub pixel_width: u32,
    /// The image's own pixel height, as stored.
    pub pixel_height: u32,
    /// Width it is drawn at on the page, in points.
    pub width_pt: f64,
    /// Height it is drawn at on the page, in points.
    pub height_pt: f64,
    /// Share of the page area it covers (clipped to the page), 0..1.
    pub coverage: f64,
    /// Drawn upright and unmirrored with its rows along the page's x axis, so its pixels are
    /// the page's pixels without resampling.
    pub upright: bool,
}

impl ImagePlacement {
    /// The resolution the image has as placed on the page: its pixels over its drawn size.
    pub fn effective_dpi(&self) -> f64 {
        let w = f64::from(self.pixel_width) / (self.width_pt / POINTS_PER_INCH);
        let h = f64::from(self.pixel_height) / (self.height_pt / POINTS_PER_INCH);
        if w.is_finite() && h.is_finite() {
            w.max(h)
        } else {
            0.0
        }
    }
}

/// What the worker measured on a PDF page before deciding how to read it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PdfPageTraits {
    /// Page width in points (the crop box pdfium renders).
    pub width_pt: f64,
    /// Page height in points.
    pub height_pt: f64,
    /// The page's `/Rotate`, clockwise degrees (0, 90, 180, 270).
    pub rotation: u16,
    /// Image objects drawn on the page (including those inside form XObjects).
    pub images: Vec<ImagePlacement>,
    /// Characters of the text layer drawn visibly (not render mode 3, invisible).
    pub visible_chars: u32,
    /// Characters of the text layer drawn invisibly (an OCR layer over a scan).
    pub invisible_chars: u32,
    /// Visible characters pdfium could not map to Unicode (U+FFFD, private use, controls).
    pub garbage_chars: u32,
    /// Visible characters that are letters or digits.
    pub alnum_chars: u32,
    /// Visible characters that are not white space.
    pub non_space_chars: u32,
}

impl PdfPageTraits {
    /// Share of the page covered by images (summed, capped at 1).
    pub fn image_coverage(&self) -> f64 {
        self.images.iter().map(|i| i.coverage).sum::<f64>().min(1.0)
    }

    /// The one image that is the page's scan, if there is exactly such an image.
    pub fn full_page_image(&self) -> Option<&ImagePlacement> {
        let mut covering = self
            .images
            .iter()
            .filter(|i| i.coverage >= FULL_PAGE_COVERAGE);
        let first = covering.next()?;
        covering.next().is_none().then_some(first)
    }

    /// Whether the visible text layer reads like text (see the module docs).
    pub fn text_layer_is_real(&self) -> bool {
        if self.visible_chars < MIN_TEXT_CHARS || self.non_space_chars == 0 {
            return false;
        }
        let garbage = f64::from(self.garbage_chars) / f64::from(self.visible_chars);
        let alnum = f64::from(self.alnum_chars) / f64::from(self.non_space_chars);
        garbage <= MAX_GARBAGE_SHARE && alnum >= MIN_ALNUM_SHARE
    }
}

/// How a PDF page is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdfPagePlan {
    /// Take text, words and boxes from the text layer; keep a page image rendered at `dpi`.
    TextLayer {
        /// Resolution of the kept page image (the frame of the boxes).
        dpi: u32,
    },
    /// Decode the one full-page image as stored and OCR it.
    EmbeddedImage,
    /// Render the page at `dpi` and OCR it.
    Render {
        /// The chosen resolution, before the pixel limits lower it.
        dpi: u32,
    },
}

/// Decides how to read a page. `force_ocr` (the submit field) skips the text layer.
pub fn plan_pdf_page(traits: &PdfPageTraits, force_ocr: bool) -> PdfPagePlan {
    let unrotated = traits.rotation == 0;
    if !force_ocr
        && unrotated
        && traits.text_layer_is_real()
        && traits.image_coverage() <= MAX_IMAGE_COVERAGE_FOR_TEXT
    {
        return PdfPagePlan::TextLayer {
            dpi: TEXT_PAGE_IMAGE_DPI,
        };
    }
    // A scan: one upright image over the page and no visible text drawn beside it.
    if let Some(scan) = traits.full_page_image() {
        if scan.upright && unrotated && traits.visible_chars == 0 && traits.images.len() == 1 {
            return PdfPagePlan::EmbeddedImage;
        }
    }
    PdfPagePlan::Render {
        dpi: render_dpi(traits),
    }
}

/// The resolution a page is rendered at for OCR: that of its sharpest image (so a scan is
/// neither blown up nor thinned out), at least [`MIN_RENDER_DPI`] when the page has vector text,
/// at most [`RENDER_DPI`]; [`RENDER_DPI`] for a page without images.
pub fn render_dpi(traits: &PdfPageTraits) -> u32 {
    let sharpest = traits
        .images
        .iter()
        .filter(|i| i.coverage >= 0.05)
        .map(ImagePlacement::effective_dpi)
        .fold(0.0_f64, f64::max);
    if sharpest <= 0.0 {
        return RENDER_DPI;
    }
    let floor = if traits.visible_chars > 0 {
        f64::from(MIN_RENDER_DPI)
    } else {
        72.0
    };
    sharpest.round().clamp(floor, f64::from(RENDER_DPI)) as u32
}

/// How a page's image and text were obtained: recorded with the page, for audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum PageSource {
    /// An image file's page, decoded (PNG, JPEG, TIFF frame, …).
    Decoded,
    /// A PDF page's one embedded image, decoded as stored.
    EmbeddedImage {
        /// The image's pixel width and height.
        pixels: [u32; 2],
    },
    /// A PDF page rendered by pdfium.
    Rendered {
        /// The resolution it was rendered at.
        dpi: u32,
    },
    /// A born-digital PDF page: text and boxes from its text layer, no OCR.
    TextLayer,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(pixels: (u32, u32), page_pt: (f64, f64)) -> PdfPageTraits {
        PdfPageTraits {
            width_pt: page_pt.0,
            height_pt: page_pt.1,
            images: vec![ImagePlacement {
                pixel_width: pixels.0,
                pixel_height: pixels.1,
                width_pt: page_pt.0,
                height_pt: page_pt.1,
                coverage: 1.0,
                upright: true,
            }],
            ..PdfPageTraits::default()
        }
    }

    fn text(chars: u32) -> PdfPageTraits {
        PdfPageTraits {
            width_pt: 595.0,
            height_pt: 842.0,
            visible_chars: chars,
            non_space_chars: chars * 4 / 5,
            alnum_chars: chars * 3 / 4,
            ..PdfPageTraits::default()
        }
    }

    #[test]
    fn pages_are_planned_by_what_they_hold() {
        let mut ocr_layer = scan((2480, 3508), (595.0, 842.0));
        ocr_layer.invisible_chars = 2000;
        let mut garbage = text(2000);
        garbage.garbage_chars = 900;
        let mut symbols = text(2000);
        symbols.alnum_chars = 100;
        let mut text_and_photo = text(2000);
        text_and_photo.images = scan((2000, 2000), (595.0, 842.0)).images;
        text_and_photo.images[0].coverage = 0.7;
        let mut rotated_scan = scan((2480, 3508), (595.0, 842.0));
        rotated_scan.rotation = 90;
        let mut sideways_image = scan((3508, 2480), (595.0, 842.0));
        sideways_image.images[0].upright = false;
        let mut rotated_text = text(2000);
        rotated_text.rotation = 90;
        for (name, traits, force, expected) in [
            (
                "born-digital page",
                text(2000),
                false,
                PdfPagePlan::TextLayer { dpi: 150 },
            ),
            (
                "force_ocr renders it",
                text(2000),
                true,
                PdfPagePlan::Render { dpi: 300 },
            ),
            (
                "a few characters are not a text layer",
                text(5),
                false,
                PdfPagePlan::Render { dpi: 300 },
            ),
            (
                "unmapped glyphs are OCRed",
                garbage,
                false,
                PdfPagePlan::Render { dpi: 300 },
            ),
            (
                "symbol soup is OCRed",
                symbols,
                false,
                PdfPagePlan::Render { dpi: 300 },
            ),
            (
                "a scan is decoded as stored",
                scan((2480, 3508), (595.0, 842.0)),
                false,
                PdfPagePlan::EmbeddedImage,
            ),
            (
                "a 72 ppi phone scan is decoded as stored",
                scan((2442, 3409), (2442.0, 3409.0)),
                false,
                PdfPagePlan::EmbeddedImage,
            ),
            (
                "an invisible OCR layer is re-read from the scan",
                ocr_layer,
                false,
                PdfPagePlan::EmbeddedImage,
            ),
            (
                "text beside a large image is OCRed at the image's resolution",
                text_and_photo,
                false,
                PdfPagePlan::Render { dpi: 242 },
            ),
            (
                "a rotated page is rendered upright",
                rotated_scan,
                false,
                PdfPagePlan::Render { dpi: 300 },
            ),
            (
                "a turned image is rendered",
                sideways_image,
                false,
                PdfPagePlan::Render { dpi: 300 },
            ),
            (
                "a rotated text page is OCRed",
                rotated_text,
                false,
                PdfPagePlan::Render { dpi: 300 },
            ),
        ] {
            assert_eq!(plan_pdf_page(&traits, force), expected, "case: {name}");
        }
    }

    #[test]
    fn render_resolution_follows_the_images() {
        // A 150 ppi scan with a vector header: rendered at 150, not 300.
        let mut page = scan((1240, 1754), (595.0, 842.0));
        page.visible_chars = 40;
        assert_eq!(render_dpi(&page), 150);
        // A 600 ppi scan is capped at 300.
        assert_eq!(render_dpi(&scan((4960, 7016), (595.0, 842.0))), 300);
        // A low-resolution image alone is rendered at its own resolution.
        assert_eq!(render_dpi(&scan((600, 848), (595.0, 842.0))), 73);
        // With vector text on the page, not below the floor.
        let mut low = scan((600, 848), (595.0, 842.0));
        low.visible_chars = 10;
        assert_eq!(render_dpi(&low), 150);
        // A small logo does not decide.
        let mut logo = text(100);
        logo.images = scan((100, 100), (595.0, 842.0)).images;
        logo.images[0].coverage = 0.01;
        assert_eq!(render_dpi(&logo), 300);
    }

    #[test]
    fn page_sources_serialize_with_their_method() {
        let json = serde_json::to_value(PageSource::EmbeddedImage {
            pixels: [2442, 3409],
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"method": "embedded_image", "pixels": [2442, 3409]})
        );
        let back: PageSource = serde_json::from_value(json).unwrap();
        assert_eq!(
            back,
            PageSource::EmbeddedImage {
                pixels: [2442, 3409]
            }
        );
    }
}
