//! Plane geometry the detector and the crop need, written to give the numbers OpenCV, shapely and
//! pyclipper give RapidOCR: convex hull and minimum-area rectangle (`cv2.minAreaRect` +
//! `cv2.boxPoints`), the round-joined polygon offset that "unclips" a text box
//! (`pyclipper.PyclipperOffset`, Clipper 6.4), polygon scan filling (`cv2.fillPoly`), and the
//! four-point perspective transform (`cv2.getPerspectiveTransform`).

/// A point in image coordinates: x to the right, y down, pixel centres on integers (the OpenCV
/// convention).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub fn new(x: f64, y: f64) -> Self {
        Point { x, y }
    }

    pub fn distance(&self, other: &Point) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

/// A quadrilateral: top-left, top-right, bottom-right, bottom-left once ordered.
pub(super) type Quad = [Point; 4];

/// The convex hull of integer points, counter-clockwise in y-down coordinates seen as y-up
/// (Andrew's monotone chain), without collinear points. One or two points come back as they are
/// (deduplicated).
pub(super) fn convex_hull(points: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut sorted: Vec<(i64, i64)> = points.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() < 3 {
        return sorted;
    }
    let cross = |o: (i64, i64), a: (i64, i64), b: (i64, i64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut hull: Vec<(i64, i64)> = Vec::with_capacity(sorted.len() * 2);
    for &p in &sorted {
        while hull.len() >= 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0 {
            hull.pop();
        }
        hull.push(p);
    }
    let lower = hull.len() + 1;
    for &p in sorted.iter().rev().skip(1) {
        while hull.len() >= lower && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0 {
            hull.pop();
        }
        hull.push(p);
    }
    hull.pop();
    hull
}

/// A rotated rectangle: its four corners (in no particular order) and its two side lengths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct RotatedRect {
    pub corners: Quad,
    pub width: f64,
    pub height: f64,
}

impl RotatedRect {
    /// The shorter side: what DB post-processing compares with its minimum box size.
    pub fn short_side(&self) -> f64 {
        self.width.min(self.height)
    }
}

/// The minimum-area enclosing rectangle of integer points (rotating calipers over the convex
/// hull: one side of the optimum lies on a hull edge). `None` for no points.
///
/// Corners within 1e-4 of an integer are snapped to it: OpenCV's float32 corners of an
/// axis-aligned integer rectangle are integers up to rounding noise, and the callers truncate
/// them, so noise of either sign must not move a corner by a pixel.
pub(super) fn min_area_rect(points: &[(i64, i64)]) -> Option<RotatedRect> {
    let hull = convex_hull(points);
    let first = *hull.first()?;
    if hull.len() == 1 {
        let p = Point::new(first.0 as f64, first.1 as f64);
        return Some(RotatedRect {
            corners: [p; 4],
            width: 0.0,
            height: 0.0,
        });
    }
    let hull_f: Vec<Point> = hull
        .iter()
        .map(|&(x, y)| Point::new(x as f64, y as f64))
        .collect();
    let mut best: Option<(f64, RotatedRect)> = None;
    for i in 0..hull_f.len() {
        let a = hull_f[i];
        let b = hull_f[(i + 1) % hull_f.len()];
        let length = a.distance(&b);
        if length == 0.0 {
            continue;
        }
        let (ux, uy) = ((b.x - a.x) / length, (b.y - a.y) / length);
        let (vx, vy) = (-uy, ux);
        let (mut min_u, mut max_u, mut min_v, mut max_v) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for p in &hull_f {
            let u = p.x * ux + p.y * uy;
            let v = p.x * vx + p.y * vy;
            min_u = min_u.min(u);
            max_u = max_u.max(u);
            min_v = min_v.min(v);
            max_v = max_v.max(v);
        }
        let area = (max_u - min_u) * (max_v - min_v);
        if best.as_ref().is_some_and(|(a, _)| *a <= area) {
            continue;
        }
        let corner = |u: f64, v: f64| Point::new(snap(u * ux + v * vx), snap(u * uy + v * vy));
        best = Some((
            area,
            RotatedRect {
                corners: [
                    corner(min_u, min_v),
                    corner(max_u, min_v),
                    corner(max_u, max_v),
                    corner(min_u, max_v),
                ],
                width: max_u - min_u,
                height: max_v - min_v,
            },
        ));
    }
    best.map(|(_, rect)| rect)
}

fn snap(value: f64) -> f64 {
    let rounded = value.round();
    if (value - rounded).abs() < 1e-4 {
        rounded
    } else {
        value
    }
}

/// RapidOCR's `get_mini_boxes`: the minimum-area rectangle of a contour with its corners ordered
/// top-left, top-right, bottom-right, bottom-left (by x, then by y within the left and the right
/// pair), and its shorter side.
pub(super) fn mini_box(points: &[(i64, i64)]) -> Option<(Quad, f64)> {
    let rect = min_area_rect(points)?;
    let mut corners = rect.corners;
    // Python's `sorted` is stable; so is `sort_by`.
    corners.sort_by(|a, b| a.x.total_cmp(&b.x));
    let (top_left, bottom_left) = if corners[1].y > corners[0].y {
        (corners[0], corners[1])
    } else {
        (corners[1], corners[0])
    };
    let (top_right, bottom_right) = if corners[3].y > corners[2].y {
        (corners[2], corners[3])
    } else {
        (corners[3], corners[2])
    };
    Some((
        [top_left, top_right, bottom_right, bottom_left],
        rect.short_side(),
    ))
}

/// Shoelace area of a polygon (absolute).
pub(super) fn polygon_area(points: &[Point]) -> f64 {
    let n = points.len();
    let mut twice = 0.0;
    for i in 0..n {
        let (a, b) = (points[i], points[(i + 1) % n]);
        twice += a.x * b.y - b.x * a.y;
    }
    (twice / 2.0).abs()
}

/// Perimeter of a closed polygon.
pub(super) fn polygon_perimeter(points: &[Point]) -> f64 {
    let n = points.len();
    (0..n)
        .map(|i| points[i].distance(&points[(i + 1) % n]))
        .sum()
}

/// Clipper 6.4's default arc tolerance, which pyclipper keeps.
const ARC_TOLERANCE: f64 = 0.25;

/// Grows a closed polygon by `delta` with round joins, as `pyclipper.PyclipperOffset` with
/// `JT_ROUND` / `ET_CLOSEDPOLYGON` does: the input is truncated to integers (pyclipper's
/// conversion), oriented so the offset grows it, and every output vertex is rounded to integers.
/// The vertex set equals Clipper's (its final union only drops collinear points and may start
/// elsewhere, neither of which matters to a hull). Empty for fewer than three distinct points.
pub(super) fn offset_round(polygon: &[Point], delta: f64) -> Vec<(i64, i64)> {
    // AddPath: truncate, drop repeated points (and a closing point equal to the first).
    let mut path: Vec<(i64, i64)> = Vec::with_capacity(polygon.len());
    for p in polygon {
        let q = (p.x as i64, p.y as i64);
        if path.last() != Some(&q) {
            path.push(q);
        }
    }
    while path.len() > 1 && path.first() == path.last() {
        path.pop();
    }
    if path.len() < 3 || !delta.is_finite() || delta <= 0.0 {
        return Vec::new();
    }
    // FixOrientations: Clipper's Area() must be >= 0 for a positive delta to grow the polygon.
    let mut area = 0.0;
    let mut j = path.len() - 1;
    for i in 0..path.len() {
        area += (path[j].0 as f64 + path[i].0 as f64) * (path[j].1 as f64 - path[i].1 as f64);
        j = i;
    }
    if -area * 0.5 < 0.0 {
        path.reverse();
    }
    let tolerance = if ARC_TOLERANCE > delta * ARC_TOLERANCE {
        delta * ARC_TOLERANCE
    } else {
        ARC_TOLERANCE
    };
    let mut steps = std::f64::consts::PI / (1.0 - tolerance / delta).acos();
    if steps > delta * std::f64::consts::PI {
        steps = delta * std::f64::consts::PI;
    }
    let (sin, cos) = (std::f64::consts::TAU / steps).sin_cos();
    let steps_per_rad = steps / std::f64::consts::TAU;

    let len = path.len();
    let normals: Vec<(f64, f64)> = (0..len)
        .map(|i| unit_normal(path[i], path[(i + 1) % len]))
        .collect();
    let round = |v: f64| v.round() as i64;
    let mut out = Vec::new();
    let mut k = len - 1;
    for j in 0..len {
        let (src_x, src_y) = (path[j].0 as f64, path[j].1 as f64);
        let (nk, nj) = (normals[k], normals[j]);
        let mut sin_a = nk.0 * nj.1 - nj.0 * nk.1;
        let cos_a = nk.0 * nj.0 + nk.1 * nj.1;
        if (sin_a * delta).abs() < 1.0 {
            if cos_a > 0.0 {
                out.push((round(src_x + nk.0 * delta), round(src_y + nk.1 * delta)));
                k = j;
                continue;
            }
        } else {
            sin_a = sin_a.clamp(-1.0, 1.0);
        }
        if sin_a * delta < 0.0 {
            out.push((round(src_x + nk.0 * delta), round(src_y + nk.1 * delta)));
            out.push(path[j]);
            out.push((round(src_x + nj.0 * delta), round(src_y + nj.1 * delta)));
        } else {
            let angle = sin_a.atan2(cos_a);
            let count = ((steps_per_rad * angle.abs()).round() as i64).max(1);
            let (mut x, mut y) = nk;
            for _ in 0..count {
                out.push((round(src_x + x * delta), round(src_y + y * delta)));
                let previous_x = x;
                x = x * cos - sin * y;
                y = previous_x * sin + y * cos;
            }
            out.push((round(src_x + nj.0 * delta), round(src_y + nj.1 * delta)));
        }
        k = j;
    }
    out
}

fn unit_normal(a: (i64, i64), b: (i64, i64)) -> (f64, f64) {
    if a == b {
        return (0.0, 0.0);
    }
    let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
    let f = 1.0 / (dx * dx + dy * dy).sqrt();
    (dy * f, -dx * f)
}

/// The pixels of a convex polygon with integer vertices, boundary included (what `cv2.fillPoly`
/// marks), as one `(y, x_start, x_end_inclusive)` span per row, clipped to `width` × `height`.
pub(super) fn convex_spans(
    vertices: &[(i64, i64)],
    width: usize,
    height: usize,
) -> Vec<(usize, usize, usize)> {
    let mut spans = Vec::new();
    let (Some(min_y), Some(max_y)) = (
        vertices.iter().map(|v| v.1).min(),
        vertices.iter().map(|v| v.1).max(),
    ) else {
        return spans;
    };
    let n = vertices.len();
    for y in min_y.max(0)..=max_y.min(height as i64 - 1) {
        let (mut left, mut right) = (f64::MAX, f64::MIN);
        for i in 0..n {
            let (a, b) = (vertices[i], vertices[(i + 1) % n]);
            let (lo, hi) = if a.1 <= b.1 { (a, b) } else { (b, a) };
            if y < lo.1 || y > hi.1 {
                continue;
            }
            if lo.1 == hi.1 {
                left = left.min(lo.0.min(hi.0) as f64);
                right = right.max(lo.0.max(hi.0) as f64);
            } else {
                let t = (y - lo.1) as f64 / (hi.1 - lo.1) as f64;
                let x = lo.0 as f64 + t * (hi.0 - lo.0) as f64;
                left = left.min(x);
                right = right.max(x);
            }
        }
        if left > right {
            continue;
        }
        let x0 = (left - 1e-9).ceil().max(0.0);
        let x1 = (right + 1e-9).floor().min(width as f64 - 1.0);
        if x0 <= x1 {
            spans.push((y as usize, x0 as usize, x1 as usize));
        }
    }
    spans
}

/// A 3×3 projective transform, row-major.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Homography(pub [f64; 9]);

impl Homography {
    /// The transform taking each `from[i]` to `to[i]` (`cv2.getPerspectiveTransform`), or `None`
    /// when the points are degenerate (three collinear).
    pub fn from_points(from: &Quad, to: &Quad) -> Option<Homography> {
        // Unknowns h0..h7 (h8 = 1): u = (h0 x + h1 y + h2) / (h6 x + h7 y + 1), same for v.
        let mut a = [[0.0f64; 9]; 8];
        for i in 0..4 {
            let (x, y) = (from[i].x, from[i].y);
            let (u, v) = (to[i].x, to[i].y);
            a[i] = [x, y, 1.0, 0.0, 0.0, 0.0, -x * u, -y * u, u];
            a[i + 4] = [0.0, 0.0, 0.0, x, y, 1.0, -x * v, -y * v, v];
        }
        // Gaussian elimination with partial pivoting.
        for col in 0..8 {
            let pivot = (col..8).max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))?;
            if a[pivot][col].abs() < 1e-12 {
                return None;
            }
            a.swap(col, pivot);
            let pivot_row = a[col];
            for (r, row) in a.iter_mut().enumerate() {
                let factor = row[col] / pivot_row[col];
                if r != col && factor != 0.0 {
                    for (value, &p) in row.iter_mut().zip(&pivot_row).skip(col) {
                        *value -= factor * p;
                    }
                }
            }
        }
        let mut h = [0.0; 9];
        for (i, row) in a.iter().enumerate() {
            h[i] = row[8] / row[i];
        }
        h[8] = 1.0;
        Some(Homography(h))
    }

    /// Applies the transform; `None` at infinity.
    #[cfg(test)]
    pub fn apply(&self, p: Point) -> Option<Point> {
        let h = &self.0;
        let w = h[6] * p.x + h[7] * p.y + h[8];
        if w.abs() < 1e-12 {
            return None;
        }
        Some(Point::new(
            (h[0] * p.x + h[1] * p.y + h[2]) / w,
            (h[3] * p.x + h[4] * p.y + h[5]) / w,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_area_rect_of_an_axis_aligned_rectangle_is_itself() {
        let (quad, short) = mini_box(&[(0, 0), (10, 0), (10, 5), (0, 5), (4, 2)]).unwrap();
        assert_eq!(short, 5.0);
        assert_eq!(
            quad,
            [
                Point::new(0.0, 0.0),
                Point::new(10.0, 0.0),
                Point::new(10.0, 5.0),
                Point::new(0.0, 5.0)
            ]
        );
    }

    #[test]
    fn min_area_rect_follows_a_rotated_rectangle() {
        // A rectangle turned 45°: its min-area rectangle is the rectangle, not its bounding box.
        let points = [(0, 10), (10, 0), (15, 5), (5, 15)];
        let rect = min_area_rect(&points).unwrap();
        let area = rect.width * rect.height;
        assert!((area - 100.0).abs() < 1e-6, "area {area}");
        assert!((rect.short_side() - 50f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn degenerate_point_sets_have_zero_short_sides() {
        assert_eq!(min_area_rect(&[(3, 4)]).unwrap().short_side(), 0.0);
        assert_eq!(
            min_area_rect(&[(0, 0), (5, 0), (9, 0)])
                .unwrap()
                .short_side(),
            0.0
        );
        assert!(min_area_rect(&[]).is_none());
    }

    #[test]
    fn round_offset_matches_pyclipper() {
        // pyclipper 1.4: PyclipperOffset().AddPath(box, JT_ROUND, ET_CLOSEDPOLYGON).Execute(3.0)
        // for box [[10.7,20.9],[50.2,20.1],[50.9,30.6],[10.3,30.99]] gives these 12 points.
        let quad = [
            Point::new(10.7, 20.9),
            Point::new(50.2, 20.1),
            Point::new(50.9, 30.6),
            Point::new(10.3, 30.99),
        ];
        let mut got = offset_round(&quad, 3.0);
        let mut expected = vec![
            (52, 18),
            (53, 20),
            (53, 30),
            (52, 32),
            (50, 33),
            (10, 33),
            (8, 32),
            (7, 30),
            (7, 20),
            (8, 18),
            (10, 17),
            (50, 17),
        ];
        got.sort_unstable();
        got.dedup();
        expected.sort_unstable();
        assert_eq!(got, expected);
        // Orientation does not matter.
        let mut reversed = quad;
        reversed.reverse();
        let mut got = offset_round(&reversed, 3.0);
        got.sort_unstable();
        got.dedup();
        assert_eq!(got, expected);
    }

    #[test]
    fn fill_spans_include_the_boundary() {
        // cv2.fillPoly of [[1,1],[5,1],[5,4],[1,4]] marks 5 × 4 = 20 pixels.
        let spans = convex_spans(&[(1, 1), (5, 1), (5, 4), (1, 4)], 8, 8);
        let count: usize = spans.iter().map(|(_, a, b)| b - a + 1).sum();
        assert_eq!(count, 20);
        assert_eq!(spans[0], (1, 1, 5));
        // Clipped to the frame.
        let spans = convex_spans(&[(-3, -3), (2, -3), (2, 2), (-3, 2)], 4, 4);
        assert_eq!(spans, vec![(0, 0, 2), (1, 0, 2), (2, 0, 2)]);
    }

    #[test]
    fn homographies_map_corners_and_invert() {
        let from = [
            Point::new(10.0, 20.0),
            Point::new(110.0, 25.0),
            Point::new(108.0, 60.0),
            Point::new(8.0, 55.0),
        ];
        let to = [
            Point::new(0.0, 0.0),
            Point::new(100.0, 0.0),
            Point::new(100.0, 35.0),
            Point::new(0.0, 35.0),
        ];
        let h = Homography::from_points(&from, &to).unwrap();
        let back = Homography::from_points(&to, &from).unwrap();
        for (f, t) in from.iter().zip(&to) {
            let mapped = h.apply(*f).unwrap();
            assert!(mapped.distance(t) < 1e-9);
            let p = back.apply(mapped).unwrap();
            assert!(p.distance(f) < 1e-9);
        }
        let line = [Point::new(0.0, 0.0); 4];
        assert!(Homography::from_points(&line, &to).is_none());
    }
}
