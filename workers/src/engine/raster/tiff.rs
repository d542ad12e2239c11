//! TIFF pages: one page per IFD, decoded with the `tiff` crate (the `image` crate reads only the
//! first), in every sample layout scanners write.

use super::{grey_if_colourless, max_alloc, over_white};
use crate::engine::{
    headers,
    input::{check_page_size, tiff_error_detail, InputError, Limits},
};
use ::tiff::{
    decoder::{Decoder, DecodingResult},
    tags::{SampleFormat, Tag},
    ColorType,
};
use domain::FileKind;
use image::{DynamicImage, GrayImage, Luma, Rgb, RgbImage};
use std::io::Cursor;

/// Decodes TIFF page `index` (IFD `index`), flattened on white and upright, with its
/// resolution tag.
///
/// Handles what scanners write: bilevel (any compression incl. CCITT G3/G4), grey 2/4/8/16-bit,
/// palette, RGB(A) 8/16-bit, CMYK, YCbCr (JPEG-compressed; read as its luma channel), chunky or
/// planar. Floating-point and signed samples are refused as unsupported.
pub(super) fn decode_tiff_page(
    bytes: &[u8],
    index: u32,
    limits: &Limits,
) -> Result<(DynamicImage, Option<f64>), InputError> {
    let kind = FileKind::Tiff;
    let tiff_err = |e: ::tiff::TiffError| match e {
        ::tiff::TiffError::LimitsExceeded => {
            InputError::unreadable(kind, "the image is too large to decode")
        }
        other => InputError::unreadable(kind, tiff_error_detail(&other)),
    };
    let pages = headers::tiff_page_count(bytes).map_err(|e| InputError::unreadable(kind, e))?;
    if index >= pages {
        return Err(InputError::NoSuchPage { index, pages });
    }
    let mut tiff_limits = ::tiff::decoder::Limits::default();
    tiff_limits.decoding_buffer_size = usize::try_from(max_alloc(limits)).unwrap_or(usize::MAX);
    let mut decoder = Decoder::new(Cursor::new(bytes))
        .map_err(tiff_err)?
        .with_limits(tiff_limits);
    if index > 0 {
        decoder.seek_to_image(index as usize).map_err(tiff_err)?;
    }
    let (width, height) = decoder.dimensions().map_err(tiff_err)?;
    check_page_size(kind, width, height, limits)?;
    let color = decoder.colortype().map_err(tiff_err)?;
    let dpi = tiff_dpi(&mut decoder);
    let orientation = decoder
        .find_tag_unsigned::<u16>(Tag::Orientation)
        .ok()
        .flatten()
        .and_then(|o| image::metadata::Orientation::from_exif(o.min(255) as u8))
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let palette = match color {
        ColorType::Palette(_) => Some(decoder.get_tag_u16_vec(Tag::ColorMap).map_err(tiff_err)?),
        _ => None,
    };

    let mut buffer = DecodingResult::U8(Vec::new());
    let layout = decoder
        .read_image_to_buffer(&mut buffer)
        .map_err(tiff_err)?;
    if layout.sample_format != SampleFormat::Uint {
        return Err(InputError::unreadable(
            kind,
            "this tiff variant is not supported (floating-point or signed samples)",
        ));
    }
    if buffer.as_buffer(0).byte_len() < layout.complete_len {
        return Err(InputError::unreadable(
            kind,
            "the image is too large to decode",
        ));
    }
    // 16-bit samples keep their high byte: recognition needs no more.
    let samples: Vec<u8> = match buffer {
        DecodingResult::U8(v) => v,
        DecodingResult::U16(v) => v.into_iter().map(|s| (s >> 8) as u8).collect(),
        _ => {
            return Err(InputError::unreadable(
                kind,
                "this tiff variant is not supported (more than 16 bits per sample)",
            ))
        }
    };
    let mut image = tiff_to_image(
        &samples,
        width,
        height,
        color,
        layout.planes > 1,
        palette.as_deref(),
    )
    .map_err(|detail| InputError::unreadable(kind, detail))?;
    image.apply_orientation(orientation);
    Ok((image, dpi))
}

/// The horizontal resolution of the current TIFF page in dpi, if tagged in inches or cm.
fn tiff_dpi(decoder: &mut Decoder<Cursor<&[u8]>>) -> Option<f64> {
    let value = decoder.find_tag(Tag::XResolution).ok()??;
    let x = match value {
        ::tiff::decoder::ifd::Value::Rational(n, d) if d > 0 => f64::from(n) / f64::from(d),
        ::tiff::decoder::ifd::Value::Unsigned(n) => f64::from(n),
        ::tiff::decoder::ifd::Value::Short(n) => f64::from(n),
        ::tiff::decoder::ifd::Value::Float(f) => f64::from(f),
        ::tiff::decoder::ifd::Value::Double(f) => f,
        _ => return None,
    };
    // ResolutionUnit: 1 none, 2 inch (the default), 3 centimetre.
    match decoder
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .unwrap_or(2)
    {
        2 => Some(x),
        3 => Some(x * 2.54),
        _ => None,
    }
}

/// Converts decoded TIFF samples (8-bit, or packed 1/2/4-bit) to grey or RGB on white.
fn tiff_to_image(
    samples: &[u8],
    width: u32,
    height: u32,
    color: ColorType,
    planar: bool,
    palette: Option<&[u16]>,
) -> Result<DynamicImage, &'static str> {
    const INCOMPLETE: &str = "the tiff image data is incomplete";
    let (w, h) = (width as usize, height as usize);
    let depth = color.bit_depth();
    let channels: usize = match color {
        ColorType::Gray(_) | ColorType::Palette(_) => 1,
        ColorType::GrayA(_) => 2,
        ColorType::RGB(_) | ColorType::YCbCr(_) | ColorType::Lab(_) => 3,
        ColorType::RGBA(_) | ColorType::CMYK(_) => 4,
        ColorType::CMYKA(_) => 5,
        ColorType::Multiband { num_samples, .. } => usize::from(num_samples.max(1)),
        _ => return Err("this tiff colour type is not supported"),
    };

    if depth < 8 {
        // Packed rows of 1, 2 or 4 bits, each row starting on a byte boundary.
        if channels != 1 || !matches!(depth, 1 | 2 | 4) {
            return Err("this tiff bit depth is not supported");
        }
        let max = (1u16 << depth) - 1;
        let row_bytes = (w * usize::from(depth)).div_ceil(8);
        if samples.len() < row_bytes * h {
            return Err(INCOMPLETE);
        }
        let value = |row: &[u8], x: usize| {
            let bit = x * usize::from(depth);
            let shift = 8 - usize::from(depth) - bit % 8;
            u16::from(row[bit / 8] >> shift) & max
        };
        let rows = samples.chunks_exact(row_bytes).take(h);
        return Ok(match palette {
            Some(map) => {
                let mut out = RgbImage::new(width, height);
                for (y, row) in rows.enumerate() {
                    for x in 0..w {
                        let colour = palette_rgb(map, depth, usize::from(value(row, x)));
                        out.put_pixel(x as u32, y as u32, Rgb(colour));
                    }
                }
                grey_if_colourless(out)
            }
            None => {
                let mut out = GrayImage::new(width, height);
                for (y, row) in rows.enumerate() {
                    for x in 0..w {
                        let grey = (value(row, x) * 255 / max) as u8;
                        out.put_pixel(x as u32, y as u32, Luma([grey]));
                    }
                }
                DynamicImage::ImageLuma8(out)
            }
        });
    }
    if depth != 8 && depth != 16 {
        return Err("this tiff bit depth is not supported");
    }

    let pixels = w * h;
    if samples.len() < pixels * channels {
        return Err(INCOMPLETE);
    }
    let sample = |p: usize, c: usize| -> u8 {
        if planar {
            samples[c * pixels + p]
        } else {
            samples[p * channels + c]
        }
    };
    let grey_image = |f: &dyn Fn(usize) -> u8| {
        GrayImage::from_raw(width, height, (0..pixels).map(f).collect())
            .map(DynamicImage::ImageLuma8)
            .ok_or(INCOMPLETE)
    };
    let rgb_image = |f: &dyn Fn(usize) -> [u8; 3]| {
        RgbImage::from_raw(width, height, (0..pixels).flat_map(f).collect())
            .map(grey_if_colourless)
            .ok_or(INCOMPLETE)
    };
    match color {
        // YCbCr and Lab keep their lightness channel; Multiband (grey with extra samples) its
        // first sample.
        ColorType::Gray(_)
        | ColorType::YCbCr(_)
        | ColorType::Lab(_)
        | ColorType::Multiband { .. } => grey_image(&|p| sample(p, 0)),
        ColorType::GrayA(_) => grey_image(&|p| over_white(sample(p, 0), sample(p, 1))),
        ColorType::Palette(_) => match palette {
            Some(map) => rgb_image(&|p| palette_rgb(map, depth, usize::from(sample(p, 0)))),
            None => grey_image(&|p| sample(p, 0)),
        },
        ColorType::RGB(_) => rgb_image(&|p| [sample(p, 0), sample(p, 1), sample(p, 2)]),
        ColorType::RGBA(_) => rgb_image(&|p| {
            let a = sample(p, 3);
            [0, 1, 2].map(|c| over_white(sample(p, c), a))
        }),
        ColorType::CMYK(_) | ColorType::CMYKA(_) => rgb_image(&|p| {
            let k = 255 - u32::from(sample(p, 3));
            [0, 1, 2].map(|c| ((255 - u32::from(sample(p, c))) * k / 255) as u8)
        }),
        _ => Err("this tiff colour type is not supported"),
    }
}

/// Palette entry `index`; a TIFF colour map lists all reds, then all greens, then all blues.
fn palette_rgb(map: &[u16], depth: u8, index: usize) -> [u8; 3] {
    let entries = 1usize << depth.min(16);
    [0, 1, 2].map(|c| map.get(c * entries + index).map_or(0, |v| (v >> 8) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_and_planar_tiff_samples_become_grey() {
        // 1-bit, 3 pixels wide (row padded to one byte): 1,0,1 / 0,1,0.
        let image = tiff_to_image(
            &[0b1010_0000, 0b0100_0000],
            3,
            2,
            ColorType::Gray(1),
            false,
            None,
        )
        .unwrap();
        assert_eq!(
            image.as_luma8().unwrap().as_raw(),
            &vec![255, 0, 255, 0, 255, 0]
        );
        // Planar RGB, 2 pixels: red then white; colour is kept.
        let planar = [255, 255, 0, 255, 0, 255];
        let image = tiff_to_image(&planar, 2, 1, ColorType::RGB(8), true, None).unwrap();
        assert_eq!(
            image.as_rgb8().unwrap().as_raw(),
            &vec![255, 0, 0, 255, 255, 255]
        );
        // Chunky RGB without colour becomes grey; RGBA is composited on white.
        let image = tiff_to_image(
            &[9, 9, 9, 200, 200, 200],
            2,
            1,
            ColorType::RGB(8),
            false,
            None,
        )
        .unwrap();
        assert_eq!(image.as_luma8().unwrap().as_raw(), &vec![9, 200]);
        let image = tiff_to_image(&[0, 0, 0, 0], 1, 1, ColorType::RGBA(8), false, None).unwrap();
        assert_eq!(image.as_luma8().unwrap().as_raw(), &vec![255]);
        // A 1-bit palette: index 1 is red.
        let map = [0, 65535, 0, 0, 0, 0];
        let image = tiff_to_image(
            &[0b0100_0000],
            2,
            1,
            ColorType::Palette(1),
            false,
            Some(&map),
        )
        .unwrap();
        assert_eq!(image.as_rgb8().unwrap().as_raw(), &vec![0, 0, 0, 255, 0, 0]);
        // Too few samples is an error, not a panic.
        assert!(tiff_to_image(&[0; 5], 2, 1, ColorType::RGB(8), false, None).is_err());
    }
}
