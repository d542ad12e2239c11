//! Text detection: DB (Differentiable Binarization) pre- and post-processing around the
//! detector model, with RapidOCR 3.10's defaults for PP-OCRv6 (`ch_ppocr_det`):
//!
//! 1. the image is resized so its *shorter* side is at least 736 px (`limit_type: min`), both
//!    sides rounded to multiples of 32 (the network's stride), and normalised to `[-1, 1]`;
//! 2. the model's probability map is thresholded at 0.3 and dilated by a 2×2 square;
//! 3. every border of the binary map (at most 1000) becomes its minimum-area rectangle, dropped
//!    when its shorter side is under 3 px or the mean probability inside it is under 0.5;
//! 4. the rectangle is grown ("unclipped") by `area × 1.6 / perimeter` with round joins, boxed
//!    again, dropped under 5 px, and scaled back to the input image;
//! 5. corners are ordered clockwise from the top-left, clipped to the image, boxes of 3 px or
//!    less dropped, and the rest sorted in rows (top-left corners within 10 px) left to right.

use super::{
    contours::find_contours,
    geometry::{
        convex_spans, mini_box, offset_round, polygon_area, polygon_perimeter, Point, Quad,
    },
    pixels::Bgr,
};

/// Shorter sides below this are scaled up to it.
const LIMIT_SIDE_LEN: f64 = 736.0;
/// Probability above which a map pixel is text.
const THRESH: f32 = 0.3;
/// Mean probability a box needs to be kept.
const BOX_THRESH: f64 = 0.5;
/// Borders looked at, at most.
const MAX_CANDIDATES: usize = 1000;
/// How much a shrunk text kernel is grown back.
const UNCLIP_RATIO: f64 = 1.6;
/// Minimum shorter side of a box, in map pixels.
const MIN_SIZE: f64 = 3.0;
/// Boxes whose top-left corners are this close vertically (or closer) sort as one row.
const SORT_ROW_THRESHOLD: f64 = 10.0;

/// The network input size for an image of `width` × `height`, `(width, height)`, or `None` when
/// a side would round to nothing.
pub(super) fn input_size(width: usize, height: usize) -> Option<(usize, usize)> {
    let (w, h) = (width as f64, height as f64);
    let ratio = if h.min(w) < LIMIT_SIDE_LEN {
        if h < w {
            LIMIT_SIDE_LEN / h
        } else {
            LIMIT_SIDE_LEN / w
        }
    } else {
        1.0
    };
    let round32 = |v: f64| ((v.trunc() / 32.0).round_ties_even() * 32.0) as usize;
    let (rw, rh) = (round32(w * ratio), round32(h * ratio));
    (rw > 0 && rh > 0).then_some((rw, rh))
}

/// The detector's input tensor (`[1, 3, height, width]`, row-major) and its width and height.
pub(super) fn prepare(image: &Bgr) -> Option<(Vec<f32>, usize, usize)> {
    let (width, height) = input_size(image.width, image.height)?;
    let resized = image.resize(width, height);
    let mut tensor = vec![0f32; 3 * width * height];
    resized.write_chw(&mut tensor, width);
    Some((tensor, width, height))
}

/// Text boxes from the probability map (`map_width` × `map_height`) of an image of
/// `image_width` × `image_height`, in that image's pixels, in reading order.
pub(super) fn boxes_from_map(
    map: &[f32],
    map_width: usize,
    map_height: usize,
    image_width: usize,
    image_height: usize,
) -> Vec<Quad> {
    if map.len() != map_width * map_height || map_width == 0 || map_height == 0 {
        return Vec::new();
    }
    let mask = dilate(map, map_width, map_height);
    let mut boxes = Vec::new();
    for contour in find_contours(&mask, map_width, map_height)
        .iter()
        .take(MAX_CANDIDATES)
    {
        let Some((points, short_side)) = mini_box(contour) else {
            continue;
        };
        if short_side < MIN_SIZE {
            continue;
        }
        let score = box_score(map, map_width, map_height, &points);
        if BOX_THRESH > score {
            continue;
        }
        let expanded = unclip(&points);
        let Some((grown, short_side)) = mini_box(&expanded) else {
            continue;
        };
        if short_side < MIN_SIZE + 2.0 {
            continue;
        }
        let scale = |v: f64, from: usize, to: usize| {
            (v / from as f64 * to as f64)
                .round_ties_even()
                .clamp(0.0, to as f64)
        };
        let scaled = grown.map(|p| {
            Point::new(
                scale(p.x, map_width, image_width),
                scale(p.y, map_height, image_height),
            )
        });
        if let Some(quad) = finish_box(scaled, image_width, image_height) {
            boxes.push(quad);
        }
    }
    sort_boxes(boxes)
}

/// `pred > 0.3`, dilated by a 2×2 square: a pixel is set when it or its left, upper or
/// upper-left neighbour is above the threshold (OpenCV's anchor for an even kernel).
fn dilate(map: &[f32], width: usize, height: usize) -> Vec<bool> {
    let above: Vec<bool> = map.iter().map(|&p| p > THRESH).collect();
    let mut out = above.clone();
    for y in 0..height {
        for x in 0..width {
            let i = y * width + x;
            out[i] = above[i]
                || (x > 0 && above[i - 1])
                || (y > 0 && above[i - width])
                || (x > 0 && y > 0 && above[i - width - 1]);
        }
    }
    out
}

/// Mean map probability inside a box (`box_score_fast`): the box's corners truncated to pixels
/// of its bounding window, filled boundary included.
fn box_score(map: &[f32], width: usize, height: usize, quad: &Quad) -> f64 {
    let clip = |v: f64, max: usize| (v as i64).clamp(0, max as i64 - 1) as usize;
    let min_x = quad.iter().map(|p| p.x).fold(f64::MAX, f64::min);
    let max_x = quad.iter().map(|p| p.x).fold(f64::MIN, f64::max);
    let min_y = quad.iter().map(|p| p.y).fold(f64::MAX, f64::min);
    let max_y = quad.iter().map(|p| p.y).fold(f64::MIN, f64::max);
    let (x0, x1) = (clip(min_x.floor(), width), clip(max_x.ceil(), width));
    let (y0, y1) = (clip(min_y.floor(), height), clip(max_y.ceil(), height));
    let vertices: Vec<(i64, i64)> = quad
        .iter()
        .map(|p| ((p.x - x0 as f64) as i64, (p.y - y0 as f64) as i64))
        .collect();
    let (mut sum, mut count) = (0.0f64, 0usize);
    for (y, a, b) in convex_spans(&vertices, x1 - x0 + 1, y1 - y0 + 1) {
        let row = (y0 + y) * width + x0;
        for v in &map[row + a..=row + b] {
            sum += f64::from(*v);
        }
        count += b - a + 1;
    }
    if count == 0 {
        0.0
    } else {
        sum / count as f64
    }
}

/// Grows a box by `area × UNCLIP_RATIO / perimeter` (the inverse of the shrink the model was
/// trained with), as integer points.
pub(super) fn unclip(quad: &Quad) -> Vec<(i64, i64)> {
    let perimeter = polygon_perimeter(quad);
    if perimeter <= 0.0 {
        return Vec::new();
    }
    let distance = polygon_area(quad) * UNCLIP_RATIO / perimeter;
    offset_round(quad, distance)
}

/// `filter_det_res`: corners ordered top-left, top-right, bottom-right, bottom-left (two
/// left-most by x, each pair by y), clipped to the image, and boxes of 3 px or less dropped.
pub(super) fn finish_box(points: Quad, width: usize, height: usize) -> Option<Quad> {
    let mut by_x = points;
    by_x.sort_by(|a, b| a.x.total_cmp(&b.x));
    let mut left = [by_x[0], by_x[1]];
    let mut right = [by_x[2], by_x[3]];
    left.sort_by(|a, b| a.y.total_cmp(&b.y));
    right.sort_by(|a, b| a.y.total_cmp(&b.y));
    let clip = |p: Point| {
        Point::new(
            p.x.clamp(0.0, (width as f64 - 1.0).max(0.0)).trunc(),
            p.y.clamp(0.0, (height as f64 - 1.0).max(0.0)).trunc(),
        )
    };
    let quad = [clip(left[0]), clip(right[0]), clip(right[1]), clip(left[1])];
    let box_width = quad[0].distance(&quad[1]).trunc();
    let box_height = quad[0].distance(&quad[3]).trunc();
    (box_width > 3.0 && box_height > 3.0).then_some(quad)
}

/// RapidOCR's `sorted_boxes`: stable sort by the top-left corner's y; a new row starts where
/// that y grows by 10 px or more from the previous box; rows left to right by top-left x.
pub(super) fn sort_boxes(mut boxes: Vec<Quad>) -> Vec<Quad> {
    boxes.sort_by(|a, b| a[0].y.total_cmp(&b[0].y));
    let mut row = 0usize;
    let mut keyed: Vec<(usize, Quad)> = Vec::with_capacity(boxes.len());
    for (i, quad) in boxes.iter().enumerate() {
        if i > 0 && quad[0].y - boxes[i - 1][0].y >= SORT_ROW_THRESHOLD {
            row += 1;
        }
        keyed.push((row, *quad));
    }
    keyed.sort_by(|(ra, a), (rb, b)| ra.cmp(rb).then(a[0].x.total_cmp(&b[0].x)));
    keyed.into_iter().map(|(_, quad)| quad).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quad(x0: f64, y0: f64, x1: f64, y1: f64) -> Quad {
        [
            Point::new(x0, y0),
            Point::new(x1, y0),
            Point::new(x1, y1),
            Point::new(x0, y1),
        ]
    }

    #[test]
    fn input_sizes_follow_the_limit_and_the_stride() {
        // Shorter side scaled up to 736, both sides to multiples of 32 (half to even).
        assert_eq!(input_size(701, 1162), Some((736, 1216)));
        // Large enough: no scaling, only rounding (2000 / 32 = 62.5 rounds to 62).
        assert_eq!(input_size(1504, 2000), Some((1504, 1984)));
        assert_eq!(input_size(0, 10), None);
    }

    #[test]
    fn unclip_grows_a_box_by_area_over_perimeter() {
        // 100 × 20: distance = 2000 × 1.6 / 240 = 13.33.
        let grown = unclip(&quad(10.0, 10.0, 110.0, 30.0));
        let (quad, short) = mini_box(&grown).unwrap();
        assert!(
            (short - (20.0 + 2.0 * 13.33)).abs() < 1.0,
            "short side {short}"
        );
        assert!((quad[0].x - (10.0 - 13.33)).abs() < 1.0);
        assert!((quad[2].y - (30.0 + 13.33)).abs() < 1.0);
    }

    #[test]
    fn boxes_are_ordered_clockwise_and_tiny_ones_dropped() {
        let scrambled = [
            Point::new(50.0, 30.0),
            Point::new(10.0, 10.0),
            Point::new(10.0, 30.0),
            Point::new(50.0, 10.0),
        ];
        assert_eq!(
            finish_box(scrambled, 100, 100),
            Some(quad(10.0, 10.0, 50.0, 30.0))
        );
        // Clipped to the image, then too thin.
        assert_eq!(finish_box(quad(-5.0, 97.0, 40.0, 120.0), 100, 100), None);
        assert_eq!(finish_box(quad(0.0, 0.0, 3.0, 50.0), 100, 100), None);
    }

    #[test]
    fn boxes_sort_in_rows_then_left_to_right() {
        let sorted = sort_boxes(vec![
            quad(200.0, 104.0, 300.0, 130.0),
            quad(10.0, 10.0, 100.0, 30.0),
            quad(10.0, 100.0, 100.0, 130.0),
            quad(150.0, 15.0, 250.0, 35.0),
        ]);
        let starts: Vec<(f64, f64)> = sorted.iter().map(|q| (q[0].x, q[0].y)).collect();
        assert_eq!(
            starts,
            vec![(10.0, 10.0), (150.0, 15.0), (10.0, 100.0), (200.0, 104.0)]
        );
    }

    #[test]
    fn synthetic_probability_maps_give_rapidocrs_boxes() {
        // Expected boxes from RapidOCR 3.10's DBPostProcess on the same maps.
        let (w, h) = (100, 40);
        let mut map = vec![0.0f32; w * h];
        for y in 15..25 {
            for x in 20..80 {
                map[y * w + x] = 0.9;
            }
        }
        assert_eq!(
            boxes_from_map(&map, w, h, 200, 80),
            vec![quad(26.0, 16.0, 174.0, 64.0)]
        );
        // A faint region stays below the box threshold.
        let faint: Vec<f32> = map.iter().map(|v| v * 0.5).collect();
        assert!(boxes_from_map(&faint, w, h, 200, 80).is_empty());
        assert!(boxes_from_map(&[], 0, 0, 10, 10).is_empty());

        // A band tilted by 0.35 rad (60 × 14 around (45, 28)) at 0.8 and a rectangle
        // [5, 30) × [48, 56) at 0.7, in a 90 × 60 map of a 270 × 120 image.
        let (w, h) = (90, 60);
        let mut map = vec![0.0f32; w * h];
        let (sin, cos) = 0.35f64.sin_cos();
        for y in 0..h {
            for x in 0..w {
                let (dx, dy) = (x as f64 - 45.0, y as f64 - 28.0);
                let (u, v) = (dx * cos + dy * sin, dy * cos - dx * sin);
                if u.abs() <= 30.0 && v.abs() <= 7.0 {
                    map[y * w + x] = 0.8;
                }
            }
        }
        for y in 48..56 {
            for x in 5..30 {
                map[y * w + x] = 0.7;
            }
        }
        let tilted = [
            Point::new(41.0, 0.0),
            Point::new(266.0, 51.0),
            Point::new(229.0, 117.0),
            Point::new(4.0, 61.0),
        ];
        assert_eq!(
            boxes_from_map(&map, w, h, 270, 120),
            vec![tilted, quad(0.0, 86.0, 105.0, 119.0)]
        );
    }
}
