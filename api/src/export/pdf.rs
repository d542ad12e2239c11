//! `pdf`: a searchable PDF, as OCRmyPDF makes them: every page is its image at its true size,
//! with an invisible text layer (text render mode 3) whose words sit on their boxes, so text can
//! be selected, searched and copied where it appears.
//!
//! - **Written page by page** ([`write`]): the document is streamed to any `Write` as its pages
//!   come, each page image fetched when its page is written and dropped after, so a 500-page
//!   job's download holds one page image at a time, not 500 (printpdf, which the first version
//!   used, builds the whole document in memory). Objects are numbered up front (catalog, page
//!   tree, font, then three per page), the page tree and cross-reference table come last.
//! - **Page size** is the image's pixels at its resolution (`width × 72 / dpi` points), so the
//!   page prints at the size of the paper that was scanned.
//! - **Images** are the JPEGs the worker stored, embedded as they are (`DCTDecode`): no second
//!   lossy pass, no resampling, and no decoding work. Another stored format (none is written
//!   today) is decoded and embedded as Flate-compressed pixels, losslessly.
//! - **Text** is placed line by line: the font size makes the font's ascent-to-descent height
//!   equal the line's box, the baseline sits at the box's bottom plus the font's descent, and each
//!   word starts at its box's left edge, horizontally scaled (`Tz`) to its box's width. A viewer
//!   therefore highlights exactly the pixels the engine read, and `pdftotext -bbox` reports words
//!   within a point or two of their boxes. Content streams are Flate-compressed.
//! - **Font**: an embedded TrueType font (DejaVu Sans by default), subset to the job's
//!   characters (typst's `subsetter`), as a CID font with a `ToUnicode` map, so any script the
//!   font covers survives extraction; without one, the standard Helvetica (Latin only).
//! - A page whose image is missing keeps its size and gets its text drawn visibly, so it is
//!   still readable.

use crate::export::Error;
use domain::{Line, PageResult};
use printpdf::ParsedFont;
use std::{
    collections::BTreeMap,
    fmt::Write as _,
    io::{self, Write},
};
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
    /// Parses a TrueType/OpenType font file; `None` when it is not one that can be embedded.
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

    fn upem(&self) -> f32 {
        f32::from(self.parsed.units_per_em.max(1))
    }

    /// Advance width of a text in ems, unknown characters counted as half an em.
    fn width(&self, text: &str) -> f32 {
        text.chars()
            .map(|c| {
                self.parsed
                    .lookup_glyph_index(c as u32)
                    .and_then(|g| self.parsed.get_glyph_width(g))
                    .map_or(0.5, |w| f32::from(w) / self.upem())
            })
            .sum()
    }

    /// The font reduced to the glyphs of `chars` (DejaVu Sans is 740 KB whole, a few KB for a
    /// page's characters), glyphs renumbered from 1 (0 stays `.notdef`).
    fn subset(&self, chars: impl IntoIterator<Item = char>) -> Subset {
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut codes = BTreeMap::new();
        let mut widths = BTreeMap::new();
        let scale = 1000.0 / self.upem();
        widths.insert(
            0,
            self.parsed
                .get_glyph_width(0)
                .map_or(500.0, |w| f32::from(w) * scale),
        );
        for c in chars {
            if let Some(glyph) = self.parsed.lookup_glyph_index(c as u32) {
                let new = remapper.remap(glyph);
                codes.insert(c, new);
                if let Some(width) = self.parsed.get_glyph_width(glyph) {
                    widths.insert(new, f32::from(width) * scale);
                }
            }
        }
        match subsetter::subset(&self.data, 0, &remapper) {
            Ok(bytes) => Subset {
                bytes,
                codes,
                widths,
            },
            Err(err) => {
                tracing::warn!(error = ?err, "could not subset the pdf font; embedding it whole");
                let codes: BTreeMap<char, u16> = self
                    .parsed
                    .codepoint_to_glyph
                    .iter()
                    .filter_map(|(c, g)| char::from_u32(*c).map(|c| (c, *g)))
                    .collect();
                let widths = codes
                    .values()
                    .filter_map(|g| {
                        self.parsed
                            .get_glyph_width(*g)
                            .map(|w| (*g, f32::from(w) * scale))
                    })
                    .collect();
                Subset {
                    bytes: self.data.clone(),
                    codes,
                    widths,
                }
            }
        }
    }
}

/// A subset font ready to embed: the font program, character → glyph, glyph widths (1/1000 em).
struct Subset {
    bytes: Vec<u8>,
    codes: BTreeMap<char, u16>,
    widths: BTreeMap<u16, f32>,
}

/// How the text layer is drawn: the embedded font, or Helvetica with approximate metrics.
enum TextFont<'a> {
    Embedded(&'a Font, Subset),
    Helvetica,
}

impl TextFont<'_> {
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

    /// The text as a PDF string operand for this font: glyph ids (hex) for the CID font,
    /// WinAnsi bytes (escaped) for Helvetica.
    fn encode(&self, text: &str, out: &mut String) {
        match self {
            TextFont::Embedded(_, subset) => {
                out.push('<');
                for c in text.chars() {
                    let glyph = subset.codes.get(&c).copied().unwrap_or(0);
                    let _ = write!(out, "{glyph:04X}");
                }
                out.push('>');
            }
            TextFont::Helvetica => {
                out.push('(');
                for c in text.chars() {
                    match c {
                        '(' | ')' | '\\' => {
                            out.push('\\');
                            out.push(c);
                        }
                        ' '..='~' => out.push(c),
                        // Latin-1 as octal escapes; anything else cannot be shown.
                        '\u{a0}'..='\u{ff}' => {
                            let _ = write!(out, "\\{:03o}", c as u32);
                        }
                        _ => out.push('?'),
                    }
                }
                out.push(')');
            }
        }
    }
}

/// Renders the searchable PDF into memory. `images` are the job's stored page images (any order).
pub fn render(
    view: &JobView,
    images: &[PageImageBlob],
    font: Option<&Font>,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    write(view, font, &mut out, |index| {
        Ok(images
            .iter()
            .find(|i| i.index == index && !i.data.is_empty())
            .cloned())
    })?;
    Ok(out)
}

/// Streams the searchable PDF to `out`, asking `image_of(page index)` for each page's stored
/// image when that page is written (so only one is held at a time).
pub fn write<W: Write>(
    view: &JobView,
    font: Option<&Font>,
    out: W,
    mut image_of: impl FnMut(u32) -> Result<Option<PageImageBlob>, Error>,
) -> Result<(), Error> {
    let io = |err: io::Error| Error::Pdf(err.to_string());
    let mut pdf = Writer::new(out);
    pdf.header().map_err(io)?;
    let text_font = match font {
        Some(font) => {
            let chars = view
                .pages
                .iter()
                .flat_map(|p| &p.result.blocks)
                .flat_map(|b| &b.lines)
                .flat_map(|l| &l.words)
                .flat_map(|w| w.text.chars());
            TextFont::Embedded(font, font.subset(chars))
        }
        None => TextFont::Helvetica,
    };
    pdf.object(CATALOG, b"<< /Type /Catalog /Pages 2 0 R >>")
        .map_err(io)?;
    pdf.font(&text_font).map_err(io)?;
    let page_count = view.pages.len().max(1);
    for (n, page) in view.pages.iter().enumerate() {
        let page = &page.result;
        let image = image_of(page.index)?;
        let dpi = [page.dpi, image.as_ref().map_or(0, |i| i.dpi)]
            .into_iter()
            .find(|d| *d > 0)
            .map_or(FALLBACK_DPI, |d| d as f32);
        let scale = 72.0 / dpi;
        let (width_pt, height_pt) = (page.width as f32 * scale, page.height as f32 * scale);
        let ids = PageIds::of(n);
        let drawn = match &image {
            Some(image) => pdf.image(ids.image, image).map_err(io)?,
            None => false,
        };
        drop(image);
        let mut content = String::new();
        if drawn {
            let _ = writeln!(
                content,
                "q {} 0 0 {} 0 0 cm /Im0 Do Q",
                num(width_pt),
                num(height_pt)
            );
        }
        text_layer(&mut content, page, &text_font, scale, height_pt, !drawn);
        pdf.stream(ids.contents, "", content.as_bytes(), true)
            .map_err(io)?;
        let xobject = if drawn {
            format!("/XObject << /Im0 {} 0 R >> ", ids.image)
        } else {
            String::new()
        };
        pdf.object(
            ids.page,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /CropBox [0 0 {w} {h}] \
                 /Resources << {xobject}/Font << /F1 {FONT} 0 R >> >> /Contents {} 0 R >>",
                ids.contents,
                w = num(width_pt),
                h = num(height_pt),
            )
            .as_bytes(),
        )
        .map_err(io)?;
    }
    if view.pages.is_empty() {
        // A PDF needs a page; an empty job gets one blank A4 page.
        let ids = PageIds::of(0);
        pdf.stream(ids.contents, "", b"", false).map_err(io)?;
        pdf.object(
            ids.page,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R >>",
                ids.contents
            )
            .as_bytes(),
        )
        .map_err(io)?;
    }
    let kids: Vec<String> = (0..page_count)
        .map(|n| format!("{} 0 R", PageIds::of(n).page))
        .collect();
    pdf.object(
        PAGES,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {page_count} >>",
            kids.join(" ")
        )
        .as_bytes(),
    )
    .map_err(io)?;
    let title = view
        .file_name
        .clone()
        .unwrap_or_else(|| view.id.0.to_string());
    let mut info = String::from("<< /Producer (ocrchat) /Title ");
    utf16_string(&title, &mut info);
    info.push_str(" >>");
    pdf.object(INFO, info.as_bytes()).map_err(io)?;
    pdf.finish(PageIds::of(page_count).page).map_err(io)?;
    Ok(())
}

/// Fixed object numbers; pages follow from [`FIRST_PAGE_OBJECT`], three objects each.
const CATALOG: usize = 1;
const PAGES: usize = 2;
const INFO: usize = 3;
const FONT: usize = 4;
const CID_FONT: usize = 5;
const FONT_DESCRIPTOR: usize = 6;
const FONT_FILE: usize = 7;
const TO_UNICODE: usize = 8;
const FIRST_PAGE_OBJECT: usize = 9;

/// The objects of page `n`.
struct PageIds {
    page: usize,
    contents: usize,
    image: usize,
}

impl PageIds {
    fn of(n: usize) -> PageIds {
        let base = FIRST_PAGE_OBJECT + 3 * n;
        PageIds {
            page: base,
            contents: base + 1,
            image: base + 2,
        }
    }
}

/// A PDF being written: byte offsets of the objects so far, for the cross-reference table.
struct Writer<W: Write> {
    out: W,
    written: u64,
    offsets: BTreeMap<usize, u64>,
}

impl<W: Write> Writer<W> {
    fn new(out: W) -> Self {
        Writer {
            out,
            written: 0,
            offsets: BTreeMap::new(),
        }
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn header(&mut self) -> io::Result<()> {
        self.put(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
    }

    fn object(&mut self, id: usize, body: &[u8]) -> io::Result<()> {
        self.offsets.insert(id, self.written);
        self.put(format!("{id} 0 obj\n").as_bytes())?;
        self.put(body)?;
        self.put(b"\nendobj\n")
    }

    /// A stream object; `dict` holds extra entries; `deflate` compresses the data.
    fn stream(&mut self, id: usize, dict: &str, data: &[u8], deflate: bool) -> io::Result<()> {
        let compressed;
        let (data, filter) = if deflate {
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(data)?;
            compressed = encoder.finish()?;
            (compressed.as_slice(), "/Filter /FlateDecode ")
        } else {
            (data, "")
        };
        self.offsets.insert(id, self.written);
        self.put(
            format!(
                "{id} 0 obj\n<< {dict}{filter}/Length {} >>\nstream\n",
                data.len()
            )
            .as_bytes(),
        )?;
        self.put(data)?;
        self.put(b"\nendstream\nendobj\n")
    }

    /// The page's image as an XObject; `false` when the stored image cannot be used.
    fn image(&mut self, id: usize, image: &PageImageBlob) -> io::Result<bool> {
        let (width, height) = (image.width.max(1), image.height.max(1));
        if image.mime == "image/jpeg" {
            let colour = match jpeg_components(&image.data) {
                Some(1) => "/DeviceGray",
                Some(3) => "/DeviceRGB",
                _ => return Ok(false),
            };
            let dict = format!(
                "/Type /XObject /Subtype /Image /Width {width} /Height {height} \
                 /ColorSpace {colour} /BitsPerComponent 8 /Filter /DCTDecode "
            );
            // Already compressed: deflating a JPEG only costs time.
            self.stream(id, &dict, &image.data, false)?;
            return Ok(true);
        }
        let Ok(decoded) = image::load_from_memory(&image.data) else {
            return Ok(false);
        };
        let (width, height) = (decoded.width(), decoded.height());
        let (colour, pixels) = match decoded {
            image::DynamicImage::ImageLuma8(grey) => ("/DeviceGray", grey.into_raw()),
            other => ("/DeviceRGB", other.to_rgb8().into_raw()),
        };
        let dict = format!(
            "/Type /XObject /Subtype /Image /Width {width} /Height {height} \
             /ColorSpace {colour} /BitsPerComponent 8 "
        );
        self.stream(id, &dict, &pixels, true)?;
        Ok(true)
    }

    /// The text-layer font objects.
    fn font(&mut self, font: &TextFont<'_>) -> io::Result<()> {
        let TextFont::Embedded(face, subset) = font else {
            return self.object(
                FONT,
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            );
        };
        let name = "/OCRCHT+DejaVuSans";
        self.object(
            FONT,
            format!(
                "<< /Type /Font /Subtype /Type0 /BaseFont {name} /Encoding /Identity-H \
                 /DescendantFonts [{CID_FONT} 0 R] /ToUnicode {TO_UNICODE} 0 R >>"
            )
            .as_bytes(),
        )?;
        let mut widths = String::new();
        for (glyph, width) in &subset.widths {
            let _ = write!(widths, "{glyph} [{}] ", num(*width));
        }
        self.object(
            CID_FONT,
            format!(
                "<< /Type /Font /Subtype /CIDFontType2 /BaseFont {name} \
                 /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
                 /FontDescriptor {FONT_DESCRIPTOR} 0 R /DW 500 /W [{widths}] \
                 /CIDToGIDMap /Identity >>"
            )
            .as_bytes(),
        )?;
        let (ascent, descent) = (face.ascent * 1000.0, face.descent * 1000.0);
        self.object(
            FONT_DESCRIPTOR,
            format!(
                "<< /Type /FontDescriptor /FontName {name} /Flags 32 \
                 /FontBBox [-1000 {d} 2000 {a}] /ItalicAngle 0 /Ascent {a} /Descent {d} \
                 /CapHeight {a} /StemV 80 /FontFile2 {FONT_FILE} 0 R >>",
                a = num(ascent),
                d = num(-descent)
            )
            .as_bytes(),
        )?;
        self.stream(
            FONT_FILE,
            &format!("/Length1 {} ", subset.bytes.len()),
            &subset.bytes,
            true,
        )?;
        let cmap = to_unicode(&subset.codes);
        self.stream(TO_UNICODE, "", cmap.as_bytes(), true)
    }

    /// Writes the cross-reference table and trailer; `size` is one past the last object number.
    fn finish(&mut self, size: usize) -> io::Result<()> {
        let xref = self.written;
        let mut table = format!("xref\n0 {size}\n0000000000 65535 f \n");
        for id in 1..size {
            match self.offsets.get(&id) {
                Some(offset) => {
                    let _ = writeln!(table, "{offset:010} 00000 n ");
                }
                None => table.push_str("0000000000 65535 f \n"),
            }
        }
        let _ = write!(
            table,
            "trailer\n<< /Size {size} /Root {CATALOG} 0 R /Info {INFO} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        );
        self.put(table.as_bytes())?;
        self.out.flush()
    }
}

/// The `ToUnicode` CMap of a subset: glyph id → the character it shows.
fn to_unicode(codes: &BTreeMap<char, u16>) -> String {
    let mut by_glyph: BTreeMap<u16, char> = BTreeMap::new();
    for (c, g) in codes {
        by_glyph.entry(*g).or_insert(*c);
    }
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(u16, char)> = by_glyph.into_iter().collect();
    for chunk in entries.chunks(100) {
        let _ = writeln!(cmap, "{} beginbfchar", chunk.len());
        for (glyph, c) in chunk {
            let mut units = [0u16; 2];
            let hex: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            let _ = writeln!(cmap, "<{glyph:04X}> <{hex}>");
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    cmap
}

/// A PDF text string in UTF-16BE with its byte-order mark, as hex.
fn utf16_string(text: &str, out: &mut String) {
    out.push_str("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
}

/// A number as PDF writes it: at most three decimals, no trailing zeros.
fn num(value: f32) -> String {
    let value = if value.is_finite() { value } else { 0.0 };
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" || text.is_empty() {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Width, height and number of colour components of a baseline or progressive JPEG, from its
/// frame header; `None` for anything else.
pub fn jpeg_frame(data: &[u8]) -> Option<(u32, u32, u8)> {
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
            let header = data.get(i..i + 10)?;
            let height = u32::from(u16::from_be_bytes([header[5], header[6]]));
            let width = u32::from(u16::from_be_bytes([header[7], header[8]]));
            return Some((width, height, header[9]));
        }
        i += 2 + length;
    }
    None
}

fn jpeg_components(data: &[u8]) -> Option<u8> {
    jpeg_frame(data).map(|(_, _, components)| components)
}

/// The text layer of a page: one text object, each line at its own size, each word on its box.
fn text_layer(
    out: &mut String,
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
    out.push_str("q BT\n");
    out.push_str(if visible { "0 g 0 Tr\n" } else { "3 Tr\n" });
    let mut stretch_now = 100.0_f32;
    for line in lines {
        let line_height = line.bbox.height().max(1) as f32 * scale;
        let size = line_height / (ascent + descent);
        // PDF y grows upwards from the page's bottom edge.
        let baseline = height_pt - line.bbox.y1 as f32 * scale + descent * size;
        let _ = writeln!(out, "/F1 {} Tf", num(size));
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
            if (stretch - stretch_now).abs() > 0.05 {
                let _ = write!(out, "{} Tz ", num(stretch));
                stretch_now = stretch;
            }
            let _ = write!(
                out,
                "1 0 0 1 {} {} Tm ",
                num(word.bbox.x0 as f32 * scale),
                num(baseline)
            );
            font.encode(text, out);
            out.push_str(" Tj\n");
        }
    }
    out.push_str("ET Q\n");
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
        assert!(text.contains("/MediaBox [0 0 612 792]"), "media box");
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
