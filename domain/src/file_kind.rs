//! The upload's type, decided from its first bytes, never from its name or declared type.

use serde::{Deserialize, Serialize};

/// A file format ocrchat can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// WebP image.
    Webp,
    /// GIF image; only its first frame is read (an animation is not a document).
    Gif,
    /// Windows bitmap.
    Bmp,
    /// TIFF, every page (IFD) a page.
    Tiff,
    /// PDF, every page a page.
    Pdf,
}

impl FileKind {
    /// Every format ocrchat reads.
    pub const ALL: [FileKind; 7] = [
        FileKind::Png,
        FileKind::Jpeg,
        FileKind::Webp,
        FileKind::Gif,
        FileKind::Bmp,
        FileKind::Tiff,
        FileKind::Pdf,
    ];

    /// Recognises a supported format by its magic bytes; `None` means unsupported.
    ///
    /// PDFs may carry junk before `%PDF-` (readers accept up to 1 KiB), so the header is searched
    /// for in that window.
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        let starts = |magic: &[u8]| bytes.starts_with(magic);
        if starts(b"\x89PNG\r\n\x1a\n") {
            Some(FileKind::Png)
        } else if starts(b"\xff\xd8\xff") {
            Some(FileKind::Jpeg)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(FileKind::Webp)
        } else if starts(b"GIF87a") || starts(b"GIF89a") {
            Some(FileKind::Gif)
        } else if starts(b"BM") && bytes.len() >= 26 {
            Some(FileKind::Bmp)
        } else if starts(b"II*\0") || starts(b"MM\0*") || starts(b"II+\0") || starts(b"MM\0+") {
            Some(FileKind::Tiff)
        } else if bytes[..bytes.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
        {
            Some(FileKind::Pdf)
        } else {
            None
        }
    }

    /// The MIME type, for downloads and listings.
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Webp => "image/webp",
            FileKind::Gif => "image/gif",
            FileKind::Bmp => "image/bmp",
            FileKind::Tiff => "image/tiff",
            FileKind::Pdf => "application/pdf",
        }
    }

    /// Short lowercase name used in messages and events.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Png => "png",
            FileKind::Jpeg => "jpeg",
            FileKind::Webp => "webp",
            FileKind::Gif => "gif",
            FileKind::Bmp => "bmp",
            FileKind::Tiff => "tiff",
            FileKind::Pdf => "pdf",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide_the_kind() {
        for (bytes, expected) in [
            (&b"\x89PNG\r\n\x1a\n...."[..], Some(FileKind::Png)),
            (&b"\xff\xd8\xff\xe0..JFIF"[..], Some(FileKind::Jpeg)),
            (&b"RIFF\x10\0\0\0WEBPVP8 "[..], Some(FileKind::Webp)),
            (&b"GIF89a...."[..], Some(FileKind::Gif)),
            (
                &b"BM......................................"[..],
                Some(FileKind::Bmp),
            ),
            (&b"II*\0\x08\0\0\0"[..], Some(FileKind::Tiff)),
            (&b"MM\0*\0\0\0\x08"[..], Some(FileKind::Tiff)),
            (&b"%PDF-1.7\n"[..], Some(FileKind::Pdf)),
            (&b"\xef\xbb\xbf%PDF-1.4"[..], Some(FileKind::Pdf)),
            (&b"hello, this is text named .jpg"[..], None),
            (&b""[..], None),
            (&b"BM"[..], None),
        ] {
            assert_eq!(FileKind::sniff(bytes), expected, "{bytes:?}");
        }
    }
}
