//! Retrieval over recognised page text (tantivy): the passage index that chat cites from.
//!
//! Owns: splitting pages into citable passages (a few sentences, with page and character offsets),
//! their tokenisation (a language-neutral field plus the Snowball stemmers and stop words tantivy
//! offers, chosen from each page's Tesseract languages, and CJK bigrams), receipt vocabulary
//! aliases (`vocabulary`), sentence embeddings (`embed`), and hybrid retrieval of a job's best
//! passages and evidence units for a question (BM25 and embeddings fused). It sees only `domain`
//! types; it must not read the database, know about HTTP, or call a chat model.
//!
//! Design choices a newcomer may question:
//! - **One index for every job**, filtered by a `job` term at query time, rather than one index
//!   per job: thousands of small indexes would each hold files, a writer and a reader. BM25's
//!   document frequencies are therefore index-wide; ranking within one job is what matters.
//! - **The index is a projection kept by the API process, not by workers.** Workers may run on
//!   other machines than the API, and a tantivy index is a local directory with one writer, so a
//!   worker cannot write the index the API reads. Each API process keeps its own index in its data
//!   directory instead: it indexes a job when Postgres announces `done` (the LISTEN notification),
//!   and before answering a chat it checks that the index holds the job at its current event
//!   version (`indexed_version`), indexing it from the `pages` projection if not. The index is
//!   therefore never required to be durable or shared: losing it costs a re-index on next use,
//!   and replay rebuilds it with `index_job`.
//! - **Idempotent writes.** Every document carries a key `{job}:{page}` (and the job's version lives
//!   in a `{job}:meta` document): `index_page` deletes the key and adds the page again, and
//!   `index_job` deletes the whole job first, so repeating either changes nothing.
//! - **Embeddings live in the index**, as a stored field of each passage: they are the same
//!   projection, computed when the job is indexed (when it is done, or on first use), rebuilt by
//!   replay with the rest, erased with the job, and never out of step with the passages.
//! - **Erasure** deletes every document of a job (`delete_job`); the API does it when the job's
//!   `erased` event is announced.

mod analysis;
pub mod embed;
mod error;
pub mod idle;
mod index;
pub mod passages;
pub mod vocabulary;

pub use embed::{Embedder, MiniLm};
pub use error::{Error, Result};
pub use idle::LoadedWhenUsed;
pub use index::{Hit, Index, PageText, Retrieval, DENSE_FLOOR, RRF_K};
