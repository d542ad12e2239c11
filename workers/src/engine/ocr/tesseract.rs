//! One worker thread's Tesseract instances and the conversion of their results to a
//! [`PageResult`].
//!
//! A `TessBaseAPI` is not shareable between threads, and initialising one costs ~50 ms (more for
//! big language models), so each pool thread keeps a few initialised instances keyed by
//! language string, least recently used first out.

use super::{OcrError, Orientation, OSD_MODEL};
use crate::engine::raster::{DpiSource, PageImage};
use domain::{BBox, Block, Line, PageResult, Word};
use image::DynamicImage;
use std::{
    borrow::Cow,
    os::raw::{c_int, c_void},
    path::PathBuf,
};
use tesseract_rs::{ResultIterator, TessPageIteratorLevel, TessPageSegMode, TesseractAPI};

/// The `engine` name written into every result.
pub(crate) const ENGINE_NAME: &str = "tesseract";

// C API functions tesseract-rs 0.4 does not wrap: on its `ResultIterator`, whether the iterator
// stands at the first word of a paragraph or line (what Tesseract's own TSV and hOCR renderers use
// to rebuild the page hierarchy); and the clearing of the process-wide dictionary cache.
// libtesseract is already linked by tesseract-rs.
#[link(name = "tesseract")]
extern "C" {
    fn TessResultIteratorGetPageIteratorConst(handle: *const c_void) -> *const c_void;
    fn TessPageIteratorIsAtBeginningOf(handle: *const c_void, level: c_int) -> c_int;
    fn TessBaseAPIClearPersistentCache(handle: *mut c_void);
}

/// An initialised instance and when it was last used.
struct Cached {
    languages: String,
    api: TesseractAPI,
    last_used: u64,
}

/// The Tesseract instances owned by one pool thread.
pub(crate) struct Engines {
    tessdata: PathBuf,
    page_seg_mode: TessPageSegMode,
    capacity: usize,
    cached: Vec<Cached>,
    clock: u64,
}

impl Engines {
    /// No instance is created until a language is asked for.
    pub(crate) fn new(tessdata: PathBuf, page_seg_mode: u8, capacity: usize) -> Self {
        Engines {
            tessdata,
            page_seg_mode: TessPageSegMode::from_int(i32::from(page_seg_mode)),
            capacity: capacity.max(1),
            cached: Vec::new(),
            clock: 0,
        }
    }

    /// Drops the instance for `languages`, so the next request builds a fresh one. Called after
    /// an error or a panic, when the instance's internal state can no longer be trusted.
    pub(crate) fn discard(&mut self, languages: &str) {
        self.cached.retain(|c| c.languages != languages);
    }

    /// Drops every instance: called when the thread has been idle a while, so an idle server
    /// does not keep several hundred megabytes of models loaded (they load again in ~50 ms each
    /// on the next page). The caller hands the freed memory back (`page_engine::return_freed_native_memory`).
    pub(crate) fn release(&mut self) {
        self.cached.clear();
        // Each model's dictionaries (DAWGs) live in a process-wide cache that outlives the
        // instances using them: after a `language=auto` page, the `Latin` script model's
        // dictionary alone kept 84 MB. Clearing deletes only entries no live instance uses (the
        // other pool thread's stay), under the cache's own lock.
        // SAFETY: the C API ignores the handle and calls the static
        // `TessBaseAPI::ClearPersistentCache`, which is safe from any thread.
        unsafe { TessBaseAPIClearPersistentCache(std::ptr::null_mut()) };
    }

    /// Finds the orientation and script of one page with the `osd` instance.
    ///
    /// Tesseract reports the orientation the text is *in* (counter-clockwise quadrants); the
    /// result says how to turn the image back, clockwise, which is what image code wants.
    pub(crate) fn detect_orientation(&mut self, page: &PageImage) -> Result<Orientation, OcrError> {
        let index = page.index;
        let failed = |what: String| OcrError::Recognition {
            page: index,
            detail: what,
        };
        let (width, height) = (page.image.width(), page.image.height());
        let (w, h) = match (i32::try_from(width), i32::try_from(height)) {
            (Ok(w), Ok(h)) if w > 0 && h > 0 && w.checked_mul(3).is_some() => (w, h),
            _ => return Err(failed("the page image has no usable size".into())),
        };
        let (pixels, bytes_per_pixel): (Cow<'_, [u8]>, i32) = match &*page.image {
            DynamicImage::ImageLuma8(grey) => (Cow::Borrowed(grey.as_raw()), 1),
            DynamicImage::ImageRgb8(rgb) => (Cow::Borrowed(rgb.as_raw()), 3),
            other => (Cow::Owned(other.to_rgb8().into_raw()), 3),
        };
        let api = self.instance(OSD_MODEL)?;
        api.set_image(&pixels, w, h, bytes_per_pixel, w * bytes_per_pixel)
            .map_err(|e| failed(format!("setting the image: {e}")))?;
        if page.dpi_source != DpiSource::Assumed {
            api.set_source_resolution(i32::try_from(page.dpi).unwrap_or(i32::MAX))
                .map_err(|e| failed(format!("setting the resolution: {e}")))?;
        }
        let outcome = api.detect_os();
        let _ = api.clear();
        let (degrees, orientation_confidence, script, script_confidence) = outcome
            .map_err(|e| failed(format!("orientation detection found too little text: {e}")))?;
        Ok(Orientation {
            rotate: clockwise_correction(degrees),
            orientation_confidence,
            script,
            script_confidence,
        })
    }

    /// Recognises one page with the instance for `languages`.
    pub(crate) fn recognize(
        &mut self,
        page: &PageImage,
        languages: &str,
    ) -> Result<PageResult, OcrError> {
        let index = page.index;
        let failed = |what: &str| OcrError::Recognition {
            page: index,
            detail: what.to_owned(),
        };
        let (width, height) = (page.image.width(), page.image.height());
        let (w, h) = match (i32::try_from(width), i32::try_from(height)) {
            (Ok(w), Ok(h)) if w > 0 && h > 0 && w.checked_mul(3).is_some() => (w, h),
            _ => return Err(failed("the page image has no usable size")),
        };
        // Grey and RGB go to Tesseract as they are: it thresholds colour per channel, which
        // reads coloured scans better than their luma would (see `raster`).
        let (pixels, bytes_per_pixel): (Cow<'_, [u8]>, i32) = match &*page.image {
            DynamicImage::ImageLuma8(grey) => (Cow::Borrowed(grey.as_raw()), 1),
            DynamicImage::ImageRgb8(rgb) => (Cow::Borrowed(rgb.as_raw()), 3),
            other => (Cow::Owned(other.to_rgb8().into_raw()), 3),
        };
        let api = self.instance(languages)?;
        api.set_image(&pixels, w, h, bytes_per_pixel, w * bytes_per_pixel)
            .map_err(|e| failed(&format!("setting the image: {e}")))?;
        // Told nothing, Tesseract estimates the resolution from the text, which beats a guess.
        if page.dpi_source != DpiSource::Assumed {
            api.set_source_resolution(i32::try_from(page.dpi).unwrap_or(i32::MAX))
                .map_err(|e| failed(&format!("setting the resolution: {e}")))?;
        }
        let outcome = api
            .recognize()
            .map_err(|e| failed(&format!("recognition: {e}")))
            .and_then(|()| extract(api, width, height).map_err(|e| failed(&e)));
        // Frees the page's image and results; the loaded language stays.
        let _ = api.clear();
        let blocks = outcome?;
        Ok(PageResult::recognised(
            index,
            [width, height],
            page.dpi,
            blocks,
            languages.to_owned(),
            ENGINE_NAME,
        ))
    }

    /// The cached instance for `languages`, created (evicting the least recently used one when
    /// full) if needed.
    fn instance(&mut self, languages: &str) -> Result<&TesseractAPI, OcrError> {
        self.clock += 1;
        let now = self.clock;
        let position = match self.cached.iter().position(|c| c.languages == languages) {
            Some(position) => position,
            None => {
                let api = self.create(languages)?;
                if self.cached.len() >= self.capacity {
                    if let Some(oldest) = self
                        .cached
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, c)| c.last_used)
                        .map(|(i, _)| i)
                    {
                        self.cached.swap_remove(oldest);
                    }
                }
                self.cached.push(Cached {
                    languages: languages.to_owned(),
                    api,
                    last_used: now,
                });
                self.cached.len() - 1
            }
        };
        let cached = &mut self.cached[position];
        cached.last_used = now;
        Ok(&cached.api)
    }

    fn create(&self, languages: &str) -> Result<TesseractAPI, OcrError> {
        let init_failed = |detail: String| OcrError::Init {
            languages: languages.to_owned(),
            detail,
        };
        // tesseract-rs unwraps a non-UTF-8 path; refuse it here instead of panicking there.
        let tessdata = self
            .tessdata
            .to_str()
            .ok_or_else(|| init_failed("the tessdata path is not valid UTF-8".into()))?;
        let api = TesseractAPI::new();
        api.init(tessdata, languages)
            .map_err(|e| init_failed(e.to_string()))?;
        api.set_page_seg_mode(self.page_seg_mode)
            .map_err(|e| init_failed(e.to_string()))?;
        // Tesseract prints diagnostics ("Estimating resolution as …") to stderr for every page;
        // they say nothing a caller can act on and drown the service's own logs.
        api.set_variable("debug_file", "/dev/null")
            .map_err(|e| init_failed(e.to_string()))?;
        Ok(api)
    }
}

/// Rebuilds paragraphs, lines and words from Tesseract's result iterator, in reading order.
///
/// Words that are empty or whitespace are dropped, and so are lines and blocks left without
/// words. Boxes are in page pixels with exclusive right/bottom edges (Tesseract's "crack"
/// coordinates, the same convention as [`BBox`]); a line's and a block's box is the union of its
/// kept words, so every box contains the boxes below it.
fn extract(api: &TesseractAPI, width: u32, height: u32) -> Result<Vec<Block>, String> {
    let iterator = match api.get_iterator() {
        Ok(iterator) => iterator,
        // No iterator means no layout was found at all: an empty page.
        Err(_) => return Ok(Vec::new()),
    };
    let mut blocks: Vec<Block> = Vec::new();
    let (mut starts_block, mut starts_line) = (true, true);
    loop {
        // The flags survive skipped empty words, so a paragraph whose first "word" is empty
        // still starts a new block at its first real word.
        starts_block |= is_at_beginning_of(&iterator, TessPageIteratorLevel::RIL_PARA);
        starts_line |= is_at_beginning_of(&iterator, TessPageIteratorLevel::RIL_TEXTLINE);
        // A null text (Err) is an empty word position, e.g. in a non-text block.
        if let Ok(text) = iterator.get_utf8_text(TessPageIteratorLevel::RIL_WORD) {
            let text = text.trim();
            if !text.is_empty() {
                let bbox = iterator
                    .get_bounding_box(TessPageIteratorLevel::RIL_WORD)
                    .map(|(l, t, r, b)| clamp_box(l, t, r, b, width, height))
                    .map_err(|e| format!("reading a word box: {e}"))?;
                let confidence = iterator
                    .confidence(TessPageIteratorLevel::RIL_WORD)
                    .map_err(|e| format!("reading a word confidence: {e}"))?;
                let word = Word {
                    text: text.to_owned(),
                    bbox,
                    confidence: (confidence / 100.0).clamp(0.0, 1.0),
                };
                if starts_block || blocks.is_empty() {
                    blocks.push(Block {
                        text: String::new(),
                        bbox,
                        confidence: 0.0,
                        lines: Vec::new(),
                    });
                    starts_block = false;
                    starts_line = true;
                }
                let block = blocks.last_mut().expect("a block was pushed above");
                if starts_line || block.lines.is_empty() {
                    block.lines.push(Line {
                        text: String::new(),
                        bbox,
                        words: Vec::new(),
                    });
                    starts_line = false;
                }
                let line = block.lines.last_mut().expect("a line was pushed above");
                line.bbox = line.bbox.union(&bbox);
                line.words.push(word);
            }
        }
        if !iterator
            .next(TessPageIteratorLevel::RIL_WORD)
            .map_err(|e| format!("advancing the result iterator: {e}"))?
        {
            break;
        }
    }
    for block in &mut blocks {
        for line in &mut block.lines {
            line.text = line
                .words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
        }
        block.text = block
            .lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        block.bbox = block
            .lines
            .iter()
            .map(|l| l.bbox)
            .reduce(|a, b| a.union(&b))
            .unwrap_or(block.bbox);
        block.confidence =
            domain::mean_word_confidence(block.lines.iter().flat_map(|l| &l.words)).unwrap_or(0.0);
    }
    Ok(blocks)
}

/// Whether the iterator stands at the start of a `level` element.
fn is_at_beginning_of(iterator: &ResultIterator, level: TessPageIteratorLevel) -> bool {
    let Ok(handle) = iterator.handle.lock() else {
        return false;
    };
    if handle.is_null() {
        return false;
    }
    // SAFETY: `handle` is the live `TessResultIterator*` owned by `iterator` (not yet deleted:
    // `iterator` is borrowed, and its lock is held). Both functions only read the iterator's
    // position; the page-iterator view is the same object, valid as long as the result iterator.
    unsafe {
        let page_iterator = TessResultIteratorGetPageIteratorConst(*handle as *const c_void);
        !page_iterator.is_null()
            && TessPageIteratorIsAtBeginningOf(page_iterator, level as c_int) != 0
    }
}

/// Turns Tesseract's orientation (the counter-clockwise quadrant the text is in, in degrees)
/// into the clockwise turn that makes the page upright.
fn clockwise_correction(orientation_degrees: i32) -> u16 {
    let quadrant = orientation_degrees.rem_euclid(360) / 90;
    ((4 - quadrant) % 4 * 90) as u16
}

/// Tesseract's box clipped to the page, never inverted.
fn clamp_box(left: i32, top: i32, right: i32, bottom: i32, width: u32, height: u32) -> BBox {
    let clamp = |v: i32, max: u32| u32::try_from(v.max(0)).unwrap_or(0).min(max);
    let (x0, x1) = (clamp(left, width), clamp(right, width));
    let (y0, y1) = (clamp(top, height), clamp(bottom, height));
    BBox {
        x0: x0.min(x1),
        y0: y0.min(y1),
        x1: x0.max(x1),
        y1: y0.max(y1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_quadrants_become_clockwise_corrections() {
        assert_eq!(clockwise_correction(0), 0);
        assert_eq!(clockwise_correction(90), 270);
        assert_eq!(clockwise_correction(180), 180);
        assert_eq!(clockwise_correction(270), 90);
        assert_eq!(clockwise_correction(-90), 90);
    }

    #[test]
    fn boxes_are_clipped_to_the_page() {
        assert_eq!(
            clamp_box(-5, 2, 50, 300, 40, 100),
            BBox::from([0, 2, 40, 100])
        );
        assert_eq!(clamp_box(10, 10, 5, 5, 40, 100), BBox::from([5, 5, 10, 10]));
    }
}
