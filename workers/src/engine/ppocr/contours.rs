//! Border following on a binary map (Suzuki & Abe 1985), as `cv2.findContours` with `RETR_LIST`:
//! every outer border and every hole border, each as the pixels it passes through.
//!
//! DB post-processing only takes the minimum-area rectangle of each border, so the point lists
//! are not compressed (OpenCV's `CHAIN_APPROX_SIMPLE` drops points inside straight runs, which
//! leaves the hull unchanged). Hole borders are kept because OpenCV returns them too: their boxes
//! usually fail the score threshold, but not always, and RapidOCR would then keep them.

/// Neighbour offsets by chain code: 0 is right, then counter-clockwise as seen on screen
/// (y grows downwards).
const NEIGHBOURS: [(isize, isize); 8] = [
    (1, 0),
    (1, -1),
    (0, -1),
    (-1, -1),
    (-1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];

/// All borders of the foreground (`true`) pixels of a `width` × `height` map, in the order
/// OpenCV lists them (the reverse of the raster order in which they are found). Points are
/// `(x, y)` pixel coordinates; pixels on the map's edge are borders too.
pub(super) fn find_contours(mask: &[bool], width: usize, height: usize) -> Vec<Vec<(i64, i64)>> {
    if width == 0 || height == 0 || mask.len() != width * height {
        return Vec::new();
    }
    // A one-pixel frame of background around the map, so no neighbour index leaves it.
    let stride = width + 2;
    let mut f = vec![0i32; stride * (height + 2)];
    for y in 0..height {
        for x in 0..width {
            if mask[y * width + x] {
                f[(y + 1) * stride + x + 1] = 1;
            }
        }
    }
    let step = |index: usize, direction: usize| -> usize {
        let (dx, dy) = NEIGHBOURS[direction];
        (index as isize + dy * stride as isize + dx) as usize
    };
    let mut contours = Vec::new();
    let mut nbd: i32 = 1;
    for y in 1..=height {
        for x in 1..=width {
            let start = y * stride + x;
            let value = f[start];
            // The neighbour the search starts from: left of an outer border, right of a hole.
            let from = if value == 1 && f[start - 1] == 0 {
                4
            } else if value >= 1 && f[start + 1] == 0 {
                0
            } else {
                continue;
            };
            nbd += 1;
            let mut points = Vec::new();
            // (3.1) clockwise from `from` for a non-zero neighbour.
            let first = (0..8)
                .map(|k| (from + 8 - k) % 8)
                .find(|&d| f[step(start, d)] != 0);
            let Some(first_direction) = first else {
                f[start] = -nbd;
                points.push(((x - 1) as i64, (y - 1) as i64));
                contours.push(points);
                continue;
            };
            let first_neighbour = step(start, first_direction);
            // (3.2) `back` points from the current pixel to the previous border pixel; at the
            // start, that is the neighbour just found.
            let mut current = start;
            let mut back = first_direction;
            loop {
                // (3.3) counter-clockwise from the one after `back` for a non-zero neighbour.
                let mut right_is_background = false;
                let mut next = None;
                for k in 1..=8 {
                    let d = (back + k) % 8;
                    let candidate = step(current, d);
                    if f[candidate] != 0 {
                        next = Some((d, candidate));
                        break;
                    }
                    if d == 0 {
                        right_is_background = true;
                    }
                }
                // A border pixel always has a non-zero neighbour here (the one it came from).
                let Some((direction, next_index)) = next else {
                    break;
                };
                // (3.4)
                if right_is_background {
                    f[current] = -nbd;
                } else if f[current] == 1 {
                    f[current] = nbd;
                }
                let cx = current % stride;
                let cy = current / stride;
                points.push(((cx - 1) as i64, (cy - 1) as i64));
                // (3.5)
                if next_index == start && current == first_neighbour {
                    break;
                }
                back = (direction + 4) % 8;
                current = next_index;
            }
            contours.push(points);
        }
    }
    contours.reverse();
    contours
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(rows: &[&str]) -> (Vec<bool>, usize, usize) {
        let width = rows[0].len();
        let data = rows
            .iter()
            .flat_map(|r| r.chars().map(|c| c == '#'))
            .collect();
        (data, width, rows.len())
    }

    fn sorted(mut points: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
        points.sort_unstable();
        points.dedup();
        points
    }

    #[test]
    fn a_filled_square_with_a_hole_has_an_outer_and_a_hole_border() {
        // cv2.findContours(RETR_LIST) on a 5×5 square at (1,1) with a hole at (3,3) gives the
        // hole border [[2,3],[3,2],[4,3],[3,4]] first, then the outer border.
        let (m, w, h) = mask(&[
            ".......", ".#####.", ".#####.", ".##.##.", ".#####.", ".#####.", ".......",
        ]);
        let contours = find_contours(&m, w, h);
        assert_eq!(contours.len(), 2);
        assert_eq!(
            sorted(contours[0].clone()),
            vec![(2, 3), (3, 2), (3, 4), (4, 3)]
        );
        let outer = sorted(contours[1].clone());
        assert_eq!(outer.len(), 16);
        assert!(outer.contains(&(1, 1)) && outer.contains(&(5, 5)));
    }

    #[test]
    fn borders_touching_the_edge_and_single_pixels_are_found() {
        // OpenCV: [[[4, 4]], [[0, 0], [0, 2], [3, 2], [3, 0]]] (simplified), single pixel first.
        let (m, w, h) = mask(&["####..", "####..", "####..", "......", "....#.", "......"]);
        let contours = find_contours(&m, w, h);
        assert_eq!(contours.len(), 2);
        assert_eq!(contours[0], vec![(4, 4)]);
        let outer = sorted(contours[1].clone());
        assert_eq!(outer.len(), 10);
        assert!(outer.contains(&(0, 0)) && outer.contains(&(3, 2)));
    }

    #[test]
    fn diagonal_pixels_are_one_component() {
        let (m, w, h) = mask(&["#...", ".#..", "..#.", "...#"]);
        let contours = find_contours(&m, w, h);
        assert_eq!(contours.len(), 1);
        assert_eq!(
            sorted(contours[0].clone()),
            vec![(0, 0), (1, 1), (2, 2), (3, 3)]
        );
    }

    #[test]
    fn empty_maps_have_no_contours() {
        assert!(find_contours(&[false; 12], 4, 3).is_empty());
        assert!(find_contours(&[], 0, 0).is_empty());
        assert!(find_contours(&[true; 3], 4, 3).is_empty());
    }
}
