//! An embedding model loaded when it is needed and dropped when it has not been used for a
//! while, like the OCR engines (issue 14: an idle server returns under 300 MB).
//!
//! all-MiniLM-L6-v2 holds 98 MB of weights, a third of what an idle server kept resident after
//! its first jobs (measured with `just bench-memory`: 314 MB idle with the model loaded for
//! good, 201 MB without it). Loading it again costs a fraction of a second, paid by the first
//! question or the first finished job after a quiet spell, beside a model answer that takes
//! seconds.
//!
//! The model lives on one thread of its own, which loads it, runs every embedding and drops
//! it: mimalloc returns freed memory at once only when the thread that allocated it frees it
//! (a model dropped by another thread stayed resident). Embeddings are CPU-bound, so running
//! them one at a time costs little on the machines this serves.

use crate::{
    embed::{Embedder, MiniLm},
    error::{Error, Result},
};
use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc, Arc, Mutex, PoisonError,
    },
    time::Duration,
};

/// Texts to embed and where the vectors go.
type Request = (Vec<String>, mpsc::SyncSender<Result<Vec<Vec<f32>>>>);

/// The model of a directory, loaded on first use and dropped after `idle` without use.
pub struct LoadedWhenUsed {
    name: String,
    dimensions: usize,
    requests: Mutex<mpsc::Sender<Request>>,
    loaded: Arc<AtomicBool>,
    dir: PathBuf,
}

impl std::fmt::Debug for LoadedWhenUsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedWhenUsed")
            .field("dir", &self.dir)
            .finish()
    }
}

impl LoadedWhenUsed {
    /// Loads the model once to check it (a broken model fails here, at start, not at the first
    /// question), lets it go until the first use, and starts the model's thread.
    pub fn open(dir: &Path, idle: Duration) -> Result<Arc<LoadedWhenUsed>> {
        let (name, dimensions) = {
            let model = MiniLm::load(dir)?;
            (model.name().to_owned(), model.dimensions())
        };
        let (requests, incoming) = mpsc::channel::<Request>();
        let loaded = Arc::new(AtomicBool::new(false));
        let serve_dir = dir.to_owned();
        let serve_loaded = Arc::clone(&loaded);
        std::thread::Builder::new()
            .name("embedder".into())
            .spawn(move || serve(&serve_dir, idle, &incoming, &serve_loaded))
            .map_err(|e| Error::Embedding(format!("starting the embedding thread: {e}")))?;
        Ok(Arc::new(LoadedWhenUsed {
            name,
            dimensions,
            requests: Mutex::new(requests),
            loaded,
            dir: dir.to_owned(),
        }))
    }

    /// Whether the weights are in memory now.
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }
}

/// The model's thread: embeds what arrives, loading the model when it is not there, and drops
/// it after `idle` without a request; ends when the embedder is dropped.
fn serve(dir: &Path, idle: Duration, incoming: &mpsc::Receiver<Request>, loaded: &AtomicBool) {
    let mut model: Option<MiniLm> = None;
    loop {
        let (texts, reply) = match incoming.recv_timeout(idle) {
            Ok(request) => request,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if model.take().is_some() {
                    loaded.store(false, Ordering::Release);
                    tracing::debug!("embedding model released after {idle:?} unused");
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let vectors = match &model {
            Some(model) => embed(model, &texts),
            None => match MiniLm::load(dir) {
                Ok(loaded_model) => {
                    let vectors = embed(&loaded_model, &texts);
                    model = Some(loaded_model);
                    loaded.store(true, Ordering::Release);
                    vectors
                }
                Err(err) => Err(err),
            },
        };
        // The asker may have given up (its task was cancelled): nothing to do then.
        let _ = reply.send(vectors);
    }
}

fn embed(model: &MiniLm, texts: &[String]) -> Result<Vec<Vec<f32>>> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    model.embed(&refs)
}

impl Embedder for LoadedWhenUsed {
    fn name(&self) -> &str {
        &self.name
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = mpsc::sync_channel(1);
        let texts = texts.iter().map(|t| (*t).to_owned()).collect();
        let gone = || Error::Embedding("the embedding thread has stopped".into());
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send((texts, reply))
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}
