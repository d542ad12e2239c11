//! Small helpers shared by the e2e modules.

use image::{DynamicImage, ImageFormat};
use std::io::Cursor;
use tests::corpus;

/// A corpus page cropped to a band of printed text and scaled so OCR stays quick: the same
/// pixels in every format keeps format tests comparable.
pub fn sample_page() -> DynamicImage {
    let img =
        image::open(corpus::dir().join("de_print_antiqua_01.tif")).expect("corpus tif decodes");
    // 600 dpi bilevel book page: take the top third and halve it to 300 dpi.
    let (w, h) = (img.width(), img.height());
    let band = img.crop_imm(0, 0, w, h / 3);
    DynamicImage::ImageLuma8(
        band.resize(w / 2, h / 6, image::imageops::FilterType::Triangle)
            .to_luma8(),
    )
}

/// A few lines of the sample page: recognised in a fraction of a second, for tests about
/// metering and queues rather than recognition.
pub fn tiny_page() -> DynamicImage {
    let page = sample_page();
    page.crop_imm(0, 0, page.width(), (page.height() / 5).max(60))
}

/// A PNG of `tiny_page`.
pub fn tiny_png() -> Vec<u8> {
    encode(&tiny_page(), ImageFormat::Png)
}

/// Encodes an image in a format.
pub fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    match format {
        // JPEG has no alpha and wants 8-bit: grey is fine.
        ImageFormat::Jpeg | ImageFormat::Bmp | ImageFormat::Gif | ImageFormat::WebP => {
            DynamicImage::ImageRgb8(img.to_rgb8())
                .write_to(&mut out, format)
                .expect("encode")
        }
        _ => img.write_to(&mut out, format).expect("encode"),
    }
    out.into_inner()
}

/// A multi-page TIFF from several images (one IFD each).
pub fn multipage_tiff(pages: &[DynamicImage]) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    {
        let mut encoder = tiff::encoder::TiffEncoder::new(&mut out).expect("tiff encoder");
        for page in pages {
            let grey = page.to_luma8();
            encoder
                .write_image::<tiff::encoder::colortype::Gray8>(
                    grey.width(),
                    grey.height(),
                    grey.as_raw(),
                )
                .expect("write tiff page");
        }
    }
    out.into_inner()
}
