//! The pixel operations of the pipeline, on 8-bit BGR images, reproducing the OpenCV calls
//! RapidOCR makes: `cv2.resize` (bilinear, OpenCV's fixed-point arithmetic and edge rules),
//! `cv2.warpPerspective` (bicubic, 1/32-pixel positions, replicated border), the 90° and 180°
//! turns, black letterboxing, and the `(x / 255 - 0.5) / 0.5` normalisation into CHW tensors.
//!
//! The models were trained on OpenCV's BGR channel order, hence BGR here.

use super::geometry::Homography;
use image::DynamicImage;
use std::{borrow::Cow, sync::OnceLock};

/// An 8-bit image, 3 interleaved channels in B, G, R order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bgr {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

/// Something rows of BGR pixels can be read from.
trait RowSource {
    fn width(&self) -> usize;
    fn height(&self) -> usize;
    /// Writes row `y` as `width * 3` BGR bytes into `out`.
    fn read_row(&self, y: usize, out: &mut [u8]);
}

impl RowSource for Bgr {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    fn read_row(&self, y: usize, out: &mut [u8]) {
        let n = self.width * 3;
        out[..n].copy_from_slice(&self.data[y * n..(y + 1) * n]);
    }
}

/// A page image read as BGR without converting all of it first.
enum PageSource<'a> {
    Grey {
        data: &'a [u8],
        width: usize,
        height: usize,
    },
    Rgb {
        data: Cow<'a, [u8]>,
        width: usize,
        height: usize,
    },
}

impl RowSource for PageSource<'_> {
    fn width(&self) -> usize {
        match self {
            PageSource::Grey { width, .. } | PageSource::Rgb { width, .. } => *width,
        }
    }
    fn height(&self) -> usize {
        match self {
            PageSource::Grey { height, .. } | PageSource::Rgb { height, .. } => *height,
        }
    }
    fn read_row(&self, y: usize, out: &mut [u8]) {
        match self {
            PageSource::Grey { data, width, .. } => {
                for (x, &v) in data[y * width..(y + 1) * width].iter().enumerate() {
                    out[x * 3..x * 3 + 3].copy_from_slice(&[v, v, v]);
                }
            }
            PageSource::Rgb { data, width, .. } => {
                let row = &data[y * width * 3..(y + 1) * width * 3];
                for (x, rgb) in row.chunks_exact(3).enumerate() {
                    out[x * 3..x * 3 + 3].copy_from_slice(&[rgb[2], rgb[1], rgb[0]]);
                }
            }
        }
    }
}

impl Bgr {
    /// A black image.
    pub fn new(width: usize, height: usize) -> Self {
        Bgr {
            width,
            height,
            data: vec![0; width * height * 3],
        }
    }

    /// The page as BGR at `width` × `height`, resized on the way when that differs from its own
    /// size: a 6000-pixel page never exists in memory as a BGR copy at full size.
    pub fn from_page(image: &DynamicImage, width: usize, height: usize) -> Bgr {
        let (w, h) = (image.width() as usize, image.height() as usize);
        let source = match image {
            DynamicImage::ImageLuma8(grey) => PageSource::Grey {
                data: grey.as_raw(),
                width: w,
                height: h,
            },
            DynamicImage::ImageRgb8(rgb) => PageSource::Rgb {
                data: Cow::Borrowed(rgb.as_raw()),
                width: w,
                height: h,
            },
            other => PageSource::Rgb {
                data: Cow::Owned(other.to_rgb8().into_raw()),
                width: w,
                height: h,
            },
        };
        resize_linear(&source, width, height)
    }

    /// `cv2.resize(img, (width, height))` with the default bilinear interpolation.
    pub fn resize(&self, width: usize, height: usize) -> Bgr {
        if width == self.width && height == self.height {
            return self.clone();
        }
        resize_linear(self, width, height)
    }

    /// Black bands of `top` and `bottom` rows (`cv2.copyMakeBorder`, constant 0).
    pub fn pad_vertical(&self, top: usize, bottom: usize) -> Bgr {
        let row = self.width * 3;
        let mut data = vec![0u8; row * (self.height + top + bottom)];
        data[row * top..row * (top + self.height)].copy_from_slice(&self.data);
        Bgr {
            width: self.width,
            height: self.height + top + bottom,
            data,
        }
    }

    /// Turned half a turn (`cv2.rotate(img, cv2.ROTATE_180)`).
    pub fn rotate_180(&self) -> Bgr {
        let mut data = Vec::with_capacity(self.data.len());
        for pixel in self.data.chunks_exact(3).rev() {
            data.extend_from_slice(pixel);
        }
        Bgr {
            width: self.width,
            height: self.height,
            data,
        }
    }

    /// Turned a quarter counter-clockwise (`np.rot90(img)`): new pixel `(x, y)` is old
    /// `(width - 1 - y, x)`.
    pub fn rotate_90_ccw(&self) -> Bgr {
        let (w, h) = (self.height, self.width);
        let mut data = vec![0u8; w * h * 3];
        for y in 0..h {
            for x in 0..w {
                let src = (x * self.width + (self.width - 1 - y)) * 3;
                data[(y * w + x) * 3..(y * w + x) * 3 + 3]
                    .copy_from_slice(&self.data[src..src + 3]);
            }
        }
        Bgr {
            width: w,
            height: h,
            data,
        }
    }

    /// `cv2.warpPerspective(img, M, (width, height), flags=INTER_CUBIC,
    /// borderMode=BORDER_REPLICATE)`, given `to_source` = M⁻¹ (output pixel → source point).
    /// OpenCV 5 (what RapidOCR installs) samples at the exact source position, not on a 1/32-px
    /// grid as OpenCV 4's tables did.
    pub fn warp_perspective(&self, to_source: &Homography, width: usize, height: usize) -> Bgr {
        let mut out = Bgr::new(width, height);
        if self.width == 0 || self.height == 0 {
            return out;
        }
        let (sw, sh) = (self.width as i64, self.height as i64);
        let m = &to_source.0;
        for y in 0..height {
            for x in 0..width {
                let (xf, yf) = (x as f64, y as f64);
                let w = m[6] * xf + m[7] * yf + m[8];
                let w = if w != 0.0 { 1.0 / w } else { 0.0 };
                let sx = ((m[0] * xf + m[1] * yf + m[2]) * w).clamp(-1e6, 1e6);
                let sy = ((m[3] * xf + m[4] * yf + m[5]) * w).clamp(-1e6, 1e6);
                let (ix, iy) = (sx.floor(), sy.floor());
                let cx = cubic_coefficients((sx - ix) as f32);
                let cy = cubic_coefficients((sy - iy) as f32);
                let (ix, iy) = (ix as i64, iy as i64);
                let mut sums = [0f32; 3];
                for (r, wy) in cy.iter().enumerate() {
                    let row = (iy - 1 + r as i64).clamp(0, sh - 1) as usize;
                    for (c, wx) in cx.iter().enumerate() {
                        let col = (ix - 1 + c as i64).clamp(0, sw - 1) as usize;
                        let p = (row * self.width + col) * 3;
                        let weight = wy * wx;
                        for (ch, sum) in sums.iter_mut().enumerate() {
                            *sum += f32::from(self.data[p + ch]) * weight;
                        }
                    }
                }
                let o = (y * width + x) * 3;
                for (ch, sum) in sums.iter().enumerate() {
                    out.data[o + ch] = sum.round_ties_even().clamp(0.0, 255.0) as u8;
                }
            }
        }
        out
    }

    /// Writes the image normalised to `[-1, 1]` into a CHW tensor slot of `plane_width` columns
    /// (≥ `self.width`) and `self.height` rows; columns past the image are left as they are
    /// (the callers zero them, as RapidOCR pads with zeros).
    pub fn write_chw(&self, out: &mut [f32], plane_width: usize) {
        let table = normalisation_table();
        let plane = plane_width * self.height;
        for y in 0..self.height {
            for x in 0..self.width.min(plane_width) {
                let p = (y * self.width + x) * 3;
                for c in 0..3 {
                    out[c * plane + y * plane_width + x] = table[self.data[p + c] as usize];
                }
            }
        }
    }
}

/// `(v / 255 - 0.5) / 0.5` for every byte value.
fn normalisation_table() -> &'static [f32; 256] {
    static TABLE: OnceLock<[f32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0f32; 256];
        for (v, slot) in table.iter_mut().enumerate() {
            *slot = ((v as f64 / 255.0 - 0.5) / 0.5) as f32;
        }
        table
    })
}

const RESIZE_COEF_SCALE: i32 = 2048;

/// OpenCV's `interpolateCubic` (A = -0.75).
fn cubic_coefficients(t: f32) -> [f32; 4] {
    const A: f32 = -0.75;
    let c0 = ((A * (t + 1.0) - 5.0 * A) * (t + 1.0) + 8.0 * A) * (t + 1.0) - 4.0 * A;
    let c1 = ((A + 2.0) * t - (A + 3.0)) * t * t + 1.0;
    let c2 = ((A + 2.0) * (1.0 - t) - (A + 3.0)) * (1.0 - t) * (1.0 - t) + 1.0;
    [c0, c1, c2, 1.0 - c0 - c1 - c2]
}

/// OpenCV's fixed-point weights of a fraction and its complement (each rounded on its own).
fn linear_weights(frac: f32) -> (i32, i32) {
    (
        ((1.0 - frac) * RESIZE_COEF_SCALE as f32).round_ties_even() as i32,
        (frac * RESIZE_COEF_SCALE as f32).round_ties_even() as i32,
    )
}

/// One output column of a bilinear resize: the first source column, the weights of it and the
/// next, and whether the next is past the edge (OpenCV clamps the position at both edges).
fn column_taps(dst: usize, scale: f64, src_len: usize) -> (usize, i32, i32, bool) {
    let f = ((dst as f64 + 0.5) * scale - 0.5) as f32;
    let mut s = f.floor() as i64;
    let mut frac = f - s as f32;
    if s < 0 {
        s = 0;
        frac = 0.0;
    }
    let mut single = false;
    if s + 1 >= src_len as i64 {
        single = true;
        if s >= src_len as i64 - 1 {
            s = src_len as i64 - 1;
            frac = 0.0;
        }
    }
    let (a0, a1) = linear_weights(frac);
    (s.max(0) as usize, a0, a1, single)
}

/// One output row: the two source rows (clamped to the image) and their weights. Unlike
/// columns, OpenCV does not clamp the position itself, so the top row of an enlargement mixes
/// row 0 with itself at weights 0.1 / 0.9 — which rounds differently.
fn row_taps(dst: usize, scale: f64, src_len: usize) -> (usize, usize, i32, i32) {
    let f = ((dst as f64 + 0.5) * scale - 0.5) as f32;
    let s = f.floor() as i64;
    let (b0, b1) = linear_weights(f - s as f32);
    let last = src_len as i64 - 1;
    (
        s.clamp(0, last) as usize,
        (s + 1).clamp(0, last) as usize,
        b0,
        b1,
    )
}

/// Bilinear resize with OpenCV's arithmetic: 11-bit weights, horizontal pass into integers,
/// vertical pass rounded as its SIMD path does. An exact halving of both sides is a 2×2 mean, as
/// OpenCV switches to `INTER_AREA` there.
fn resize_linear<S: RowSource>(src: &S, width: usize, height: usize) -> Bgr {
    let (sw, sh) = (src.width(), src.height());
    let mut out = Bgr::new(width, height);
    if width == 0 || height == 0 || sw == 0 || sh == 0 {
        return out;
    }
    if sw == width && sh == height {
        for y in 0..height {
            src.read_row(y, &mut out.data[y * width * 3..(y + 1) * width * 3]);
        }
        return out;
    }
    let mut row_a = vec![0u8; sw * 3];
    let mut row_b = vec![0u8; sw * 3];
    if sw == width * 2 && sh == height * 2 {
        for y in 0..height {
            src.read_row(2 * y, &mut row_a);
            src.read_row(2 * y + 1, &mut row_b);
            for x in 0..width {
                for c in 0..3 {
                    let (i, j) = (2 * x * 3 + c, (2 * x + 1) * 3 + c);
                    let sum = u32::from(row_a[i])
                        + u32::from(row_a[j])
                        + u32::from(row_b[i])
                        + u32::from(row_b[j]);
                    out.data[(y * width + x) * 3 + c] = ((sum + 2) >> 2) as u8;
                }
            }
        }
        return out;
    }
    let scale_x = 1.0 / (width as f64 / sw as f64);
    let scale_y = 1.0 / (height as f64 / sh as f64);
    let x_taps: Vec<(usize, i32, i32, bool)> =
        (0..width).map(|x| column_taps(x, scale_x, sw)).collect();
    // Horizontally resized rows, cached by source row (rows are visited in order).
    let mut cache: [(Option<usize>, Vec<i32>); 2] =
        [(None, vec![0; width * 3]), (None, vec![0; width * 3])];
    let mut raw = vec![0u8; sw * 3];
    let mut horizontal = |y: usize, slot: &mut (Option<usize>, Vec<i32>)| {
        if slot.0 == Some(y) {
            return;
        }
        src.read_row(y, &mut raw);
        for (x, &(s, a0, a1, single)) in x_taps.iter().enumerate() {
            for c in 0..3 {
                let v0 = i32::from(raw[s * 3 + c]);
                slot.1[x * 3 + c] = if single {
                    v0 * RESIZE_COEF_SCALE
                } else {
                    v0 * a0 + i32::from(raw[(s + 1) * 3 + c]) * a1
                };
            }
        }
        slot.0 = Some(y);
    };
    for y in 0..height {
        let (s, s1, b0, b1) = row_taps(y, scale_y, sh);
        // Keep whichever cached row is still needed in the slot that holds it.
        if cache[1].0 == Some(s) || cache[0].0 == Some(s1) {
            cache.swap(0, 1);
        }
        let [first, second] = &mut cache;
        horizontal(s, first);
        horizontal(s1, second);
        for i in 0..width * 3 {
            let v = ((b0 * (first.1[i] >> 4)) >> 16) + ((b1 * (second.1[i] >> 4)) >> 16) + 2;
            out.data[y * width * 3 + i] = (v >> 2).clamp(0, 255) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ppocr::geometry::Point;

    fn gradient(width: usize, height: usize) -> Bgr {
        let mut img = Bgr::new(width, height);
        for y in 0..height {
            for x in 0..width {
                let p = (y * width + x) * 3;
                img.data[p] = (x * 10) as u8;
                img.data[p + 1] = (y * 10) as u8;
                img.data[p + 2] = 100;
            }
        }
        img
    }

    #[test]
    fn bilinear_resize_matches_opencv_on_a_small_case() {
        // cv2.resize(np.array([[0, 100]], np.uint8), (4, 1)) == [[0, 25, 75, 100]]
        let mut img = Bgr::new(2, 1);
        img.data = vec![0, 0, 0, 100, 100, 100];
        let out = img.resize(4, 1);
        let blue: Vec<u8> = out.data.chunks_exact(3).map(|p| p[0]).collect();
        assert_eq!(blue, vec![0, 25, 75, 100]);
        // Same size is a copy; constant images stay constant.
        assert_eq!(img.resize(2, 1), img);
        let mut flat = Bgr::new(7, 5);
        flat.data.iter_mut().for_each(|v| *v = 200);
        assert!(flat.resize(3, 11).data.iter().all(|&v| v == 200));
        // cv2.resize of a 4 × 4 × 3 ramp (values 3 × index) to 3 × 5 and 7 × 2.
        let mut ramp = Bgr::new(4, 4);
        ramp.data = (0..48u8).map(|v| v * 3).collect();
        assert_eq!(
            ramp.resize(3, 5).data,
            vec![
                1, 4, 7, 13, 16, 19, 25, 28, 31, 27, 30, 32, 39, 42, 45, 51, 54, 57, 55, 58, 61,
                68, 71, 74, 80, 83, 86, 84, 87, 90, 96, 99, 102, 108, 111, 114, 109, 112, 115, 121,
                124, 127, 133, 136, 139
            ]
        );
        assert_eq!(
            ramp.resize(7, 2).data,
            vec![
                18, 21, 24, 21, 24, 27, 26, 29, 32, 32, 35, 38, 37, 40, 43, 42, 45, 48, 45, 48, 51,
                90, 93, 96, 93, 96, 99, 98, 101, 104, 104, 107, 110, 109, 112, 115, 114, 117, 120,
                117, 120, 123
            ]
        );
        // Exact halving averages 2×2 blocks.
        let halved = gradient(4, 4).resize(2, 2);
        assert_eq!(halved.data[0], 5);
    }

    #[test]
    fn quarter_and_half_turns_move_pixels_as_numpy_does() {
        let img = gradient(3, 2);
        let turned = img.rotate_90_ccw();
        assert_eq!((turned.width, turned.height), (2, 3));
        // np.rot90: new[0][0] = old[0][W-1]
        assert_eq!(turned.data[0..3], img.data[(2) * 3..(2) * 3 + 3]);
        let half = img.rotate_180();
        assert_eq!(half.data[0..3], img.data[(5) * 3..(5) * 3 + 3]);
        assert_eq!(half.rotate_180(), img);
    }

    #[test]
    fn identity_warp_copies_the_image() {
        let img = gradient(6, 4);
        let identity = Homography([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(img.warp_perspective(&identity, 6, 4), img);
        // Outside the source, the border is replicated.
        let shifted = Homography([1.0, 0.0, -10.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        let out = img.warp_perspective(&shifted, 2, 1);
        assert_eq!(out.data[0..3], img.data[0..3]);
    }

    #[test]
    fn perspective_crops_match_opencv() {
        // cv2.warpPerspective(img, cv2.getPerspectiveTransform(quad, rect), (12, 6),
        // flags=INTER_CUBIC, borderMode=BORDER_REPLICATE) on a 20 × 15 pattern.
        let (w, h) = (20, 15);
        let mut img = Bgr::new(w, h);
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    img.data[(y * w + x) * 3 + c] =
                        ((x * 37 + y * 91 + c * 53 + x * y * 7) % 256) as u8;
                }
            }
        }
        let quad = [
            Point::new(2.0, 3.0),
            Point::new(17.0, 1.0),
            Point::new(18.0, 11.0),
            Point::new(3.0, 13.0),
        ];
        let rect = [
            Point::new(0.0, 0.0),
            Point::new(12.0, 0.0),
            Point::new(12.0, 6.0),
            Point::new(0.0, 6.0),
        ];
        let to_source = Homography::from_points(&rect, &quad).unwrap();
        let out = img.warp_perspective(&to_source, 12, 6);
        let expected: Vec<u8> = vec![
            133, 186, 239, 214, 205, 46, 160, 97, 130, 162, 108, 144, 65, 118, 76, 97, 119, 206,
            154, 232, 132, 222, 65, 55, 28, 81, 176, 136, 216, 95, 244, 182, 75, 98, 51, 106, 134,
            101, 158, 129, 136, 107, 139, 188, 94, 238, 58, 95, 43, 118, 175, 157, 200, 136, 195,
            86, 98, 76, 165, 230, 187, 238, 83, 27, 60, 111, 98, 151, 232, 188, 214, 24, 105, 178,
            79, 48, 90, 197, 156, 231, 43, 234, 56, 119, 90, 198, 99, 129, 69, 93, 96, 191, 58,
            220, 31, 97, 37, 119, 186, 177, 225, 87, 211, 56, 104, 99, 163, 227, 216, 118, 170,
            118, 71, 168, 137, 190, 53, 64, 105, 176, 147, 82, 95, 77, 183, 235, 217, 14, 67, 51,
            150, 203, 195, 64, 115, 61, 98, 188, 173, 254, 103, 36, 50, 140, 172, 60, 126, 129,
            174, 107, 67, 124, 130, 193, 133, 186, 127, 85, 166, 169, 225, 36, 45, 99, 197, 192,
            59, 110, 82, 168, 231, 248, 65, 77, 77, 152, 164, 108, 142, 26, 97, 144, 128, 162, 214,
            34, 63, 116, 197, 54, 115, 169, 150, 134, 186, 155, 68, 134, 146, 183, 71, 73, 150,
            226, 252, 64, 117, 117, 170, 183, 126, 21, 123, 184, 139, 96,
        ];
        let worst = out
            .data
            .iter()
            .zip(&expected)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 1, "largest difference {worst}");
    }

    #[test]
    fn chw_normalisation_spans_minus_one_to_one() {
        let mut img = Bgr::new(1, 1);
        img.data = vec![0, 255, 128];
        let mut out = vec![9.0f32; 6];
        img.write_chw(&mut out, 2);
        assert_eq!(out[0], -1.0);
        assert_eq!(out[2], 1.0);
        assert!((out[4] - 0.003_921_6).abs() < 1e-5);
        assert_eq!(out[1], 9.0, "padding columns are left alone");
    }

    #[test]
    fn grey_and_rgb_pages_become_bgr() {
        let rgb = image::RgbImage::from_raw(1, 1, vec![10, 20, 30]).unwrap();
        let page = Bgr::from_page(&DynamicImage::ImageRgb8(rgb), 1, 1);
        assert_eq!(page.data, vec![30, 20, 10]);
        let grey = image::GrayImage::from_raw(2, 1, vec![7, 9]).unwrap();
        let page = Bgr::from_page(&DynamicImage::ImageLuma8(grey), 2, 1);
        assert_eq!(page.data, vec![7, 7, 7, 9, 9, 9]);
    }
}
