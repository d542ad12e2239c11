//! Page positions for the vision model's text: its words aligned with Tesseract's word boxes on
//! the same page.
//!
//! The model returns text without coordinates; Tesseract returns words with boxes but reads
//! worse. Each model block (and each table row on its own) is aligned with Tesseract's words by
//! a local alignment (Smith–Waterman over words, scored by character similarity), so blocks may
//! come in any order (a model reading columns differently from Tesseract is fine) and each block
//! finds its own stretch of the page. Longer blocks are aligned first and a Tesseract word
//! serves one block only, so a short repeated line ("Total") cannot steal a long paragraph's
//! words.
//!
//! What comes out:
//! - a word aligned with a Tesseract word gets its box, and a confidence equal to their
//!   character similarity (1 for the same word, 0.6 for a word Tesseract misread by a few
//!   letters);
//! - a word between aligned words of its line gets the gap between them; at a line end, a box
//!   next to its neighbour sized by its length; confidence 0;
//! - a block with no aligned word at all (handwriting Tesseract cannot read) takes, line by line
//!   and in order, the Tesseract lines no other block claimed between its neighbours; with none
//!   left, the whole page; confidence 0;
//! - a block's confidence is the character-weighted mean of its words' confidences: how much of
//!   the model's text Tesseract confirms at that place.

use domain::{BBox, Block, Line, Word};

/// One Tesseract word, flattened, with its line.
#[derive(Debug, Clone)]
struct Anchor {
    norm: Vec<char>,
    bbox: BBox,
    line: usize,
}

/// One word of the model's text.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    norm: Vec<char>,
    line: usize,
    /// Index into the anchors, with the similarity, once aligned.
    matched: Option<(usize, f32)>,
    bbox: Option<BBox>,
}

/// A model block to place: its lines of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextBlock {
    /// The lines, in order.
    pub lines: Vec<String>,
    /// Align each line on its own (table rows), instead of the block as one stretch.
    pub per_line: bool,
}

/// Scores of the alignment.
const GAP: f32 = -0.6;
const MISMATCH: f32 = -1.0;
/// Similarity from which two words are the same word misread, not two different words.
const SAME_WORD: f32 = 0.5;

/// Places the model's blocks on a page whose Tesseract result is `tesseract` (blocks with lines
/// and word boxes), `width` × `height` pixels. Returns one [`Block`] per input block, in order.
pub fn align(blocks: &[TextBlock], tesseract: &[Block], width: u32, height: u32) -> Vec<Block> {
    let anchors: Vec<Anchor> = tesseract
        .iter()
        .flat_map(|b| &b.lines)
        .enumerate()
        .flat_map(|(line, l)| {
            l.words.iter().map(move |w| Anchor {
                norm: normalise(&w.text),
                bbox: w.bbox,
                line,
            })
        })
        .collect();
    let mut claimed = vec![false; anchors.len()];
    let mut tokens: Vec<Vec<Token>> = blocks.iter().map(tokenise).collect();

    // Units to align: whole blocks, or each line of a per-line block; longest first.
    let mut units: Vec<(usize, Option<usize>, usize)> = Vec::new();
    for (b, block) in blocks.iter().enumerate() {
        if block.per_line {
            for line in 0..block.lines.len() {
                let len = tokens[b].iter().filter(|t| t.line == line).count();
                units.push((b, Some(line), len));
            }
        } else {
            units.push((b, None, tokens[b].len()));
        }
    }
    units.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    for (b, line, _) in units {
        let indices: Vec<usize> = tokens[b]
            .iter()
            .enumerate()
            .filter(|(_, t)| line.is_none_or(|l| t.line == l) && !t.norm.is_empty())
            .map(|(i, _)| i)
            .collect();
        let unit: Vec<&[char]> = indices
            .iter()
            .map(|&i| tokens[b][i].norm.as_slice())
            .collect();
        for (k, anchor, similarity) in local_alignment(&unit, &anchors, &claimed) {
            claimed[anchor] = true;
            let token = &mut tokens[b][indices[k]];
            token.matched = Some((anchor, similarity));
            token.bbox = Some(anchors[anchor].bbox);
        }
    }

    // Words between or beside aligned words of their line.
    for block in &mut tokens {
        interpolate(block, width, height);
    }

    // Blocks with nothing aligned take the unclaimed Tesseract lines between their neighbours.
    let spans: Vec<Option<(usize, usize)>> = tokens
        .iter()
        .map(|block| {
            let matched = block.iter().filter_map(|t| t.matched.map(|(a, _)| a));
            matched.clone().min().zip(matched.max())
        })
        .collect();
    for b in 0..tokens.len() {
        if spans[b].is_some() {
            continue;
        }
        let after = spans[..b]
            .iter()
            .rev()
            .flatten()
            .next()
            .map_or(0, |s| s.1 + 1);
        let before = spans[b + 1..]
            .iter()
            .flatten()
            .next()
            .map_or(anchors.len(), |s| s.0);
        let mut free_lines: Vec<Vec<usize>> = Vec::new();
        for a in after..before.max(after) {
            if claimed[a] {
                continue;
            }
            match free_lines.last_mut() {
                Some(line) if anchors[line[0]].line == anchors[a].line => line.push(a),
                _ => free_lines.push(vec![a]),
            }
        }
        for line in &free_lines {
            for &a in line {
                claimed[a] = true;
            }
        }
        place_by_order(&mut tokens[b], &free_lines, &anchors, width, height);
    }

    blocks
        .iter()
        .zip(tokens)
        .map(|(block, tokens)| build_block(block, &tokens, width, height))
        .collect()
}

/// Lowercase letters and digits only: what OCR engines agree on when they agree.
fn normalise(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn tokenise(block: &TextBlock) -> Vec<Token> {
    block
        .lines
        .iter()
        .enumerate()
        .flat_map(|(line, text)| {
            text.split_whitespace()
                .filter(|t| *t != "|")
                .map(move |t| Token {
                    text: t.to_owned(),
                    norm: normalise(t),
                    line,
                    matched: None,
                    bbox: None,
                })
        })
        .collect()
}

/// Character similarity of two normalised words, 0..1 (1 − edit distance / longer length).
fn similarity(a: &[char], b: &[char]) -> f32 {
    if a == b {
        return 1.0;
    }
    let longer = a.len().max(b.len());
    // Words of very different lengths cannot reach SAME_WORD: skip the edit distance.
    if longer == 0 || a.len().abs_diff(b.len()) * 2 > longer {
        return 0.0;
    }
    let edits = crate::engine::score::levenshtein(a, b);
    1.0 - edits as f32 / longer as f32
}

/// Smith–Waterman local alignment of `unit` (model words) against `anchors` (Tesseract words in
/// reading order), skipping claimed anchors. Returns `(unit index, anchor index, similarity)`
/// for each aligned pair of the best-scoring stretch, including misread pairs inside it.
fn local_alignment(
    unit: &[&[char]],
    anchors: &[Anchor],
    claimed: &[bool],
) -> Vec<(usize, usize, f32)> {
    let (n, m) = (unit.len(), anchors.len());
    if n == 0 || m == 0 {
        return Vec::new();
    }
    // 0 = stop, 1 = diagonal, 2 = skip a model word, 3 = skip a Tesseract word.
    let mut from = vec![0u8; (n + 1) * (m + 1)];
    let mut previous = vec![0f32; m + 1];
    let mut current = vec![0f32; m + 1];
    let (mut best, mut best_at) = (0f32, (0, 0));
    for i in 1..=n {
        current[0] = 0.0;
        for j in 1..=m {
            let pair = if claimed[j - 1] {
                MISMATCH
            } else {
                let s = similarity(unit[i - 1], &anchors[j - 1].norm);
                if s >= SAME_WORD {
                    2.0 * s - 1.0
                } else {
                    MISMATCH
                }
            };
            let options = [
                (previous[j - 1] + pair, 1u8),
                (previous[j] + GAP, 2u8),
                (current[j - 1] + GAP, 3u8),
            ];
            let (score, step) =
                options
                    .into_iter()
                    .fold((0f32, 0u8), |acc, o| if o.0 > acc.0 { o } else { acc });
            current[j] = score;
            from[i * (m + 1) + j] = step;
            if score > best {
                best = score;
                best_at = (i, j);
            }
        }
        std::mem::swap(&mut previous, &mut current);
    }
    let mut pairs = Vec::new();
    let (mut i, mut j) = best_at;
    while i > 0 && j > 0 {
        match from[i * (m + 1) + j] {
            1 => {
                if !claimed[j - 1] {
                    pairs.push((i - 1, j - 1, similarity(unit[i - 1], &anchors[j - 1].norm)));
                }
                i -= 1;
                j -= 1;
            }
            2 => i -= 1,
            3 => j -= 1,
            _ => break,
        }
    }
    pairs.reverse();
    pairs
}

/// Gives unplaced words of a line a box from their placed neighbours in that line.
fn interpolate(tokens: &mut [Token], width: u32, height: u32) {
    for i in 0..tokens.len() {
        if tokens[i].bbox.is_some() {
            continue;
        }
        let line = tokens[i].line;
        let previous = tokens[..i]
            .iter()
            .rev()
            .take_while(|t| t.line == line)
            .find(|t| t.matched.is_some())
            .and_then(|t| t.bbox);
        let next = tokens[i + 1..]
            .iter()
            .take_while(|t| t.line == line)
            .find(|t| t.matched.is_some())
            .and_then(|t| t.bbox);
        let chars = tokens[i].text.chars().count() as u32;
        tokens[i].bbox = match (previous, next) {
            (Some(p), Some(n)) if p.x1 < n.x0 => Some(BBox {
                x0: p.x1,
                y0: p.y0.min(n.y0),
                x1: n.x0,
                y1: p.y1.max(n.y1),
            }),
            (Some(p), _) => {
                let char_width = p.height().max(1) / 2 + 1;
                Some(BBox {
                    x0: p.x1.min(width),
                    y0: p.y0,
                    x1: (p.x1 + char_width * (chars + 1)).min(width),
                    y1: p.y1.min(height),
                })
            }
            (None, Some(n)) => {
                let char_width = n.height().max(1) / 2 + 1;
                Some(BBox {
                    x0: n.x0.saturating_sub(char_width * (chars + 1)),
                    y0: n.y0,
                    x1: n.x0,
                    y1: n.y1,
                })
            }
            (None, None) => None,
        };
    }
}

/// Places a block's lines on Tesseract lines in order (a model line per free Tesseract line,
/// or several Tesseract lines per model line), its words across each line by their lengths.
fn place_by_order(
    tokens: &mut [Token],
    free_lines: &[Vec<usize>],
    anchors: &[Anchor],
    width: u32,
    height: u32,
) {
    let model_lines = tokens.iter().map(|t| t.line).max().map_or(0, |l| l + 1);
    if model_lines == 0 {
        return;
    }
    if free_lines.is_empty() {
        let page = BBox {
            x0: 0,
            y0: 0,
            x1: width,
            y1: height,
        };
        for token in tokens.iter_mut() {
            token.bbox = Some(page);
        }
        return;
    }
    let t = free_lines.len();
    for line in 0..model_lines {
        let (start, end) = if t >= model_lines {
            (
                line * t / model_lines,
                ((line + 1) * t / model_lines).max(line * t / model_lines + 1),
            )
        } else {
            let at = line * t / model_lines;
            (at, at + 1)
        };
        let Some(bbox) = free_lines[start..end.min(t)]
            .iter()
            .flatten()
            .map(|&a| anchors[a].bbox)
            .reduce(|a, b| a.union(&b))
        else {
            continue;
        };
        let words: Vec<&mut Token> = tokens.iter_mut().filter(|t| t.line == line).collect();
        let total: u32 = words
            .iter()
            .map(|t| t.text.chars().count() as u32 + 1)
            .sum();
        let mut x = bbox.x0;
        for token in words {
            let share = (token.text.chars().count() as u32 + 1) * bbox.width() / total.max(1);
            token.bbox = Some(BBox {
                x0: x,
                y0: bbox.y0,
                x1: (x + share.max(1)).min(bbox.x1.max(x + 1)),
                y1: bbox.y1,
            });
            x += share;
        }
    }
}

/// The page block for one model block.
fn build_block(block: &TextBlock, tokens: &[Token], width: u32, height: u32) -> Block {
    let lines: Vec<Line> = block
        .lines
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let words: Vec<Word> = tokens
                .iter()
                .filter(|t| t.line == index)
                .filter_map(|t| {
                    Some(Word {
                        text: t.text.clone(),
                        bbox: t.bbox?,
                        confidence: t.matched.map_or(0.0, |(_, s)| s),
                    })
                })
                .collect();
            let bbox = words
                .iter()
                .map(|w| w.bbox)
                .reduce(|a, b| a.union(&b))
                .unwrap_or_default();
            Line {
                text: text.clone(),
                bbox,
                words,
            }
        })
        .collect();
    let bbox = lines
        .iter()
        .filter(|l| !l.words.is_empty())
        .map(|l| l.bbox)
        .reduce(|a, b| a.union(&b))
        .unwrap_or(BBox {
            x0: 0,
            y0: 0,
            x1: width,
            y1: height,
        });
    // Lines left without a box stand where their block stands.
    let lines = lines
        .into_iter()
        .map(|l| {
            if l.words.is_empty() {
                Line { bbox, ..l }
            } else {
                l
            }
        })
        .collect();
    let (weighted, weight) =
        tokens
            .iter()
            .filter(|t| !t.norm.is_empty())
            .fold((0f32, 0usize), |(s, n), t| {
                let len = t.norm.len();
                (
                    s + t.matched.map_or(0.0, |(_, sim)| sim) * len as f32,
                    n + len,
                )
            });
    Block {
        text: block.lines.join("\n"),
        bbox,
        confidence: if weight == 0 {
            0.0
        } else {
            weighted / weight as f32
        },
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Tesseract block of one line per entry, words 100 px apart on rows 50 px apart.
    fn tesseract(lines: &[&str]) -> Vec<Block> {
        let lines: Vec<Line> = lines
            .iter()
            .enumerate()
            .map(|(row, text)| {
                let words: Vec<Word> = text
                    .split_whitespace()
                    .enumerate()
                    .map(|(col, w)| Word {
                        text: w.to_owned(),
                        bbox: BBox::from([
                            col as u32 * 100,
                            row as u32 * 50,
                            col as u32 * 100 + 80,
                            row as u32 * 50 + 30,
                        ]),
                        confidence: 0.9,
                    })
                    .collect();
                Line {
                    text: text.to_string(),
                    bbox: words
                        .iter()
                        .map(|w| w.bbox)
                        .reduce(|a, b| a.union(&b))
                        .unwrap(),
                    words,
                }
            })
            .collect();
        vec![Block {
            text: String::new(),
            bbox: BBox::default(),
            confidence: 0.9,
            lines,
        }]
    }

    fn text(lines: &[&str]) -> TextBlock {
        TextBlock {
            lines: lines.iter().map(|l| l.to_string()).collect(),
            per_line: false,
        }
    }

    #[test]
    fn blocks_in_another_order_find_their_own_words() {
        let page = tesseract(&[
            "Dear Sir,",
            "we thank you for your letter",
            "Yours faithfully",
        ]);
        let blocks = align(
            &[
                text(&["Yours faithfully"]),
                text(&["Dear Sir,"]),
                text(&["we thank you for your lettre"]),
            ],
            &page,
            1000,
            1000,
        );
        assert_eq!(blocks[0].bbox, BBox::from([0, 100, 180, 130]));
        assert_eq!(blocks[1].bbox, BBox::from([0, 0, 180, 30]));
        assert_eq!(blocks[2].bbox, BBox::from([0, 50, 580, 80]));
        assert!((blocks[0].confidence - 1.0).abs() < 1e-6);
        // "lettre" vs "letter": a misread word still anchors, with a lower confidence.
        let last = blocks[2].lines[0].words.last().unwrap();
        assert_eq!(last.bbox, BBox::from([500, 50, 580, 80]));
        assert!(last.confidence > 0.5 && last.confidence < 1.0, "{last:?}");
        assert!(blocks[2].confidence > 0.8 && blocks[2].confidence < 1.0);
    }

    #[test]
    fn a_word_tesseract_missed_gets_the_gap_between_its_neighbours() {
        let page = tesseract(&["one two four"]);
        let blocks = align(&[text(&["one two three four"])], &page, 1000, 100);
        let words = &blocks[0].lines[0].words;
        assert_eq!(words[2].text, "three");
        assert_eq!(words[2].bbox, BBox::from([180, 0, 200, 30]));
        assert_eq!(words[2].confidence, 0.0);
        assert_eq!(words[3].bbox, BBox::from([200, 0, 280, 30]));
        // 3 of 4 words' characters confirmed (3+3+4 of 3+3+5+4).
        assert!((blocks[0].confidence - 10.0 / 15.0).abs() < 1e-6);
    }

    #[test]
    fn unreadable_blocks_take_the_free_lines_between_their_neighbours() {
        let page = tesseract(&["Paris 1914", "xqz vvw", "Louis Codet"]);
        let blocks = align(
            &[
                text(&["Paris 1914"]),
                text(&["Dernières volontés"]),
                text(&["Louis Codet"]),
            ],
            &page,
            1000,
            1000,
        );
        assert_eq!(blocks[1].bbox.y0, 50);
        assert_eq!(blocks[1].bbox.y1, 80);
        assert_eq!(blocks[1].confidence, 0.0);
        assert_eq!(blocks[1].lines[0].words.len(), 2);
        // Nothing anywhere: the whole page, honestly unsure.
        let none = align(&[text(&["hello"])], &[], 640, 480);
        assert_eq!(none[0].bbox, BBox::from([0, 0, 640, 480]));
        assert_eq!(none[0].confidence, 0.0);
    }

    #[test]
    fn a_repeated_short_line_does_not_steal_a_paragraphs_words() {
        let page = tesseract(&["Total 12", "the total of the order is 12", "Total 12"]);
        let blocks = align(
            &[
                text(&["Total 12"]),
                text(&["the total of the order is 12"]),
                text(&["Total 12"]),
            ],
            &page,
            1000,
            1000,
        );
        assert_eq!(blocks[1].bbox.y0, 50);
        let mut rows = [blocks[0].bbox.y0, blocks[2].bbox.y0];
        rows.sort_unstable();
        assert_eq!(rows, [0, 100]);
    }
}
