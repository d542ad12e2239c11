//! The asynchronous steps around the OCR pool for one page: turning it upright, and reading it
//! in `auto` mode (script → first pass → language → final pass), as [`super::detect`] decides.
//!
//! Each Tesseract step is its own pool request with the page's priority, so a paid page's
//! second pass does not wait behind a free job's whole document.

use super::{
    detect::{
        detect_languages, fallback_model, model_script, script_model, ROTATE_MIN_CONFIDENCE,
        SCRIPT_MIN_CONFIDENCE,
    },
    ocr::{OcrError, OcrPool, OcrRequest, Orientation},
    raster::PageImage,
};
use domain::{Detection, PageResult};
use image::DynamicImage;
use std::collections::HashSet;

/// A page turned upright, with what orientation detection said.
#[derive(Debug, Clone)]
pub struct Upright {
    /// The page image after turning (the frame of every later bbox).
    pub image: PageImage,
    /// OSD's findings, `None` when the page had too little text for OSD.
    pub orientation: Option<Orientation>,
    /// Clockwise degrees the image was turned by (0 when OSD was unsure or found it upright).
    pub rotation: u16,
}

/// Asks OSD for the page's orientation and turns it upright when OSD is sure
/// ([`ROTATE_MIN_CONFIDENCE`]). A page OSD cannot judge is left as it is.
///
/// Errors only when the pool is gone; any OSD failure on the page itself means "unknown".
pub async fn orient(pool: &OcrPool, image: PageImage, priority: u8) -> Result<Upright, OcrError> {
    let orientation = match pool.detect_orientation(image.clone(), priority).await {
        Ok(found) => Some(found),
        Err(OcrError::PoolClosed) => return Err(OcrError::PoolClosed),
        Err(_) => None,
    };
    let rotation = orientation
        .as_ref()
        .filter(|o| o.orientation_confidence >= ROTATE_MIN_CONFIDENCE)
        .map_or(0, |o| o.rotate);
    let image = if rotation == 0 {
        image
    } else {
        tokio::task::spawn_blocking(move || rotate(image, rotation))
            .await
            .map_err(|e| OcrError::Recognition {
                page: 0,
                detail: format!("turning the page failed: {e}"),
            })?
    };
    Ok(Upright {
        image,
        orientation,
        rotation,
    })
}

/// Turns a page clockwise by a multiple of 90 degrees (other values leave it as it is).
pub fn rotate(page: PageImage, clockwise: u16) -> PageImage {
    let image: DynamicImage = match clockwise {
        90 => page.image.rotate90(),
        180 => page.image.rotate180(),
        270 => page.image.rotate270(),
        _ => return page,
    };
    PageImage {
        image: std::sync::Arc::new(image),
        ..page
    }
}

/// Reads an upright page in `auto` mode: the script's model first, then, when the detector is
/// sure of the text's language, that language's model. The result's `detection` says what was
/// found; its `language` is the Tesseract string the returned text was read with.
pub async fn recognize_auto(
    pool: &OcrPool,
    image: PageImage,
    orientation: Option<&Orientation>,
    priority: u8,
    installed: &HashSet<String>,
) -> Result<PageResult, OcrError> {
    let script = orientation
        .filter(|o| o.script_confidence >= SCRIPT_MIN_CONFIDENCE)
        .map(|o| o.script.clone());
    let first_model = script
        .as_deref()
        .and_then(|s| script_model(s, installed))
        .unwrap_or_else(|| fallback_model(installed));
    let first = pool
        .recognize(OcrRequest {
            image: image.clone(),
            languages: first_model.to_owned(),
            priority,
        })
        .await?;
    let Some(found) = detect_languages(&first.text, model_script(first_model), installed) else {
        return Ok(PageResult {
            detection: Some(Detection {
                language: None,
                languages: vec![first_model.to_owned()],
                script,
                confidence: 0.0,
            }),
            ..first
        });
    };
    let mut languages = found.languages.clone();
    // Fraktur is a typeface, not a language: the language model alone misreads its letters.
    if first_model == "Fraktur" {
        languages.push("Fraktur".to_owned());
    }
    let detection = Detection {
        language: found.languages.first().cloned(),
        languages: languages.clone(),
        script,
        confidence: found.confidence as f32,
    };
    let final_languages = languages.join("+");
    let page = if final_languages == first_model {
        first
    } else {
        pool.recognize(OcrRequest {
            image,
            languages: final_languages,
            priority,
        })
        .await?
    };
    Ok(PageResult {
        detection: Some(detection),
        ..page
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::raster::DpiSource;

    #[test]
    fn quarter_turns_swap_the_sides() {
        let page = PageImage {
            index: 0,
            image: std::sync::Arc::new(DynamicImage::new_luma8(4, 2)),
            dpi: 300,
            dpi_source: DpiSource::Assumed,
        };
        let turned = rotate(page.clone(), 90);
        assert_eq!((turned.image.width(), turned.image.height()), (2, 4));
        assert_eq!(turned.dpi, 300);
        let same = rotate(page, 45);
        assert_eq!((same.image.width(), same.image.height()), (4, 2));
    }
}
