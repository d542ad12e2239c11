//! PP-OCR: a second recognition engine, the PP-OCRv6 small models run with ONNX Runtime.
//!
//! Tesseract reads clean prints well and struggles on receipts, phone photos and handwriting;
//! PP-OCR's neural detector and recogniser are the usual answer there. This module reproduces
//! the reference pipeline, the Python package RapidOCR 3.10.0 with its default settings, so
//! results can be compared line by line, and adds two checks RapidOCR lacks (steps 4 and 6),
//! which halve its error rate on the corpus (9.9% → 4.8% CER; RapidOCR 10.0%):
//!
//! 1. the page is scaled down to at most 2000 px on its longer side (both sides rounded to
//!    multiples of 32), and a very wide or very low image is padded with black above and below;
//! 2. [`detect`] finds text-line boxes (DB);
//! 3. each box is cut out of the scaled page with a perspective warp; crops 1.5 times taller
//!    than wide are turned a quarter counter-clockwise (vertical text);
//! 4. [`classify`] turns upside-down crops; each crop it turned is read as found as well, and
//!    the better-scoring reading kept (`PpOcr::check_turns`);
//! 5. [`recognise`] reads each crop (CTC), keeping where each character stands;
//! 6. lines with no text or a score under 0.5 are dropped; boxes go back to page pixels;
//!    words get boxes from their characters' positions; lines read askew to the rest of the
//!    page (another sheet's text in the picture) are dropped ([`strays`]);
//! 7. [`layout`] groups lines into blocks in reading order (RapidOCR has no layout step).
//!
//! Deliberate differences from RapidOCR besides those two checks, each because our result
//! format needs it:
//! - words are split at spaces, and every CJK character is a word; RapidOCR also splits a word
//!   where its characters are more than 5 time steps apart, and makes every character a word in
//!   a line that mixes CJK and Latin. Our lines keep the recogniser's text exactly (spaces
//!   collapsed), so a line is always its words joined;
//! - a word's confidence is the mean probability of its characters (RapidOCR pairs the n-th
//!   word with the n-th character's probability);
//! - word boxes of a crop the classifier turned are mirrored back (RapidOCR leaves them
//!   mirrored);
//! - when a page needs both the downscale and the upscale of step 1 (a side over 2000 px and
//!   one under 30 px), boxes are mapped back with the combined ratio (RapidOCR keeps only the
//!   second's);
//! - crops of equal aspect ratio are batched in a stable order (NumPy's `argsort` is not
//!   stable), which can change which crops share a batch, hence their padding.
//!
//! Pixel operations follow OpenCV's arithmetic (see [`pixels`]), so boxes agree with RapidOCR's
//! to about a pixel; where they differ by rounding, a box near a threshold can come or go.
//! Without the two checks, the recognised words were RapidOCR's on 10 of 12 corpus pages and
//! differed by a few characters on the other two.
//!
//! Cost, measured on the corpus with one thread (release build, int8 recogniser, a 2-core Xeon
//! with AVX-512): 0.9 to 4.6 s a page, ~100 MB per loaded engine, and a peak of ~700 MB while a
//! page at the 2000-px bound is detected (the detector's activations; RapidOCR peaks at ~880 MB on
//! the same page). The detector takes about 40% of the time, the recogniser about 55%. Three
//! things keep it there, each measured on the corpus with the output unchanged:
//! - the models' subnormal weights are set to zero before loading ([`subnormal`]): the
//!   detector's made two of its convolutions a hundred times slower (0.45 → 0.67 pages/s);
//! - the int8 recogniser ends at its 8-bit logits and the softmax is taken here
//!   ([`recognise::Head`]; 0.67 → 0.74 pages/s);
//! - ONNX Runtime's memory arena is on, which saves a sixth of the time RapidOCR's setting (no
//!   arena) spends faulting in fresh memory; the detector's is shrunk after every run, the
//!   others' kept ([`model::Arena`]).
//!
//! `auto`'s second opinion ([`domain::engine::Effort::SecondOpinion`], [`PpOcr::recognize_with`])
//! runs the detector on the page scaled to about a megapixel, a third to two fifths of a full
//! page's pixels at the bound, and still cuts the lines from the page at the bound; it skips
//! step 4 and reads each crop alone at its own width ([`recognise::Layout::Alone`]).
//!
//! A 4000 × 6000 page costs no more than that plus its own image, since it is scaled to the bound
//! while being converted. Everything runs on the calling thread (ONNX Runtime is given
//! [`PpOcrConfig::intra_threads`] threads per model, 1 by default): call
//! [`PpOcr::recognize`] from a worker thread, never from the async executor. The one exception
//! is step 5 under [`PpOcr::recognize_shared`]: a [`Crew`]'s idle threads (the pool's) may make
//! some of the recogniser's runs with engines of their own, which changes nothing in the result
//! ([`crew`]).

mod classify;
mod contours;
mod crew;
mod detect;
mod geometry;
mod layout;
mod model;
mod pixels;
mod recognise;
mod strays;
mod subnormal;

use crate::engine::raster::PageImage;
use domain::{engine::Effort, BBox, Block, Line, PageResult, Word};
use geometry::{Homography, Point, Quad};
use model::{Arena, Model};
use pixels::Bgr;
use recognise::{Dictionary, Head, Layout, Recognised};
use std::path::PathBuf;

pub use crew::{Crew, NoCrew, Reading};

/// The `engine` name written into every result.
pub const ENGINE_NAME: &str = "ppocr";
/// Detector model file inside [`PpOcrConfig::models_dir`].
pub const DETECTOR_MODEL: &str = "PP-OCRv6_det_small.onnx";
/// Recogniser model file (its dictionary is in its metadata, key `character`).
pub const RECOGNISER_MODEL: &str = "PP-OCRv6_rec_small.onnx";
/// The recogniser quantised to int8 by `scripts/deps.sh ppocr` (`scripts/quantise_recogniser.py`).
pub const INT8_RECOGNISER_MODEL: &str = "PP-OCRv6_rec_small.int8.onnx";
/// Orientation classifier model file.
pub const CLASSIFIER_MODEL: &str = "ch_ppocr_mobile_v2.0_cls_mobile.onnx";

/// Longer page sides are scaled down to this before detection (RapidOCR's `max_side_len`).
const MAX_SIDE_LEN: f64 = 2000.0;
/// Shorter page sides are scaled up to this (`min_side_len`).
const MIN_SIDE_LEN: f64 = 30.0;
/// Pages at most this high, or wider than [`PAD_RATIO`] times their height, are padded.
const PAD_MIN_HEIGHT: usize = 30;
const PAD_RATIO: f64 = 8.0;
/// Share of a page's crops the orientation classifier must turn for every crop to be read both
/// ways (`PpOcr::check_turns`). On the corpus, every page upright, it turned 6% of the crops and
/// at most 20% of one page's (9 of 46, a receipt); on an upside-down page about half.
const MIXED_TURNS: f64 = 0.3;
/// Lines scoring below this are dropped (`text_score`).
const TEXT_SCORE: f32 = 0.5;
/// Under [`Effort::SecondOpinion`], the detector's input is scaled to at most this many pixels
/// (an A4 page to about 840 × 1190); lines are still cut from the page at the 2000-px bound, so
/// the recogniser sees them as sharp as ever. Measured in `domain::engine::Effort`'s notes.
const SECOND_OPINION_DETECTOR_PIXELS: f64 = 1.0e6;
/// ...unless scaling would spare the detector less than this share of its pixels: a page a
/// little over the bound is detected as it is, not perturbed for next to nothing.
const SECOND_OPINION_MIN_SAVING: f64 = 0.2;

/// Where the engine's files are and how many threads it may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PpOcrConfig {
    /// Directory holding [`DETECTOR_MODEL`], the recogniser and [`CLASSIFIER_MODEL`].
    pub models_dir: PathBuf,
    /// Which recogniser file is loaded from `models_dir`.
    pub recogniser: Precision,
    /// `libonnxruntime.so` (1.31 or newer). Loaded once per process.
    pub runtime_library: PathBuf,
    /// Threads ONNX Runtime may use inside one model run. 1 is right for the service, whose
    /// pool already runs one page per core; 0 is taken as 1.
    pub intra_threads: usize,
}

/// The recogniser's arithmetic: the int8 model by default, the wheel's float model on request.
///
/// The recogniser is 60–70% of PP-OCR's time in float, most of it convolutions, which ONNX
/// Runtime runs about twice as fast in int8. Measured on the developer corpus (`cargo bench -p
/// workers --bench ocr`, two threads, same run): 0.40 → 0.64 pages/s, CER 4.84% → 5.06%
/// (receipts 14.22% both, handwriting 18.81% → 19.22%, Fraktur 5.35% → 6.31%; RapidOCR reads
/// them at 26.60%, 18.81% and 6.86%).
///
/// The int8 model is made at install time (`scripts/quantise_recogniser.py`), with 7-bit weights
/// so it computes the same on CPUs with and without VNNI (an 8-bit model read handwriting at 24%
/// CER on one machine and 19% on another, and gave different outputs under an AVX2-only CPU).
/// `Float` is the model exactly as RapidOCR ships it (`OCRCHAT_PPOCR_RECOGNISER=float`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// [`INT8_RECOGNISER_MODEL`].
    #[default]
    Int8,
    /// [`RECOGNISER_MODEL`].
    Float,
}

impl Precision {
    /// The recogniser's file name in the model directory.
    pub fn file(self) -> &'static str {
        match self {
            Precision::Int8 => INT8_RECOGNISER_MODEL,
            Precision::Float => RECOGNISER_MODEL,
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Precision, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "int8" => Ok(Precision::Int8),
            "float" | "fp32" => Ok(Precision::Float),
            other => Err(format!("`{other}` is neither `int8` nor `float`")),
        }
    }
}

impl PpOcrConfig {
    /// The configuration the test and benchmark environment describes: models from
    /// `OCRCHAT_PPOCR_MODELS`, the runtime from `ORT_DYLIB_PATH` (both printed by
    /// `scripts/deps.sh env`), else where `scripts/deps.sh ppocr` installs them
    /// (`$OCRCHAT_CACHE`, default `~/.cache/ocrchat`); the recogniser `OCRCHAT_PPOCR_RECOGNISER`
    /// names (`int8`, the default, or `float`); one thread.
    pub fn from_env() -> Result<PpOcrConfig, PpOcrError> {
        let cache = std::env::var_os("OCRCHAT_CACHE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|home| PathBuf::from(home).join(".cache/ocrchat"))
            });
        let var = |variable: &'static str, what: &'static str, installed: &str| {
            std::env::var_os(variable)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| cache.as_ref().map(|c| c.join(installed)))
                .ok_or(PpOcrError::Environment { variable, what })
        };
        Ok(PpOcrConfig {
            models_dir: var(
                "OCRCHAT_PPOCR_MODELS",
                "the PP-OCR model directory",
                "ppocr-3.10.0",
            )?,
            runtime_library: var(
                "ORT_DYLIB_PATH",
                "libonnxruntime.so",
                "onnxruntime-1.32.0/libonnxruntime.so",
            )?,
            recogniser: match std::env::var("OCRCHAT_PPOCR_RECOGNISER") {
                Ok(value) if !value.trim().is_empty() => {
                    value.parse().map_err(|detail| PpOcrError::Setting {
                        variable: "OCRCHAT_PPOCR_RECOGNISER",
                        detail,
                    })?
                }
                _ => Precision::default(),
            },
            intra_threads: 1,
        })
    }
}

impl PpOcrConfig {
    /// The files [`PpOcr::load`] needs that do not exist (checked without loading anything).
    pub fn missing_files(&self) -> Vec<PathBuf> {
        [DETECTOR_MODEL, self.recogniser.file(), CLASSIFIER_MODEL]
            .iter()
            .map(|file| self.models_dir.join(file))
            .chain(std::iter::once(self.runtime_library.clone()))
            .filter(|path| !path.is_file())
            .collect()
    }
}

/// Why the engine could not load or run. Every variant names the file or step involved.
#[derive(Debug, thiserror::Error)]
pub enum PpOcrError {
    /// The ONNX Runtime library is not there or would not load.
    #[error("the ONNX Runtime library {path} could not be loaded: {detail}")]
    RuntimeMissing { path: PathBuf, detail: String },
    /// The library is older than the API `ort` needs.
    #[error("the ONNX Runtime library {path} is version {found}; {required} or newer is needed")]
    RuntimeTooOld {
        path: PathBuf,
        found: String,
        required: &'static str,
    },
    /// Another library is already loaded in this process (ONNX Runtime loads once).
    #[error("ONNX Runtime is already loaded from {loaded} in this process; {requested} cannot be loaded as well")]
    RuntimeConflict { loaded: PathBuf, requested: PathBuf },
    /// A model file is missing.
    #[error("the PP-OCR model {path} does not exist")]
    ModelMissing { path: PathBuf },
    /// A model file exists but ONNX Runtime refused it, or it has an unexpected shape.
    #[error("the PP-OCR model {path} could not be loaded: {detail}")]
    ModelInvalid { path: PathBuf, detail: String },
    /// The recogniser carries no character dictionary.
    #[error("the recognition model {path} has no character dictionary (metadata key `character`)")]
    DictionaryMissing { path: PathBuf },
    /// The dictionary does not fit the recogniser's output.
    #[error(
        "the recognition dictionary describes {entries} classes but the model predicts {classes}"
    )]
    DictionaryMismatch { entries: usize, classes: usize },
    /// A model run failed.
    #[error("running {model} failed: {detail}")]
    Inference { model: String, detail: String },
    /// [`PpOcrConfig::from_env`] found a variable set to something it does not understand.
    #[error("the environment variable {variable} is not understood: {detail}")]
    Setting {
        variable: &'static str,
        detail: String,
    },
    /// [`PpOcrConfig::from_env`] found a variable unset.
    #[error("the environment variable {variable} is not set; it must point to {what}")]
    Environment {
        variable: &'static str,
        what: &'static str,
    },
}

/// A loaded PP-OCR engine: three ONNX Runtime sessions and the recogniser's dictionary.
///
/// `Send + Sync`; each model runs under its own lock, so one engine shared by several threads
/// runs their pages one model at a time. Give each pool thread its own engine for parallelism.
pub struct PpOcr {
    detector: Model,
    classifier: Model,
    recogniser: Model,
    dictionary: Dictionary,
    /// What the recogniser's output holds (its int8 model ends at 8-bit logits).
    head: Head,
}

impl std::fmt::Debug for PpOcr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PpOcr")
            .field("dictionary_len", &self.dictionary.len())
            .finish_non_exhaustive()
    }
}

impl PpOcr {
    /// Loads the runtime (first call in the process) and the three models. Takes about a
    /// second; an engine should live as long as its thread.
    pub fn load(config: &PpOcrConfig) -> Result<PpOcr, PpOcrError> {
        let environment = model::runtime(&config.runtime_library)?;
        let load = |file: &str, arena: Arena| {
            Model::load(
                &environment,
                &config.models_dir.join(file),
                config.intra_threads,
                arena,
            )
        };
        let detector = load(DETECTOR_MODEL, Arena::Shrink)?;
        let classifier = load(CLASSIFIER_MODEL, Arena::Keep)?;
        let recogniser = load(config.recogniser.file(), Arena::Keep)?;
        let recogniser_path = config.models_dir.join(config.recogniser.file());
        let entries = recogniser
            .metadata("character")?
            .map(|text| model::split_lines(&text))
            .filter(|entries| !entries.is_empty())
            .ok_or(PpOcrError::DictionaryMissing {
                path: recogniser_path.clone(),
            })?;
        let head = if recogniser.output_is_bytes() {
            let scale = recogniser
                .metadata("logit_scale")?
                .and_then(|s| s.trim().parse::<f32>().ok())
                .filter(|s| s.is_finite() && *s > 0.0)
                .ok_or_else(|| PpOcrError::ModelInvalid {
                    path: recogniser_path.clone(),
                    detail: "8-bit output without a positive `logit_scale` in its metadata".into(),
                })?;
            Head::QuantisedLogits { scale }
        } else {
            Head::Probabilities
        };
        Ok(PpOcr {
            detector,
            classifier,
            recogniser,
            dictionary: Dictionary::new(entries),
            head,
        })
    }

    /// Recognises one page: blocks, lines and words with boxes in the page's pixels and
    /// confidences in 0..1. Blocking and CPU-bound (about a second or more a page on one
    /// core). A blank page gives an empty result, not an error.
    ///
    /// `language` is left empty (PP-OCRv6 reads its scripts without being told); the caller
    /// records what it asked for.
    pub fn recognize(&self, page: &PageImage) -> Result<PageResult, PpOcrError> {
        self.recognize_with(page, Effort::Full)
    }

    /// [`PpOcr::recognize`] at `effort`: [`Effort::SecondOpinion`] runs the detector on the
    /// page scaled to about a megapixel ([`SECOND_OPINION_DETECTOR_PIXELS`]), and reads each
    /// line alone as it stands (no step 4, [`recognise::Layout::Alone`]).
    pub fn recognize_with(
        &self,
        page: &PageImage,
        effort: Effort,
    ) -> Result<PageResult, PpOcrError> {
        self.recognize_shared(page, effort, &NoCrew)
    }

    /// [`PpOcr::recognize_with`], sharing the recogniser's runs with whoever in `crew` is idle
    /// ([`crew`]): the same result, sooner when a thread helps.
    pub fn recognize_shared(
        &self,
        page: &PageImage,
        effort: Effort,
        crew: &dyn Crew,
    ) -> Result<PageResult, PpOcrError> {
        let (width, height) = (page.image.width(), page.image.height());
        let lines = if width == 0 || height == 0 {
            Vec::new()
        } else {
            self.read_lines(page, effort, crew)?
        };
        let blocks: Vec<Block> = layout::blocks(lines);
        Ok(PageResult::recognised(
            page.index,
            [width, height],
            page.dpi,
            blocks,
            String::new(),
            ENGINE_NAME,
        ))
    }

    /// Steps 1 to 6: the page's text lines, each with its words and its text height (the
    /// detection box's side across the text), in RapidOCR's order.
    fn read_lines(
        &self,
        page: &PageImage,
        effort: Effort,
        crew: &dyn Crew,
    ) -> Result<Vec<(Line, f64)>, PpOcrError> {
        let (page_width, page_height) = (page.image.width() as usize, page.image.height() as usize);
        let (width, height) = bounded_size(page_width, page_height);
        let image = Bgr::from_page(&page.image, width, height);
        let (image, pad_top) = pad_if_flat(image);

        let smaller = detector_size(image.width, image.height, effort)
            .map(|(width, height)| image.resize(width, height));
        let prepared = detect::prepare(smaller.as_ref().unwrap_or(&image));
        drop(smaller);
        let Some((tensor, map_width, map_height)) = prepared else {
            return Ok(Vec::new());
        };
        let (shape, map) = self.detector.run([1, 3, map_height, map_width], &tensor)?;
        drop(tensor);
        let (out_height, out_width) = match shape.as_slice() {
            [1, 1, h, w] if h * w == map.len() => (*h, *w),
            other => {
                return Err(PpOcrError::Inference {
                    model: self.detector.name.clone(),
                    detail: format!("unexpected detector output shape {other:?}"),
                })
            }
        };
        let quads = detect::boxes_from_map(&map, out_width, out_height, image.width, image.height);
        drop(map);

        let mut crops = Vec::with_capacity(quads.len());
        let mut kept = Vec::with_capacity(quads.len());
        for quad in quads {
            if let Some(crop) = crop(&image, &quad) {
                crops.push(crop.image);
                kept.push((quad, crop.turned_quarter));
            }
        }
        drop(image);
        let (turned_half, recognised) = match effort {
            Effort::Full => {
                let mut turned = classify::classify(&self.classifier, &mut crops)?;
                let reading = Reading::new(crops, Layout::Batched);
                let mut recognised = reading.read(self, crew)?;
                self.check_turns(reading.crops(), &mut turned, &mut recognised, crew)?;
                (turned, recognised)
            }
            // A second opinion reads lines as they stand on the page, which is upright already:
            // Tesseract read it first, after OSD turned it where its reading was in doubt. The
            // classifier and the re-reading of the crops it turns cost 6–9% of a second opinion on
            // the corpus, and leaving them out moved its CER by 0.01 points.
            Effort::SecondOpinion => (
                vec![false; crops.len()],
                Reading::new(crops, Layout::Alone).read(self, crew)?,
            ),
        };

        let scale_x = page_width as f64 / width as f64;
        let scale_y = page_height as f64 / height as f64;
        let mut lines = Vec::new();
        let mut directions = Vec::new();
        for (((quad, quarter), half), text) in kept.iter().zip(&turned_half).zip(&recognised) {
            if text.text.trim().is_empty() || text.score < TEXT_SCORE {
                continue;
            }
            let on_page = quad.map(|p| {
                Point::new(
                    ((p.x) * scale_x).clamp(0.0, page_width as f64),
                    ((p.y - pad_top as f64) * scale_y).clamp(0.0, page_height as f64),
                )
            });
            let orientation = Orientation {
                quarter: *quarter,
                half: *half,
            };
            directions.push(reading_direction(&on_page, orientation));
            let text_height = if *quarter {
                on_page[0].distance(&on_page[1])
            } else {
                on_page[0].distance(&on_page[3])
            };
            lines.push((
                line_of(text, &on_page, orientation, page_width, page_height),
                text_height,
            ));
        }
        let keep = strays::keep(&directions);
        Ok(lines
            .into_iter()
            .zip(keep)
            .filter_map(|(line, keep)| keep.then_some(line))
            .collect())
    }

    /// Step 4½: every crop the classifier turned upside down is read the way it was found as
    /// well, and the reading with the higher score is kept (`turned` and `recognised` updated).
    ///
    /// The classifier is wrong often enough to matter: on the corpus (every page upright) it
    /// turned 27 of 429 crops, and for 18 of them the reading as found scored higher
    /// (turned, a receipt's "TAX INVOICE" read "TA ICE" and a letter's line "me b b b b b b b").
    /// With this check and [`strays`] the corpus reads at 4.8% CER instead of 9.9%, the typed
    /// letter at 0.6% instead of 11.2% and 5.4% a page, for re-reading those few crops. What
    /// really is upside down stays turned: its turned reading scores higher (the receipt lying
    /// under one corpus receipt).
    ///
    /// It is wrong the other way too: on a page lying upside down it turns only about half the
    /// lines (6 or 7 of 12 on the top third of a typed page; a 3% change of the detector's scale
    /// was enough to turn 6 instead of 7 and lose half the page's words). So where it turned at
    /// least [`MIXED_TURNS`] of a page's crops, every crop is read both ways, not only the
    /// turned ones: that page's test now finds 49 words read alike both ways, not 21.
    fn check_turns(
        &self,
        crops: &[Bgr],
        turned: &mut [bool],
        recognised: &mut [Recognised],
        crew: &dyn Crew,
    ) -> Result<(), PpOcrError> {
        let count = turned.iter().filter(|&&t| t).count();
        let mixed = count as f64 >= MIXED_TURNS * crops.len() as f64;
        let indices: Vec<usize> = (0..crops.len()).filter(|&i| mixed || turned[i]).collect();
        if count == 0 || indices.is_empty() {
            return Ok(());
        }
        let other_way: Vec<Bgr> = indices.iter().map(|&i| crops[i].rotate_180()).collect();
        let readings = Reading::new(other_way, Layout::Batched).read(self, crew)?;
        for (&index, reading) in indices.iter().zip(readings) {
            if reading.score > recognised[index].score {
                recognised[index] = reading;
                turned[index] = !turned[index];
            }
        }
        Ok(())
    }
}

/// The direction a line reads in on the page (degrees, y downwards) and its length.
fn reading_direction(quad: &Quad, orientation: Orientation) -> strays::Direction {
    let start = crop_point_on_page(quad, orientation, 0.0, 0.5);
    let end = crop_point_on_page(quad, orientation, 1.0, 0.5);
    strays::Direction {
        degrees: (end.y - start.y).atan2(end.x - start.x).to_degrees(),
        length: start.distance(&end),
    }
}

/// RapidOCR's `resize_image_within_bounds`: the page size after scaling the longer side down to
/// 2000 px and then the shorter side up to 30 px, each time rounding both sides to multiples of
/// 32 (never to nothing).
/// The size the detector's input is scaled to from a `width` × `height` page at `effort`, or
/// `None` to detect on the page as it is: at [`Effort::Full`], and when the page is within
/// [`SECOND_OPINION_DETECTOR_PIXELS`] or would shrink by less than
/// [`SECOND_OPINION_MIN_SAVING`]. The aspect ratio is kept; boxes found on the smaller image
/// are scaled back to the page by [`detect::boxes_from_map`].
fn detector_size(width: usize, height: usize, effort: Effort) -> Option<(usize, usize)> {
    if effort == Effort::Full || width == 0 || height == 0 {
        return None;
    }
    let share = SECOND_OPINION_DETECTOR_PIXELS / (width * height) as f64;
    if share > 1.0 - SECOND_OPINION_MIN_SAVING {
        return None;
    }
    let ratio = share.sqrt();
    let scaled = |side: usize| ((side as f64 * ratio).floor() as usize).max(1);
    Some((scaled(width), scaled(height)))
}

fn bounded_size(width: usize, height: usize) -> (usize, usize) {
    let round32 = |v: f64| (((v.trunc() / 32.0).round_ties_even() * 32.0) as usize).max(32);
    let (mut w, mut h) = (width as f64, height as f64);
    if w.max(h) > MAX_SIDE_LEN {
        let ratio = if h > w {
            MAX_SIDE_LEN / h
        } else {
            MAX_SIDE_LEN / w
        };
        (w, h) = (round32(w * ratio) as f64, round32(h * ratio) as f64);
    }
    if w.min(h) < MIN_SIDE_LEN {
        let ratio = if h < w {
            MIN_SIDE_LEN / h
        } else {
            MIN_SIDE_LEN / w
        };
        (w, h) = (round32(w * ratio) as f64, round32(h * ratio) as f64);
    }
    (w as usize, h as usize)
}

/// RapidOCR's `apply_vertical_padding`: a page at most 30 px high or more than 8 times wider
/// than high gets black bands above and below (the detector finds nothing in a thin strip).
/// Returns the image and the rows added on top.
fn pad_if_flat(image: Bgr) -> (Bgr, usize) {
    let (w, h) = (image.width, image.height);
    if h == 0 || (h > PAD_MIN_HEIGHT && w as f64 / h as f64 <= PAD_RATIO) {
        return (image, 0);
    }
    let new_height = ((w as f64 / PAD_RATIO) as usize).max(PAD_MIN_HEIGHT) * 2;
    let pad = new_height.abs_diff(h) / 2;
    (image.pad_vertical(pad, pad), pad)
}

/// A text-line crop, upright for the recogniser (unless upside down).
struct Crop {
    image: Bgr,
    /// Turned a quarter counter-clockwise because the box was tall (vertical text).
    turned_quarter: bool,
}

/// RapidOCR's `get_rotate_crop_image`: the quad warped to a rectangle as wide as its longer
/// horizontal edge and as high as its longer vertical edge, turned if 1.5 times taller than wide.
fn crop(image: &Bgr, quad: &Quad) -> Option<Crop> {
    let width = quad[0].distance(&quad[1]).max(quad[2].distance(&quad[3])) as usize;
    let height = quad[0].distance(&quad[3]).max(quad[1].distance(&quad[2])) as usize;
    if width == 0 || height == 0 {
        return None;
    }
    let rect = [
        Point::new(0.0, 0.0),
        Point::new(width as f64, 0.0),
        Point::new(width as f64, height as f64),
        Point::new(0.0, height as f64),
    ];
    let to_source = Homography::from_points(&rect, quad)?;
    let warped = image.warp_perspective(&to_source, width, height);
    if height as f64 / width as f64 >= 1.5 {
        Some(Crop {
            image: warped.rotate_90_ccw(),
            turned_quarter: true,
        })
    } else {
        Some(Crop {
            image: warped,
            turned_quarter: false,
        })
    }
}

/// How a crop was turned before recognition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Orientation {
    /// A quarter counter-clockwise (tall box).
    quarter: bool,
    /// Then half a turn (the classifier found it upside down).
    half: bool,
}

/// Where a point of the recognised crop, in fractions `(u, v)` of its width and height, lies on
/// the page. The quad is the detection box on the page (top-left, top-right, bottom-right,
/// bottom-left); being a rectangle up to rounding, bilinear interpolation in it is the warp's
/// inverse.
fn crop_point_on_page(quad: &Quad, orientation: Orientation, u: f64, v: f64) -> Point {
    let (mut u, mut v) = (u, v);
    if orientation.half {
        (u, v) = (1.0 - u, 1.0 - v);
    }
    if orientation.quarter {
        // Turned counter-clockwise (`np.rot90`): the turned crop's x runs down the box, its y
        // from the box's right edge to its left.
        (u, v) = (1.0 - v, u);
    }
    let lerp =
        |a: Point, b: Point, t: f64| Point::new(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t);
    let top = lerp(quad[0], quad[1], u);
    let bottom = lerp(quad[3], quad[2], u);
    lerp(top, bottom, v)
}

/// The axis-aligned box of points, in whole pixels, clipped to the page.
fn bbox_of(points: &[Point], width: usize, height: usize) -> BBox {
    let clamp = |v: f64, max: usize| v.clamp(0.0, max as f64) as u32;
    let x0 = points.iter().map(|p| p.x).fold(f64::MAX, f64::min).floor();
    let x1 = points.iter().map(|p| p.x).fold(f64::MIN, f64::max).ceil();
    let y0 = points.iter().map(|p| p.y).fold(f64::MAX, f64::min).floor();
    let y1 = points.iter().map(|p| p.y).fold(f64::MIN, f64::max).ceil();
    BBox {
        x0: clamp(x0, width),
        y0: clamp(y0, height),
        x1: clamp(x1, width).max(clamp(x0, width)),
        y1: clamp(y1, height).max(clamp(y0, height)),
    }
}

/// One recognised crop as a [`Line`] on the page.
fn line_of(
    recognised: &Recognised,
    quad: &Quad,
    orientation: Orientation,
    width: usize,
    height: usize,
) -> Line {
    let words: Vec<Word> = recognise::word_spans(recognised)
        .into_iter()
        .map(|span| {
            let corners = [
                crop_point_on_page(quad, orientation, span.start, 0.0),
                crop_point_on_page(quad, orientation, span.end, 0.0),
                crop_point_on_page(quad, orientation, span.end, 1.0),
                crop_point_on_page(quad, orientation, span.start, 1.0),
            ];
            Word {
                text: span.text,
                bbox: bbox_of(&corners, width, height),
                confidence: span.confidence.clamp(0.0, 1.0),
            }
        })
        .collect();
    let bbox = words
        .iter()
        .map(|w| w.bbox)
        .fold(bbox_of(quad, width, height), |a, b| a.union(&b));
    Line {
        text: recognised
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        bbox,
        words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_opinion_detects_on_about_a_megapixel() {
        // An A4 page at the 2000-px bound: scaled to at most a megapixel, same shape.
        let (w, h) = detector_size(1408, 1984, Effort::SecondOpinion).expect("scaled");
        assert!(w * h <= 1_000_000 && w * h > 990_000, "{w} x {h}");
        assert!(
            (w as f64 / h as f64 - 1408.0 / 1984.0).abs() < 0.002,
            "{w} x {h}"
        );
        // Full effort, a page within the bound, or one that would shrink by less than a fifth:
        // detected as it is.
        assert_eq!(detector_size(1408, 1984, Effort::Full), None);
        assert_eq!(detector_size(701, 1162, Effort::SecondOpinion), None);
        assert_eq!(detector_size(775, 1307, Effort::SecondOpinion), None);
        assert_eq!(detector_size(0, 1984, Effort::SecondOpinion), None);
        assert!(detector_size(1000, 1300, Effort::SecondOpinion).is_some());
    }

    /// The installed int8 recogniser (`scripts/deps.sh ppocr`) ends at its 8-bit logits, so
    /// the engine takes their softmax; the wheel's float model ends in its own softmax.
    #[test]
    fn each_recogniser_is_read_by_what_it_ends_in() {
        let config = PpOcrConfig::from_env()
            .expect("run `eval \"$(scripts/deps.sh env)\"` after `scripts/deps.sh ppocr`");
        let int8 = PpOcr::load(&PpOcrConfig {
            recogniser: Precision::Int8,
            ..config.clone()
        })
        .expect("loading the int8 engine");
        assert!(
            matches!(int8.head, Head::QuantisedLogits { scale } if scale > 0.0),
            "{:?}",
            int8.head
        );
        let float = PpOcr::load(&PpOcrConfig {
            recogniser: Precision::Float,
            ..config
        })
        .expect("loading the float engine");
        assert_eq!(float.head, Head::Probabilities);
    }

    #[test]
    fn the_engine_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<PpOcr>();
    }

    #[test]
    fn the_recogniser_precision_is_named_in_words() {
        assert_eq!("int8".parse(), Ok(Precision::Int8));
        assert_eq!(" Float ".parse(), Ok(Precision::Float));
        assert_eq!("fp32".parse(), Ok(Precision::Float));
        assert!("fp16".parse::<Precision>().is_err());
        // Int8 by default: its 7-bit weights compute the same on every x86 CPU.
        assert_eq!(Precision::default().file(), INT8_RECOGNISER_MODEL);
        assert_eq!(Precision::Int8.file(), INT8_RECOGNISER_MODEL);
    }

    #[test]
    fn pages_are_bounded_as_rapidocr_bounds_them() {
        assert_eq!(bounded_size(701, 1162), (701, 1162));
        // 2481 × 3508 → longer side 2000 (2000 / 32 = 62.5 rounds half to even: 1984),
        // 1414 / 32 = 44.19 → 1408.
        assert_eq!(bounded_size(2481, 3508), (1408, 1984));
        // 6000 × 4000: 2000 × 1333 → 1984 × 1344.
        assert_eq!(bounded_size(6000, 4000), (1984, 1344));
        // Tiny: shorter side to 30 → 32.
        assert_eq!(bounded_size(20, 100), (32, 160));
    }

    #[test]
    fn flat_pages_are_padded() {
        let (image, top) = pad_if_flat(Bgr::new(2000, 200));
        assert_eq!((image.width, image.height, top), (2000, 500, 150));
        let (image, top) = pad_if_flat(Bgr::new(100, 200));
        assert_eq!((image.height, top), (200, 0));
    }

    #[test]
    fn crop_points_map_back_through_turns() {
        let quad = [
            Point::new(100.0, 50.0),
            Point::new(300.0, 50.0),
            Point::new(300.0, 90.0),
            Point::new(100.0, 90.0),
        ];
        let straight = Orientation::default();
        assert_eq!(
            crop_point_on_page(&quad, straight, 0.5, 0.0),
            Point::new(200.0, 50.0)
        );
        // Upside down: the crop's left edge is the box's right edge.
        let half = Orientation {
            quarter: false,
            half: true,
        };
        assert_eq!(
            crop_point_on_page(&quad, half, 0.0, 0.0),
            Point::new(300.0, 90.0)
        );
        // A tall box turned counter-clockwise: the crop's top-left is the box's top-right
        // corner, its top edge runs down the box's right side, its bottom up the left side.
        let tall = [
            Point::new(10.0, 10.0),
            Point::new(40.0, 10.0),
            Point::new(40.0, 210.0),
            Point::new(10.0, 210.0),
        ];
        let quarter = Orientation {
            quarter: true,
            half: false,
        };
        assert_eq!(
            crop_point_on_page(&tall, quarter, 0.0, 0.0),
            Point::new(40.0, 10.0)
        );
        assert_eq!(
            crop_point_on_page(&tall, quarter, 1.0, 0.0),
            Point::new(40.0, 210.0)
        );
        assert_eq!(
            crop_point_on_page(&tall, quarter, 0.0, 1.0),
            Point::new(10.0, 10.0)
        );
    }

    #[test]
    fn crops_of_tall_boxes_are_turned() {
        let image = Bgr::new(100, 300);
        let tall = [
            Point::new(10.0, 10.0),
            Point::new(40.0, 10.0),
            Point::new(40.0, 210.0),
            Point::new(10.0, 210.0),
        ];
        let crop = crop(&image, &tall).unwrap();
        assert!(crop.turned_quarter);
        assert_eq!((crop.image.width, crop.image.height), (200, 30));
        let degenerate = [Point::new(5.0, 5.0); 4];
        assert!(super::crop(&image, &degenerate).is_none());
    }
}
