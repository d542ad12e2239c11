//! The passage index: one tantivy index for every job, filtered by job at query time.

use crate::{
    analysis::{self, Languages, CJK, NEUTRAL},
    error::{Error, Result},
    passages,
};
use domain::{chat::Passage, JobId, PageIndex};
use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};
use tantivy::{
    collector::TopDocs,
    directory::{error::LockError, MmapDirectory},
    query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery},
    schema::{
        Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
    },
    IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term,
};

/// Bumped whenever the schema or the analysis changes: an index written with another layout is
/// deleted and rebuilt from the pages (it is a projection, so nothing is lost).
const LAYOUT: &str = "ocrchat-passages-v1";

/// Memory the writer may buffer before flushing a segment (tantivy's minimum is 15 MB).
const WRITER_MEMORY: usize = 32 * 1024 * 1024;

/// The text of one page to index: what the `pages` projection holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageText {
    /// 0-based page index.
    pub page: PageIndex,
    /// The page's text.
    pub text: String,
    /// Tesseract languages it was recognised with (`deu+eng`), deciding the stemmers.
    pub language: String,
}

/// One retrieved passage and its BM25 score (higher is better; only comparable within a query).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The passage.
    pub passage: Passage,
    /// Its score.
    pub score: f32,
}

struct Fields {
    key: Field,
    job: Field,
    page: Field,
    start: Field,
    end: Field,
    text: Field,
    stems: Vec<(&'static str, Field)>,
    cjk: Field,
    version: Field,
    languages: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let indexed = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let key = b.add_text_field("key", STRING);
    let job = b.add_text_field("job", STRING);
    let page = b.add_u64_field("page", STORED);
    let start = b.add_u64_field("start", STORED);
    let end = b.add_u64_field("end", STORED);
    let text = b.add_text_field("text", indexed(NEUTRAL).set_stored());
    let stems = analysis::STEMMED
        .iter()
        .map(|(_, s)| {
            let name = analysis::stem_field(s.code);
            (s.code, b.add_text_field(&name, indexed(&name)))
        })
        .collect();
    let cjk = b.add_text_field("cjk", indexed(CJK));
    let version = b.add_u64_field("version", STORED);
    let languages = b.add_text_field("languages", STORED);
    let fields = Fields {
        key,
        job,
        page,
        start,
        end,
        text,
        stems,
        cjk,
        version,
        languages,
    };
    (b.build(), fields)
}

fn job_term(fields: &Fields, job: JobId) -> Term {
    Term::from_field_text(fields.job, &job.to_string())
}

fn page_key(fields: &Fields, job: JobId, page: PageIndex) -> Term {
    Term::from_field_text(fields.key, &format!("{job}:{page}"))
}

fn meta_key(fields: &Fields, job: JobId) -> Term {
    Term::from_field_text(fields.key, &format!("{job}:meta"))
}

/// The passage index of every job, stored in one directory.
///
/// Cheap to share behind an `Arc`; every method is blocking (call it from `spawn_blocking` in
/// async code). Writes are serialised by one writer; each write commits and refreshes the reader
/// before returning, so a search right after sees it.
pub struct Index {
    index: tantivy::Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    dir: PathBuf,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("dir", &self.dir).finish()
    }
}

impl Index {
    /// Opens the index in `dir`, creating it (and the directory) if needed. An index written by
    /// another layout version is wiped and starts empty. Fails with `Error::Locked` when another
    /// process writes to the same directory.
    pub fn open(dir: &Path) -> Result<Index> {
        let io = |source| Error::Io {
            path: dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let marker = dir.join("LAYOUT");
        let current = std::fs::read_to_string(&marker).unwrap_or_default();
        if current.trim() != LAYOUT {
            // Only what this crate writes lives here: tantivy's files and the marker.
            for entry in std::fs::read_dir(dir).map_err(io)? {
                let path = entry.map_err(io)?.path();
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.map_err(io)?;
            }
            if !current.is_empty() {
                tracing::info!(dir = %dir.display(), "index layout changed: starting empty");
            }
        }
        let (schema, fields) = schema();
        let directory = MmapDirectory::open(dir).map_err(|e| Error::Tantivy(e.into()))?;
        let index = tantivy::Index::open_or_create(directory, schema)?;
        std::fs::write(&marker, LAYOUT).map_err(io)?;
        Index::with(index, fields, dir.to_owned())
    }

    /// An index in memory: for benchmarks and tests that do not care about persistence.
    pub fn in_memory() -> Result<Index> {
        let (schema, fields) = schema();
        Index::with(
            tantivy::Index::create_in_ram(schema),
            fields,
            PathBuf::new(),
        )
    }

    fn with(index: tantivy::Index, fields: Fields, dir: PathBuf) -> Result<Index> {
        analysis::register(index.tokenizers())?;
        let writer = index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(|err| match err {
                TantivyError::LockFailure(LockError::LockBusy, _) => Error::Locked(dir.clone()),
                other => Error::Tantivy(other),
            })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Index {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            dir,
        })
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        // A panic while holding the writer leaves nothing half-done that a later commit could
        // expose: uncommitted operations are rolled back below before anything else is written.
        self.writer.lock().unwrap_or_else(|poisoned| {
            let mut writer = poisoned.into_inner();
            if let Err(err) = writer.rollback() {
                tracing::warn!(error = %err, "rolling back the index writer failed");
            }
            writer
        })
    }

    fn passage_docs(&self, job: JobId, page: &PageText) -> Vec<TantivyDocument> {
        let f = &self.fields;
        let languages = Languages::from_tesseract([page.language.as_str()]);
        let job_text = job.to_string();
        let key = format!("{job}:{}", page.page);
        passages::split(page.page, &page.text)
            .into_iter()
            .map(|p| {
                let mut doc = TantivyDocument::default();
                doc.add_text(f.key, &key);
                doc.add_text(f.job, &job_text);
                doc.add_u64(f.page, u64::from(p.page.0));
                doc.add_u64(f.start, p.start as u64);
                doc.add_u64(f.end, p.end as u64);
                doc.add_text(f.text, &p.text);
                for stemmed in &languages.stemmed {
                    if let Some((_, field)) = f.stems.iter().find(|(c, _)| *c == stemmed.code) {
                        doc.add_text(*field, &p.text);
                    }
                }
                if languages.cjk {
                    doc.add_text(f.cjk, &p.text);
                }
                doc
            })
            .collect()
    }

    fn commit(&self, writer: &mut IndexWriter) -> Result<()> {
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Indexes one page of a job: its documents are deleted, then added, so indexing the same
    /// page twice leaves one copy. Does not mark the job as indexed at any version.
    pub fn index_page(&self, job: JobId, page: &PageText) -> Result<()> {
        let docs = self.passage_docs(job, page);
        let mut writer = self.writer();
        writer.delete_term(page_key(&self.fields, job, page.page));
        for doc in docs {
            writer.add_document(doc)?;
        }
        self.commit(&mut writer)
    }

    /// Replaces everything indexed for a job with its pages, and records that the index holds
    /// the job at `version` (its event stream version). Idempotent; one commit.
    pub fn index_job(&self, job: JobId, version: u64, pages: &[PageText]) -> Result<()> {
        let docs: Vec<TantivyDocument> = pages
            .iter()
            .flat_map(|p| self.passage_docs(job, p))
            .collect();
        let languages = Languages::from_tesseract(pages.iter().map(|p| p.language.as_str()));
        let mut meta = TantivyDocument::default();
        meta.add_text(self.fields.key, format!("{job}:meta"));
        meta.add_text(self.fields.job, job.to_string());
        meta.add_u64(self.fields.version, version);
        meta.add_text(self.fields.languages, languages.encode());

        let mut writer = self.writer();
        writer.delete_term(job_term(&self.fields, job));
        for doc in docs {
            writer.add_document(doc)?;
        }
        writer.add_document(meta)?;
        self.commit(&mut writer)
    }

    /// Deletes every document of a job (erasure). Deleting an unknown job is not an error.
    pub fn delete_job(&self, job: JobId) -> Result<()> {
        let mut writer = self.writer();
        writer.delete_term(job_term(&self.fields, job));
        self.commit(&mut writer)
    }

    fn meta(&self, searcher: &tantivy::Searcher, job: JobId) -> Result<Option<TantivyDocument>> {
        let query = TermQuery::new(meta_key(&self.fields, job), IndexRecordOption::Basic);
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            Some((_, address)) => Ok(Some(searcher.doc(*address)?)),
            None => Ok(None),
        }
    }

    /// The job version the index holds (set by `index_job`), or `None` if the job was never
    /// indexed as a whole. Callers reindex when it differs from the job's current version.
    pub fn indexed_version(&self, job: JobId) -> Result<Option<u64>> {
        let searcher = self.reader.searcher();
        Ok(self
            .meta(&searcher, job)?
            .and_then(|doc| doc.get_first(self.fields.version).and_then(|v| v.as_u64())))
    }

    /// The `limit` passages of `job` that best match `question` by BM25, best first. Empty when
    /// no word of the question (after stop words) occurs in the job: the document does not
    /// contain it.
    pub fn search(&self, job: JobId, question: &str, limit: usize) -> Result<Vec<Hit>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let languages = self
            .meta(&searcher, job)?
            .and_then(|doc| {
                doc.get_first(f.languages)
                    .and_then(|v| v.as_str().map(Languages::decode))
            })
            .unwrap_or_default();

        let mut terms: Vec<Term> = analysis::neutral_query_terms(question, &languages)
            .iter()
            .map(|t| Term::from_field_text(f.text, t))
            .collect();
        for stemmed in &languages.stemmed {
            if let Some((_, field)) = f.stems.iter().find(|(c, _)| *c == stemmed.code) {
                terms.extend(
                    analysis::stemmed_query_terms(question, *stemmed)
                        .iter()
                        .map(|t| Term::from_field_text(*field, t)),
                );
            }
        }
        if languages.cjk {
            terms.extend(
                analysis::cjk_query_terms(question)?
                    .iter()
                    .map(|t| Term::from_field_text(f.cjk, t)),
            );
        }
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let words: Vec<(Occur, Box<dyn Query>)> = terms
            .into_iter()
            .map(|t| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs));
                (Occur::Should, q)
            })
            .collect();
        // The job filter scores nothing: only the question's words rank passages.
        let in_job = ConstScoreQuery::new(
            Box::new(TermQuery::new(job_term(f, job), IndexRecordOption::Basic)),
            0.0,
        );
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(in_job) as Box<dyn Query>),
            (Occur::Must, Box::new(BooleanQuery::new(words))),
        ]);
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let number = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_u64())
                    .ok_or(Error::Corrupt("a passage lacks its position"))
            };
            let text = doc
                .get_first(f.text)
                .and_then(|v| v.as_str())
                .ok_or(Error::Corrupt("a passage lacks its text"))?;
            hits.push(Hit {
                passage: Passage {
                    page: PageIndex(
                        u32::try_from(number(f.page)?)
                            .map_err(|_| Error::Corrupt("page out of range"))?,
                    ),
                    start: number(f.start)? as usize,
                    end: number(f.end)? as usize,
                    text: text.to_owned(),
                },
                score,
            });
        }
        Ok(hits)
    }

    /// Number of passages indexed for a job (tests and diagnostics).
    pub fn passage_count(&self, job: JobId) -> Result<usize> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(job_term(&self.fields, job), IndexRecordOption::Basic);
        let all = searcher.search(&query, &tantivy::collector::Count)?;
        // The meta document shares the job term.
        let meta = usize::from(self.meta(&searcher, job)?.is_some());
        Ok(all - meta)
    }

    /// Where the index lives (empty for an in-memory index).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The tantivy index, for diagnostics.
    pub fn tantivy(&self) -> &tantivy::Index {
        &self.index
    }
}
