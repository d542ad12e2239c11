//! Text-line orientation: the classifier says whether a crop is upside down, and crops it is
//! sure about (probability above 0.9) are turned half a turn before recognition.
//!
//! RapidOCR 3.10's defaults (`ch_ppocr_cls`, PP-OCRv4 mobile classifier): crops sorted by
//! aspect ratio, batches of 6, each resized to 48 px high and at most 192 px wide (aspect
//! kept), normalised to `[-1, 1]` and zero-padded to 192 columns.

use super::{model::Model, pixels::Bgr, PpOcrError};

const HEIGHT: usize = 48;
const WIDTH: usize = 192;
const BATCH: usize = 6;
/// Probability the "180°" class needs before a crop is turned.
const THRESHOLD: f32 = 0.9;

/// The width a crop of `width` × `height` is resized to (48 px high, at most 192 wide).
fn resized_width(width: usize, height: usize) -> usize {
    let ratio = width as f64 / height as f64;
    let wanted = (HEIGHT as f64 * ratio).ceil();
    if wanted > WIDTH as f64 {
        WIDTH
    } else {
        (wanted as usize).max(1)
    }
}

/// Turns the crops the classifier finds upside down; returns which were turned.
pub(super) fn classify(model: &Model, crops: &mut [Bgr]) -> Result<Vec<bool>, PpOcrError> {
    let mut turned = vec![false; crops.len()];
    for batch in super::recognise::order_by_aspect(crops).chunks(BATCH) {
        let plane = HEIGHT * WIDTH;
        let mut tensor = vec![0f32; batch.len() * 3 * plane];
        for (slot, &index) in batch.iter().enumerate() {
            let crop = &crops[index];
            let resized = crop.resize(resized_width(crop.width, crop.height), HEIGHT);
            resized.write_chw(&mut tensor[slot * 3 * plane..(slot + 1) * 3 * plane], WIDTH);
        }
        let (shape, probabilities) = model.run([batch.len(), 3, HEIGHT, WIDTH], &tensor)?;
        if shape.len() != 2 || shape[0] != batch.len() || shape[1] < 2 {
            return Err(PpOcrError::Inference {
                model: model.name.clone(),
                detail: format!("unexpected classifier output shape {shape:?}"),
            });
        }
        for (slot, &index) in batch.iter().enumerate() {
            let row = &probabilities[slot * shape[1]..(slot + 1) * shape[1]];
            // argmax, first maximum on ties; label 1 is "180".
            let (label, score) =
                row.iter().enumerate().fold(
                    (0, f32::MIN),
                    |best, (i, &p)| if p > best.1 { (i, p) } else { best },
                );
            if label == 1 && score > THRESHOLD {
                crops[index] = crops[index].rotate_180();
                turned[index] = true;
            }
        }
    }
    Ok(turned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_are_resized_to_48_high_and_at_most_192_wide() {
        assert_eq!(resized_width(100, 48), 100);
        assert_eq!(resized_width(100, 24), 192);
        assert_eq!(resized_width(10, 100), 5);
        assert_eq!(resized_width(1, 1000), 1);
    }
}
