//! OCR throughput and accuracy on the developer corpus: the `OcrPool` (1 thread and N threads)
//! against the `tesseract` command (1 and N processes at a time) in the same run, on the same
//! machine, with the same languages.
//!
//! Run with `cargo bench -p workers --bench ocr` (or `just bench`). Environment:
//! `OCRCHAT_CORPUS` (default `../shared/corpus` beside the workspace), `OCRCHAT_PDFIUM_LIB`,
//! `OCRCHAT_TESSDATA`, `OCRCHAT_BENCH_THREADS` (N, default: available cores).
//!
//! What is compared: our side starts from the page images (decoding and rendering are timed
//! separately, once); the command gets what a user would give it: the original image file
//! (decoded by leptonica, its resolution tag read by itself) or, for a PDF page it cannot read,
//! our 300-dpi rendering with `--dpi`. Both run Tesseract with `OMP_THREAD_LIMIT=1` and the
//! default page segmentation. Our timings include creating each thread's Tesseract instances
//! (first use of each language), as the command pays its start-up on every page.
//!
//! Peak memory is this process's `VmHWM`, reset between stages through `/proc/self/clear_refs`.

use anyhow::{bail, Context, Result};
use domain::{FileKind, PageResult};
use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::Mutex,
    time::Instant,
};
use workers::engine::{
    input::{self, Limits},
    ocr::{self, OcrPool, OcrRequest},
    pdf::PdfEngine,
    raster::{self, PageImage},
    score::{self, Score},
};

/// One corpus page and everything needed to recognise and score it.
struct Page {
    label: String,
    file: PathBuf,
    kind: FileKind,
    image: PageImage,
    truth: String,
    languages: String,
    casefold: bool,
}

/// One measured configuration.
struct Run {
    engine: &'static str,
    threads: usize,
    seconds: f64,
    score: Score,
    per_page: Vec<Score>,
    peak_rss_mib: Option<f64>,
}

fn main() -> Result<()> {
    // libgomp reads OMP_THREAD_LIMIT only at start-up: run again with it set if needed.
    ocr::reexec_with_omp_thread_limit().context("re-running with OMP_THREAD_LIMIT=1")?;
    let corpus = env_path("OCRCHAT_CORPUS")
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    let pdfium = env_path("OCRCHAT_PDFIUM_LIB").unwrap_or_else(|| {
        Path::new(&std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/ocrchat/pdfium-5.15.2/libpdfium.so")
    });
    let tessdata = env_path("OCRCHAT_TESSDATA")
        .unwrap_or_else(|| PathBuf::from("/usr/share/tesseract-ocr/5/tessdata"));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let threads = match std::env::var("OCRCHAT_BENCH_THREADS") {
        Ok(v) => v.parse().context("OCRCHAT_BENCH_THREADS")?,
        Err(_) => cores,
    };

    let pdf = PdfEngine::load(&pdfium)?;
    let started = Instant::now();
    let pages = load_pages(&corpus, &pdf)?;
    let prepare_seconds = started.elapsed().as_secs_f64();
    println!(
        "corpus {}: {} pages decoded/rendered in {prepare_seconds:.2} s ({:.1} pages/s, one thread); \
         OMP_THREAD_LIMIT={}, {cores} cores",
        corpus.display(),
        pages.len(),
        pages.len() as f64 / prepare_seconds,
        std::env::var(ocr::OMP_THREAD_LIMIT).unwrap_or_default(),
    );

    let held: usize = pages.iter().map(|p| p.image.image.as_bytes().len()).sum();
    println!(
        "page images held by the benchmark: {:.0} MiB (part of every peak RSS below)",
        held as f64 / (1024.0 * 1024.0)
    );

    let scratch = std::env::temp_dir().join(format!("ocrchat-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let mut runs = Vec::new();
    let mut counts = vec![1, threads];
    counts.dedup();
    for &n in &counts {
        runs.push(run_pool(&pages, &tessdata, n)?);
    }
    for &n in &counts {
        runs.push(run_cli(&pages, &scratch, n)?);
    }
    let _ = std::fs::remove_dir_all(&scratch);

    println!();
    println!(
        "{:<16} {:>7} {:>6} {:>8} {:>8} {:>8} {:>10}",
        "engine", "threads", "pages", "wall s", "pages/s", "CER", "peak RSS"
    );
    for run in &runs {
        println!(
            "{:<16} {:>7} {:>6} {:>8.2} {:>8.2} {:>7.2}% {:>10}",
            run.engine,
            run.threads,
            pages.len(),
            run.seconds,
            pages.len() as f64 / run.seconds,
            run.score.rate() * 100.0,
            run.peak_rss_mib
                .map_or_else(|| "-".to_owned(), |m| format!("{m:.0} MiB")),
        );
    }
    println!();
    print!("{:<34}", "CER per page");
    for run in &runs {
        print!(" {:>12}", format!("{} {}", short(run.engine), run.threads));
    }
    println!();
    for (i, page) in pages.iter().enumerate() {
        print!("{:<34}", page.label);
        for run in &runs {
            print!(" {:>11.2}%", run.per_page[i].rate() * 100.0);
        }
        println!();
    }
    Ok(())
}

fn short(engine: &str) -> &str {
    engine.split_whitespace().next().unwrap_or(engine)
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).map(PathBuf::from)
}

/// Decodes or renders every page of every corpus file.
fn load_pages(corpus: &Path, pdf: &PdfEngine) -> Result<Vec<Page>> {
    let limits = Limits::default();
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
                file: file.clone(),
                kind: inspection.kind,
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

/// All pages through a fresh pool of `threads` threads, submitted at once.
fn run_pool(pages: &[Page], tessdata: &Path, threads: usize) -> Result<Run> {
    reset_peak_rss();
    let pool = OcrPool::new(threads, tessdata);
    let started = Instant::now();
    let results: Vec<Result<PageResult, ocr::OcrError>> = parallel(pages, pages.len(), |page| {
        pool.recognize_blocking(OcrRequest {
            image: page.image.clone(),
            languages: page.languages.clone(),
            priority: 0,
        })
    });
    let seconds = started.elapsed().as_secs_f64();
    let peak_rss_mib = peak_rss_kib().map(|k| k as f64 / 1024.0);
    let mut texts = Vec::new();
    for (page, result) in pages.iter().zip(results) {
        texts.push(result.with_context(|| page.label.clone())?.text);
    }
    Ok(scored(
        "ocrchat pool",
        threads,
        seconds,
        pages,
        &texts,
        peak_rss_mib,
    ))
}

/// All pages through the `tesseract` command, `threads` processes at a time.
fn run_cli(pages: &[Page], scratch: &Path, threads: usize) -> Result<Run> {
    // PDF pages are written out before the clock starts: the command cannot read PDFs.
    let mut inputs = Vec::new();
    for page in pages {
        if page.kind == FileKind::Pdf {
            let png = scratch.join(format!("{}.png", page.label.replace(' ', "-")));
            page.image.image.save(&png)?;
            inputs.push((png, Some(page.image.dpi)));
        } else {
            inputs.push((page.file.clone(), None));
        }
    }
    let jobs: Vec<(&Page, &(PathBuf, Option<u32>))> = pages.iter().zip(&inputs).collect();
    let started = Instant::now();
    let texts: Vec<Result<String>> = parallel(&jobs, threads, |(page, (path, dpi))| {
        let mut command = Command::new("tesseract");
        command
            .arg(path)
            .arg("stdout")
            .args(["-l", &page.languages]);
        if let Some(dpi) = dpi {
            command.args(["--dpi", &dpi.to_string()]);
        }
        let output = command.env(ocr::OMP_THREAD_LIMIT, "1").output()?;
        if !output.status.success() {
            bail!(
                "tesseract on {}: {}",
                page.label,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    });
    let seconds = started.elapsed().as_secs_f64();
    let texts = texts.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(scored(
        "tesseract CLI",
        threads,
        seconds,
        pages,
        &texts,
        None,
    ))
}

fn scored(
    engine: &'static str,
    threads: usize,
    seconds: f64,
    pages: &[Page],
    texts: &[String],
    peak_rss_mib: Option<f64>,
) -> Run {
    let per_page: Vec<Score> = pages
        .iter()
        .zip(texts)
        .map(|(page, text)| score::char_score(&page.truth, text, page.casefold))
        .collect();
    Run {
        engine,
        threads,
        seconds,
        score: per_page.iter().copied().sum(),
        per_page,
        peak_rss_mib,
    }
}

/// Runs `f` over `items` on `threads` threads, keeping the order of the results.
fn parallel<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let i = {
                    let mut next = next.lock().unwrap_or_else(|e| e.into_inner());
                    let i = *next;
                    *next += 1;
                    i
                };
                let Some(item) = items.get(i) else { break };
                let result = f(item);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every item was processed"))
        .collect()
}

/// Resets this process's peak RSS counter (Linux: writing 5 to `clear_refs`).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's peak resident memory (`VmHWM`) in KiB.
fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
