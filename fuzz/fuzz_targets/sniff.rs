//! `FileKind::sniff` on any bytes: never panics, and every answer is backed by its magic bytes.
#![no_main]

use domain::FileKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(kind) = FileKind::sniff(data) else {
        return;
    };
    let starts = |magic: &[u8]| data.starts_with(magic);
    let backed = match kind {
        FileKind::Png => starts(b"\x89PNG\r\n\x1a\n"),
        FileKind::Jpeg => starts(b"\xff\xd8\xff"),
        FileKind::Webp => data.len() >= 12 && starts(b"RIFF") && &data[8..12] == b"WEBP",
        FileKind::Gif => starts(b"GIF87a") || starts(b"GIF89a"),
        FileKind::Bmp => starts(b"BM"),
        FileKind::Tiff => starts(b"II") || starts(b"MM"),
        FileKind::Pdf => data[..data.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-"),
    };
    assert!(backed, "{kind:?} without its magic bytes");
    assert!(!kind.mime().is_empty() && !kind.as_str().is_empty());
});
