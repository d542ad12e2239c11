//! What preprocessing, orientation detection and `language=auto` do to recognition on the
//! developer corpus, measured with the scoring rules of `corpus/README.md`.
//!
//! Run with `cargo bench -p workers --bench preprocess` (environment as for the `ocr` bench:
//! `OCRCHAT_CORPUS`, `OCRCHAT_PDFIUM_LIB`, `OCRCHAT_TESSDATA`, `OCRCHAT_BENCH_THREADS`).
//! Prints three tables:
//! 1. CER per document kind for each preprocessing step alone and for what the pipeline keeps
//!    (`engine::preprocess::prepare`), against no preprocessing; languages from the manifest;
//! 2. orientation: every page turned by 90°, 180° and 270°, whether OSD's call (above the
//!    confidence threshold) turns it back, and the CER of the pages turned 180° without and
//!    with the correction (Tesseract's own layout analysis already reads most pages turned
//!    by 90° or 270°, but not upside down);
//! 3. `language=auto` against the manifest's languages, page by page: the detected languages,
//!    both CERs and the time each took.
//!
//! Nothing here is tuned per file: each step is applied to every page, and a step is kept only
//! when the whole corpus gains.

use anyhow::{Context, Result};
use std::{
    collections::{BTreeMap, HashSet},
    path::{Path, PathBuf},
    time::Instant,
};
use workers::engine::{
    auto, detect,
    input::{self, Limits},
    ocr::{self, OcrPool, OcrRequest},
    pdf::PdfEngine,
    preprocess,
    raster::{self, PageImage},
    score::{self, Score},
};

/// One corpus page with its ground truth.
struct Page {
    label: String,
    kind: String,
    image: PageImage,
    truth: String,
    languages: String,
    casefold: bool,
}

type Step = (
    &'static str,
    fn(&image::DynamicImage) -> image::DynamicImage,
);

fn main() -> Result<()> {
    ocr::reexec_with_omp_thread_limit().context("re-running with OMP_THREAD_LIMIT=1")?;
    let corpus = env_path("OCRCHAT_CORPUS")
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    let pdfium = env_path("OCRCHAT_PDFIUM_LIB").unwrap_or_else(|| {
        Path::new(&std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/ocrchat/pdfium-5.15.2/libpdfium.so")
    });
    let tessdata = env_path("OCRCHAT_TESSDATA")
        .unwrap_or_else(|| PathBuf::from("/usr/share/tesseract-ocr/5/tessdata"));
    let threads = match std::env::var("OCRCHAT_BENCH_THREADS") {
        Ok(v) => v.parse().context("OCRCHAT_BENCH_THREADS")?,
        Err(_) => std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    let only: Option<String> = std::env::var("OCRCHAT_BENCH_ONLY").ok();
    let pdf = PdfEngine::load(&pdfium)?;
    let pages = load_pages(&corpus, &pdf)?;
    let pool = OcrPool::new(threads, &tessdata);
    let installed: HashSet<String> = ocr::installed_languages(&tessdata).into_iter().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    println!(
        "corpus {}: {} pages, {threads} OCR threads",
        corpus.display(),
        pages.len()
    );
    if only.as_deref().is_none_or(|o| o == "steps") {
        steps(&runtime, &pool, &pages);
    }
    if only.as_deref().is_none_or(|o| o == "orientation") {
        orientation(&runtime, &pool, &pages);
    }
    if only.as_deref().is_none_or(|o| o == "auto") {
        languages(&runtime, &pool, &pages, &installed);
    }
    Ok(())
}

/// One step's results: its name, CER per kind, CER per page, seconds spent preprocessing.
type Column<'a> = (&'a str, BTreeMap<String, Score>, Vec<f64>, f64);

/// Table 1: each step alone, and the pipeline's choice, against nothing.
fn steps(runtime: &tokio::runtime::Runtime, pool: &OcrPool, pages: &[Page]) {
    let steps: Vec<Step> = vec![
        ("none", |i| i.clone()),
        ("flatten", preprocess::flatten_background),
        ("deskew", |i| preprocess::deskew(i).0),
        ("grey", preprocess::grey),
        ("upscale", |i| preprocess::upscale_small_text(i).0),
        ("flat+grey", |i| {
            preprocess::grey(&preprocess::flatten_background(i))
        }),
        ("flat+deskew", |i| {
            preprocess::deskew(&preprocess::flatten_background(i)).0
        }),
        ("prepare", |i| preprocess::prepare(i.clone())),
    ];
    let mut columns: Vec<Column> = Vec::new();
    for (name, step) in &steps {
        let started = Instant::now();
        let prepared: Vec<PageImage> = pages
            .iter()
            .map(|p| {
                let image = step(&p.image.image);
                // An enlarged page represents a proportionally higher resolution.
                let factor = image.width() / p.image.image.width().max(1);
                PageImage {
                    image: std::sync::Arc::new(image),
                    dpi: p.image.dpi * factor.max(1),
                    ..p.image.clone()
                }
            })
            .collect();
        let prep_seconds = started.elapsed().as_secs_f64();
        let texts = recognise_all(runtime, pool, &prepared, pages);
        let mut by_kind: BTreeMap<String, Score> = BTreeMap::new();
        let mut per_page = Vec::new();
        for (page, text) in pages.iter().zip(&texts) {
            let s = score::char_score(&page.truth, text, page.casefold);
            *by_kind.entry(page.kind.clone()).or_default() += s;
            *by_kind.entry("ALL".into()).or_default() += s;
            per_page.push(s.rate());
        }
        eprintln!("  step {name}: done ({prep_seconds:.1} s preprocessing)");
        columns.push((name, by_kind, per_page, prep_seconds));
    }
    println!("\n1. CER (%) per kind, each preprocessing step applied to every page");
    print!("{:<18}", "kind");
    for (name, ..) in &columns {
        print!("{name:>12}");
    }
    println!();
    let kinds: Vec<String> = columns[0].1.keys().cloned().collect();
    for kind in &kinds {
        print!("{kind:<18}");
        for (_, by_kind, ..) in &columns {
            print!("{:>11.1}%", by_kind[kind].rate() * 100.0);
        }
        println!();
    }
    println!("\n   per page:");
    for (i, page) in pages.iter().enumerate() {
        print!("{:<32}", page.label);
        for (_, _, per_page, _) in &columns {
            print!("{:>11.1}%", per_page[i] * 100.0);
        }
        println!();
    }
    print!("{:<32}", "preprocessing seconds (all)");
    for (_, _, _, seconds) in &columns {
        print!("{seconds:>11.1}s");
    }
    println!();
}

/// Recognises prepared pages with the manifest's languages, all queued at once.
fn recognise_all(
    runtime: &tokio::runtime::Runtime,
    pool: &OcrPool,
    prepared: &[PageImage],
    pages: &[Page],
) -> Vec<String> {
    runtime.block_on(async {
        let requests = prepared.iter().zip(pages).map(|(image, page)| {
            pool.recognize(OcrRequest {
                image: image.clone(),
                languages: page.languages.clone(),
                priority: 0,
            })
        });
        futures::future::join_all(requests)
            .await
            .into_iter()
            .map(|r| r.map(|p| p.text).unwrap_or_default())
            .collect()
    })
}

/// Table 2: pages turned by a quarter, a half and three quarters.
fn orientation(runtime: &tokio::runtime::Runtime, pool: &OcrPool, pages: &[Page]) {
    println!(
        "\n2. Orientation: OSD on every page as is and turned (turn back when confidence >= {})",
        detect::ROTATE_MIN_CONFIDENCE
    );
    println!(
        "{:<32}{:>8}{:>8}{:>8}{:>8}   {:>10}{:>10}",
        "page", "0°", "90°", "180°", "270°", "CER 180° as is", "corrected"
    );
    let (mut right, mut wrong, mut left) = (0, 0, 0);
    let (mut as_is, mut corrected) = (Score::default(), Score::default());
    for page in pages {
        let mut calls = Vec::new();
        for turn in [0u16, 90, 180, 270] {
            let turned = auto::rotate(page.image.clone(), turn);
            let upright = runtime
                .block_on(auto::orient(pool, turned, 0))
                .expect("pool alive");
            let expected = (360 - turn) % 360;
            let call = match (upright.rotation, upright.orientation.as_ref()) {
                (r, _) if r == expected && r != 0 => {
                    right += 1;
                    "ok".to_owned()
                }
                (0, o) if expected == 0 => format!("ok{}", if o.is_none() { "?" } else { "" }),
                (0, o) => {
                    left += 1;
                    format!(
                        "kept{}",
                        o.map_or(String::new(), |o| format!(
                            "{:.0}",
                            o.orientation_confidence
                        ))
                    )
                }
                (r, _) => {
                    wrong += 1;
                    format!("bad{r}")
                }
            };
            calls.push(call);
            if turn == 180 {
                let turned = auto::rotate(page.image.clone(), 180);
                let texts = recognise_all(
                    runtime,
                    pool,
                    &[turned, upright.image],
                    &[page_copy(page), page_copy(page)],
                );
                as_is += score::char_score(&page.truth, &texts[0], page.casefold);
                corrected += score::char_score(&page.truth, &texts[1], page.casefold);
                calls.push(format!(
                    "{:>9.1}%{:>9.1}%",
                    score::cer(&page.truth, &texts[0], page.casefold) * 100.0,
                    score::cer(&page.truth, &texts[1], page.casefold) * 100.0
                ));
            }
        }
        println!(
            "{:<32}{:>8}{:>8}{:>8}{:>8}   {}",
            page.label, calls[0], calls[1], calls[2], calls[4], calls[3]
        );
    }
    println!(
        "turned pages set right: {right}, left as they were: {left}, turned wrongly: {wrong}; \
         CER of the pages turned 180°: {:.1}% as is, {:.1}% corrected",
        as_is.rate() * 100.0,
        corrected.rate() * 100.0
    );
}

fn page_copy(page: &Page) -> Page {
    Page {
        label: page.label.clone(),
        kind: page.kind.clone(),
        image: page.image.clone(),
        truth: page.truth.clone(),
        languages: page.languages.clone(),
        casefold: page.casefold,
    }
}

/// Table 3: `auto` against the manifest's languages.
fn languages(
    runtime: &tokio::runtime::Runtime,
    pool: &OcrPool,
    pages: &[Page],
    installed: &HashSet<String>,
) {
    println!("\n3. language=auto against the manifest's languages");
    println!(
        "{:<32}{:>12}{:>22}{:>10}{:>10}{:>8}{:>8}",
        "page", "named", "auto read with", "CER named", "CER auto", "s named", "s auto"
    );
    let (mut named_total, mut auto_total) = (Score::default(), Score::default());
    for page in pages {
        let started = Instant::now();
        let named = pool
            .recognize_blocking(OcrRequest {
                image: page.image.clone(),
                languages: page.languages.clone(),
                priority: 0,
            })
            .map(|p| p.text)
            .unwrap_or_default();
        let named_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let result = runtime.block_on(async {
            let upright = auto::orient(pool, page.image.clone(), 0).await?;
            auto::recognize_auto(
                pool,
                upright.image,
                upright.orientation.as_ref(),
                0,
                installed,
            )
            .await
        });
        let auto_seconds = started.elapsed().as_secs_f64();
        let (auto_text, read_with) = match result {
            Ok(p) => (p.text.clone(), p.language.clone()),
            Err(err) => (String::new(), format!("error: {err}")),
        };
        let (n, a) = (
            score::char_score(&page.truth, &named, page.casefold),
            score::char_score(&page.truth, &auto_text, page.casefold),
        );
        named_total += n;
        auto_total += a;
        println!(
            "{:<32}{:>12}{:>22}{:>9.1}%{:>9.1}%{:>8.1}{:>8.1}",
            page.label,
            page.languages,
            read_with,
            n.rate() * 100.0,
            a.rate() * 100.0,
            named_seconds,
            auto_seconds
        );
    }
    println!(
        "{:<32}{:>12}{:>22}{:>9.1}%{:>9.1}%",
        "overall (micro)",
        "",
        "",
        named_total.rate() * 100.0,
        auto_total.rate() * 100.0
    );
}

/// Every page of the corpus, rendered as the pipeline renders it, with its kind.
fn load_pages(corpus: &Path, pdf: &PdfEngine) -> Result<Vec<Page>> {
    let limits = Limits::default();
    let kinds = manifest_kinds(corpus)?;
    let mut pages = Vec::new();
    for entry in score::read_manifest(corpus).context("reading manifest.tsv")? {
        let file = corpus.join(&entry.file);
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let truth = std::fs::read_to_string(corpus.join(&entry.ground_truth))?;
        let truths = score::ground_truth_pages(&truth);
        let inspection = input::inspect(&bytes, &limits, pdf)
            .with_context(|| format!("inspecting {}", entry.file))?;
        for index in 0..inspection.page_count {
            let image = raster::render_page(&bytes, inspection.kind, index, pdf, &limits)
                .with_context(|| format!("{} page {index}", entry.file))?;
            pages.push(Page {
                label: if inspection.page_count > 1 {
                    format!("{} p{}", entry.file, index + 1)
                } else {
                    entry.file.clone()
                },
                kind: kinds.get(&entry.file).cloned().unwrap_or_default(),
                image,
                truth: truths
                    .get(index as usize)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
                languages: entry.languages.clone(),
                casefold: entry.casefold,
            });
        }
    }
    Ok(pages)
}

/// The `kind` column of `manifest.tsv`, by file.
fn manifest_kinds(corpus: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(corpus.join("manifest.tsv"))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let column = |name: &str| header.iter().position(|h| *h == name);
    let (file, kind) = (
        column("file").context("no file column")?,
        column("kind").context("no kind column")?,
    );
    Ok(lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|cols| cols.len() > file.max(kind))
        .map(|cols| (cols[file].to_owned(), cols[kind].to_owned()))
        .collect())
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).map(PathBuf::from)
}
