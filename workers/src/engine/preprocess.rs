//! Image clean-up before Tesseract, each step kept only if it measurably helps on real scans.
//!
//! Candidates (each a pure function from image to image, measured one by one against the corpus
//! with `cargo bench -p workers --bench preprocess`, which prints CER before/after per kind):
//! - [`flatten_background`]: divides each channel by an estimate of the paper's brightness, so
//!   a phone photo's shading and tinted paper become white paper with dark ink (colour kept, so
//!   Tesseract's per-channel thresholding still sees coloured ink);
//! - [`deskew`]: finds the angle whose horizontal projection has the sharpest lines (±5°) and
//!   turns the page by it;
//! - [`grey`]: the luma of a colour page;
//! - [`upscale_small_text`]: enlarges pages whose text is small in pixels.
//!
//! [`prepare`] is the best combination; see its docs for why the service does not apply it.

use image::{imageops::FilterType, DynamicImage, GrayImage, ImageBuffer, Luma, Pixel, Rgb};

/// The best combination of the candidates (see the module docs), as the bench measures it. The
/// service does **not** apply it: background flattening took the phone-photographed typewritten
/// page from 33% to 7% CER and the corpus from 10.3% to 9.1% overall, but it made receipts
/// worse (26.5% to 30.4%) and the handwritten page unreadable, and we keep only steps that help
/// without hurting a kind of page. Deskew, grey and upscaling did not help overall.
pub fn prepare(image: DynamicImage) -> DynamicImage {
    flatten_background(&image)
}

/// Side of the working image used to estimate the background, in pixels (longer side).
const BACKGROUND_SIDE: u32 = 400;
/// Radius, in working pixels, of the window taken as "paper" around each point: wider than any
/// stroke or letter at [`BACKGROUND_SIDE`] (a text line is 3–6 working pixels high).
const BACKGROUND_RADIUS: u32 = 4;

/// Divides each channel by the local paper brightness (see the module docs). Pages whose paper
/// is already white and even come out unchanged (up to rounding).
pub fn flatten_background(image: &DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(grey) => DynamicImage::ImageLuma8(flatten_channels(grey)),
        DynamicImage::ImageRgb8(rgb) => DynamicImage::ImageRgb8(flatten_channels(rgb)),
        other => DynamicImage::ImageRgb8(flatten_channels(&other.to_rgb8())),
    }
}

/// [`flatten_background`] for any 8-bit pixel type, channel by channel.
fn flatten_channels<P>(image: &ImageBuffer<P, Vec<u8>>) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8> + 'static,
{
    let (width, height) = image.dimensions();
    if width < 8 || height < 8 {
        return image.clone();
    }
    let scale = f64::from(BACKGROUND_SIDE) / f64::from(width.max(height));
    let (small_w, small_h) = (
        ((f64::from(width) * scale).round() as u32).max(1),
        ((f64::from(height) * scale).round() as u32).max(1),
    );
    let small = image::imageops::resize(image, small_w, small_h, FilterType::Triangle);
    let channels = usize::from(P::CHANNEL_COUNT);
    // Paper is the brightest thing around: a max filter removes the ink, a box blur smooths it.
    let mut background = max_filter(&small, channels, BACKGROUND_RADIUS);
    background = box_blur(&background, small_w, small_h, channels, BACKGROUND_RADIUS);
    let background: ImageBuffer<P, Vec<u8>> =
        ImageBuffer::from_raw(small_w, small_h, background).unwrap_or_else(|| small.clone());
    let background = image::imageops::resize(&background, width, height, FilterType::Triangle);
    let mut out = image.clone();
    for (pixel, paper) in out.pixels_mut().zip(background.pixels()) {
        for (value, bg) in pixel.channels_mut().iter_mut().zip(paper.channels()) {
            let bg = u32::from(*bg).max(16);
            *value = ((u32::from(*value) * 255 + bg / 2) / bg).min(255) as u8;
        }
    }
    out
}

/// The maximum of each channel over a square window of `radius` (separable: rows, then
/// columns).
fn max_filter<P>(image: &ImageBuffer<P, Vec<u8>>, channels: usize, radius: u32) -> Vec<u8>
where
    P: Pixel<Subpixel = u8> + 'static,
{
    let (width, height) = (image.width() as usize, image.height() as usize);
    let r = radius as usize;
    let source = image.as_raw();
    let mut rows = vec![0u8; source.len()];
    for y in 0..height {
        for x in 0..width {
            for c in 0..channels {
                let (from, to) = (x.saturating_sub(r), (x + r).min(width - 1));
                rows[(y * width + x) * channels + c] = (from..=to)
                    .map(|i| source[(y * width + i) * channels + c])
                    .max()
                    .unwrap_or(0);
            }
        }
    }
    let mut out = vec![0u8; source.len()];
    for y in 0..height {
        for x in 0..width {
            for c in 0..channels {
                let (from, to) = (y.saturating_sub(r), (y + r).min(height - 1));
                out[(y * width + x) * channels + c] = (from..=to)
                    .map(|j| rows[(j * width + x) * channels + c])
                    .max()
                    .unwrap_or(0);
            }
        }
    }
    out
}

/// A box blur of each channel over a square window of `radius`.
fn box_blur(data: &[u8], width: u32, height: u32, channels: usize, radius: u32) -> Vec<u8> {
    let (width, height, r) = (width as usize, height as usize, radius as usize);
    let mut rows = vec![0u8; data.len()];
    for y in 0..height {
        for x in 0..width {
            for c in 0..channels {
                let (from, to) = (x.saturating_sub(r), (x + r).min(width - 1));
                let sum: u32 = (from..=to)
                    .map(|i| u32::from(data[(y * width + i) * channels + c]))
                    .sum();
                rows[(y * width + x) * channels + c] = (sum / (to - from + 1) as u32) as u8;
            }
        }
    }
    let mut out = vec![0u8; data.len()];
    for y in 0..height {
        for x in 0..width {
            for c in 0..channels {
                let (from, to) = (y.saturating_sub(r), (y + r).min(height - 1));
                let sum: u32 = (from..=to)
                    .map(|j| u32::from(rows[(j * width + x) * channels + c]))
                    .sum();
                out[(y * width + x) * channels + c] = (sum / (to - from + 1) as u32) as u8;
            }
        }
    }
    out
}

/// The luma of a page (a grey page is returned as it is).
pub fn grey(image: &DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_) => image.clone(),
        other => DynamicImage::ImageLuma8(other.to_luma8()),
    }
}

/// Largest skew [`deskew`] looks for, in degrees.
pub const MAX_SKEW_DEGREES: f64 = 5.0;
/// Skews smaller than this are left alone, in degrees: Tesseract's line finder absorbs them.
pub const MIN_SKEW_DEGREES: f64 = 0.3;

/// Turns the page so its text lines are horizontal; returns the page and the skew it removed
/// (degrees, as [`skew_angle`] measures it; 0 when left alone).
pub fn deskew(image: &DynamicImage) -> (DynamicImage, f64) {
    let angle = skew_angle(&image.to_luma8());
    if angle.abs() < MIN_SKEW_DEGREES {
        return (image.clone(), 0.0);
    }
    (rotate_small(image, -angle), angle)
}

/// The skew of the text lines, in degrees (positive: lines rise to the right), found by the
/// sharpest horizontal projection of the dark pixels of a downsized page.
pub fn skew_angle(grey: &GrayImage) -> f64 {
    let (width, height) = grey.dimensions();
    if width < 16 || height < 16 {
        return 0.0;
    }
    let scale = 1200.0 / f64::from(width.max(height));
    let small = if scale < 1.0 {
        image::imageops::resize(
            grey,
            ((f64::from(width) * scale) as u32).max(1),
            ((f64::from(height) * scale) as u32).max(1),
            FilterType::Triangle,
        )
    } else {
        grey.clone()
    };
    let threshold = otsu(&small);
    let ink: Vec<(f64, f64)> = small
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0[0] <= threshold)
        .map(|(x, y, _)| (f64::from(x), f64::from(y)))
        .collect();
    // A page that is mostly ink (a photo, a dark scan border) has no lines to straighten.
    if ink.is_empty() || ink.len() > (small.width() * small.height()) as usize / 3 {
        return 0.0;
    }
    let rows = small.height() as usize;
    let sharpness = |degrees: f64| {
        let slope = degrees.to_radians().tan();
        let mut profile = vec![0u32; rows * 2];
        for (x, y) in &ink {
            // A line rising by `degrees` has y' = y + x·tan(a) constant.
            let shifted = y + x * slope + rows as f64 / 2.0;
            if shifted >= 0.0 && (shifted as usize) < profile.len() {
                profile[shifted as usize] += 1;
            }
        }
        profile
            .iter()
            .map(|&v| f64::from(v) * f64::from(v))
            .sum::<f64>()
    };
    let best_of = |from: f64, to: f64, step: f64| {
        let mut best = (f64::MIN, 0.0);
        let mut a = from;
        while a <= to + 1e-9 {
            let s = sharpness(a);
            if s > best.0 {
                best = (s, a);
            }
            a += step;
        }
        best.1
    };
    let coarse = best_of(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES, 0.5);
    best_of(coarse - 0.5, coarse + 0.5, 0.05)
}

/// Otsu's threshold of a grey image: values at or below it are ink.
fn otsu(grey: &GrayImage) -> u8 {
    let mut histogram = [0u64; 256];
    for p in grey.pixels() {
        histogram[usize::from(p.0[0])] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let sum: f64 = histogram
        .iter()
        .enumerate()
        .map(|(i, &n)| i as f64 * n as f64)
        .sum();
    let (mut background_weight, mut background_sum) = (0u64, 0f64);
    let (mut best, mut threshold) = (0f64, 128u8);
    for (i, &n) in histogram.iter().enumerate() {
        background_weight += n;
        if background_weight == 0 || background_weight == total {
            continue;
        }
        background_sum += i as f64 * n as f64;
        let foreground_weight = total - background_weight;
        let mean_b = background_sum / background_weight as f64;
        let mean_f = (sum - background_sum) / foreground_weight as f64;
        let between =
            background_weight as f64 * foreground_weight as f64 * (mean_b - mean_f).powi(2);
        if between > best {
            best = between;
            threshold = i as u8;
        }
    }
    threshold
}

/// Turns a page counter-clockwise by a small angle about its centre (bilinear, same size, white
/// where the turn uncovers the canvas): lines that were level rise by `degrees` to the right.
fn rotate_small(image: &DynamicImage, degrees: f64) -> DynamicImage {
    let (sin, cos) = degrees.to_radians().sin_cos();
    match image {
        DynamicImage::ImageLuma8(grey) => {
            DynamicImage::ImageLuma8(rotate_buffer(grey, sin, cos, Luma([255])))
        }
        other => DynamicImage::ImageRgb8(rotate_buffer(&other.to_rgb8(), sin, cos, Rgb([255; 3]))),
    }
}

fn rotate_buffer<P>(
    image: &ImageBuffer<P, Vec<u8>>,
    sin: f64,
    cos: f64,
    white: P,
) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8> + 'static,
{
    let (width, height) = image.dimensions();
    let (cx, cy) = (f64::from(width) / 2.0, f64::from(height) / 2.0);
    let channels = usize::from(P::CHANNEL_COUNT);
    ImageBuffer::from_fn(width, height, |x, y| {
        // Where the output pixel comes from: the inverse turn.
        let (dx, dy) = (f64::from(x) - cx, f64::from(y) - cy);
        let sx = cos * dx - sin * dy + cx;
        let sy = sin * dx + cos * dy + cy;
        if sx < 0.0 || sy < 0.0 || sx > f64::from(width - 1) || sy > f64::from(height - 1) {
            return white;
        }
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(width - 1), (y0 + 1).min(height - 1));
        let (fx, fy) = (sx - f64::from(x0), sy - f64::from(y0));
        let corners = [
            image.get_pixel(x0, y0),
            image.get_pixel(x1, y0),
            image.get_pixel(x0, y1),
            image.get_pixel(x1, y1),
        ];
        let mut out = white;
        for (c, value) in out.channels_mut().iter_mut().enumerate().take(channels) {
            let v = |p: &P| f64::from(p.channels()[c]);
            let top = v(corners[0]) * (1.0 - fx) + v(corners[1]) * fx;
            let bottom = v(corners[2]) * (1.0 - fx) + v(corners[3]) * fx;
            *value = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
        }
        out
    })
}

/// Pages whose text is smaller than this many pixels high are enlarged.
pub const MIN_TEXT_HEIGHT: u32 = 20;

/// Enlarges a page whose text is small in pixels, so its text is at least [`MIN_TEXT_HEIGHT`]
/// high (at most 3×). Returns the page and the factor (1 when left alone). The text height is
/// the median height of the page's ink components, estimated on a binarised copy.
pub fn upscale_small_text(image: &DynamicImage) -> (DynamicImage, u32) {
    let Some(height) = median_component_height(&image.to_luma8()) else {
        return (image.clone(), 1);
    };
    if height >= MIN_TEXT_HEIGHT || height == 0 {
        return (image.clone(), 1);
    }
    let factor = MIN_TEXT_HEIGHT.div_ceil(height).clamp(1, 3);
    if factor == 1 {
        return (image.clone(), 1);
    }
    (
        image.resize_exact(
            image.width() * factor,
            image.height() * factor,
            FilterType::CatmullRom,
        ),
        factor,
    )
}

/// The median height of dark connected components between 4 and 200 pixels high (letters, not
/// specks or rules), or `None` with fewer than 20 of them.
pub fn median_component_height(grey: &GrayImage) -> Option<u32> {
    let (width, height) = grey.dimensions();
    let threshold = otsu(grey);
    let (w, h) = (width as usize, height as usize);
    let ink: Vec<bool> = grey.pixels().map(|p| p.0[0] <= threshold).collect();
    let mut seen = vec![false; ink.len()];
    let mut heights = Vec::new();
    let mut stack = Vec::new();
    for start in 0..ink.len() {
        if !ink[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut top, mut bottom) = (start / w, start / w);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            top = top.min(y);
            bottom = bottom.max(y);
            let mut visit = |j: usize| {
                if ink[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        let component = (bottom - top + 1) as u32;
        if (4..=200).contains(&component) {
            heights.push(component);
        }
    }
    if heights.len() < 20 {
        return None;
    }
    heights.sort_unstable();
    Some(heights[heights.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of dark bars ("lines of text") on paper that darkens from left to right.
    fn shaded_page() -> GrayImage {
        GrayImage::from_fn(400, 300, |x, y| {
            let paper = 230 - (x / 4) as u8; // 230 → 130
            if (y / 10) % 3 == 1 && (20..380).contains(&x) {
                Luma([paper / 4])
            } else {
                Luma([paper])
            }
        })
    }

    #[test]
    fn shaded_paper_becomes_white_and_ink_stays_dark() {
        let flat = flatten_background(&DynamicImage::ImageLuma8(shaded_page())).to_luma8();
        for x in [5, 200, 395] {
            assert!(flat.get_pixel(x, 5).0[0] > 240, "paper at x={x}");
        }
        for x in [30, 200, 370] {
            assert!(flat.get_pixel(x, 15).0[0] < 90, "ink at x={x}");
        }
        // White paper stays white.
        let white = DynamicImage::ImageLuma8(GrayImage::from_pixel(100, 100, Luma([255])));
        assert!(flatten_background(&white)
            .to_luma8()
            .pixels()
            .all(|p| p.0[0] == 255));
    }

    #[test]
    fn a_skewed_page_is_measured_and_straightened() {
        let page = DynamicImage::ImageLuma8(shaded_page());
        assert!(skew_angle(&page.to_luma8()).abs() < 0.2);
        let skewed = rotate_small(&page, 2.0);
        let angle = skew_angle(&skewed.to_luma8());
        assert!((angle - 2.0).abs() < 0.3, "measured {angle}");
        let (straight, turned) = deskew(&skewed);
        assert!((turned - angle).abs() < 1e-9);
        assert!(skew_angle(&straight.to_luma8()).abs() < 0.3);
    }

    #[test]
    fn small_text_is_measured_and_enlarged() {
        // 40 letters 8 px high.
        let page = GrayImage::from_fn(400, 100, |x, y| {
            if (10..18).contains(&y) && x % 10 < 5 && x < 400 {
                Luma([0])
            } else {
                Luma([255])
            }
        });
        assert_eq!(median_component_height(&page), Some(8));
        let (bigger, factor) = upscale_small_text(&DynamicImage::ImageLuma8(page));
        assert_eq!(factor, 3);
        assert_eq!(bigger.width(), 1200);
    }
}
