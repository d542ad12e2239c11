//! One PDF page, read the way [`domain::pdf_page::plan_pdf_page`] decides: measured, then its
//! text layer taken as it is, its embedded scan decoded as stored, or the page rendered.
//!
//! Everything here runs on the pdfium thread (see the module docs of [`super`]), inside one call
//! per page: measuring, deciding and reading happen on the page while it is loaded.

use super::{image_from_bgr, one_line, render, PdfError, PdfSession};
use domain::{
    pdf_page::{plan_pdf_page, ImagePlacement, PdfPagePlan, PdfPageTraits, POINTS_PER_INCH},
    BBox, Block, Line, PageResult, PageSource, Word,
};
use image::DynamicImage;
use pdfium_render::prelude::{
    PdfPage, PdfPageObject, PdfPageObjectCommon, PdfPageObjectType, PdfPageObjectsCommon,
    PdfPageRenderRotation, PdfPageTextRenderMode, PdfRenderConfig,
};

/// The engine name of pages whose text came from their text layer.
pub const ENGINE_NAME: &str = "pdf-text";

/// What a PDF page became.
#[derive(Debug, Clone, PartialEq)]
pub enum PdfPageOutput {
    /// A page image to recognise, with how it was obtained.
    Image {
        /// The pixels, grey or RGB.
        image: DynamicImage,
        /// The resolution it represents (from the page size for a decoded scan).
        dpi: u32,
        /// How it was obtained.
        source: PageSource,
        /// The scan's JPEG as stored in the PDF, when `image` is exactly its pixels (a grey or
        /// RGB image with no filter but `DCTDecode`): kept for exports as it is, instead of
        /// encoding the same pixels again.
        jpeg: Option<Vec<u8>>,
    },
    /// A scan stored as one JPEG that decodes to exactly the page image (grey or RGB, no
    /// filter but `DCTDecode`): handed over undecoded so the caller decodes it on its own
    /// thread. Decoding a 20-megapixel scan takes longer than measuring the page, and on the
    /// one pdfium thread it kept the OCR threads waiting; outside it, pages decode in
    /// parallel. Asked for with [`JpegPages::Undecoded`].
    Jpeg {
        /// The JPEG as stored in the PDF (also kept for exports as it is).
        data: Vec<u8>,
        /// Its pixel size, from its frame header (the caller checks the decoded size).
        pixels: [u32; 2],
        /// The resolution it represents (from the page size).
        dpi: u32,
    },
    /// A born-digital page: text, words and boxes from the text layer, plus the page image
    /// the boxes refer to (kept for exports).
    Text {
        /// The page result, confidence 1.0 everywhere.
        result: Box<PageResult>,
        /// The rendered page, the frame of `result`'s boxes.
        image: DynamicImage,
    },
}

/// Who decodes a page that is one stored JPEG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JpegPages {
    /// The caller, off the pdfium thread: such pages come back as [`PdfPageOutput::Jpeg`].
    Undecoded,
    /// pdfium (the fallback when the caller's decoder refused the data).
    Decoded,
}

/// Limits a page image must keep to.
#[derive(Debug, Clone, Copy)]
pub struct PixelLimits {
    /// Most pixels of one page image.
    pub max_pixels: u64,
    /// Longest side in pixels.
    pub max_side: u32,
}

impl PdfSession {
    /// Reads page `index` as its plan says. Blocking (on the pdfium thread).
    pub fn read_page(
        &self,
        index: u32,
        force_ocr: bool,
        limits: PixelLimits,
        jpeg_pages: JpegPages,
    ) -> Result<PdfPageOutput, PdfError> {
        self.with_page(index, move |_, page| {
            let (traits, chars) = measure(page, index)?;
            match plan_pdf_page(&traits, force_ocr) {
                PdfPagePlan::TextLayer { dpi } => {
                    let rendered = render(page, index, dpi, limits.max_pixels, limits.max_side)?;
                    let result = text_page(page, index, &chars, &rendered.image, rendered.dpi)?;
                    Ok(PdfPageOutput::Text {
                        result: Box::new(result),
                        image: rendered.image,
                    })
                }
                PdfPagePlan::EmbeddedImage => {
                    match embedded_scan(page, &traits, limits, jpeg_pages)? {
                        Some(output) => Ok(output),
                        // The image could not be decoded as stored: pdfium can still draw it.
                        None => {
                            rendered(page, index, domain::pdf_page::render_dpi(&traits), limits)
                        }
                    }
                }
                PdfPagePlan::Render { dpi } => rendered(page, index, dpi, limits),
            }
        })
    }
}

fn rendered(
    page: &PdfPage<'_>,
    index: u32,
    dpi: u32,
    limits: PixelLimits,
) -> Result<PdfPageOutput, PdfError> {
    let page = render(page, index, dpi, limits.max_pixels, limits.max_side)?;
    Ok(PdfPageOutput::Image {
        image: page.image,
        dpi: page.dpi,
        source: PageSource::Rendered { dpi: page.dpi },
        jpeg: None,
    })
}

/// One character of the text layer, with its box in page points (origin bottom-left).
#[derive(Debug, Clone, Copy)]
struct Char {
    ch: char,
    left: f32,
    bottom: f32,
    right: f32,
    top: f32,
    visible: bool,
}

/// Measures the page: size, rotation, images and the text layer's characters.
fn measure(page: &PdfPage<'_>, index: u32) -> Result<(PdfPageTraits, Vec<Char>), PdfError> {
    let error = |err: pdfium_render::prelude::PdfiumError| PdfError::Render {
        index,
        detail: one_line(&err),
    };
    let (width_pt, height_pt) = (
        f64::from(page.width().value),
        f64::from(page.height().value),
    );
    let rotation = match page.rotation() {
        Ok(PdfPageRenderRotation::Degrees90) => 90,
        Ok(PdfPageRenderRotation::Degrees180) => 180,
        Ok(PdfPageRenderRotation::Degrees270) => 270,
        _ => 0,
    };
    let mut traits = PdfPageTraits {
        width_pt,
        height_pt,
        rotation,
        ..PdfPageTraits::default()
    };
    let page_area = (width_pt * height_pt).max(1.0);
    for object in page.objects().iter() {
        if object.object_type() != PdfPageObjectType::Image {
            continue;
        }
        if let Some(placement) = placement(&object, width_pt, height_pt, page_area) {
            traits.images.push(placement);
        }
    }
    let text = page.text().map_err(error)?;
    let mut chars = Vec::new();
    for c in text.chars().iter() {
        let value = c.unicode_value();
        let Some(bounds) = c.loose_bounds().ok() else {
            continue;
        };
        let generated = c.is_generated().unwrap_or(false);
        let visible = generated
            || !matches!(
                c.render_mode(),
                Ok(PdfPageTextRenderMode::Invisible | PdfPageTextRenderMode::InvisibleClipping)
            );
        // pdfium reports a soft line-end hyphen as U+0002.
        let ch = match value {
            2 => Some('-'),
            v => char::from_u32(v),
        };
        let garbage = match ch {
            None => true,
            Some(ch) => is_garbage(ch),
        };
        if visible {
            traits.visible_chars += 1;
            if garbage {
                traits.garbage_chars += 1;
            }
            if let Some(ch) = ch {
                if !ch.is_whitespace() {
                    traits.non_space_chars += 1;
                    if ch.is_alphanumeric() {
                        traits.alnum_chars += 1;
                    }
                }
            }
        } else {
            traits.invisible_chars += 1;
        }
        if let Some(ch) = ch.filter(|_| visible) {
            chars.push(Char {
                ch,
                left: bounds.left().value,
                bottom: bounds.bottom().value,
                right: bounds.right().value,
                top: bounds.top().value,
                visible,
            });
        }
    }
    Ok((traits, chars))
}

/// Characters a font without a Unicode map extracts as: replacement, private use, controls
/// other than white space.
fn is_garbage(ch: char) -> bool {
    ch == '\u{FFFD}'
        || ('\u{E000}'..='\u{F8FF}').contains(&ch)
        || (ch.is_control() && !ch.is_whitespace())
}

/// Where an image object is drawn, and whether it is upright.
fn placement(
    object: &PdfPageObject<'_>,
    width_pt: f64,
    height_pt: f64,
    page_area: f64,
) -> Option<ImagePlacement> {
    let image = object.as_image_object()?;
    let (pixel_width, pixel_height) = (image.width().ok()?, image.height().ok()?);
    let bounds = object.bounds().ok()?.to_rect();
    let (left, right) = (
        f64::from(bounds.left().value),
        f64::from(bounds.right().value),
    );
    let (bottom, top) = (
        f64::from(bounds.bottom().value),
        f64::from(bounds.top().value),
    );
    let clipped_w = (right.min(width_pt) - left.max(0.0)).max(0.0);
    let clipped_h = (top.min(height_pt) - bottom.max(0.0)).max(0.0);
    let upright = object
        .matrix()
        .ok()
        .is_some_and(|m| m.b().abs() < 1e-3 && m.c().abs() < 1e-3 && m.a() > 0.0 && m.d() > 0.0);
    Some(ImagePlacement {
        pixel_width: u32::try_from(pixel_width).ok()?,
        pixel_height: u32::try_from(pixel_height).ok()?,
        width_pt: right - left,
        height_pt: top - bottom,
        coverage: (clipped_w * clipped_h / page_area).clamp(0.0, 1.0),
        upright,
    })
}

/// Decodes the page's one image as stored; `None` when pdfium cannot give its pixels.
fn embedded_scan(
    page: &PdfPage<'_>,
    traits: &PdfPageTraits,
    limits: PixelLimits,
    jpeg_pages: JpegPages,
) -> Result<Option<PdfPageOutput>, PdfError> {
    let Some(scan) = traits.full_page_image().copied() else {
        return Ok(None);
    };
    let pixels = u64::from(scan.pixel_width) * u64::from(scan.pixel_height);
    if pixels > limits.max_pixels || scan.pixel_width.max(scan.pixel_height) > limits.max_side {
        return Ok(None);
    }
    let objects = page.objects();
    let Some(object) = objects
        .iter()
        .find(|o| o.object_type() == PdfPageObjectType::Image)
    else {
        return Ok(None);
    };
    let Some(image) = object.as_image_object() else {
        return Ok(None);
    };
    let (width, height) = (scan.pixel_width, scan.pixel_height);
    // The resolution follows from the page size: 300 for a scan placed on an A4 page, 72 for a
    // phone scanner's "one pixel per point" page (which the OCR step then treats as unknown).
    let dpi = (f64::from(width) / (traits.width_pt / POINTS_PER_INCH))
        .round()
        .clamp(1.0, 10_000.0) as u32;
    let filters = image.filters();
    let only_dct = filters.len() == 1
        && filters
            .get(0)
            .is_ok_and(|f| f.name() == "DCTDecode" || f.name() == "DCT");
    let jpeg = only_dct
        .then(|| image.get_raw_image_data().ok())
        .flatten()
        .filter(|data| {
            crate::engine::headers::scan_jpeg(data)
                .ok()
                .and_then(|scan| scan.frame)
                .is_some_and(|(w, h, c)| (w, h) == (width, height) && (c == 1 || c == 3))
        });
    if jpeg_pages == JpegPages::Undecoded {
        if let Some(data) = jpeg {
            return Ok(Some(PdfPageOutput::Jpeg {
                data,
                pixels: [width, height],
                dpi,
            }));
        }
    }
    let Ok(bitmap) = image.get_raw_bitmap() else {
        return Ok(None);
    };
    if (bitmap.width() as u32, bitmap.height() as u32) != (width, height) {
        return Ok(None);
    }
    let Some(decoded) = bitmap_image(&bitmap) else {
        return Ok(None);
    };
    Ok(Some(PdfPageOutput::Image {
        image: decoded,
        dpi,
        source: PageSource::EmbeddedImage {
            pixels: [width, height],
        },
        jpeg,
    }))
}

/// A pdfium bitmap as a tight grey or RGB image (an image object's own pixels).
fn bitmap_image(bitmap: &pdfium_render::prelude::PdfBitmap<'_>) -> Option<DynamicImage> {
    use pdfium_render::prelude::PdfBitmapFormat;
    let (width, height) = (bitmap.width() as u32, bitmap.height() as u32);
    let (w, h) = (width as usize, height as usize);
    let raw = bitmap.as_raw_bytes();
    if w == 0 || h == 0 {
        return None;
    }
    let stride = raw.len() / h;
    match bitmap.format().ok()? {
        PdfBitmapFormat::Gray => {
            if stride < w {
                return None;
            }
            let pixels = raw
                .chunks_exact(stride)
                .take(h)
                .flat_map(|row| row[..w].iter().copied())
                .collect();
            image::GrayImage::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8)
        }
        PdfBitmapFormat::BGR => image_from_bgr(&raw, width, height, stride),
        PdfBitmapFormat::BGRx | PdfBitmapFormat::BGRA => {
            if stride < w * 4 {
                return None;
            }
            // Drop the fourth byte (alpha of an image's own pixels is not used by scans).
            let bgr: Vec<u8> = raw
                .chunks_exact(stride)
                .take(h)
                .flat_map(|row| {
                    row[..w * 4]
                        .chunks_exact(4)
                        .flat_map(|p| [p[0], p[1], p[2]])
                })
                .collect();
            image_from_bgr(&bgr, width, height, w * 3)
        }
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Maps page points to pixels of the rendered page image.
#[derive(Debug, Clone, Copy)]
struct Frame {
    scale: f64,
    left: f64,
    top: f64,
    width: u32,
    height: u32,
}

impl Frame {
    fn of(page: &PdfPage<'_>, image: &DynamicImage) -> Frame {
        let scale = f64::from(image.width()) / f64::from(page.width().value).max(1.0);
        // Where the page's origin lands: pdfium's own transform, so crop boxes that do not start
        // at (0, 0) place words right.
        let config =
            PdfRenderConfig::new().set_target_size(image.width() as i32, image.height() as i32);
        let origin = page.pixels_to_points(0, 0, &config).ok();
        let (left, top) = origin.map_or((0.0, f64::from(page.height().value)), |(x, y)| {
            (f64::from(x.value), f64::from(y.value))
        });
        Frame {
            scale,
            left,
            top,
            width: image.width(),
            height: image.height(),
        }
    }

    fn bbox(&self, left: f32, bottom: f32, right: f32, top: f32) -> BBox {
        let x = |v: f32| ((f64::from(v) - self.left) * self.scale).max(0.0);
        let y = |v: f32| ((self.top - f64::from(v)) * self.scale).max(0.0);
        let (x0, x1) = (x(left).floor() as u32, x(right).ceil() as u32);
        let (y0, y1) = (y(top).floor() as u32, y(bottom).ceil() as u32);
        BBox {
            x0: x0.min(self.width),
            y0: y0.min(self.height),
            x1: x1.min(self.width).max(x0.min(self.width)),
            y1: y1.min(self.height).max(y0.min(self.height)),
        }
    }
}

/// A word being assembled from characters.
#[derive(Debug, Default)]
struct WordBuilder {
    text: String,
    left: f32,
    bottom: f32,
    right: f32,
    top: f32,
}

impl WordBuilder {
    fn push(&mut self, c: &Char) {
        if self.text.is_empty() {
            (self.left, self.bottom, self.right, self.top) = (c.left, c.bottom, c.right, c.top);
        } else {
            self.left = self.left.min(c.left);
            self.bottom = self.bottom.min(c.bottom);
            self.right = self.right.max(c.right);
            self.top = self.top.max(c.top);
        }
        self.text.push(c.ch);
    }
}

/// Builds the page result from the text layer: characters into words (split at white space),
/// words into lines (pdfium's line breaks, or a jump back to the left or down), lines into
/// blocks (a vertical gap of more than half a line, or a change of column).
fn text_page(
    page: &PdfPage<'_>,
    index: u32,
    chars: &[Char],
    image: &DynamicImage,
    dpi: u32,
) -> Result<PageResult, PdfError> {
    let frame = Frame::of(page, image);
    let mut lines: Vec<Vec<WordBuilder>> = Vec::new();
    let mut line: Vec<WordBuilder> = Vec::new();
    let mut word = WordBuilder::default();
    let mut previous: Option<&Char> = None;
    for c in chars.iter().filter(|c| c.visible) {
        if c.ch == '\r' || c.ch == '\n' {
            flush_word(&mut word, &mut line);
            flush_line(&mut line, &mut lines);
            previous = None;
            continue;
        }
        if c.ch.is_whitespace() {
            flush_word(&mut word, &mut line);
            continue;
        }
        if let Some(p) = previous {
            let height = (p.top - p.bottom).abs().max(1.0);
            let new_line = c.top < p.bottom || c.bottom > p.top + height || c.right < p.left;
            if new_line {
                flush_word(&mut word, &mut line);
                flush_line(&mut line, &mut lines);
            }
        }
        word.push(c);
        previous = Some(c);
    }
    flush_word(&mut word, &mut line);
    flush_line(&mut line, &mut lines);

    let mut blocks: Vec<Block> = Vec::new();
    let mut block_lines: Vec<Line> = Vec::new();
    let mut last: Option<(f32, f32, f32)> = None; // (bottom, top, left) of the previous line
    for words in lines {
        let (bottom, top, left) = words
            .iter()
            .fold((f32::MAX, f32::MIN, f32::MAX), |(b, t, l), w| {
                (b.min(w.bottom), t.max(w.top), l.min(w.left))
            });
        if let Some((prev_bottom, prev_top, _)) = last {
            let height = (prev_top - prev_bottom).abs().max(1.0);
            let gap = prev_bottom - top;
            if gap > height * 0.5 || top > prev_top + height {
                flush_block(&mut block_lines, &mut blocks);
            }
        }
        last = Some((bottom, top, left));
        let words: Vec<Word> = words
            .into_iter()
            .map(|w| Word {
                bbox: frame.bbox(w.left, w.bottom, w.right, w.top),
                text: w.text,
                confidence: 1.0,
            })
            .collect();
        let bbox = words
            .iter()
            .skip(1)
            .fold(words[0].bbox, |acc, w| acc.union(&w.bbox));
        let text = words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        block_lines.push(Line { text, bbox, words });
    }
    flush_block(&mut block_lines, &mut blocks);
    let has_words = blocks.iter().any(|b| !b.lines.is_empty());
    Ok(PageResult {
        index,
        width: frame.width,
        height: frame.height,
        dpi,
        text: PageResult::text_from_blocks(&blocks),
        blocks,
        mean_confidence: has_words.then_some(1.0),
        language: String::new(),
        engine: ENGINE_NAME.to_owned(),
        tables: Vec::new(),
        rotation: 0,
        detection: None,
        translation: None,
        markdown: None,
        source: Some(PageSource::TextLayer),
    })
}

fn flush_word(word: &mut WordBuilder, line: &mut Vec<WordBuilder>) {
    if !word.text.is_empty() {
        line.push(std::mem::take(word));
    }
}

fn flush_line(line: &mut Vec<WordBuilder>, lines: &mut Vec<Vec<WordBuilder>>) {
    if !line.is_empty() {
        lines.push(std::mem::take(line));
    }
}

fn flush_block(lines: &mut Vec<Line>, blocks: &mut Vec<Block>) {
    if lines.is_empty() {
        return;
    }
    let lines = std::mem::take(lines);
    let bbox = lines
        .iter()
        .skip(1)
        .fold(lines[0].bbox, |acc, l| acc.union(&l.bbox));
    let text = lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    blocks.push(Block {
        text,
        bbox,
        confidence: 1.0,
        lines,
    });
}
