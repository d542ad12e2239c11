//! Text recognition: crops to strings with per-character positions, and those positions to
//! word spans.
//!
//! RapidOCR 3.10's defaults (`ch_ppocr_rec`): crops sorted by aspect ratio, batches of 6; every
//! crop of a batch is resized to 48 px high (aspect kept) and zero-padded to the batch's width,
//! `48 × max(320 / 48, widest aspect ratio in the batch)`. The model gives a probability per
//! symbol for each of its time steps (8 px of input each); greedy CTC decoding takes the most
//! likely symbol per step, merges repeats and drops blanks. A line's score is the mean
//! probability of its kept steps.
//!
//! Each kept step is where its character stands along the crop, which is what word boxes are
//! made of ([`word_spans`], after RapidOCR's `cal_rec_boxes`).
//!
//! `auto`'s second opinions lay crops out differently ([`Layout::Alone`]): each crop is read by
//! itself at its own width, so no time is spent on padding.

use super::{
    model::{Model, Output},
    pixels::Bgr,
    PpOcrError,
};

const HEIGHT: usize = 48;
const MIN_WIDTH: usize = 320;
const BATCH: usize = 6;
/// The narrowest input of [`Layout::Alone`]: a square, room for a character or two. It changed
/// no corpus reading; it keeps a sliver of a crop from giving the model no time step at all.
const ALONE_MIN_WIDTH: usize = HEIGHT;

/// How crops are laid out in the recogniser's input.
///
/// The recogniser's time goes with the width it is given, padding included (about 70 µs per
/// column on a 2-core AMD EPYC, whether a column is text or padding). RapidOCR's layout pads
/// every crop to its batch's widest and to at least 320 px: on the corpus that is a quarter to
/// a third of a receipt's input and a tenth of a typed page's. Read alone, PP-OCR's second
/// opinion costs 18% less on the corpus (`cargo bench -p workers --bench ocr`, run `second`,
/// together with skipping the classifier, `PpOcr::read_lines`), and reads it at 4.94% CER
/// instead of 5.09%: padding changes what the model sees at a line's end, and pages move by up
/// to 1.7 points either way (a receipt 20.9% → 19.2%, Fraktur 6.5% → 6.7%). That movement is why
/// `engine=ppocr`, held to within a point of RapidOCR, keeps RapidOCR's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// RapidOCR's: crops sorted by aspect ratio in batches of six, each padded to the batch's
    /// widest and to at least 320 px.
    Batched,
    /// Each crop alone, at its own width (at least [`ALONE_MIN_WIDTH`]).
    Alone,
}

impl Layout {
    /// Crops per model run and the narrowest input width.
    fn batch_and_min_width(self) -> (usize, usize) {
        match self {
            Layout::Batched => (BATCH, MIN_WIDTH),
            Layout::Alone => (1, ALONE_MIN_WIDTH),
        }
    }
}

/// The recogniser's output symbols: CTC blank first, the model's dictionary, a space last
/// (RapidOCR's `CTCLabelDecode` layout).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Dictionary {
    symbols: Vec<String>,
}

impl Dictionary {
    /// From the dictionary entries as listed in the model (one per line).
    pub fn new(entries: Vec<String>) -> Self {
        let mut symbols = Vec::with_capacity(entries.len() + 2);
        symbols.push(String::new());
        symbols.extend(entries);
        symbols.push(" ".to_owned());
        Dictionary { symbols }
    }

    /// Number of output classes this dictionary describes.
    pub fn len(&self) -> usize {
        self.symbols.len()
    }
}

/// One decoded character.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Character {
    /// The symbol (one character in practice; dictionary entries are strings).
    pub text: String,
    /// The time step it was read at.
    pub step: usize,
    /// Its probability.
    pub probability: f32,
}

/// One recognised crop (the default: nothing read).
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Recognised {
    /// The decoded string, as the model gave it.
    pub text: String,
    /// Mean character probability (0 without characters), rounded as RapidOCR rounds it.
    pub score: f32,
    /// The characters with their time steps.
    pub characters: Vec<Character>,
    /// How many time steps the crop itself covers (the rest of the batch width is padding).
    pub covered_steps: f64,
}

/// Indices of `crops` by increasing width / height (stable), the order RapidOCR batches in.
pub(super) fn order_by_aspect(crops: &[Bgr]) -> Vec<usize> {
    let ratios: Vec<f64> = crops
        .iter()
        .map(|c| c.width as f64 / c.height.max(1) as f64)
        .collect();
    let mut order: Vec<usize> = (0..crops.len()).collect();
    order.sort_by(|&a, &b| ratios[a].total_cmp(&ratios[b]));
    order
}

/// What the recogniser's output holds for each time step and class, which depends on how the
/// model ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Head {
    /// Probabilities: the wheel's float model ends in a softmax.
    Probabilities,
    /// 8-bit logits of this scale: the int8 model made by `scripts/quantise_recogniser.py` ends
    /// before its softmax, which [`most_likely_quantised`] takes instead (an eighth of the
    /// recogniser's time saved, and four times fewer bytes to read).
    QuantisedLogits { scale: f32 },
}

/// The recogniser's runs for `crops` laid out as `layout` says: each run's crop indices, in
/// the order RapidOCR makes them. Runs are independent of each other, so any thread with a
/// loaded recogniser can make any of them and the result is the same ([`super::crew`]).
pub(super) fn batches(crops: &[Bgr], layout: Layout) -> Vec<Vec<usize>> {
    let (batch_size, _) = layout.batch_and_min_width();
    order_by_aspect(crops)
        .chunks(batch_size)
        .map(<[usize]>::to_vec)
        .collect()
}

/// One run of the recogniser: the crops of `batch` (indices into `crops`) in one input,
/// padded as `layout` says. Returns each crop's index with its reading.
pub(super) fn recognise_batch(
    model: &Model,
    dictionary: &Dictionary,
    head: Head,
    crops: &[Bgr],
    batch: &[usize],
    layout: Layout,
) -> Result<Vec<(usize, Recognised)>, PpOcrError> {
    let (_, min_width) = layout.batch_and_min_width();
    let ratios: Vec<f64> = batch
        .iter()
        .map(|&i| crops[i].width as f64 / crops[i].height.max(1) as f64)
        .collect();
    let max_ratio = ratios
        .iter()
        .copied()
        .fold(min_width as f64 / HEIGHT as f64, f64::max);
    let width = (HEIGHT as f64 * max_ratio) as usize;
    let plane = HEIGHT * width;
    let mut tensor = vec![0f32; batch.len() * 3 * plane];
    for (slot, (&index, &ratio)) in batch.iter().zip(&ratios).enumerate() {
        let wanted = (HEIGHT as f64 * ratio).ceil();
        let resized_width = if wanted > width as f64 {
            width
        } else {
            (wanted as usize).max(1)
        };
        let resized = crops[index].resize(resized_width, HEIGHT);
        resized.write_chw(&mut tensor[slot * 3 * plane..(slot + 1) * 3 * plane], width);
    }
    let (shape, output) = model.run_output([batch.len(), 3, HEIGHT, width], &tensor)?;
    if shape.len() != 3 || shape[0] != batch.len() {
        return Err(PpOcrError::Inference {
            model: model.name.clone(),
            detail: format!("unexpected recogniser output shape {shape:?}"),
        });
    }
    let (steps, classes) = (shape[1], shape[2]);
    if classes != dictionary.len() {
        return Err(PpOcrError::DictionaryMismatch {
            entries: dictionary.len(),
            classes,
        });
    }
    let best = match (head, &output) {
        (Head::Probabilities, Output::Float(values)) => most_likely(values, classes),
        (Head::QuantisedLogits { scale }, Output::Byte(values)) => {
            most_likely_quantised(values, classes, scale)
        }
        _ => {
            return Err(PpOcrError::Inference {
                model: model.name.clone(),
                detail: format!("expected {head:?}, the output is {}", output.kind()),
            })
        }
    };
    Ok(batch
        .iter()
        .zip(&ratios)
        .enumerate()
        .map(|(slot, (&index, &ratio))| {
            let covered = steps as f64 * ratio / max_ratio;
            let reading = decode(&best[slot * steps..(slot + 1) * steps], dictionary, covered);
            (index, reading)
        })
        .collect())
}

/// Per time step of `steps × classes` probabilities, the most likely class (first on ties) and
/// its probability.
pub(super) fn most_likely(probabilities: &[f32], classes: usize) -> Vec<(usize, f32)> {
    if classes == 0 {
        return Vec::new();
    }
    probabilities
        .chunks_exact(classes)
        .map(|row| {
            row.iter().enumerate().fold(
                (0, f32::MIN),
                |best, (i, &p)| if p > best.1 { (i, p) } else { best },
            )
        })
        .collect()
}

/// [`most_likely`] for 8-bit logits of `scale` (the int8 recogniser's output, see [`Head`]):
/// the largest byte (first on ties) and its softmax probability, `1 / Σ exp(scale × (b − top))`
/// over the row's bytes `b`, summed by byte value. The softmax is monotonic, so the class is
/// the one the model's own softmax would pick; the probability differs from ONNX Runtime's
/// single-precision one by float rounding (at most 3e-5 on synthetic lines).
pub(super) fn most_likely_quantised(
    logits: &[u8],
    classes: usize,
    scale: f32,
) -> Vec<(usize, f32)> {
    if classes == 0 {
        return Vec::new();
    }
    logits
        .chunks_exact(classes)
        .map(|row| {
            let top = row.iter().copied().max().unwrap_or(0);
            let class = row.iter().position(|&b| b == top).unwrap_or(0);
            let mut counts = [0u32; 256];
            for &b in row {
                counts[usize::from(b)] += 1;
            }
            let sum: f64 = counts
                .iter()
                .zip(0u8..=255)
                .filter(|(&n, _)| n > 0)
                .map(|(&n, b)| {
                    f64::from(n) * (f64::from(scale) * (f64::from(b) - f64::from(top))).exp()
                })
                .sum();
            (class, (1.0 / sum) as f32)
        })
        .collect()
}

/// Greedy CTC decoding of each time step's most likely class and its probability: a step is
/// kept when its class is not the blank and differs from the previous step's class.
pub(super) fn decode(
    best: &[(usize, f32)],
    dictionary: &Dictionary,
    covered_steps: f64,
) -> Recognised {
    let mut characters = Vec::new();
    let mut previous: Option<usize> = None;
    for (step, &(class, probability)) in best.iter().enumerate() {
        if class != 0 && previous != Some(class) {
            if let Some(symbol) = dictionary.symbols.get(class) {
                characters.push(Character {
                    text: symbol.clone(),
                    step,
                    probability,
                });
            }
        }
        previous = Some(class);
    }
    // RapidOCR rounds each probability to 5 decimals, then the mean.
    let round5 = |v: f64| (v * 1e5).round_ties_even() / 1e5;
    let score = if characters.is_empty() {
        0.0
    } else {
        let sum: f64 = characters
            .iter()
            .map(|c| round5(f64::from(c.probability)))
            .sum();
        round5(sum / characters.len() as f64) as f32
    };
    Recognised {
        text: characters.iter().map(|c| c.text.as_str()).collect(),
        score,
        characters,
        covered_steps,
    }
}

/// Whether a character is written as a word of its own: CJK ideographs, CJK punctuation and
/// full-width forms (RapidOCR's `is_chinese_char`).
pub(super) fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}')
}

fn symbol_is_cjk(symbol: &str) -> bool {
    symbol.chars().any(is_cjk)
}

fn symbol_is_space(symbol: &str) -> bool {
    !symbol.is_empty() && symbol.chars().all(char::is_whitespace)
}

/// A word of a recognised crop: its text, where it lies along the crop's width (fractions,
/// 0 = left edge as recognised, 1 = right edge) and its mean character probability.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct WordSpan {
    pub text: String,
    pub start: f64,
    pub end: f64,
    pub confidence: f32,
}

/// Splits a recognised line into words (at whitespace; each CJK character alone) and places
/// them along the crop, after RapidOCR's `get_word_info` / `cal_ocr_word_box`:
/// - a time step is `1 / covered_steps` of the crop's width, and a character is centred on its
///   step;
/// - a character is as wide as the mean spacing of steps inside RapidOCR's character groups
///   (runs without spaces, script changes or gaps over 5 steps), or the crop width over the
///   number of characters when no group has two;
/// - a word spans its characters; where neighbours overlap they meet halfway.
pub(super) fn word_spans(recognised: &Recognised) -> Vec<WordSpan> {
    let chars = &recognised.characters;
    if chars.is_empty() || recognised.covered_steps <= 0.0 {
        return Vec::new();
    }
    let step_width = 1.0 / recognised.covered_steps;

    // Character width from RapidOCR's groups.
    let mut group_widths = Vec::new();
    let mut group: Vec<usize> = Vec::new();
    let mut group_cjk: Option<bool> = None;
    let close = |group: &mut Vec<usize>, widths: &mut Vec<f64>| {
        if group.len() > 1 {
            let (first, last) = (chars[group[0]].step, chars[group[group.len() - 1]].step);
            widths.push((last - first) as f64 * step_width / (group.len() - 1) as f64);
        }
        group.clear();
    };
    for (i, c) in chars.iter().enumerate() {
        if symbol_is_space(&c.text) {
            close(&mut group, &mut group_widths);
            continue;
        }
        let cjk = symbol_is_cjk(&c.text);
        let gap = if i == 0 {
            0
        } else {
            c.step - chars[i - 1].step
        };
        if group_cjk.is_some_and(|g| g != cjk) || gap > 5 {
            close(&mut group, &mut group_widths);
        }
        group_cjk = Some(cjk);
        group.push(i);
    }
    close(&mut group, &mut group_widths);
    let char_width = if group_widths.is_empty() {
        1.0 / chars.len() as f64
    } else {
        group_widths.iter().sum::<f64>() / group_widths.len() as f64
    };
    let cell = |c: &Character| {
        let centre = (c.step as f64 + 0.5) * step_width;
        (
            (centre - char_width / 2.0).max(0.0),
            (centre + char_width / 2.0).min(1.0),
        )
    };

    // Output words.
    let mut words: Vec<WordSpan> = Vec::new();
    let mut current: Vec<&Character> = Vec::new();
    let flush = |current: &mut Vec<&Character>, words: &mut Vec<WordSpan>| {
        if current.is_empty() {
            return;
        }
        let (start, end) = current.iter().fold((f64::MAX, f64::MIN), |(s, e), c| {
            let (a, b) = cell(c);
            (s.min(a), e.max(b))
        });
        let confidence = current
            .iter()
            .map(|c| f64::from(c.probability))
            .sum::<f64>()
            / current.len() as f64;
        words.push(WordSpan {
            text: current.iter().map(|c| c.text.as_str()).collect(),
            start,
            end: end.max(start),
            confidence: confidence as f32,
        });
        current.clear();
    };
    for c in chars {
        if symbol_is_space(&c.text) {
            flush(&mut current, &mut words);
        } else if symbol_is_cjk(&c.text) {
            flush(&mut current, &mut words);
            current.push(c);
            flush(&mut current, &mut words);
        } else {
            current.push(c);
        }
    }
    flush(&mut current, &mut words);

    // Overlapping neighbours meet halfway (RapidOCR's `adjust_box_overlap`).
    for i in 1..words.len() {
        if words[i - 1].end > words[i].start {
            let middle = (words[i - 1].end + words[i].start) / 2.0;
            words[i - 1].end = middle.max(words[i - 1].start);
            words[i].start = middle.min(words[i].end);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_rows(
        probabilities: &[f32],
        classes: usize,
        d: &Dictionary,
        covered: f64,
    ) -> Recognised {
        decode(&most_likely(probabilities, classes), d, covered)
    }

    fn dictionary() -> Dictionary {
        Dictionary::new(["a", "b", "c", "中", "文"].map(String::from).to_vec())
    }

    /// One-hot rows for a sequence of class indices (0 blank, 1 "a", ..., 6 space).
    fn rows(classes: &[usize], probability: f32) -> Vec<f32> {
        let mut out = vec![0f32; classes.len() * 7];
        for (step, &class) in classes.iter().enumerate() {
            for k in 0..7 {
                out[step * 7 + k] = if k == class {
                    probability
                } else {
                    (1.0 - probability) / 6.0
                };
            }
        }
        out
    }

    #[test]
    fn ctc_merges_repeats_and_drops_blanks() {
        let d = dictionary();
        assert_eq!(d.len(), 7);
        // a a _ a b b _ space c  →  "aab c"
        let r = decode_rows(&rows(&[1, 1, 0, 1, 2, 2, 0, 6, 3], 0.9), 7, &d, 9.0);
        assert_eq!(r.text, "aab c");
        let steps: Vec<usize> = r.characters.iter().map(|c| c.step).collect();
        assert_eq!(steps, vec![0, 3, 4, 7, 8]);
        assert!((r.score - 0.9).abs() < 1e-6);
        // Nothing but blanks: empty, score 0.
        let r = decode_rows(&rows(&[0, 0, 0], 0.99), 7, &d, 3.0);
        assert_eq!(r.text, "");
        assert_eq!(r.score, 0.0);
        assert!(word_spans(&r).is_empty());
    }

    #[test]
    fn quantised_logits_give_the_softmax_of_their_dequantised_values() {
        let scale = 0.267_f32;
        // Two steps of 5 classes; the second has a tie for the top byte (the first wins).
        let logits: [u8; 10] = [10, 200, 180, 0, 199, 90, 220, 40, 220, 10];
        let best = most_likely_quantised(&logits, 5, scale);
        for (row, &(class, probability)) in logits.chunks(5).zip(&best) {
            let x: Vec<f64> = row
                .iter()
                .map(|&b| f64::from(scale) * f64::from(b))
                .collect();
            let total: f64 = x.iter().map(|v| v.exp()).sum();
            let softmax: Vec<f32> = x.iter().map(|v| (v.exp() / total) as f32).collect();
            let (expected_class, expected) = most_likely(&softmax, 5)[0];
            assert_eq!(class, expected_class);
            assert!(
                (probability - expected).abs() < 1e-6,
                "{probability} {expected}"
            );
        }
        assert_eq!(best[0].0, 1);
        assert_eq!(best[1].0, 1);
        assert!(most_likely_quantised(&logits, 0, scale).is_empty());
    }

    #[test]
    fn words_split_at_spaces_and_cjk_characters_stand_alone() {
        let d = dictionary();
        // "ab c中文" over 20 steps: a@1 b@3 space@5 c@7 中@10 文@12
        let mut classes = vec![0usize; 20];
        for (step, class) in [(1, 1), (3, 2), (5, 6), (7, 3), (10, 4), (12, 5)] {
            classes[step] = class;
        }
        let r = decode_rows(&rows(&classes, 0.8), 7, &d, 20.0);
        assert_eq!(r.text, "ab c中文");
        let words = word_spans(&r);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, vec!["ab", "c", "中", "文"]);
        // Character width: groups "ab" (2 steps apart) and "中文" (2 apart) → 2 steps = 0.1.
        let ab = &words[0];
        assert!((ab.start - (1.5 * 0.05 - 0.05)).abs() < 1e-9, "{ab:?}");
        assert!((ab.end - (3.5 * 0.05 + 0.05)).abs() < 1e-9, "{ab:?}");
        // Spans are ordered and do not overlap.
        for pair in words.windows(2) {
            assert!(pair[0].end <= pair[1].start + 1e-12, "{pair:?}");
        }
        assert!((words[1].confidence - 0.8).abs() < 1e-6);
    }

    #[test]
    fn a_lone_character_is_as_wide_as_the_crop() {
        let d = dictionary();
        let r = decode_rows(&rows(&[0, 1, 0, 0], 0.7), 7, &d, 4.0);
        let words = word_spans(&r);
        assert_eq!(words.len(), 1);
        // No group of two: as wide as the crop over the number of characters (1), centred on
        // step 1 of 4 (0.375), clipped to the crop.
        assert_eq!((words[0].start, words[0].end), (0.0, 0.875));
    }
}
