//! Background processing: the job queue on Redis (apalis), the OCR engines, and the handler
//! that turns a queued job into recorded pages.
//!
//! Owns: the `engine` module (decoding, rasterising, Tesseract), the queue (`queue`), the
//! per-job processing rules (`process`) and the worker runtime (`runtime`). The queue only carries
//! job ids; everything that matters is in the event store, so a lost or repeated queue message
//! can delay a job but never corrupt or double it: a redelivered job resumes after its recorded
//! pages and the `(job, seq)` key refuses a second writer.
//!
//! The model calls of a page also run here: `vlm` (the vision model of the `vlm` tier, its text
//! placed on Tesseract's word boxes) and `translate` (the `translate` tool), both through the
//! OpenAI-compatible client in `llm`, because workers may run on machines the API does not.
//!
//! It must not: serve HTTP or read configuration from the environment (the `api` crate builds
//! the options and passes them in).

pub mod engine;
pub mod llm;
pub mod process;
pub mod queue;
pub mod runtime;
pub mod translate;
pub mod vlm;
pub mod wake;
pub mod webhook;

pub use process::{Models, Processor, ProcessorOptions};
pub use queue::{OcrTask, Queue, QueueOptions};
