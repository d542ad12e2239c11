//! Loading ONNX Runtime and the three models, and running them.
//!
//! ONNX Runtime allows one environment per process, and `ort` loads its library once: the first
//! [`super::PpOcr::load`] loads the configured library and later loads reuse it. A later load
//! that names a *different* library is refused ([`PpOcrError::RuntimeConflict`]) rather than
//! silently running on the first one.
//!
//! A session needs `&mut` to run, so each sits behind a mutex: an engine is `Send + Sync` and
//! can be shared, but runs on one engine are serialised model by model. The service's pool gives
//! each thread its own engine, so the locks are never contended there.

use super::PpOcrError;
use ort::{
    environment::Environment,
    ep,
    session::{builder::GraphOptimizationLevel, RunOptions, Session},
    value::{TensorElementType, TensorRef},
};
use std::{
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard},
};

/// The ONNX Runtime minor version `ort` 2.0.0-rc.15 needs at least (its API level).
pub(super) const REQUIRED_RUNTIME: &str = "1.31";

/// The process-wide runtime: the library it was loaded from and its environment.
static RUNTIME: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);

/// The environment of the library at `library`, loading it on first use.
pub(super) fn runtime(library: &Path) -> Result<Environment, PpOcrError> {
    let library = std::path::absolute(library).unwrap_or_else(|_| library.to_path_buf());
    let mut slot = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((loaded, environment)) = slot.as_ref() {
        if same_file(loaded, &library) {
            return Ok(environment.clone());
        }
        return Err(PpOcrError::RuntimeConflict {
            loaded: loaded.clone(),
            requested: library,
        });
    }
    if !library.is_file() {
        return Err(PpOcrError::RuntimeMissing {
            path: library,
            detail: "no such file".into(),
        });
    }
    let builder = ort::init_from(&library).map_err(|e| match e {
        ort::LoadDynamicError::BadVersion { version_str, path } => PpOcrError::RuntimeTooOld {
            path,
            found: version_str,
            required: REQUIRED_RUNTIME,
        },
        other => PpOcrError::RuntimeMissing {
            path: library.clone(),
            detail: other.to_string(),
        },
    })?;
    let environment =
        builder
            .with_name("ocrchat-ppocr")
            .build()
            .map_err(|e| PpOcrError::RuntimeMissing {
                path: library.clone(),
                detail: format!("creating the environment: {e}"),
            })?;
    *slot = Some((library, environment.clone()));
    Ok(environment)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// One loaded model.
pub(super) struct Model {
    /// File name, for error messages.
    pub name: String,
    session: Mutex<Session>,
    /// With [`Arena::Shrink`], every run hands the arena's unused memory back when it ends.
    run_options: RunOptions,
}

/// What becomes of ONNX Runtime's memory arena after a run (see [`Model::load`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arena {
    /// Unused memory goes back to the system: for the detector, whose activations on a page at
    /// the 2000-px bound take ~700 MB for a moment once a page.
    Shrink,
    /// Kept for the next run: for the classifier and the recogniser, which run several small
    /// batches a page. Shrinking after each made the kernel fault the same memory in again and
    /// again: on the corpus 2.6 million page faults and 4.3 s of system time beside 27 s of user
    /// time, against 1.5 million and 2.4 s when kept (PP-OCR 4–5% faster), for ~90 MB more at
    /// the peak with two engines.
    Keep,
}

impl Model {
    /// Loads `path` with `intra_threads` threads inside operators, one between them, every graph
    /// optimisation, and ONNX Runtime's memory arena, shrunk at the end of every run or kept
    /// (`arena`).
    ///
    /// RapidOCR runs without an arena, because an arena keeps the largest page's peak allocated
    /// for good. Without one, though, every operator's output is a fresh allocation the kernel
    /// must fault in page by page: on the corpus 8.3 million page faults, 17.5 s of system time
    /// beside 45 s of user time. With the arena, operators reuse the memory of earlier ones
    /// within a run (page faults 8.3 → 3.2 million, a sixth less time), and
    /// `memory.enable_memory_arena_shrinkage` returns what is free when the run ends, so the
    /// largest page's peak is not kept (the detector's, see [`Arena`]). The peak within a run is
    /// higher than without an arena (the bench's two-thread PP-OCR run: ~2.0–2.3 GB against
    /// ~1.8–1.9 GB).
    pub fn load(
        environment: &Environment,
        path: &Path,
        intra_threads: usize,
        arena: Arena,
    ) -> Result<Model, PpOcrError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !path.is_file() {
            return Err(PpOcrError::ModelMissing {
                path: path.to_path_buf(),
            });
        }
        let invalid = |detail: String| PpOcrError::ModelInvalid {
            path: path.to_path_buf(),
            detail,
        };
        let mut builder = Session::builder(environment)
            .map_err(|e| invalid(e.to_string()))?
            .with_execution_providers([ep::CPU::default().with_arena_allocator(true).build()])
            .map_err(|e| invalid(e.to_string()))?
            .with_intra_threads(intra_threads.max(1))
            .map_err(|e| invalid(e.to_string()))?
            .with_inter_threads(1)
            .map_err(|e| invalid(e.to_string()))?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| invalid(e.to_string()))?;
        let session = match weights_flushed(path, &name)? {
            Some(bytes) => builder.commit_from_memory(&bytes),
            None => builder.commit_from_file(path),
        }
        .map_err(|e| invalid(e.to_string()))?;
        if session.inputs().len() != 1 || session.outputs().is_empty() {
            return Err(invalid(format!(
                "expected one input and an output, found {} and {}",
                session.inputs().len(),
                session.outputs().len()
            )));
        }
        let mut run_options = RunOptions::new().map_err(|e| invalid(e.to_string()))?;
        if arena == Arena::Shrink {
            run_options
                .set("memory.enable_memory_arena_shrinkage", "cpu:0")
                .map_err(|e| invalid(e.to_string()))?;
        }
        Ok(Model {
            name,
            session: Mutex::new(session),
            run_options,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Session> {
        // A panic inside a run leaves nothing half-written in the session that a later run
        // depends on; keep using it.
        self.session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A custom metadata entry of the model (the recogniser keeps its dictionary there).
    pub fn metadata(&self, key: &str) -> Result<Option<String>, PpOcrError> {
        let session = self.lock();
        let metadata = session.metadata().map_err(|e| PpOcrError::ModelInvalid {
            path: PathBuf::from(&self.name),
            detail: format!("reading metadata: {e}"),
        })?;
        Ok(metadata.custom(key))
    }

    /// Whether the model's first output is `uint8` (the int8 recogniser's logits).
    pub fn output_is_bytes(&self) -> bool {
        self.lock()
            .outputs()
            .first()
            .and_then(|o| o.dtype().tensor_type())
            == Some(TensorElementType::Uint8)
    }

    /// Runs the model on one `f32` tensor of `shape`; returns the first output's shape and data,
    /// which must be `f32`.
    pub fn run(
        &self,
        shape: [usize; 4],
        input: &[f32],
    ) -> Result<(Vec<usize>, Vec<f32>), PpOcrError> {
        match self.run_output(shape, input)? {
            (dims, Output::Float(data)) => Ok((dims, data)),
            (_, other) => Err(PpOcrError::Inference {
                model: self.name.clone(),
                detail: format!("expected a float output, found {}", other.kind()),
            }),
        }
    }

    /// Runs the model on one `f32` tensor of `shape`; returns the first output's shape and data,
    /// `f32` or `uint8`.
    pub fn run_output(
        &self,
        shape: [usize; 4],
        input: &[f32],
    ) -> Result<(Vec<usize>, Output), PpOcrError> {
        let failed = |detail: String| PpOcrError::Inference {
            model: self.name.clone(),
            detail,
        };
        let tensor =
            TensorRef::from_array_view((shape, input)).map_err(|e| failed(e.to_string()))?;
        let mut session = self.lock();
        let outputs = session
            .run_with_options(ort::inputs![tensor], &self.run_options)
            .map_err(|e| failed(e.to_string()))?;
        let (out_shape, data) = match outputs[0].try_extract_tensor::<f32>() {
            Ok((shape, data)) => (shape.clone(), Output::Float(data.to_vec())),
            Err(_) => {
                let (shape, data) = outputs[0]
                    .try_extract_tensor::<u8>()
                    .map_err(|e| failed(e.to_string()))?;
                (shape.clone(), Output::Byte(data.to_vec()))
            }
        };
        let dims = out_shape
            .iter()
            .map(|&d| {
                usize::try_from(d).map_err(|_| failed(format!("negative output dimension {d}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((dims, data))
    }
}

/// A model's first output.
pub(super) enum Output {
    Float(Vec<f32>),
    Byte(Vec<u8>),
}

impl Output {
    /// The element type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Output::Float(_) => "float",
            Output::Byte(_) => "uint8",
        }
    }
}

/// The bytes of the model at `path` with its subnormal weights set to zero
/// ([`super::subnormal`]); `None` when there were none, or the bytes could not be walked: the
/// model is then loaded from its file as it is (and ONNX Runtime says what is wrong, if anything).
fn weights_flushed(path: &Path, name: &str) -> Result<Option<Vec<u8>>, PpOcrError> {
    let mut bytes = std::fs::read(path).map_err(|e| PpOcrError::ModelInvalid {
        path: path.to_path_buf(),
        detail: format!("reading it: {e}"),
    })?;
    match super::subnormal::flush_weights(&mut bytes) {
        Ok(0) => Ok(None),
        Ok(flushed) => {
            tracing::debug!(model = name, flushed, "subnormal weights set to zero");
            Ok(Some(bytes))
        }
        Err(err) => {
            tracing::warn!(model = name, %err, "subnormal weights left as they are");
            Ok(None)
        }
    }
}

/// Python's `str.splitlines()`, which RapidOCR applies to the dictionary: lines end at `\n`,
/// `\r`, `\r\n` and the other Unicode line boundaries; no empty last line.
pub(super) fn split_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut current));
            }
            '\n' | '\u{b}' | '\u{c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => lines.push(std::mem::take(&mut current)),
            other => current.push(other),
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_lines_split_as_python_does() {
        assert_eq!(split_lines("a\nb\r\nc\rd\n"), vec!["a", "b", "c", "d"]);
        assert_eq!(split_lines("a\n\nb"), vec!["a", "", "b"]);
        assert!(split_lines("").is_empty());
    }
}
