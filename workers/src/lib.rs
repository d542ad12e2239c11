//! Background processing: the job queue on Redis (apalis), the OCR engines, and the handler
//! that turns a queued job into recorded pages.
//!
//! Owns: the `engine` module (decoding, rasterising, Tesseract), the queue (`queue`), the
//! per-job processing rules (`process`) and the worker runtime (`runtime`). The queue only carries
//! job ids; everything that matters is in the event store, so a lost or repeated queue message
//! can delay a job but never corrupt or double it: a redelivered job resumes after its recorded
//! pages and the `(job, seq)` key refuses a second writer.
//!
//! It must not: serve HTTP or read configuration from the environment (the `api` crate builds
//! the options and passes them in).

pub mod engine;
pub mod process;
pub mod queue;
pub mod runtime;

pub use process::{Processor, ProcessorOptions};
pub use queue::{OcrTask, Queue, QueueOptions};
