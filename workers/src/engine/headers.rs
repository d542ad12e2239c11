//! Small, bounded readers of file structure that decoders do not expose: PNG chunk lists, JPEG
//! segments, the TIFF page chain, and the resolution tags scanners write.
//!
//! Each reader only walks headers (lengths and offsets), never decompresses, checks every offset
//! against the buffer, and runs in time linear in the file size; none can allocate more than a
//! few bytes per page. Errors are short lowercase phrases that end up in a user's message.

/// Inches per metre, for the pixels-per-metre units of PNG and BMP.
const INCHES_PER_METRE: f64 = 39.370_078_740_157_48;

/// What walking a PNG's chunks found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PngScan {
    /// Horizontal resolution from `pHYs`, when given in pixels per metre.
    pub dpi: Option<f64>,
}

/// Walks a PNG's chunks up to `IEND`: a file cut short is reported, and `pHYs` is read on the
/// way. Assumes the 8-byte signature was already checked.
pub(crate) fn scan_png(bytes: &[u8]) -> Result<PngScan, &'static str> {
    let mut pos = 8usize;
    let mut dpi = None;
    loop {
        let header = bytes
            .get(pos..pos + 8)
            .ok_or("the file ends before the image data is complete")?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        // Chunk = length, type, data, CRC.
        let end = pos
            .checked_add(12)
            .and_then(|p| p.checked_add(length))
            .ok_or("a chunk length is impossible")?;
        if end > bytes.len() {
            return Err("the file ends before the image data is complete");
        }
        match kind {
            b"IEND" => return Ok(PngScan { dpi }),
            b"pHYs" if length == 9 => {
                let data = &bytes[pos + 8..pos + 17];
                let per_unit_x = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                if data[8] == 1 && per_unit_x > 0 {
                    dpi = Some(f64::from(per_unit_x) / INCHES_PER_METRE);
                }
            }
            _ => {}
        }
        pos = end;
    }
}

/// What walking a JPEG's segments found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct JpegScan {
    /// Resolution from the JFIF header, when its unit is inches or centimetres.
    pub dpi: Option<f64>,
    /// Width, height and colour components from the frame header (`SOFn`), if one came before
    /// the first scan.
    pub frame: Option<(u32, u32, u8)>,
}

/// Walks a JPEG's marker segments to the first scan, reading the JFIF density, then requires an
/// end-of-image marker after the scan begins.
///
/// Inside entropy-coded data a `0xFF` byte is always followed by `0x00` or a restart marker, so
/// `FF D9` after the first scan can only be the end-of-image marker: a file without one was cut
/// short. Data appended after the marker (a second image, a trailer) does not matter.
pub(crate) fn scan_jpeg(bytes: &[u8]) -> Result<JpegScan, &'static str> {
    const TRUNCATED: &str = "the file ends before the image data is complete (it was cut short)";
    let mut pos = 2usize; // after SOI
    let mut dpi = None;
    let mut frame = None;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            return Err(if pos >= bytes.len() {
                TRUNCATED
            } else {
                "the jpeg structure is damaged"
            });
        };
        pos += 2;
        match marker {
            // Stand-alone markers carry no length.
            0x01 | 0xD0..=0xD7 => continue,
            0xD9 => return Err("the jpeg has no image data"),
            _ => {}
        }
        let length = match bytes.get(pos..pos + 2) {
            Some(len) => usize::from(u16::from_be_bytes([len[0], len[1]])),
            None => return Err(TRUNCATED),
        };
        if length < 2 || pos + length > bytes.len() {
            return Err(TRUNCATED);
        }
        let segment = &bytes[pos + 2..pos + length];
        if marker == 0xE0 && segment.len() >= 12 && segment.starts_with(b"JFIF\0") {
            let units = segment[7];
            let density_x = f64::from(u16::from_be_bytes([segment[8], segment[9]]));
            dpi = match units {
                1 if density_x > 0.0 => Some(density_x),
                2 if density_x > 0.0 => Some(density_x * 2.54),
                _ => None,
            };
        }
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame header.
        if (0xC0..=0xCF).contains(&marker)
            && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
            && segment.len() >= 6
        {
            let height = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
            let width = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
            frame = Some((width, height, segment[5]));
        }
        pos += length;
        if marker == 0xDA {
            break;
        }
    }
    let has_end = bytes[pos..].windows(2).any(|w| w == [0xFF, 0xD9]);
    if has_end {
        Ok(JpegScan { dpi, frame })
    } else {
        Err(TRUNCATED)
    }
}

/// Horizontal resolution of a BMP from its info header (pixels per metre), if set.
pub(crate) fn bmp_dpi(bytes: &[u8]) -> Option<f64> {
    let header_size = u32::from_le_bytes(bytes.get(14..18)?.try_into().ok()?);
    if header_size < 40 {
        return None; // OS/2 core header: no resolution
    }
    let per_metre = i32::from_le_bytes(bytes.get(38..42)?.try_into().ok()?);
    (per_metre > 0).then(|| f64::from(per_metre) / INCHES_PER_METRE)
}

/// Counts the pages (top-level IFDs) of a classic or Big TIFF by following the IFD chain.
///
/// Only offsets and entry counts are read, so a file claiming thousands of pages is counted in
/// microseconds. A chain longer than the file could hold must loop back on itself and is
/// refused, which bounds the walk without remembering visited offsets. Offsets are untrusted
/// 64-bit numbers (Big TIFF), so every sum with one is checked (found by fuzzing).
pub(crate) fn tiff_page_count(bytes: &[u8]) -> Result<u32, &'static str> {
    const DAMAGED: &str = "the tiff page list points outside the file";
    let little = match bytes.get(0..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return Err("not a tiff file"),
    };
    let u16_at = |at: usize| -> Option<u64> {
        let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(u64::from(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }))
    };
    let u32_at = |at: usize| -> Option<u64> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(u64::from(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }))
    };
    let u64_at = |at: usize| -> Option<u64> {
        let b: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(if little {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    };
    let big = match u16_at(2) {
        Some(42) => false,
        Some(43) => true,
        _ => return Err("not a tiff file"),
    };
    // (offset of the first IFD pointer, entry-count size, entry size, next-pointer size)
    let (first, count_size, entry_size, next_size) = if big {
        (8usize, 8u64, 20u64, 8u64)
    } else {
        (4usize, 2u64, 12u64, 4u64)
    };
    let read_offset = |at: usize| if big { u64_at(at) } else { u32_at(at) };
    let smallest_ifd = count_size + next_size;
    let most_possible = bytes.len() as u64 / smallest_ifd + 1;

    let mut offset = read_offset(first).ok_or(DAMAGED)?;
    let mut pages = 0u64;
    while offset != 0 {
        pages += 1;
        if pages > most_possible {
            return Err("the tiff page list loops back on itself");
        }
        let at = usize::try_from(offset).map_err(|_| DAMAGED)?;
        let entries = if big { u64_at(at) } else { u16_at(at) }.ok_or(DAMAGED)?;
        let next_at = entries
            .checked_mul(entry_size)
            .and_then(|n| n.checked_add(offset.checked_add(count_size)?))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(DAMAGED)?;
        offset = read_offset(next_at).ok_or(DAMAGED)?;
    }
    u32::try_from(pages).map_err(|_| "the tiff has too many pages")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&[0, 0, 0, 0]); // CRC is not checked here
        out
    }

    #[test]
    fn png_walk_reads_phys_and_notices_truncation() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(png_chunk(b"IHDR", &[0; 13]));
        let mut phys = 11811u32.to_be_bytes().to_vec(); // 300 dpi in pixels per metre
        phys.extend_from_slice(&11811u32.to_be_bytes());
        phys.push(1);
        png.extend(png_chunk(b"pHYs", &phys));
        png.extend(png_chunk(b"IDAT", &[0; 20]));
        let complete_len = png.len() + 12;
        png.extend(png_chunk(b"IEND", &[]));
        assert_eq!(png.len(), complete_len);
        let dpi = scan_png(&png).unwrap().dpi.unwrap();
        assert!((dpi - 300.0).abs() < 0.01, "{dpi}");
        assert!(scan_png(&png[..png.len() - 13]).is_err());
        assert!(scan_png(&png[..40]).is_err());
    }

    #[test]
    fn jpeg_walk_reads_jfif_and_requires_an_end_marker() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        jpeg.extend_from_slice(b"JFIF\0\x01\x01\x01\x01\x90\x01\x90\0\0"); // 400 dpi
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34]);
        assert!(scan_jpeg(&jpeg).is_err(), "no end marker");
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        assert_eq!(scan_jpeg(&jpeg).unwrap().dpi, Some(400.0));
        assert!(scan_jpeg(&jpeg[..10]).is_err());
    }

    #[test]
    fn tiff_chain_is_counted_and_loops_refused() {
        // Little-endian classic TIFF with two empty IFDs at 8 and 14.
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&[0, 0, 14, 0, 0, 0]);
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        assert_eq!(tiff_page_count(&tiff), Ok(2));
        // Point the second IFD back at the first.
        tiff[16] = 8;
        assert!(tiff_page_count(&tiff).is_err());
        // An offset past the end.
        tiff[16] = 200;
        assert!(tiff_page_count(&tiff).is_err());
    }

    #[test]
    fn big_tiff_offsets_near_the_end_of_the_address_space_are_refused() {
        // Found by `fuzz/` (tiff_frames): a Big TIFF whose second IFD pointer is 2^64 - 4 made
        // `at + 8` overflow (a panic where overflow is checked, as in tests).
        let mut tiff = b"II+\0\x08\0\0\0\x10\0\0\0\0\0\0\0".to_vec();
        tiff.extend_from_slice(&0u64.to_le_bytes()); // IFD at 16: no entries
        tiff.extend_from_slice(&(u64::MAX - 3).to_le_bytes()); // next IFD
        assert_eq!(
            tiff_page_count(&tiff),
            Err("the tiff page list points outside the file")
        );
        // The first IFD pointer itself, and the entry count of an IFD at the very end.
        for offset in [u64::MAX, u64::MAX - 7, u64::MAX - 8] {
            tiff[8..16].copy_from_slice(&offset.to_le_bytes());
            assert!(tiff_page_count(&tiff).is_err(), "{offset}");
        }
    }
}
