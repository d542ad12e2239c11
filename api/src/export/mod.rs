//! Downloads: a finished job rendered in the formats users open in their own tools.
//!
//! Every exporter is a pure function of the job projection ([`JobView`]), plus the stored page
//! images for the searchable PDF: no database, no clock, no file system. The route loads what
//! they need and hands it in, so each format is tested on fixed pages (golden files) as well as
//! end to end.
//!
//! | format | module | what a user gets |
//! |---|---|---|
//! | `txt` | [`txt`] | the job text, pages separated by form feeds |
//! | `md` | [`md`] | Markdown: headings, paragraphs, lists, tables; pages separated by rules |
//! | `docx` | [`docx`] | a Word document: the same structure, one page break per source page |
//! | `pdf` | [`pdf`] | a searchable PDF: the page images with an invisible text layer |
//! | `csv` | [`csv`] | the tables found, or one row per block |
//! | `json` | [`json`] | the job object, as `GET /api/v1/ocr/<uuid>/` returns it |
//! | `hocr` | [`hocr`] | hOCR 1.2 (XHTML): pages, blocks, paragraphs, lines, words |
//! | `alto` | [`alto`] | ALTO v4 XML: pages, blocks, lines, words |
//!
//! With the `translate` tool, txt, md and docx put each page's translation after the page's own
//! text, under a [`translation_title`], so a reader sees both side by side page by page.

pub mod alto;
pub mod csv;
pub mod docx;
pub mod hocr;
pub mod json;
pub mod layout;
pub mod md;
pub mod pdf;
pub mod txt;
mod xml;

use domain::Translation;
use poem_openapi::Enum;
use storage::{page_images::PageImageBlob, JobView};

/// The title above a page's translation: "Translation (English)", with the language's name when
/// the language table knows it, else its code.
pub fn translation_title(translation: &Translation) -> String {
    let name = domain::language::lookup(&translation.language)
        .map_or(translation.language.as_str(), |l| l.name);
    format!("Translation ({name})")
}

/// The translation's paragraphs (separated by blank lines), trimmed, without empty ones.
pub fn translation_paragraphs(translation: &Translation) -> Vec<&str> {
    translation
        .text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// A download format, as named in `?format=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
#[oai(rename_all = "lowercase")]
pub enum Format {
    /// Plain text, pages separated by form feeds.
    Txt,
    /// Markdown with headings, lists and tables.
    Md,
    /// A Word document.
    Docx,
    /// A searchable PDF: page images with an invisible text layer.
    Pdf,
    /// The tables (or, without tables, one row per block).
    Csv,
    /// The job object.
    Json,
    /// hOCR 1.2 (XHTML).
    Hocr,
    /// ALTO v4 XML.
    Alto,
}

impl Format {
    /// Every format, in the order the API documents them.
    pub const ALL: [Format; 8] = [
        Format::Txt,
        Format::Md,
        Format::Docx,
        Format::Pdf,
        Format::Csv,
        Format::Json,
        Format::Hocr,
        Format::Alto,
    ];

    /// The `Content-Type` of the download.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Txt => "text/plain; charset=utf-8",
            Format::Md => "text/markdown; charset=utf-8",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pdf => "application/pdf",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
            // hOCR is XHTML; served as such, browsers and hOCR tools both open it.
            Format::Hocr => "application/xhtml+xml; charset=utf-8",
            Format::Alto => "application/xml; charset=utf-8",
        }
    }

    /// The file name extension (after the upload's stem).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::Md => "md",
            Format::Docx => "docx",
            Format::Pdf => "pdf",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Hocr => "hocr",
            // `.xml` so XML tools open it; `alto.` so it is not mistaken for another XML export.
            Format::Alto => "alto.xml",
        }
    }
}

/// Why an export could not be produced. Each is a bug or a broken stored page, never a user
/// error: the route answers 500.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Word document could not be written.
    #[error("could not write the docx package")]
    Docx(#[source] std::io::Error),
    /// The CSV writer failed.
    #[error("could not write csv")]
    Csv(#[from] ::csv::Error),
    /// The job object could not be serialized.
    #[error("could not serialize the job")]
    Json(#[from] serde_json::Error),
    /// The PDF could not be built.
    #[error("could not build the pdf: {0}")]
    Pdf(String),
}

/// What the exporters may need besides the job itself.
#[derive(Default)]
pub struct Inputs<'a> {
    /// Stored page images (the searchable PDF draws them); a page without one gets a text-only
    /// page.
    pub images: &'a [PageImageBlob],
    /// The font of the PDF text layer; `None` falls back to Helvetica (Latin text only).
    pub font: Option<&'a pdf::Font>,
}

/// Renders a job in a format.
pub fn render(format: Format, view: &JobView, inputs: &Inputs<'_>) -> Result<Vec<u8>, Error> {
    match format {
        Format::Txt => Ok(txt::render(view)),
        Format::Md => Ok(md::render(view)),
        Format::Docx => docx::render(view),
        Format::Pdf => pdf::render(view, inputs.images, inputs.font),
        Format::Csv => csv::render(view),
        Format::Json => json::render(view),
        Format::Hocr => Ok(hocr::render(view)),
        Format::Alto => Ok(alto::render(view)),
    }
}

/// The download's file name: the upload's name without its extension (or `ocr-<uuid>` when the
/// upload had none), plus the format's extension.
pub fn file_name(view: &JobView, format: Format) -> String {
    let stem = view
        .file_name
        .as_deref()
        .map(|name| {
            // Browsers send bare names, but some clients send paths; keep the last part.
            let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
            match base.rsplit_once('.') {
                Some((stem, _)) if !stem.is_empty() => stem.to_owned(),
                _ => base.to_owned(),
            }
        })
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("ocr-{}", view.id.0));
    format!("{stem}.{}", format.extension())
}

/// `Content-Disposition: attachment` for a file name: a plain ASCII `filename` every client
/// understands (non-ASCII and unsafe characters replaced by `_`) and, when the name is not plain
/// ASCII, the exact name as RFC 5987 `filename*` (UTF-8, percent-encoded).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '/' | ';' | '%')) || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ascii == name {
        format!("attachment; filename=\"{ascii}\"")
    } else {
        format!(
            "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
            percent_encode(name)
        )
    }
}

/// RFC 5987 `attr-char`s stay, everything else is percent-encoded byte by byte.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for byte in s.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod golden;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_the_upload_stem() {
        let mut view = fixtures::view(vec![]);
        view.file_name = Some("scans/Letter 1938.pdf".into());
        assert_eq!(file_name(&view, Format::Docx), "Letter 1938.docx");
        assert_eq!(file_name(&view, Format::Alto), "Letter 1938.alto.xml");
        view.file_name = Some(".hidden".into());
        assert_eq!(file_name(&view, Format::Txt), ".hidden.txt");
        view.file_name = None;
        assert_eq!(
            file_name(&view, Format::Pdf),
            format!("ocr-{}.pdf", view.id.0)
        );
    }

    #[test]
    fn content_disposition_is_ascii_with_an_exact_utf8_twin() {
        assert_eq!(
            content_disposition("receipt.csv"),
            "attachment; filename=\"receipt.csv\""
        );
        assert_eq!(
            content_disposition("Zürich \"Q1\".md"),
            "attachment; filename=\"Z_rich _Q1_.md\"; filename*=UTF-8''Z%C3%BCrich%20%22Q1%22.md"
        );
    }

    #[test]
    fn every_format_has_a_type_and_an_extension() {
        for format in Format::ALL {
            assert!(!format.content_type().is_empty());
            assert!(!format.extension().is_empty());
        }
    }
}
