//! Every supported input format is recognised, decided by content, not name.

use crate::support::{encode, multipage_tiff, sample_page};
use image::ImageFormat;
use std::time::Duration;
use tests::TestApp;
use workers::engine::score::cer;

#[tokio::test(flavor = "multi_thread")]
async fn every_image_format_gives_the_same_text() {
    let app = TestApp::spawn().await;
    let page = sample_page();
    let (status, png_job) = app
        .submit(
            encode(&page, ImageFormat::Png),
            "page.png",
            &[("language", "de")],
            None,
        )
        .await;
    assert_eq!(status, 200, "{png_job}");
    assert_eq!(png_job["status"], "done", "{png_job}");
    let reference = png_job["text"].as_str().unwrap().to_owned();
    assert!(
        reference.split_whitespace().count() > 20,
        "too little text: {reference:?}"
    );

    // Names lie on purpose: the type must come from the bytes.
    for (format, name) in [
        (ImageFormat::Jpeg, "page.png"),
        (ImageFormat::WebP, "page.jpg"),
        (ImageFormat::Gif, "page.bin"),
        (ImageFormat::Bmp, "page.bmp"),
        (ImageFormat::Tiff, "page"),
    ] {
        let (status, job) = app
            .submit(encode(&page, format), name, &[("language", "de")], None)
            .await;
        assert_eq!(status, 200, "{format:?}: {job}");
        assert_eq!(job["status"], "done", "{format:?}: {job}");
        assert_eq!(job["page_count"], 1, "{format:?}");
        let text = job["text"].as_str().unwrap();
        // Lossy JPEG may change a few glyphs; anything beyond a few percent is a decoding bug.
        let distance = cer(&reference, text, false);
        assert!(
            distance < 0.05,
            "{format:?} text differs from PNG by CER {distance:.3}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_page_tiff_has_every_page() {
    let app = TestApp::spawn().await;
    let page = sample_page();
    let flipped = image::DynamicImage::ImageLuma8(page.to_luma8());
    let bytes = multipage_tiff(&[page, flipped]);
    let (status, job) = app
        .submit(bytes, "two.tiff", &[("language", "de")], None)
        .await;
    assert_eq!(status, 200, "{job}");
    let job = app
        .wait_until_final(
            job["uuid"].as_str().unwrap(),
            None,
            Duration::from_secs(120),
        )
        .await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["page_count"], 2);
    let pages = job["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 2);
    for (i, p) in pages.iter().enumerate() {
        assert_eq!(p["index"], i);
        assert!(
            !p["text"].as_str().unwrap().trim().is_empty(),
            "page {i} empty"
        );
    }
    assert!(
        job["text"].as_str().unwrap().contains('\u{c}'),
        "pages separated by form feed"
    );
}
