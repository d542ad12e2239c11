//! PDFs as scanners and phone apps write them, built byte by byte for tests: each page one JPEG
//! drawn over the whole page, the page size chosen freely (so a scan can be "tagged" 72 ppi, one
//! point per pixel, as img2pdf and phone scanner apps do).

/// One page of a scanned PDF.
#[derive(Debug, Clone)]
pub struct ScanPage<'a> {
    /// A baseline JPEG (grey or RGB).
    pub jpeg: &'a [u8],
    /// The JPEG's pixel width.
    pub width_px: u32,
    /// The JPEG's pixel height.
    pub height_px: u32,
    /// The page width in points.
    pub width_pt: f64,
    /// The page height in points.
    pub height_pt: f64,
}

impl<'a> ScanPage<'a> {
    /// A page whose size gives the image `ppi` pixels per inch.
    pub fn at_ppi(jpeg: &'a [u8], ppi: f64) -> ScanPage<'a> {
        let (width_px, height_px) = jpeg_size(jpeg).expect("a baseline JPEG");
        ScanPage {
            jpeg,
            width_px,
            height_px,
            width_pt: f64::from(width_px) * 72.0 / ppi,
            height_pt: f64::from(height_px) * 72.0 / ppi,
        }
    }
}

/// Writes a PDF of the pages. Pages that share a JPEG (the same slice) share one image object,
/// so a 500-page test file stays small.
pub fn scanned_pdf(pages: &[ScanPage<'_>]) -> Vec<u8> {
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets: Vec<usize> = Vec::new();
    // Objects: 1 catalog, 2 pages, then per distinct image one object, then per page 2.
    let mut images: Vec<&[u8]> = Vec::new();
    let image_of: Vec<usize> = pages
        .iter()
        .map(
            |p| match images.iter().position(|i| std::ptr::eq(*i, p.jpeg)) {
                Some(at) => at,
                None => {
                    images.push(p.jpeg);
                    images.len() - 1
                }
            },
        )
        .collect();
    let image_id = |i: usize| 3 + i;
    let page_id = |p: usize| 3 + images.len() + 2 * p;
    let object = |out: &mut Vec<u8>, offsets: &mut Vec<usize>, body: &[u8]| {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    object(&mut out, &mut offsets, b"<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = (0..pages.len())
        .map(|p| format!("{} 0 R", page_id(p)))
        .collect();
    object(
        &mut out,
        &mut offsets,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        )
        .as_bytes(),
    );
    for (i, jpeg) in images.iter().enumerate() {
        let page = &pages[image_of.iter().position(|&x| x == i).unwrap_or(0)];
        let colour = if jpeg_components(jpeg) == Some(1) {
            "/DeviceGray"
        } else {
            "/DeviceRGB"
        };
        let mut body = format!(
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace {colour} \
             /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
            page.width_px,
            page.height_px,
            jpeg.len()
        )
        .into_bytes();
        body.extend_from_slice(jpeg);
        body.extend_from_slice(b"\nendstream");
        object(&mut out, &mut offsets, &body);
    }
    for (p, page) in pages.iter().enumerate() {
        let content = format!(
            "q {:.4} 0 0 {:.4} 0 0 cm /Im0 Do Q",
            page.width_pt, page.height_pt
        );
        object(
            &mut out,
            &mut offsets,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {:.4} {:.4}] \
                 /Resources << /XObject << /Im0 {} 0 R >> >> /Contents {} 0 R >>",
                page.width_pt,
                page.height_pt,
                image_id(image_of[p]),
                page_id(p) + 1
            )
            .as_bytes(),
        );
        object(
            &mut out,
            &mut offsets,
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            )
            .as_bytes(),
        );
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes(),
    );
    for offset in &offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// Width and height from a JPEG's frame header.
pub fn jpeg_size(data: &[u8]) -> Option<(u32, u32)> {
    api::export::pdf::jpeg_frame(data).map(|(w, h, _)| (w, h))
}

fn jpeg_components(data: &[u8]) -> Option<u8> {
    api::export::pdf::jpeg_frame(data).map(|(_, _, c)| c)
}
