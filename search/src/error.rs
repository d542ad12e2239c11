//! Search errors: what callers must tell apart.

use std::path::PathBuf;

/// Why an index operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another process (or another `Index` in this one) writes to the same directory: each
    /// process needs its own index directory.
    #[error("the index in {0} is locked by another writer")]
    Locked(PathBuf),
    /// The index directory could not be prepared.
    #[error("index directory {path} is unusable")]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// tantivy failed (disk full, corrupt segment, …).
    #[error("index error")]
    Tantivy(#[from] tantivy::TantivyError),
    /// A stored document lacks a field this crate always writes (a bug or a foreign index).
    #[error("corrupt index document: {0}")]
    Corrupt(&'static str),
    /// The embedding model could not be loaded or run (the message names its directory).
    #[error("embedding model: {0}")]
    Embedding(String),
}

/// Result alias for index operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
