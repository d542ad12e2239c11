//! Small helpers shared by the e2e modules.

use image::{DynamicImage, ImageFormat};
use std::{
    io::Cursor,
    path::{Path, PathBuf},
    process::Command,
};
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

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new() -> Scratch {
        let dir = std::env::temp_dir().join(tests::unique_name());
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write scratch file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Converts a document with headless LibreOffice, in a profile of its own (parallel runs
/// would otherwise fight over the user profile lock). Returns the converted file.
pub fn soffice_convert(input: &Path, filter: &str, extension: &str, scratch: &Scratch) -> PathBuf {
    let profile = scratch.0.join("lo-profile");
    let out_dir = scratch.0.join("lo-out");
    let mut command = Command::new("soffice");
    command.arg(format!(
        "-env:UserInstallation=file://{}",
        profile.display()
    ));
    if input.extension().is_some_and(|e| e == "html") {
        // Open HTML as a Writer document (the web view prints a blank first page).
        command.arg("--infilter=HTML (StarWriter)");
    }
    let output = command
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            filter,
            "--outdir",
        ])
        .arg(&out_dir)
        .arg(input)
        .output()
        .expect("soffice runs (libreoffice-writer-nogui, installed by scripts/deps.sh)");
    let stem = input.file_stem().and_then(|s| s.to_str()).unwrap_or("out");
    let converted = out_dir.join(format!("{stem}.{extension}"));
    assert!(
        converted.is_file(),
        "LibreOffice did not convert {}: {}{}",
        input.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    converted
}
