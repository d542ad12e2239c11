//! `alto`: ALTO v4 XML (schema 4.2), the layout-and-text format of libraries and archives
//! (METS/ALTO, OCR-D, viewers such as the DFG-Viewer).
//!
//! Measurement unit `pixel`, in the page image's frame. One `Page` per page (`PHYSICAL_IMG_NR`
//! 1-based, `PC` the page confidence), a `PrintSpace` covering the page, one `TextBlock` per
//! block, `TextLine`s, and `String`s with `WC` (0..1) separated by `SP`s. Ids are unique across
//! the document (`p1_b2_l3_w4`). Tables are not represented: ALTO v4 has no table element.

use crate::export::xml::escape;
use domain::{BBox, PageResult};
use storage::JobView;

/// Renders the ALTO document.
pub fn render(view: &JobView) -> Vec<u8> {
    let mut out = String::new();
    out.push_str(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<alto xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\" ",
        "xmlns:xlink=\"http://www.w3.org/1999/xlink\" ",
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ",
        "xsi:schemaLocation=\"http://www.loc.gov/standards/alto/ns-v4# ",
        "http://www.loc.gov/standards/alto/v4/alto-4-2.xsd\" SCHEMAVERSION=\"4.2\">\n",
        "  <Description>\n",
        "    <MeasurementUnit>pixel</MeasurementUnit>\n",
    ));
    if let Some(name) = view.file_name.as_deref() {
        out.push_str(&format!(
            "    <sourceImageInformation>\n      <fileName>{}</fileName>\n    </sourceImageInformation>\n",
            escape(name)
        ));
    }
    let engines: Vec<String> = {
        let mut e: Vec<String> = view
            .pages
            .iter()
            .map(|p| format!("{} ({})", p.result.engine, p.result.language))
            .collect();
        e.dedup();
        e
    };
    out.push_str("    <Processing ID=\"OCR_0\">\n");
    out.push_str("      <processingCategory>contentGeneration</processingCategory>\n");
    if !engines.is_empty() {
        out.push_str(&format!(
            "      <processingStepSettings>{}</processingStepSettings>\n",
            escape(&engines.join(", "))
        ));
    }
    out.push_str(&format!(
        concat!(
            "      <processingSoftware>\n",
            "        <softwareName>ocrchat</softwareName>\n",
            "        <softwareVersion>{}</softwareVersion>\n",
            "      </processingSoftware>\n",
            "    </Processing>\n",
            "  </Description>\n",
            "  <Layout>\n"
        ),
        env!("CARGO_PKG_VERSION")
    ));
    for page in &view.pages {
        write_page(&mut out, &page.result);
    }
    out.push_str("  </Layout>\n</alto>\n");
    out.into_bytes()
}

fn write_page(out: &mut String, page: &PageResult) {
    let p = page.index + 1;
    let confidence = page
        .mean_confidence
        .map(|c| format!(" PC=\"{:.4}\"", c.clamp(0.0, 1.0)))
        .unwrap_or_default();
    out.push_str(&format!(
        "    <Page ID=\"p{p}\" PHYSICAL_IMG_NR=\"{p}\" WIDTH=\"{}\" HEIGHT=\"{}\"{confidence}>\n",
        page.width, page.height
    ));
    out.push_str(&format!(
        "      <PrintSpace ID=\"p{p}_ps\" HPOS=\"0\" VPOS=\"0\" WIDTH=\"{}\" HEIGHT=\"{}\">\n",
        page.width, page.height
    ));
    for (b, block) in page.blocks.iter().enumerate() {
        let block_id = format!("p{p}_b{}", b + 1);
        out.push_str(&format!(
            "        <TextBlock ID=\"{block_id}\" {}>\n",
            position(block.bbox)
        ));
        for (l, line) in block
            .lines
            .iter()
            .filter(|l| !l.words.is_empty())
            .enumerate()
        {
            let line_id = format!("{block_id}_l{}", l + 1);
            out.push_str(&format!(
                "          <TextLine ID=\"{line_id}\" {}>\n",
                position(line.bbox)
            ));
            for (w, word) in line.words.iter().enumerate() {
                if w > 0 {
                    let previous = line.words[w - 1].bbox;
                    out.push_str(&format!(
                        "            <SP WIDTH=\"{}\" HPOS=\"{}\" VPOS=\"{}\"/>\n",
                        word.bbox.x0.saturating_sub(previous.x1),
                        previous.x1,
                        previous.y0.min(word.bbox.y0)
                    ));
                }
                out.push_str(&format!(
                    "            <String ID=\"{line_id}_w{}\" CONTENT=\"{}\" {} WC=\"{:.4}\"/>\n",
                    w + 1,
                    escape(&word.text),
                    position(word.bbox),
                    word.confidence.clamp(0.0, 1.0)
                ));
            }
            out.push_str("          </TextLine>\n");
        }
        out.push_str("        </TextBlock>\n");
    }
    out.push_str("      </PrintSpace>\n    </Page>\n");
}

/// `HPOS VPOS WIDTH HEIGHT` attributes of a box.
fn position(b: BBox) -> String {
    format!(
        "HPOS=\"{}\" VPOS=\"{}\" WIDTH=\"{}\" HEIGHT=\"{}\"",
        b.x0,
        b.y0,
        b.width(),
        b.height()
    )
}

#[cfg(test)]
mod tests {
    use crate::export::fixtures;

    #[test]
    fn strings_carry_positions_and_confidences() {
        let xml = String::from_utf8(super::render(&fixtures::job())).unwrap();
        assert_eq!(xml.matches("<Page ").count(), 3);
        assert!(xml.contains(
            "<String ID=\"p1_b1_l1_w1\" CONTENT=\"Quarterly\" HPOS=\"150\" VPOS=\"100\" WIDTH=\"135\" HEIGHT=\"60\" WC=\"0.8000\"/>"
        ), "{xml}");
        assert!(xml.contains("<SP WIDTH=\"15\" HPOS=\"285\" VPOS=\"100\"/>"));
        assert!(xml.contains("CONTENT=\"&lt;notes&gt;.\""));
    }
}
