//! Chat with a finished job: the passage index this process keeps, retrieval, the model, and the
//! rules that decide what its reply may claim.
//!
//! The flow of one question: make sure the index holds the job (index it from the `pages`
//! projection if not), retrieve its best passages for the question (BM25 and embeddings fused)
//! and their sentences ranked, and, when there are any, ask the model with the best-ranked
//! sentences, numbered, and the conversation's earlier turns. The model answers with the numbers
//! of its evidence and a short answer; `domain::chat::reply_answer` decides what is shown (the
//! answer citing its evidence, or "not found", uncited, when the model found nothing or its
//! answer and evidence disagree). Without a model, or when it fails twice, the answer quotes the
//! single best sentence instead (extractive), and the metadata says why.
//!
//! The index is a projection this process maintains (see the `search` crate docs for why not the
//! workers): the indexer task indexes each job Postgres announces as `done`, and for each job it
//! announces as `erased` drops its passages and erases its conversations; a chat request indexes
//! the job itself if the task has not yet.

pub mod llm;

use crate::config::Config;
use domain::{
    chat::{
        fallback_answer, not_found_answer, reply_answer, Answer, FallbackReason, Passage, Turn,
    },
    JobId, JobStatus, PageIndex,
};
use llm::LlmClient;
use std::{collections::BTreeMap, sync::Arc, time::Instant};
use storage::{notify::Notifications, Store};
use tokio::{sync::broadcast::error::RecvError, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// Passages retrieved per question: enough to cover an answer spread over a few places, few
/// enough for a small model's context.
pub const PASSAGES_PER_QUESTION: usize = 5;

/// Why chat could not answer at all (model failures are not errors: they fall back).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The passage index failed.
    #[error("passage index error")]
    Search(#[from] search::Error),
    /// The database failed.
    #[error("storage error")]
    Storage(#[from] storage::Error),
    /// A blocking index task panicked or was cancelled.
    #[error("index task failed")]
    Task(#[from] tokio::task::JoinError),
    /// The model client could not be built from the configuration.
    #[error("model client")]
    Client(#[from] llm::BuildError),
}

/// How long the embedding model stays loaded unused (the OCR engines: 15 s). An idle server
/// gives its 98 MB back; the next question or finished job loads it again.
const EMBEDDER_IDLE: std::time::Duration = std::time::Duration::from_secs(20);

/// Loads the embedding model the configuration names; a model that cannot be loaded is logged
/// and left out (retrieval is then BM25 alone), never fatal.
pub fn load_embedder(config: &Config) -> Option<Arc<dyn search::Embedder>> {
    let dir = config.embeddings.as_deref()?;
    let started = Instant::now();
    match search::LoadedWhenUsed::open(dir, EMBEDDER_IDLE) {
        Ok(model) => {
            tracing::info!(dir = %dir.display(), took = ?started.elapsed(), "loaded the embedding model");
            Some(model)
        }
        Err(err) => {
            tracing::warn!(error = %err, "the embedding model failed to load: chat retrieval is BM25 alone");
            None
        }
    }
}

/// What the chat endpoints share: the index, the model client and the store.
pub struct Chat {
    store: Store,
    index: Arc<search::Index>,
    llm: Option<LlmClient>,
    /// Serialises indexing, so a request and the indexer task never load the same job twice.
    indexing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Chat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chat")
            .field("index", &self.index)
            .field("model", &self.llm.as_ref().map(LlmClient::model))
            .finish()
    }
}

impl Chat {
    /// Opens the index under `config.data_dir` and builds the model client (none when no model
    /// is configured). Fails if another process holds the index directory.
    pub fn open(store: Store, config: &Config) -> Result<Chat, Error> {
        let index = search::Index::open(&config.data_dir.join("index"), load_embedder(config))?;
        Ok(Chat {
            store,
            index: Arc::new(index),
            llm: LlmClient::from_config(&config.llm)?,
            indexing: tokio::sync::Mutex::new(()),
        })
    }

    /// The passage index (replay and erasure use it).
    pub fn index(&self) -> &Arc<search::Index> {
        &self.index
    }

    /// The configured model, if any.
    pub fn model(&self) -> Option<&str> {
        self.llm.as_ref().map(LlmClient::model)
    }

    /// Makes sure the index holds a finished job, indexing it from the `pages` projection if not.
    ///
    /// Pages never change once a job is `done` (later events such as webhook deliveries do not
    /// touch them), so an index written at or after `done` stays fresh; a recorded version above
    /// the job's current one means the index came from another database, and is rewritten.
    /// Jobs that are not done are left alone.
    pub async fn ensure_indexed(&self, job: JobId) -> Result<(), Error> {
        let Some(view) = self.store.job_view(job, false).await? else {
            return Ok(());
        };
        if view.status != JobStatus::Done || self.is_fresh(job, view.version).await? {
            return Ok(());
        }
        let _guard = self.indexing.lock().await;
        if self.is_fresh(job, view.version).await? {
            return Ok(());
        }
        let started = Instant::now();
        let pages: Vec<search::PageText> = self
            .store
            .page_texts(job, None)
            .await?
            .into_iter()
            .map(|p| search::PageText {
                page: PageIndex(p.index),
                text: p.text,
                language: p.language,
            })
            .collect();
        let count = pages.len();
        let index = Arc::clone(&self.index);
        let version = view.version;
        tokio::task::spawn_blocking(move || index.index_job(job, version, &pages)).await??;
        tracing::info!(%job, pages = count, took = ?started.elapsed(), "indexed job for chat");
        Ok(())
    }

    async fn is_fresh(&self, job: JobId, version: u64) -> Result<bool, Error> {
        let index = Arc::clone(&self.index);
        let indexed = tokio::task::spawn_blocking(move || index.indexed_version(job)).await??;
        Ok(indexed.is_some_and(|v| v <= version))
    }

    /// Erases what chat keeps about an erased job: its passages in this process's index and its
    /// conversations (which quote the document). Idempotent: every API process runs it when the
    /// `erased` commit reaches it, and the erasing request runs it once more.
    pub async fn forget(&self, job: JobId) -> Result<(), Error> {
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || index.delete_job(job)).await??;
        let erased = self.store.delete_job_conversations(job).await?;
        if erased > 0 {
            tracing::info!(%job, conversations = erased, "erased the job's conversations");
        }
        Ok(())
    }

    /// Answers `question` about a finished job, given the conversation's earlier turns.
    pub async fn answer(
        &self,
        job: JobId,
        question: &str,
        history: &[Turn],
    ) -> Result<Answer, Error> {
        let started = Instant::now();
        self.ensure_indexed(job).await?;
        let index = Arc::clone(&self.index);
        let q = question.to_owned();
        let retrieval =
            tokio::task::spawn_blocking(move || index.retrieve(job, &q, PASSAGES_PER_QUESTION))
                .await??;
        let passages = retrieval.passages.len();
        let units = retrieval.units;
        let mut answer = if units.is_empty() {
            not_found_answer(passages)
        } else {
            let pages = self.page_texts(job, &units).await?;
            match &self.llm {
                None => fallback_answer(
                    &units,
                    &pages,
                    passages,
                    FallbackReason::NotConfigured,
                    "no chat model is configured (OCRCHAT_LLM_BASE_URL)".into(),
                ),
                Some(llm) => {
                    let outcome = llm.answer(question, &units, history).await;
                    let mut answer = match &outcome.result {
                        Ok(completion) => {
                            let shown = &units[..completion.shown.min(units.len())];
                            reply_answer(question, &completion.reply, shown, &pages, passages)
                        }
                        Err(err) => {
                            fallback_answer(&units, &pages, passages, err.reason(), err.to_string())
                        }
                    };
                    if let Some(fallback) = &answer.meta.fallback {
                        tracing::info!(
                            %job,
                            reason = fallback.reason.as_str(),
                            mode = answer.meta.mode.as_str(),
                            "the model's reply was not shown as its answer"
                        );
                    }
                    answer.meta.model = Some(match &outcome.result {
                        Ok(completion) if !completion.model.is_empty() => completion.model.clone(),
                        _ => llm.model().to_owned(),
                    });
                    answer.meta.model_attempts = outcome.attempts;
                    answer.meta.usage = outcome.usage;
                    answer
                }
            }
        };
        answer.meta.latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(answer)
    }

    /// The stored texts of the pages the passages stand on: what quotes are verified against.
    async fn page_texts(
        &self,
        job: JobId,
        passages: &[Passage],
    ) -> Result<BTreeMap<PageIndex, String>, Error> {
        let mut wanted: Vec<u32> = passages.iter().map(|p| p.page.0).collect();
        wanted.sort_unstable();
        wanted.dedup();
        Ok(self
            .store
            .page_texts(job, Some(&wanted))
            .await?
            .into_iter()
            .map(|p| (PageIndex(p.index), p.text))
            .collect())
    }

    /// Keeps the index in step with commits: indexes jobs announced `done`, drops jobs announced
    /// `erased`. Errors are logged, never fatal: a request indexes a job itself when needed.
    pub fn spawn_indexer(
        self: &Arc<Self>,
        notifications: &Notifications,
        shutdown: CancellationToken,
    ) -> JoinHandle<()> {
        let chat = Arc::clone(self);
        let mut commits = notifications.subscribe();
        tokio::spawn(async move {
            loop {
                let commit = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    commit = commits.recv() => commit,
                };
                let result = match commit {
                    Ok(c) if c.kind == "done" => chat.ensure_indexed(c.job).await,
                    Ok(c) if c.kind == "erased" => chat.forget(c.job).await,
                    Ok(_) => Ok(()),
                    Err(RecvError::Lagged(missed)) => {
                        // Missed jobs are indexed by their first chat request instead.
                        tracing::warn!(missed, "chat indexer fell behind the commit stream");
                        Ok(())
                    }
                    Err(RecvError::Closed) => return,
                };
                if let Err(err) = result {
                    tracing::warn!(error = %err, "chat indexer: could not update the index");
                }
            }
        })
    }
}
