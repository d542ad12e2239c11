//! `hocr`: hOCR 1.2, the XHTML interchange format of OCR engines (Tesseract, OCRopus) that
//! OCR-D, hocr-tools and archival viewers read.
//!
//! One `ocr_page` per page (`bbox`, `ppageno`, `scan_res`), one `ocr_carea` holding one `ocr_par`
//! per block, `ocr_line`s, and `ocrx_word`s with `bbox` and `x_wconf` (0–100). Ids are
//! `page_N`, `block_N_M`, `par_N_M`, `line_N_M`, `word_N_M`, 1-based like Tesseract's.

use crate::export::xml::escape;
use domain::PageResult;
use storage::JobView;

/// Renders the hOCR document.
pub fn render(view: &JobView) -> Vec<u8> {
    let mut out = String::new();
    out.push_str(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n",
        "    \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n",
    ));
    let lang = view
        .pages
        .first()
        .map(|p| p.result.language.as_str())
        .unwrap_or("");
    let lang = html_lang(lang);
    out.push_str(&format!(
        "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"{lang}\" lang=\"{lang}\">\n"
    ));
    out.push_str(" <head>\n");
    out.push_str(&format!(
        "  <title>{}</title>\n",
        escape(view.file_name.as_deref().unwrap_or(""))
    ));
    out.push_str("  <meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n");
    out.push_str(&format!(
        "  <meta name=\"ocr-system\" content=\"ocrchat {}\"/>\n",
        env!("CARGO_PKG_VERSION")
    ));
    out.push_str(
        "  <meta name=\"ocr-capabilities\" \
         content=\"ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf\"/>\n",
    );
    out.push_str(" </head>\n <body>\n");
    let image = escape(view.file_name.as_deref().unwrap_or(""));
    for page in &view.pages {
        write_page(&mut out, &page.result, &image);
    }
    out.push_str(" </body>\n</html>\n");
    out.into_bytes()
}

fn write_page(out: &mut String, page: &PageResult, image: &str) {
    let n = page.index + 1;
    let dpi = if page.dpi > 0 {
        format!("; scan_res {0} {0}", page.dpi)
    } else {
        String::new()
    };
    out.push_str(&format!(
        "  <div class=\"ocr_page\" id=\"page_{n}\" title=\"image &quot;{image}&quot;; bbox 0 0 {} {}; ppageno {}{dpi}\">\n",
        page.width, page.height, page.index
    ));
    let lang = html_lang(&page.language);
    let (mut line_no, mut word_no) = (0, 0);
    for (b, block) in page.blocks.iter().enumerate() {
        let id = format!("{n}_{}", b + 1);
        let bbox = bbox_of(block.bbox);
        out.push_str(&format!(
            "   <div class=\"ocr_carea\" id=\"block_{id}\" title=\"{bbox}\">\n"
        ));
        out.push_str(&format!(
            "    <p class=\"ocr_par\" id=\"par_{id}\" lang=\"{lang}\" title=\"{bbox}\">\n"
        ));
        for line in &block.lines {
            line_no += 1;
            out.push_str(&format!(
                "     <span class=\"ocr_line\" id=\"line_{n}_{line_no}\" title=\"{}; x_size {}\">",
                bbox_of(line.bbox),
                line.bbox.height()
            ));
            for (i, word) in line.words.iter().enumerate() {
                word_no += 1;
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&format!(
                    "<span class=\"ocrx_word\" id=\"word_{n}_{word_no}\" title=\"{}; x_wconf {}\">{}</span>",
                    bbox_of(word.bbox),
                    (word.confidence * 100.0).round().clamp(0.0, 100.0) as u32,
                    escape(&word.text)
                ));
            }
            out.push_str("</span>\n");
        }
        out.push_str("    </p>\n   </div>\n");
    }
    out.push_str("  </div>\n");
}

fn bbox_of(b: domain::BBox) -> String {
    format!("bbox {} {} {} {}", b.x0, b.y0, b.x1, b.y1)
}

/// An HTML language tag for a Tesseract language string: its first language as given
/// (`deu+eng` → `deu`); ISO 639-3 codes are valid language tags.
fn html_lang(tesseract: &str) -> String {
    let first = tesseract.split('+').next().unwrap_or("");
    let tag: String = first
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if tag.is_empty() {
        "und".to_owned()
    } else {
        tag
    }
}

#[cfg(test)]
mod tests {
    use crate::export::fixtures;

    #[test]
    fn words_carry_boxes_and_confidences() {
        let html = String::from_utf8(super::render(&fixtures::job())).unwrap();
        assert_eq!(html.matches("class=\"ocr_page\"").count(), 3);
        assert!(html.contains(
            "<span class=\"ocrx_word\" id=\"word_1_1\" title=\"bbox 150 100 285 160; x_wconf 80\">Quarterly</span>"
        ), "{html}");
        assert!(html.contains("&lt;notes&gt;."));
        assert!(html.contains("Müller"));
    }
}
