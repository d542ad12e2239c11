//! Subnormal weights flushed to zero in a model's bytes before ONNX Runtime loads it.
//!
//! PP-OCRv6's detector ships 256 thousand float weights below `f32::MIN_POSITIVE` (subnormals),
//! most of them in the two 768 → 384 channel 1×1 convolutions of its neck. A CPU multiplies a
//! subnormal through a slow microcode path: on a Xeon with AVX-512 those two convolutions took
//! 1.5 s of the detector's 2.4 s on a 1408 × 1984 page, where the same convolution with normal
//! weights takes 10 ms. Set to zero, the detector runs in 0.77 s and its probability map is
//! bit-identical (a subnormal weight times any activation is far below a float's precision
//! next to the other terms of its sum).
//!
//! Flushing the weights, rather than setting the CPU's flush-to-zero flags around each run,
//! changes nothing else a thread computes (Tesseract shares the pool's threads) and does not
//! depend on which thread ONNX Runtime runs an operator on.
//!
//! The model is an ONNX `ModelProto` (protocol buffers). Only what leads to the weights is
//! read: `ModelProto.graph` (field 7) → `GraphProto.initializer` (field 5) → each
//! `TensorProto`'s `data_type` (field 2; 1 is FLOAT) and its values in `float_data` (field 4)
//! or `raw_data` (field 9), both little-endian `f32`. Values are rewritten in place, so no
//! length changes and nothing is re-encoded. Weights in subgraphs are left as they are, and a
//! model keeping any weights in external files (`data_location` EXTERNAL, field 14) is left
//! whole: ONNX Runtime finds those files next to the model, so it must load from the file.

use std::ops::Range;

/// Why the bytes could not be walked as an ONNX model (the caller loads them unchanged and
/// lets ONNX Runtime say what is wrong).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a well-formed ONNX model at byte {offset}: {what}")]
pub(super) struct Malformed {
    offset: usize,
    what: &'static str,
}

/// `TensorProto.DataType.FLOAT`.
const FLOAT: u64 = 1;
/// `TensorProto.DataLocation.EXTERNAL`.
const EXTERNAL: u64 = 1;

/// Sets every subnormal `f32` weight of the model in `bytes` to zero (keeping its sign) and
/// returns how many there were: 0, with nothing changed, for a model with external weights.
pub(super) fn flush_weights(bytes: &mut [u8]) -> Result<usize, Malformed> {
    let mut ranges = Vec::new();
    let mut external = false;
    for field in Fields::new(bytes, 0..bytes.len()) {
        if let Field::Bytes(7, graph) = field? {
            for field in Fields::new(bytes, graph) {
                if let Field::Bytes(5, tensor) = field? {
                    external |= float_ranges(bytes, tensor, &mut ranges)?;
                }
            }
        }
    }
    if external {
        return Ok(0);
    }
    let mut flushed = 0;
    for range in ranges {
        for value in bytes[range].chunks_exact_mut(4) {
            let bits = u32::from_le_bytes([value[0], value[1], value[2], value[3]]);
            if f32::from_bits(bits).is_subnormal() {
                value.copy_from_slice(&(bits & 0x8000_0000).to_le_bytes());
                flushed += 1;
            }
        }
    }
    Ok(flushed)
}

/// Adds the byte ranges of a FLOAT tensor's values to `ranges` (nothing for other types);
/// whether the tensor keeps its values in an external file.
fn float_ranges(
    bytes: &[u8],
    tensor: Range<usize>,
    ranges: &mut Vec<Range<usize>>,
) -> Result<bool, Malformed> {
    let mut data_type = None;
    let mut external = false;
    let mut values = Vec::new();
    for field in Fields::new(bytes, tensor) {
        match field? {
            Field::Varint(2, value) => data_type = Some(value),
            Field::Varint(14, location) => external = location == EXTERNAL,
            Field::Bytes(4 | 9, range) | Field::Fixed32(4, range) => {
                if range.len() % 4 != 0 {
                    return Err(Malformed {
                        offset: range.start,
                        what: "float values that are not a whole number of 4-byte floats",
                    });
                }
                values.push(range);
            }
            _ => {}
        }
    }
    if data_type == Some(FLOAT) {
        ranges.extend(values);
    }
    Ok(external)
}

/// One field of a message: its number and its value (or where its bytes are).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Varint(u64, u64),
    Fixed64(u64),
    Bytes(u64, Range<usize>),
    Fixed32(u64, Range<usize>),
}

/// The fields of the message in `bytes[range]`, in order.
struct Fields<'a> {
    bytes: &'a [u8],
    at: usize,
    end: usize,
    failed: bool,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8], range: Range<usize>) -> Self {
        Fields {
            bytes,
            at: range.start,
            end: range.end.min(bytes.len()),
            failed: false,
        }
    }

    fn varint(&mut self) -> Result<u64, Malformed> {
        let start = self.at;
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.bytes[..self.end].get(self.at) else {
                break;
            };
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Malformed {
            offset: start,
            what: "a truncated or overlong varint",
        })
    }

    fn take(&mut self, len: u64) -> Result<Range<usize>, Malformed> {
        let start = self.at;
        let end = usize::try_from(len)
            .ok()
            .and_then(|len| start.checked_add(len))
            .filter(|&end| end <= self.end)
            .ok_or(Malformed {
                offset: start,
                what: "a field longer than its message",
            })?;
        self.at = end;
        Ok(start..end)
    }

    fn field(&mut self) -> Result<Field, Malformed> {
        let start = self.at;
        let key = self.varint()?;
        let number = key >> 3;
        match key & 7 {
            0 => Ok(Field::Varint(number, self.varint()?)),
            1 => self.take(8).map(|_| Field::Fixed64(number)),
            2 => {
                let len = self.varint()?;
                self.take(len).map(|range| Field::Bytes(number, range))
            }
            5 => self.take(4).map(|range| Field::Fixed32(number, range)),
            _ => Err(Malformed {
                offset: start,
                what: "an unknown wire type",
            }),
        }
    }
}

impl Iterator for Fields<'_> {
    type Item = Result<Field, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.at >= self.end {
            return None;
        }
        let field = self.field();
        self.failed = field.is_err();
        Some(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut value: u64, out: &mut Vec<u8>) {
        while value >= 0x80 {
            out.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }

    fn bytes_field(number: u64, payload: &[u8], out: &mut Vec<u8>) {
        varint(number << 3 | 2, out);
        varint(payload.len() as u64, out);
        out.extend_from_slice(payload);
    }

    fn floats(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// A tensor of `data_type` with `values` in `raw_data` (or packed `float_data`).
    fn tensor(data_type: u64, values: &[f32], raw: bool) -> Vec<u8> {
        let mut out = Vec::new();
        varint(1 << 3, &mut out); // dims
        varint(values.len() as u64, &mut out);
        varint(2 << 3, &mut out);
        varint(data_type, &mut out);
        bytes_field(8, b"w", &mut out);
        bytes_field(if raw { 9 } else { 4 }, &floats(values), &mut out);
        out
    }

    fn model(tensors: &[Vec<u8>]) -> Vec<u8> {
        let mut graph = Vec::new();
        bytes_field(2, b"graph", &mut graph); // name
        for t in tensors {
            bytes_field(5, t, &mut graph);
        }
        let mut out = Vec::new();
        varint(1 << 3, &mut out); // ir_version
        varint(8, &mut out);
        bytes_field(7, &graph, &mut out);
        out
    }

    const SUBNORMAL: f32 = 1.0e-40;

    #[test]
    fn subnormal_floats_become_zero_and_nothing_else_changes() {
        let values = [1.5, SUBNORMAL, -SUBNORMAL, f32::MIN_POSITIVE, 0.0, -2.0e-39];
        let int_tensor = tensor(6, &values, true); // INT32: the same bytes, not floats
        let mut bytes = model(&[
            tensor(FLOAT, &values, true),
            tensor(FLOAT, &values, false),
            int_tensor.clone(),
        ]);
        let before = bytes.len();
        assert_eq!(flush_weights(&mut bytes), Ok(6));
        assert_eq!(bytes.len(), before);
        let flushed = floats(&[1.5, 0.0, -0.0, f32::MIN_POSITIVE, 0.0, -0.0]);
        let expected = model(&[
            {
                let mut t = tensor(FLOAT, &values, true);
                let at = t.len() - flushed.len();
                t[at..].copy_from_slice(&flushed);
                t
            },
            {
                let mut t = tensor(FLOAT, &values, false);
                let at = t.len() - flushed.len();
                t[at..].copy_from_slice(&flushed);
                t
            },
            int_tensor,
        ]);
        assert_eq!(bytes, expected);
    }

    /// The installed detector (`scripts/deps.sh ppocr`) is walked to its weights: its
    /// subnormals are found (256 thousand in PP-OCRv6's), and none is left after one flush.
    #[test]
    fn the_installed_detector_has_its_subnormals_flushed() {
        let config = super::super::PpOcrConfig::from_env()
            .expect("run `eval \"$(scripts/deps.sh env)\"` after `scripts/deps.sh ppocr`");
        let mut bytes = std::fs::read(config.models_dir.join(super::super::DETECTOR_MODEL))
            .expect("reading the detector");
        let flushed = flush_weights(&mut bytes).expect("walking the detector");
        assert!(flushed > 1000, "only {flushed} subnormal weights found");
        assert_eq!(flush_weights(&mut bytes), Ok(0));
    }

    #[test]
    fn a_model_with_external_weights_is_left_whole() {
        let mut external = Vec::new();
        varint(2 << 3, &mut external);
        varint(FLOAT, &mut external);
        bytes_field(8, b"far", &mut external);
        varint(14 << 3, &mut external);
        varint(EXTERNAL, &mut external);
        let mut bytes = model(&[tensor(FLOAT, &[SUBNORMAL; 3], true), external]);
        let copy = bytes.clone();
        assert_eq!(flush_weights(&mut bytes), Ok(0));
        assert_eq!(bytes, copy);
    }

    #[test]
    fn a_second_flush_finds_nothing() {
        let mut bytes = model(&[tensor(FLOAT, &[SUBNORMAL; 3], true)]);
        assert_eq!(flush_weights(&mut bytes), Ok(3));
        assert_eq!(flush_weights(&mut bytes), Ok(0));
    }

    #[test]
    fn malformed_bytes_are_refused_without_a_change() {
        let good = model(&[tensor(FLOAT, &[SUBNORMAL; 3], true)]);
        for cut in [1, 3, good.len() / 2, good.len() - 1] {
            let mut bytes = good[..cut].to_vec();
            let copy = bytes.clone();
            assert!(flush_weights(&mut bytes).is_err(), "cut at {cut}");
            assert_eq!(bytes, copy, "cut at {cut}");
        }
        let mut odd = model(&[{
            let mut t = Vec::new();
            varint(2 << 3, &mut t);
            varint(FLOAT, &mut t);
            bytes_field(9, &[0, 0, 0, 0, 0], &mut t);
            t
        }]);
        assert!(flush_weights(&mut odd).is_err());
        let mut overlong = vec![0xff; 12];
        assert!(flush_weights(&mut overlong).is_err());
        assert_eq!(flush_weights(&mut []), Ok(0));
    }
}
