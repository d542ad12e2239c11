//! Retrieval latency on a large job: the tantivy index against naive linear scans, same run.
//!
//! Run with `cargo bench -p search --bench retrieval` (or `just bench`). Environment:
//! `OCRCHAT_CORPUS` (default `../shared/corpus` beside the workspace), `OCRCHAT_BENCH_PAGES`
//! (pages of the measured job, default 1000), `OCRCHAT_BENCH_QUERIES` (default 300).
//!
//! The job is synthetic but made of real text: every page is 30–50 lines of one corpus ground
//! truth (`*.gt.txt`), shuffled with a fixed seed, with the file's Tesseract language, so pages
//! are real OCR-like text in English, German, French and Danish. Twenty other jobs of 50 pages
//! share the index, so the job filter is part of what is measured. Questions are three words
//! drawn from the corpus, phrased as a question.
//!
//! Compared on the same passages and questions:
//! - `tantivy`: `Index::search` (BM25, stemmed and neutral fields, top 5), index on disk;
//! - `scan, tokenise per query`: what one writes without an index: lower-case every passage of
//!   the job and count the question's words in it, on every query;
//! - `scan, pre-tokenised`: the strongest naive baseline: each passage's words are lower-cased and
//!   hashed once, and a query only counts hits in those sets.

use domain::{chat::Passage, JobId, PageIndex};
use search::{passages, Index, PageText};
use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

/// A small deterministic generator (64-bit LCG), so every run measures the same job.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

struct Source {
    lines: Vec<String>,
    language: String,
}

fn corpus_dir() -> PathBuf {
    std::env::var_os("OCRCHAT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"))
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every ground truth with its Tesseract language, from `manifest.tsv`.
fn sources(dir: &Path) -> Vec<Source> {
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).expect("corpus manifest");
    manifest
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let text = std::fs::read_to_string(dir.join(cols.get(1)?)).ok()?;
            let lines: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| l.chars().count() > 3)
                .map(str::to_owned)
                .collect();
            Some(Source {
                lines,
                language: cols.get(4)?.to_string(),
            })
        })
        .filter(|s| s.lines.len() > 5)
        .collect()
}

fn synthetic_pages(sources: &[Source], count: usize, rng: &mut Lcg) -> Vec<PageText> {
    (0..count)
        .map(|i| {
            let source = &sources[rng.below(sources.len())];
            let lines = 30 + rng.below(21);
            let mut text = String::new();
            for n in 0..lines {
                text.push_str(&source.lines[rng.below(source.lines.len())]);
                // Blank lines now and then, as between OCR blocks.
                text.push_str(if n % 7 == 6 { "\n\n" } else { "\n" });
            }
            PageText {
                page: PageIndex(i as u32),
                text,
                language: source.language.clone(),
            }
        })
        .collect()
}

fn questions(sources: &[Source], count: usize, rng: &mut Lcg) -> Vec<String> {
    let words: Vec<String> = sources
        .iter()
        .flat_map(|s| s.lines.iter())
        .flat_map(|l| l.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().count() >= 5)
        .map(str::to_owned)
        .collect();
    (0..count)
        .map(|_| {
            format!(
                "What does the document say about {} {} and {}?",
                words[rng.below(words.len())],
                words[rng.below(words.len())],
                words[rng.below(words.len())]
            )
        })
        .collect()
}

fn query_words(question: &str) -> Vec<String> {
    const SKIP: &[&str] = &["what", "does", "the", "document", "say", "about", "and"];
    question
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !SKIP.contains(&w.as_str()))
        .collect()
}

fn top5(mut scored: Vec<(usize, usize)>) -> Vec<usize> {
    scored.retain(|(s, _)| *s > 0);
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(5).map(|(_, i)| i).collect()
}

fn scan_per_query(passages: &[Passage], question: &str) -> Vec<usize> {
    let words = query_words(question);
    top5(
        passages
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let lower = p.text.to_lowercase();
                (
                    words
                        .iter()
                        .map(|w| lower.matches(w.as_str()).count())
                        .sum(),
                    i,
                )
            })
            .collect(),
    )
}

fn scan_pretokenised(sets: &[HashSet<String>], question: &str) -> Vec<usize> {
    let words = query_words(question);
    top5(
        sets.iter()
            .enumerate()
            .map(|(i, set)| (words.iter().filter(|w| set.contains(*w)).count(), i))
            .collect(),
    )
}

struct Stats {
    name: &'static str,
    times: Vec<Duration>,
    found: usize,
}

impl Stats {
    fn print(&mut self) {
        self.times.sort();
        let at = |q: f64| {
            let i = ((self.times.len() as f64 - 1.0) * q).round() as usize;
            self.times[i].as_secs_f64() * 1e3
        };
        let mean =
            self.times.iter().map(Duration::as_secs_f64).sum::<f64>() / self.times.len() as f64;
        println!(
            "{:<26} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>7}",
            self.name,
            mean * 1e3,
            at(0.5),
            at(0.95),
            at(0.99),
            at(1.0),
            self.found
        );
    }
}

fn main() {
    let dir = corpus_dir();
    let sources = sources(&dir);
    assert!(
        !sources.is_empty(),
        "no ground truth found in {}",
        dir.display()
    );
    let pages_wanted = env_usize("OCRCHAT_BENCH_PAGES", 1000);
    let query_count = env_usize("OCRCHAT_BENCH_QUERIES", 300);
    let mut rng = Lcg(20261124);

    let job = JobId(uuid::Uuid::from_u128(1));
    let pages = synthetic_pages(&sources, pages_wanted, &mut rng);
    let chars: usize = pages.iter().map(|p| p.text.chars().count()).sum();

    let tmp = tempfile::tempdir().expect("temp dir");
    let index = Index::open(tmp.path(), None).expect("open index");
    let started = Instant::now();
    index.index_job(job, 1, &pages).expect("index the job");
    let indexing = started.elapsed();
    for other in 0..20u128 {
        let others = synthetic_pages(&sources, 50, &mut rng);
        index
            .index_job(JobId(uuid::Uuid::from_u128(100 + other)), 1, &others)
            .expect("index another job");
    }
    let passages: Vec<Passage> = pages
        .iter()
        .flat_map(|p| passages::split(p.page, &p.text))
        .collect();
    let sets: Vec<HashSet<String>> = passages
        .iter()
        .map(|p| {
            p.text
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
                .collect()
        })
        .collect();
    assert_eq!(index.passage_count(job).expect("count"), passages.len());

    let questions = questions(&sources, query_count, &mut rng);
    // Warm up caches (mmap pages, allocator) before measuring anything.
    for q in questions.iter().take(20) {
        let _ = index.search(job, q, 5);
        let _ = scan_pretokenised(&sets, q);
    }
    let mut runs = [
        Stats {
            name: "tantivy (BM25, top 5)",
            times: Vec::new(),
            found: 0,
        },
        Stats {
            name: "scan, tokenise per query",
            times: Vec::new(),
            found: 0,
        },
        Stats {
            name: "scan, pre-tokenised",
            times: Vec::new(),
            found: 0,
        },
    ];
    // Interleave the three per question so machine noise hits them alike.
    for q in &questions {
        let t = Instant::now();
        let hits = index.search(job, q, 5).expect("search");
        runs[0].times.push(t.elapsed());
        runs[0].found += usize::from(!hits.is_empty());

        let t = Instant::now();
        let hits = scan_per_query(&passages, q);
        runs[1].times.push(t.elapsed());
        runs[1].found += usize::from(!hits.is_empty());

        let t = Instant::now();
        let hits = scan_pretokenised(&sets, q);
        runs[2].times.push(t.elapsed());
        runs[2].found += usize::from(!hits.is_empty());
    }

    println!(
        "job: {} pages, {} passages, {:.1} MB of text; index also holds 20 other jobs of 50 pages",
        pages.len(),
        passages.len(),
        chars as f64 / 1e6
    );
    println!(
        "indexing the job (one commit, on disk): {:.2} s ({:.2} ms/page)",
        indexing.as_secs_f64(),
        indexing.as_secs_f64() * 1e3 / pages.len() as f64
    );
    println!("{} questions, latency in ms:", questions.len());
    println!(
        "{:<26} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "method", "mean", "p50", "p95", "p99", "max", "found"
    );
    for run in &mut runs {
        run.print();
    }
}
