//! The passage index: one tantivy index for every job, filtered by job at query time, with each
//! passage's embedding stored beside it for the dense half of hybrid retrieval.
//!
//! Retrieval fuses two rankings of a job's passages by reciprocal rank fusion (each passage
//! scores `1 / (RRF_K + rank)` in each ranking it appears in): BM25 over the passages' words and
//! aliases (`vocabulary`), and cosine similarity of the passages' embeddings to the question's.
//! RRF needs no calibration between BM25 scores and cosines, and a passage both rankings like
//! beats one only a single ranking likes. A passage only the dense ranking finds must be at least
//! `DENSE_FLOOR` alike to the question: every passage has *some* nearest neighbour, and a question
//! the document cannot answer must still find nothing.

use crate::{
    analysis::{self, Languages, CJK, NEUTRAL},
    embed::{self, Embedder},
    error::{Error, Result},
    passages, vocabulary,
};
use domain::{
    chat::{evidence, Passage},
    JobId, PageIndex,
};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};
use tantivy::{
    collector::{DocSetCollector, TopDocs},
    directory::{error::LockError, MmapDirectory},
    query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery},
    schema::{
        Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
    },
    DocAddress, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term,
};

/// Bumped whenever the schema or the analysis changes: an index written with another layout is
/// deleted and rebuilt from the pages (it is a projection, so nothing is lost). The embedding
/// model's name is appended, so vectors of two models never meet in one ranking.
const LAYOUT: &str = "ocrchat-passages-v2";

/// Reciprocal rank fusion's damping constant (the value of the original paper, used widely):
/// the first ranks of each list count most, without one list's top drowning the other.
pub const RRF_K: f32 = 60.0;

/// Candidates each ranking contributes to the fusion.
const CANDIDATES: usize = 20;

/// Least cosine similarity (of a passage's best evidence unit) at which a passage the dense
/// ranking alone finds is kept. Measured with all-MiniLM-L6-v2 on the chat question set (search
/// bench `recall`, ground-truth text): the units holding answers score 0.30–0.80 against their
/// questions, and questions the documents cannot answer 0.17 (Tokyo's population on a letter),
/// 0.36 (a loyalty card on a receipt) and 0.40 (a German question on a German page: the model
/// is English-centric). Similarity alone cannot tell "absent" from "present": this floor only
/// drops the plainly unrelated, and the chat model (or its consistency rule) decides the rest.
pub const DENSE_FLOOR: f32 = 0.25;

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

/// One retrieved passage and its fused score (higher is better; only comparable within a query).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The passage.
    pub passage: Passage,
    /// Its fused score.
    pub score: f32,
    /// Its BM25 score, if BM25 ranked it.
    pub lexical: Option<f32>,
    /// Its cosine similarity to the question (its most similar evidence unit's), if the index
    /// holds embeddings.
    pub similarity: Option<f32>,
    /// The similarity of each of its evidence units (`domain::chat::evidence::units`, in order)
    /// to the question; empty without embeddings.
    pub unit_similarities: Vec<f32>,
}

/// What a question retrieves: passages, and their evidence units ranked for the prompt.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Retrieval {
    /// The best passages, best first.
    pub passages: Vec<Hit>,
    /// The sentences (or lines) of those passages, best first (see `Index::retrieve`).
    pub units: Vec<Passage>,
}

struct Fields {
    key: Field,
    job: Field,
    page: Field,
    start: Field,
    end: Field,
    text: Field,
    aliases: Field,
    stems: Vec<(&'static str, Field)>,
    cjk: Field,
    /// The vectors of a passage's evidence units, concatenated.
    vector: Field,
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
    let aliases = b.add_text_field("aliases", indexed(NEUTRAL));
    let stems = analysis::STEMMED
        .iter()
        .map(|(_, s)| {
            let name = analysis::stem_field(s.code);
            (s.code, b.add_text_field(&name, indexed(&name)))
        })
        .collect();
    let cjk = b.add_text_field("cjk", indexed(CJK));
    let vector = b.add_bytes_field("vector", STORED);
    let version = b.add_u64_field("version", STORED);
    let languages = b.add_text_field("languages", STORED);
    let fields = Fields {
        key,
        job,
        page,
        start,
        end,
        text,
        aliases,
        stems,
        cjk,
        vector,
        version,
        languages,
    };
    (b.build(), fields)
}

fn layout(embedder: Option<&dyn Embedder>) -> String {
    match embedder {
        Some(e) => format!("{LAYOUT}+{}", e.name()),
        None => LAYOUT.to_owned(),
    }
}

/// Indices of `values` in descending order of `key`, skipping values `key` maps to `None`; ties
/// keep index order.
fn ranking<T>(values: &[T], key: impl Fn(&T) -> Option<f32>) -> Vec<usize> {
    let mut keyed: Vec<(usize, f32)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| key(v).map(|k| (i, k)))
        .collect();
    keyed.sort_by(|(a, x), (b, y)| y.total_cmp(x).then(a.cmp(b)));
    keyed.into_iter().map(|(i, _)| i).collect()
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
/// before returning, so a search right after sees it. Without an embedder, retrieval is BM25
/// alone.
pub struct Index {
    index: tantivy::Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    dir: PathBuf,
    embedder: Option<Arc<dyn Embedder>>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("dir", &self.dir).finish()
    }
}

impl Index {
    /// Opens the index in `dir`, creating it (and the directory) if needed, embedding passages
    /// with `embedder` when given. An index written by another layout version or another
    /// embedder is wiped and starts empty. Fails with `Error::Locked` when another process writes
    /// to the same directory.
    pub fn open(dir: &Path, embedder: Option<Arc<dyn Embedder>>) -> Result<Index> {
        let layout = layout(embedder.as_deref());
        let io = |source| Error::Io {
            path: dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let marker = dir.join("LAYOUT");
        let current = std::fs::read_to_string(&marker).unwrap_or_default();
        if current.trim() != layout {
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
        std::fs::write(&marker, layout).map_err(io)?;
        Index::with(index, fields, dir.to_owned(), embedder)
    }

    /// An index in memory: for benchmarks and tests that do not care about persistence.
    pub fn in_memory(embedder: Option<Arc<dyn Embedder>>) -> Result<Index> {
        let (schema, fields) = schema();
        Index::with(
            tantivy::Index::create_in_ram(schema),
            fields,
            PathBuf::new(),
            embedder,
        )
    }

    fn with(
        index: tantivy::Index,
        fields: Fields,
        dir: PathBuf,
        embedder: Option<Arc<dyn Embedder>>,
    ) -> Result<Index> {
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
            embedder,
        })
    }

    /// The embedding model's name, if retrieval is hybrid.
    pub fn embedder(&self) -> Option<&str> {
        self.embedder.as_deref().map(Embedder::name)
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

    /// The documents of a page's passages, embedded when an embedder is set (before any lock
    /// is taken: embedding is the slow part of indexing).
    fn passage_docs(&self, job: JobId, page: &PageText) -> Result<Vec<TantivyDocument>> {
        let f = &self.fields;
        let languages = Languages::from_tesseract([page.language.as_str()]);
        let job_text = job.to_string();
        let key = format!("{job}:{}", page.page);
        let passages = passages::split(page.page, &page.text);
        // One vector per evidence unit, all of a passage's stored together: a passage mixes
        // an address, a date and a paragraph, and its one mean vector would be near none of
        // the questions each of them answers.
        let vectors: Vec<Vec<u8>> = match &self.embedder {
            Some(embedder) => {
                let units: Vec<Vec<String>> = passages
                    .iter()
                    .map(|p| {
                        evidence::units(p)
                            .iter()
                            .map(|u| vocabulary::with_aliases(&u.text))
                            .collect()
                    })
                    .collect();
                let refs: Vec<&str> = units.iter().flatten().map(String::as_str).collect();
                let mut embedded = embedder.embed(&refs)?.into_iter();
                units
                    .iter()
                    .map(|u| {
                        embedded
                            .by_ref()
                            .take(u.len())
                            .flat_map(|v| embed::to_bytes(&v))
                            .collect()
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        Ok(passages
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let mut doc = TantivyDocument::default();
                doc.add_text(f.key, &key);
                doc.add_text(f.job, &job_text);
                doc.add_u64(f.page, u64::from(p.page.0));
                doc.add_u64(f.start, p.start as u64);
                doc.add_u64(f.end, p.end as u64);
                doc.add_text(f.text, &p.text);
                let aliases = vocabulary::aliases(&p.text);
                if !aliases.is_empty() {
                    doc.add_text(f.aliases, &aliases);
                }
                for stemmed in &languages.stemmed {
                    if let Some((_, field)) = f.stems.iter().find(|(c, _)| *c == stemmed.code) {
                        doc.add_text(*field, &p.text);
                    }
                }
                if languages.cjk {
                    doc.add_text(f.cjk, &p.text);
                }
                if let Some(vectors) = vectors.get(i) {
                    doc.add_bytes(f.vector, vectors);
                }
                doc
            })
            .collect())
    }

    fn commit(&self, writer: &mut IndexWriter) -> Result<()> {
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Indexes one page of a job: its documents are deleted, then added, so indexing the same
    /// page twice leaves one copy. Does not mark the job as indexed at any version.
    pub fn index_page(&self, job: JobId, page: &PageText) -> Result<()> {
        let docs = self.passage_docs(job, page)?;
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
        let mut docs: Vec<TantivyDocument> = Vec::new();
        for page in pages {
            docs.extend(self.passage_docs(job, page)?);
        }
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

    /// The `limit` passages of `job` that best match `question`, best first: BM25 and dense
    /// similarity fused (BM25 alone without an embedder). Empty when no word of the question
    /// (after stop words) occurs in the job and no passage is at least `DENSE_FLOOR` alike to
    /// it: the document does not contain it.
    pub fn search(&self, job: JobId, question: &str, limit: usize) -> Result<Vec<Hit>> {
        let question_vector = self.embed_question(question)?;
        let searcher = self.reader.searcher();
        let languages = self.job_languages(&searcher, job)?;
        self.search_with(
            &searcher,
            job,
            question,
            &languages,
            question_vector.as_deref(),
            limit,
        )
    }

    /// Passages as `search` finds them, and their evidence units ranked for a prompt: by the
    /// question's words they contain (aliases included), by their own similarity to the question,
    /// and by their passage's rank, fused like passages are. The best unit is what an answer
    /// without a model quotes.
    pub fn retrieve(&self, job: JobId, question: &str, limit: usize) -> Result<Retrieval> {
        let question_vector = self.embed_question(question)?;
        let searcher = self.reader.searcher();
        let languages = self.job_languages(&searcher, job)?;
        let passages = self.search_with(
            &searcher,
            job,
            question,
            &languages,
            question_vector.as_deref(),
            limit,
        )?;
        if passages.is_empty() {
            return Ok(Retrieval::default());
        }
        let wanted = analysis::question_terms(question, &languages);
        // The units' similarities come with their passages (stored vectors, no second pass of
        // the model); a passage indexed without vectors gives its units none.
        let mut units: Vec<(Passage, usize)> = Vec::new();
        let mut similarity: Vec<f32> = Vec::new();
        for (rank, hit) in passages.iter().enumerate() {
            let own = evidence::units(&hit.passage);
            if hit.unit_similarities.len() == own.len() {
                similarity.extend(&hit.unit_similarities);
            } else {
                similarity.extend(std::iter::repeat_n(f32::NEG_INFINITY, own.len()));
            }
            units.extend(own.into_iter().map(|u| (u, rank)));
        }
        let lexical: Vec<usize> = units
            .iter()
            .map(|(u, _)| {
                let have = analysis::text_terms(&vocabulary::with_aliases(&u.text), &languages);
                wanted.iter().filter(|t| have.contains(t)).count()
            })
            .collect();
        let mut scores = vec![0.0_f32; units.len()];
        let by_lexical = ranking(&lexical, |n| (*n > 0).then_some(*n as f32));
        let by_similarity = ranking(&similarity, |s| s.is_finite().then_some(*s));
        for order in [by_lexical, by_similarity] {
            for (rank, i) in order.into_iter().enumerate() {
                scores[i] += 1.0 / (RRF_K + rank as f32 + 1.0);
            }
        }
        for (i, (_, passage_rank)) in units.iter().enumerate() {
            scores[i] += 1.0 / (RRF_K + *passage_rank as f32 + 1.0);
        }
        // Every unit of the retrieved passages stays: the sentence holding an answer may share no
        // word with the question and be barely alike to it ("10 days already" for "How long has
        // the writer been in England?" scores 0.11), so no floor is applied to units (a floor of
        // DENSE_FLOOR dropped 2 of 9 answers in the recall bench).
        let mut order: Vec<usize> = (0..units.len()).collect();
        // Stable: equal scores keep reading order within the best passages.
        order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
        let mut ranked: Vec<Option<Passage>> = units.into_iter().map(|(u, _)| Some(u)).collect();
        let units = order.into_iter().filter_map(|i| ranked[i].take()).collect();
        Ok(Retrieval { passages, units })
    }

    fn embed_question(&self, question: &str) -> Result<Option<Vec<f32>>> {
        match &self.embedder {
            Some(embedder) => Ok(embedder.embed(&[question])?.pop()),
            None => Ok(None),
        }
    }

    fn job_languages(&self, searcher: &tantivy::Searcher, job: JobId) -> Result<Languages> {
        let f = &self.fields;
        Ok(self
            .meta(searcher, job)?
            .and_then(|doc| {
                doc.get_first(f.languages)
                    .and_then(|v| v.as_str().map(Languages::decode))
            })
            .unwrap_or_default())
    }

    fn search_with(
        &self,
        searcher: &tantivy::Searcher,
        job: JobId,
        question: &str,
        languages: &Languages,
        question_vector: Option<&[f32]>,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let lexical = self.bm25(searcher, job, question, languages)?;
        let dense = match question_vector {
            Some(q) => self.dense(searcher, job, q)?,
            None => Vec::new(),
        };
        let lexical_at: HashMap<DocAddress, f32> = lexical.iter().copied().collect();
        let similarity_at: HashMap<DocAddress, &(DocAddress, f32, Vec<f32>)> =
            dense.iter().map(|d| (d.0, d)).collect();
        let mut fused: HashMap<DocAddress, f32> = HashMap::new();
        for (rank, (address, _)) in lexical.iter().enumerate() {
            *fused.entry(*address).or_default() += 1.0 / (RRF_K + rank as f32 + 1.0);
        }
        for (rank, (address, similarity, _)) in dense.iter().take(CANDIDATES).enumerate() {
            if *similarity < DENSE_FLOOR && !lexical_at.contains_key(address) {
                continue;
            }
            *fused.entry(*address).or_default() += 1.0 / (RRF_K + rank as f32 + 1.0);
        }
        let mut order: Vec<(DocAddress, f32)> = fused.into_iter().collect();
        // Best first; ties in document order, so results never depend on hash order.
        order.sort_by(|(a, x), (b, y)| y.total_cmp(x).then(a.cmp(b)));
        order.truncate(limit);
        let mut hits = Vec::with_capacity(order.len());
        for (address, score) in order {
            let doc: TantivyDocument = searcher.doc(address)?;
            let dense = similarity_at.get(&address);
            hits.push(Hit {
                passage: self.read_passage(&doc)?,
                score,
                lexical: lexical_at.get(&address).copied(),
                similarity: dense.map(|d| d.1),
                unit_similarities: dense.map(|d| d.2.clone()).unwrap_or_default(),
            });
        }
        Ok(hits)
    }

    /// BM25's best `CANDIDATES` passages of the job for the question, best first.
    fn bm25(
        &self,
        searcher: &tantivy::Searcher,
        job: JobId,
        question: &str,
        languages: &Languages,
    ) -> Result<Vec<(DocAddress, f32)>> {
        let f = &self.fields;
        let neutral = analysis::neutral_query_terms(question, languages);
        let mut terms: Vec<Term> = Vec::new();
        for field in [f.text, f.aliases] {
            terms.extend(neutral.iter().map(|t| Term::from_field_text(field, t)));
        }
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
        Ok(searcher
            .search(&query, &TopDocs::with_limit(CANDIDATES).order_by_score())?
            .into_iter()
            .map(|(score, address)| (address, score))
            .collect())
    }

    /// Every passage of the job with its cosine similarity to the question (its best unit's) and
    /// each unit's, best first. A scan of the job's stored vectors: a job has hundreds to a few
    /// thousand passages, and a scan of those costs milliseconds, so no vector index is kept.
    fn dense(
        &self,
        searcher: &tantivy::Searcher,
        job: JobId,
        question: &[f32],
    ) -> Result<Vec<(DocAddress, f32, Vec<f32>)>> {
        let query = TermQuery::new(job_term(&self.fields, job), IndexRecordOption::Basic);
        let mut scored = Vec::new();
        for address in searcher.search(&query, &DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            // The meta document has no vector; passages indexed without an embedder neither.
            let Some(bytes) = doc.get_first(self.fields.vector).and_then(|v| v.as_bytes()) else {
                continue;
            };
            let floats =
                embed::from_bytes(bytes).ok_or(Error::Corrupt("a vector has a ragged length"))?;
            if question.is_empty() || !floats.len().is_multiple_of(question.len()) {
                return Err(Error::Corrupt(
                    "stored vectors do not match the model's dimensions",
                ));
            }
            let units: Vec<f32> = floats
                .chunks_exact(question.len())
                .map(|v| embed::cosine(question, v))
                .collect();
            let best = units.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            scored.push((address, best, units));
        }
        scored.sort_by(|(a, x, _), (b, y, _)| y.total_cmp(x).then(a.cmp(b)));
        Ok(scored)
    }

    fn read_passage(&self, doc: &TantivyDocument) -> Result<Passage> {
        let f = &self.fields;
        let number = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_u64())
                .ok_or(Error::Corrupt("a passage lacks its position"))
        };
        let text = doc
            .get_first(f.text)
            .and_then(|v| v.as_str())
            .ok_or(Error::Corrupt("a passage lacks its text"))?;
        Ok(Passage {
            page: PageIndex(
                u32::try_from(number(f.page)?).map_err(|_| Error::Corrupt("page out of range"))?,
            ),
            start: number(f.start)? as usize,
            end: number(f.end)? as usize,
            text: text.to_owned(),
        })
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
