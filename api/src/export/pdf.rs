//! `pdf`: a searchable PDF, as OCRmyPDF makes them: every page is its image at its true size,
//! with an invisible text layer (text render mode 3) whose words sit on their boxes, so text can
//! be selected, searched and copied where it appears.
//!
//! - **Page size** is the image's pixels at its resolution (`width × 72 / dpi` points), so the
//!   page prints at the size of the paper that was scanned.
//! - **Images** are the JPEGs the worker stored, embedded as they are (`DCTDecode`): no second
//!   lossy pass, no resampling, and no decoding work. Any other stored format is decoded and
//!   written with Flate, explicitly (printpdf's defaults would downsample it to 150 dpi grey).
//! - **Text** is placed line by line: the font size makes the font's ascent-to-descent height
//!   equal the line's box, the baseline sits at the box's bottom plus the font's descent, and each
//!   word starts at its box's left edge, horizontally scaled (`Tz`) to its box's width. A viewer
//!   therefore highlights exactly the pixels Tesseract read, and `pdftotext -bbox` reports words
//!   within a point or two of Tesseract's boxes.
//! - **Font**: an embedded, subset TrueType font (DejaVu Sans by default) so any script the font
//!   covers survives extraction; without one, the standard Helvetica (Latin only).
//! - A page whose image is missing keeps its size and gets its text drawn visibly, so it is
//!   still readable.

use crate::export::Error;
use domain::{Line, PageResult};
use printpdf::{
    BuiltinFont, Color, DictItem, ExternalStream, ExternalXObject, ImageCompression,
    ImageOptimizationOptions, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Pt, Px, RawImage, Rect, Rgb, TextItem, TextMatrix, TextRenderingMode, XObjectId,
    XObjectTransform,
};
use std::collections::BTreeMap;
use storage::{page_images::PageImageBlob, JobView};

/// Where Debian's `fonts-dejavu-core` puts the default text-layer font.
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Resolution assumed for a page that does not state one.
const FALLBACK_DPI: f32 = 300.0;

/// A parsed TrueType font for the text layer, with the metrics placement needs.
#[derive(Debug, Clone)]
pub struct Font {
    /// The font file, subset for each document.
    data: Vec<u8>,
    parsed: ParsedFont,
    /// Ascender above the baseline, in ems.
    ascent: f32,
    /// Descender below the baseline, in ems (positive).
    descent: f32,
}

impl Font {
    /// Parses a TrueType/OpenType font file; `None` when it is not one printpdf can embed.
    pub fn from_bytes(bytes: &[u8]) -> Option<Font> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)?;
        let upem = f32::from(parsed.units_per_em.max(1));
        let ascent = f32::from(parsed.font_metrics.ascent) / upem;
        let descent = -f32::from(parsed.font_metrics.descent) / upem;
        if parsed.codepoint_to_glyph.is_empty() || ascent <= 0.0 || descent < 0.0 {
            return None;
        }
        Some(Font {
            data: bytes.to_vec(),
            parsed,
            ascent,
            descent,
        })
    }

    /// Advance width of a text in ems, unknown characters counted as half an em.
    fn width(&self, text: &str) -> f32 {
        let upem = f32::from(self.parsed.units_per_em.max(1));
        text.chars()
            .map(|c| {
                self.parsed
                    .lookup_glyph_index(c as u32)
                    .and_then(|g| self.parsed.get_glyph_width(g))
                    .map_or(0.5, |w| f32::from(w) / upem)
            })
            .sum()
    }

    /// The font reduced to the glyphs of `chars` (DejaVu Sans is 740 KB whole, a few KB for a
    /// page's characters). printpdf without its `text_layout` feature embeds fonts whole, so the
    /// subset (by typst's `subsetter`) is handed to it as a font of its own: glyphs renumbered,
    /// the character map and widths renumbered to match. The whole font when subsetting fails.
    fn subset(&self, chars: impl IntoIterator<Item = char>) -> ParsedFont {
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut codepoints = BTreeMap::new();
        let mut widths = BTreeMap::new();
        if let Some(width) = self.parsed.get_glyph_width(0) {
            widths.insert(0, width);
        }
        for c in chars {
            if let Some(glyph) = self.parsed.lookup_glyph_index(c as u32) {
                let new = remapper.remap(glyph);
                codepoints.insert(c as u32, new);
                if let Some(width) = self.parsed.get_glyph_width(glyph) {
                    widths.insert(new, width);
                }
            }
        }
        match subsetter::subset(&self.data, 0, &remapper) {
            Ok(bytes) => ParsedFont {
                original_bytes: bytes,
                codepoint_to_glyph: codepoints,
                glyph_widths: widths,
                ..self.parsed.clone()
            },
            Err(err) => {
                tracing::warn!(error = ?err, "could not subset the pdf font; embedding it whole");
                self.parsed.clone()
            }
        }
    }
}

/// How the text layer is drawn: the embedded font, or Helvetica with approximate metrics.
enum TextFont<'a> {
    Embedded(&'a Font, printpdf::FontId),
    Helvetica,
}

impl TextFont<'_> {
    fn handle(&self) -> PdfFontHandle {
        match self {
            TextFont::Embedded(_, id) => PdfFontHandle::External(id.clone()),
            TextFont::Helvetica => PdfFontHandle::Builtin(BuiltinFont::Helvetica),
        }
    }

    /// `(ascent, descent)` in ems.
    fn metrics(&self) -> (f32, f32) {
        match self {
            TextFont::Embedded(font, _) => (font.ascent, font.descent),
            // Helvetica's AFM: ascender 718, descender -207.
            TextFont::Helvetica => (0.718, 0.207),
        }
    }

    fn width(&self, text: &str) -> f32 {
        match self {
            TextFont::Embedded(font, _) => font.width(text),
            // Helvetica averages a little over half an em per character.
            TextFont::Helvetica => 0.55 * text.chars().count() as f32,
        }
    }
}

/// Renders the searchable PDF. `images` are the job's stored page images (any order).
pub fn render(
    view: &JobView,
    images: &[PageImageBlob],
    font: Option<&Font>,
) -> Result<Vec<u8>, Error> {
    let title = view
        .file_name
        .clone()
        .unwrap_or_else(|| view.id.0.to_string());
    let mut doc = PdfDocument::new(&title);
    let text_font = match font {
        Some(font) => {
            let chars = view
                .pages
                .iter()
                .flat_map(|p| &p.result.blocks)
                .flat_map(|b| &b.lines)
                .flat_map(|l| &l.words)
                .flat_map(|w| w.text.chars());
            TextFont::Embedded(font, doc.add_font(&font.subset(chars)))
        }
        None => TextFont::Helvetica,
    };
    let mut pages = Vec::with_capacity(view.pages.len());
    for page in &view.pages {
        let page = &page.result;
        let image = images
            .iter()
            .find(|i| i.index == page.index && !i.data.is_empty());
        let dpi = [page.dpi, image.map_or(0, |i| i.dpi)]
            .into_iter()
            .find(|d| *d > 0)
            .map_or(FALLBACK_DPI, |d| d as f32);
        let scale = 72.0 / dpi;
        let (width_pt, height_pt) = (page.width as f32 * scale, page.height as f32 * scale);
        let mut ops = Vec::new();
        let drawn = match image {
            Some(image) => draw_image(&mut doc, &mut ops, image, width_pt, height_pt)?,
            None => false,
        };
        text_layer(&mut ops, page, &text_font, scale, height_pt, !drawn);
        pages.push(page_of_size(width_pt, height_pt, ops));
    }
    if pages.is_empty() {
        // A PDF needs a page; an empty job gets one blank A4 page.
        pages.push(page_of_size(595.0, 842.0, Vec::new()));
    }
    doc.with_pages(pages);
    let options = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        // Only images that are not stored as JPEG go through this: lossless, full resolution.
        image_optimization: Some(ImageOptimizationOptions {
            quality: None,
            max_image_size: None,
            dither_greyscale: Some(false),
            convert_to_greyscale: Some(false),
            auto_optimize: Some(false),
            format: Some(ImageCompression::Flate),
        }),
    };
    let mut warnings = Vec::new();
    Ok(doc.save(&options, &mut warnings))
}

/// A page of exactly `width × height` points (printpdf's millimetre constructor rounds).
fn page_of_size(width: f32, height: f32, ops: Vec<Op>) -> PdfPage {
    let size = Rect::from_wh(Pt(width), Pt(height));
    PdfPage {
        media_box: size.clone(),
        trim_box: size.clone(),
        crop_box: size,
        ops,
    }
}

/// Draws a stored page image over the whole page. `Ok(false)` when the image cannot be used
/// (the page then shows its text instead).
fn draw_image(
    doc: &mut PdfDocument,
    ops: &mut Vec<Op>,
    image: &PageImageBlob,
    width_pt: f32,
    height_pt: f32,
) -> Result<bool, Error> {
    let id: XObjectId;
    let (px_w, px_h) = (image.width.max(1) as usize, image.height.max(1) as usize);
    if image.mime == "image/jpeg" {
        let Some(components) = jpeg_components(&image.data) else {
            return Ok(false);
        };
        let color_space = match components {
            1 => "DeviceGray",
            3 => "DeviceRGB",
            _ => return Ok(false),
        };
        let mut dict = BTreeMap::new();
        dict.insert("Type".into(), DictItem::Name(b"XObject".to_vec()));
        dict.insert("Subtype".into(), DictItem::Name(b"Image".to_vec()));
        dict.insert("Width".into(), DictItem::Int(px_w as i64));
        dict.insert("Height".into(), DictItem::Int(px_h as i64));
        dict.insert("BitsPerComponent".into(), DictItem::Int(8));
        dict.insert(
            "ColorSpace".into(),
            DictItem::Name(color_space.as_bytes().to_vec()),
        );
        dict.insert("Filter".into(), DictItem::Name(b"DCTDecode".to_vec()));
        id = doc.add_xobject(&ExternalXObject {
            stream: ExternalStream {
                dict,
                content: image.data.clone(),
                // Already compressed: deflating a JPEG only costs time.
                compress: false,
            },
            width: Some(Px(px_w)),
            height: Some(Px(px_h)),
            dpi: None,
        });
    } else {
        let mut warnings = Vec::new();
        match RawImage::decode_from_bytes(&image.data, &mut warnings) {
            Ok(raw) => id = doc.add_image(&raw),
            Err(_) => return Ok(false),
        }
    }
    // printpdf maps the image's unit square to its pixel size at `dpi`; scale that to the page
    // (they agree unless the stored image was resized).
    let dpi = 72.0;
    let scale_x = width_pt / px_w as f32;
    let scale_y = height_pt / px_h as f32;
    ops.push(Op::UseXobject {
        id,
        transform: XObjectTransform {
            translate_x: Some(Pt(0.0)),
            translate_y: Some(Pt(0.0)),
            scale_x: Some(scale_x),
            scale_y: Some(scale_y),
            dpi: Some(dpi),
            ..XObjectTransform::default()
        },
    });
    Ok(true)
}

/// The number of colour components of a baseline or progressive JPEG, from its frame header.
fn jpeg_components(data: &[u8]) -> Option<u8> {
    if data.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return None;
        }
        let marker = data[i + 1];
        let length = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame header.
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            return data.get(i + 9).copied();
        }
        i += 2 + length;
    }
    None
}

/// The text layer of a page: one text object, each line at its own size, each word on its box.
fn text_layer(
    ops: &mut Vec<Op>,
    page: &PageResult,
    font: &TextFont<'_>,
    scale: f32,
    height_pt: f32,
    visible: bool,
) {
    let lines: Vec<&Line> = page
        .blocks
        .iter()
        .flat_map(|b| &b.lines)
        .filter(|l| !l.words.is_empty())
        .collect();
    if lines.is_empty() {
        return;
    }
    let (ascent, descent) = font.metrics();
    ops.push(Op::SaveGraphicsState);
    ops.push(Op::StartTextSection);
    if visible {
        ops.push(Op::SetFillColor {
            col: Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)),
        });
        ops.push(Op::SetTextRenderingMode {
            mode: TextRenderingMode::Fill,
        });
    } else {
        ops.push(Op::SetTextRenderingMode {
            mode: TextRenderingMode::Invisible,
        });
    }
    for line in lines {
        let line_height = line.bbox.height().max(1) as f32 * scale;
        let size = line_height / (ascent + descent);
        // PDF y grows upwards from the page's bottom edge.
        let baseline = height_pt - line.bbox.y1 as f32 * scale + descent * size;
        ops.push(Op::SetFont {
            font: font.handle(),
            size: Pt(size),
        });
        for word in &line.words {
            let text = word.text.trim();
            if text.is_empty() {
                continue;
            }
            let natural = font.width(text) * size;
            let target = word.bbox.width().max(1) as f32 * scale;
            let stretch = if natural > 0.0 {
                (target / natural * 100.0).clamp(1.0, 10_000.0)
            } else {
                100.0
            };
            ops.push(Op::SetHorizontalScaling { percent: stretch });
            ops.push(Op::SetTextMatrix {
                matrix: TextMatrix::Raw([
                    1.0,
                    0.0,
                    0.0,
                    1.0,
                    word.bbox.x0 as f32 * scale,
                    baseline,
                ]),
            });
            ops.push(Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            });
        }
    }
    ops.push(Op::EndTextSection);
    ops.push(Op::RestoreGraphicsState);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::fixtures;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = image::GrayImage::from_pixel(width, height, image::Luma([200u8]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn jpeg_headers_give_their_components() {
        assert_eq!(jpeg_components(&jpeg(8, 8)), Some(1));
        assert_eq!(jpeg_components(b"not a jpeg"), None);
    }

    #[test]
    fn pages_take_the_size_of_their_images() {
        let job = fixtures::job();
        let images: Vec<PageImageBlob> = job
            .pages
            .iter()
            .map(|p| PageImageBlob {
                index: p.result.index,
                mime: "image/jpeg".into(),
                width: p.result.width,
                height: p.result.height,
                dpi: p.result.dpi,
                data: jpeg(p.result.width, p.result.height),
            })
            .collect();
        let font = std::fs::read(DEFAULT_FONT_PATH)
            .ok()
            .and_then(|b| Font::from_bytes(&b));
        let pdf = render(&job, &images, font.as_ref()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        // 1275 × 1650 px at 150 dpi: 612 × 792 pt, US Letter.
        assert!(text.contains("/MediaBox[0 0 612 792]"), "media box");
        assert_eq!(
            text.matches("/DCTDecode").count(),
            3,
            "each JPEG embedded as is"
        );
        if font.is_some() {
            assert!(
                pdf.len() < 120_000,
                "the font is subset: {} bytes",
                pdf.len()
            );
        }
    }
}
