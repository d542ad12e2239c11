//! Chat retrieval quality: does retrieval hand the model the text that holds the answer?
//!
//! Run with `cargo bench -p search --bench recall` (or `just bench`). For every question of
//! `../shared/chat/questions.jsonl` (`OCRCHAT_CHAT_QUESTIONS`), its document's pages are indexed
//! as one job, once in a BM25-only index and once in a hybrid one (all-MiniLM-L6-v2 from
//! `OCRCHAT_EMBEDDINGS`, default `~/.cache/ocrchat/minilm-l6-v2`), and the same question is asked
//! of both. Page texts are the ones the service recognised when `OCRCHAT_CHAT_PAGES` names the
//! `pages/` directory `bench/chat.py --out DIR` writes; otherwise the corpus ground truth
//! (`*.gt.txt`, pages split at form feeds).
//!
//! Printed per question and in total:
//! - `recall@5`: one of the top 5 passages holds an expected answer (case and whitespace folded);
//! - `unit@k`: one of the first k evidence units the prompt would show holds it (k = 8, about
//!   the default evidence budget);
//! - for questions the document cannot answer: whether retrieval returned nothing, and the best
//!   passage's cosine similarity (what `DENSE_FLOOR` is set against).

use domain::{JobId, PageIndex};
use search::{Embedder, Index, MiniLm, PageText};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

const UNITS_SHOWN: usize = 8;

struct Question {
    doc: String,
    q: String,
    any: Vec<String>,
    none: bool,
}

fn env_path(name: &str, default: PathBuf) -> PathBuf {
    std::env::var_os(name).map(PathBuf::from).unwrap_or(default)
}

fn home_cache() -> PathBuf {
    std::env::var_os("OCRCHAT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/ocrchat")
        })
}

fn questions(path: &Path) -> Vec<Question> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (set OCRCHAT_CHAT_QUESTIONS)", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON question");
            Question {
                doc: v["doc"].as_str().expect("doc").to_owned(),
                q: v["q"].as_str().expect("q").to_owned(),
                any: v["any"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                none: v["none"].as_bool().unwrap_or(false),
            }
        })
        .collect()
}

/// The Tesseract language of a corpus file, from `manifest.tsv`.
fn language(corpus: &Path, doc: &str) -> String {
    let manifest = std::fs::read_to_string(corpus.join("manifest.tsv")).expect("corpus manifest");
    manifest
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|cols| cols.first() == Some(&doc))
        .and_then(|cols| cols.get(4).map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "eng".into())
}

fn pages(corpus: &Path, recognised: Option<&Path>, doc: &str) -> (Vec<PageText>, &'static str) {
    let language = language(corpus, doc);
    if let Some(dir) = recognised {
        if let Ok(text) = std::fs::read_to_string(dir.join(format!("{doc}.json"))) {
            let v: serde_json::Value = serde_json::from_str(&text).expect("a pages file");
            let list = v
                .as_array()
                .or_else(|| v["pages"].as_array())
                .expect("a list of pages");
            let pages = list
                .iter()
                .enumerate()
                .map(|(i, p)| PageText {
                    page: PageIndex(p["index"].as_u64().unwrap_or(i as u64) as u32),
                    text: p["text"].as_str().unwrap_or_default().to_owned(),
                    language: p["language"]
                        .as_str()
                        .map_or_else(|| language.clone(), str::to_owned),
                })
                .collect();
            return (pages, "OCR");
        }
    }
    let stem = doc.rsplit_once('.').map_or(doc, |(s, _)| s);
    let text =
        std::fs::read_to_string(corpus.join(format!("{stem}.gt.txt"))).expect("ground truth");
    let pages = text
        .split('\u{c}')
        .enumerate()
        .map(|(i, t)| PageText {
            page: PageIndex(i as u32),
            text: t.to_owned(),
            language: language.clone(),
        })
        .collect();
    (pages, "ground truth")
}

fn fold(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn holds(text: &str, any: &[String]) -> bool {
    let t = fold(text);
    any.iter().any(|a| t.contains(&fold(a)))
}

fn main() {
    let corpus = env_path(
        "OCRCHAT_CORPUS",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    );
    let questions = questions(&env_path(
        "OCRCHAT_CHAT_QUESTIONS",
        corpus.join("../chat/questions.jsonl"),
    ));
    let recognised = std::env::var_os("OCRCHAT_CHAT_PAGES").map(PathBuf::from);
    let model_dir = env_path("OCRCHAT_EMBEDDINGS", home_cache().join("minilm-l6-v2"));
    let embedder: Arc<dyn Embedder> = Arc::new(
        MiniLm::load(&model_dir).unwrap_or_else(|e| panic!("{e}: run scripts/deps.sh embeddings")),
    );
    let lexical = Index::in_memory(None).expect("index");
    let hybrid = Index::in_memory(Some(embedder)).expect("index");
    let mut docs: Vec<String> = questions.iter().map(|q| q.doc.clone()).collect();
    docs.dedup();
    let job = |doc: &str| {
        JobId(uuid::Uuid::from_u128(
            docs.iter().position(|d| d == doc).unwrap() as u128 + 1,
        ))
    };
    for doc in &docs {
        let (pages, source) = pages(&corpus, recognised.as_deref(), doc);
        println!("{doc}: {} page(s) of {source} text", pages.len());
        for index in [&lexical, &hybrid] {
            index.index_job(job(doc), 1, &pages).expect("indexing");
        }
    }
    println!();
    println!(
        "{:<58} {:>10} {:>10} {:>10} {:>10}",
        "question", "BM25 r@5", "hybrid r@5", "BM25 u@8", "hybrid u@8"
    );
    let mut totals = [0usize; 4];
    let mut answerable = 0;
    for q in &questions {
        let label: String = format!("{}: {}", q.doc.split('.').next().unwrap_or(""), q.q)
            .chars()
            .take(58)
            .collect();
        let results: Vec<_> = [&lexical, &hybrid]
            .iter()
            .map(|index| index.retrieve(job(&q.doc), &q.q, 5).expect("retrieval"))
            .collect();
        if q.none {
            let best = hybrid.search(job(&q.doc), &q.q, 1).expect("search");
            let sim = results[1].passages.first().and_then(|h| h.similarity);
            println!(
                "{label:<58} absent: BM25 {} / hybrid {} passages (best cosine {})",
                results[0].passages.len(),
                results[1].passages.len(),
                sim.or(best.first().and_then(|h| h.similarity))
                    .map_or("-".into(), |s| format!("{s:.2}")),
            );
            continue;
        }
        answerable += 1;
        let mut cells = Vec::new();
        for (i, r) in results.iter().enumerate() {
            let passage_hit = r.passages.iter().any(|h| holds(&h.passage.text, &q.any));
            let unit_hit = r
                .units
                .iter()
                .take(UNITS_SHOWN)
                .any(|u| holds(&u.text, &q.any));
            totals[i] += usize::from(passage_hit);
            totals[2 + i] += usize::from(unit_hit);
            cells.push((passage_hit, unit_hit));
        }
        let mark = |b: bool| if b { "yes" } else { "no" };
        // The best similarity among the evidence units holding the answer.
        let answer_sim = results[1]
            .passages
            .iter()
            .flat_map(|h| {
                domain::chat::evidence::units(&h.passage)
                    .into_iter()
                    .zip(h.unit_similarities.clone())
            })
            .filter(|(u, _)| holds(&u.text, &q.any))
            .map(|(_, s)| s)
            .reduce(f32::max);
        println!(
            "{label:<58} {:>10} {:>10} {:>10} {:>10}   (answer unit cosine {})",
            mark(cells[0].0),
            mark(cells[1].0),
            mark(cells[0].1),
            mark(cells[1].1),
            answer_sim.map_or("-".into(), |s| format!("{s:.2}")),
        );
    }
    println!(
        "\nrecall@5 of the passage holding the answer: BM25 {}/{answerable}, hybrid {}/{answerable}",
        totals[0], totals[1]
    );
    println!(
        "answer among the first {UNITS_SHOWN} evidence units:     BM25 {}/{answerable}, hybrid {}/{answerable}",
        totals[2], totals[3]
    );
}
