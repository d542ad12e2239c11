//! OCR throughput and accuracy on the developer corpus: the `OcrPool` (1 thread and N threads)
//! against the `tesseract` command (1 and N processes at a time) in the same run, on the same
//! machine, with the same languages.
//!
//! Run with `cargo bench -p workers --bench ocr` (or `just bench`). Environment:
//! `OCRCHAT_CORPUS` (default `../shared/corpus` beside the workspace), `OCRCHAT_PDFIUM_LIB`,
//! `OCRCHAT_TESSDATA`, `OCRCHAT_BENCH_THREADS` (N, default: available cores),
//! `OCRCHAT_BENCH_ONLY` (comma-separated subset of `pool,cli,ppocr,second,auto,single,rapidocr`,
//! default all of them, and `times`, run only when named; a goal line is printed when both of its
//! runs were made), `OCRCHAT_BENCH_TEXTS` (a directory: each run's text of each page is written
//! there, to read the errors behind a figure).
//!
//! What is compared: our side starts from the page images (decoding and rendering are timed
//! separately, once); the command gets what a user would give it: the original image file
//! (decoded by leptonica, its resolution tag read by itself) or, for a PDF page it cannot read,
//! our 300-dpi rendering with `--dpi`. Both run Tesseract with `OMP_THREAD_LIMIT=1` and the
//! default page segmentation. Our timings include creating each thread's Tesseract instances
//! (first use of each language), as the command pays its start-up on every page.
//!
//! Peak memory is this process's `VmHWM`, reset between stages through `/proc/self/clear_refs`.
//!
//! The second engine (issue 11): `ppocr` is our PP-OCR pipeline on the pool, `auto` the
//! service's per-page rule (`domain::engine`: Tesseract, then PP-OCR's second opinion where
//! Tesseract's confidence is low, the more confident reading kept), both with N pool threads
//! and one ONNX Runtime thread each; `second` is PP-OCR's second opinion on every page. The
//! reference is RapidOCR 3.10.0 in Python (same models, its default settings and threads) on
//! the same page images, written out as PNG before its clock starts; it runs when
//! `$OCRCHAT_CACHE/bench-venv` has it (`bench/setup.sh`). The last table lists each page's mean
//! word confidence under both engines: the inputs of the `auto` rule.

use anyhow::{bail, Context, Result};
use domain::{engine::Effort, FileKind, PageResult};
use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::Mutex,
    time::Instant,
};
use workers::engine::{
    input::{self, Limits},
    ocr::{self, OcrOptions, OcrPool, OcrRequest},
    page_engine::EngineKind,
    pdf::PdfEngine,
    ppocr::PpOcrConfig,
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
    /// The manifest's kind of document (`receipt-scan`, `handwritten`, …).
    doc_kind: String,
}

/// One measured configuration.
struct Run {
    engine: &'static str,
    threads: usize,
    seconds: f64,
    score: Score,
    per_page: Vec<Score>,
    peak_rss_mib: Option<f64>,
    /// Per page: the engine that produced the text and its mean word confidence (pool runs).
    readings: Vec<(&'static str, Option<f32>)>,
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
    let only = std::env::var("OCRCHAT_BENCH_ONLY").unwrap_or_default();
    let wanted = |run: &str| only.trim().is_empty() || only.split(',').any(|o| o.trim() == run);
    let mut runs = Vec::new();
    let mut counts = vec![1, threads];
    counts.dedup();
    if wanted("pool") {
        for &n in &counts {
            runs.push(run_pool(&pages, &tessdata, n, Arrival::AllAtOnce)?);
        }
    }
    if wanted("single") {
        runs.push(run_pool(&pages, &tessdata, threads, Arrival::OneByOne)?);
    }
    if wanted("cli") {
        for &n in &counts {
            runs.push(run_cli(&pages, &scratch, n)?);
        }
    }
    match PpOcrConfig::from_env() {
        Ok(config) if config.missing_files().is_empty() => {
            println!(
                "PP-OCR recogniser: {} (OCRCHAT_PPOCR_RECOGNISER=int8|float)",
                config.recogniser.file()
            );
            for (name, mode, arrival) in [
                ("ppocr", Mode::PpOcr, Arrival::AllAtOnce),
                ("second", Mode::SecondOpinion, Arrival::AllAtOnce),
                ("auto", Mode::Auto, Arrival::AllAtOnce),
                ("single", Mode::Auto, Arrival::OneByOne),
            ] {
                if wanted(name) {
                    runs.push(run_engines(
                        &pages, &tessdata, &config, threads, mode, arrival,
                    )?);
                }
            }
            if only.split(',').any(|o| o.trim() == "times") {
                print_page_times(&pages, &tessdata, &config)?;
            }
        }
        Ok(config) => println!("PP-OCR skipped: missing {:?}", config.missing_files()),
        Err(err) => println!("PP-OCR skipped: {err}"),
    }
    if wanted("rapidocr") {
        match run_rapidocr(&pages, &scratch) {
            Ok(Some(run)) => runs.push(run),
            Ok(None) => println!("RapidOCR skipped: run bench/setup.sh to install it"),
            Err(err) => println!("RapidOCR failed: {err:#}"),
        }
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
    print_kinds(&pages, &runs);
    print_readings(&pages, &runs);
    print_goals(&runs, pages.len());
    Ok(())
}

/// CER per document kind (micro-averaged over its pages), each run a column.
fn print_kinds(pages: &[Page], runs: &[Run]) {
    let mut kinds: Vec<&str> = pages.iter().map(|p| p.doc_kind.as_str()).collect();
    kinds.dedup();
    println!();
    print!("{:<34}", "CER per kind");
    for run in runs {
        print!(" {:>12}", format!("{} {}", short(run.engine), run.threads));
    }
    println!();
    for kind in kinds {
        print!("{kind:<34}");
        for run in runs {
            let score: Score = pages
                .iter()
                .zip(&run.per_page)
                .filter(|(p, _)| p.doc_kind == kind)
                .map(|(_, s)| *s)
                .sum();
            print!(" {:>11.2}%", score.rate() * 100.0);
        }
        println!();
    }
}

/// The inputs of the `auto` rule: each engine's mean word confidence and CER per page, and what
/// `auto` kept.
fn print_readings(pages: &[Page], runs: &[Run]) {
    let find = |engine: &str| runs.iter().find(|r| r.engine == engine);
    let (Some(tess), Some(pp), Some(auto)) =
        (find("ocrchat pool"), find("ppocr pool"), find("auto pool"))
    else {
        return;
    };
    println!();
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "auto rule inputs", "tess conf", "tess CER", "pp conf", "pp CER", "auto kept"
    );
    let conf = |c: Option<f32>| c.map_or_else(|| "-".to_owned(), |c| format!("{c:.3}"));
    for (i, page) in pages.iter().enumerate() {
        println!(
            "{:<34} {:>9} {:>8.2}% {:>9} {:>8.2}% {:>10}",
            page.label,
            conf(tess.readings[i].1),
            tess.per_page[i].rate() * 100.0,
            conf(pp.readings[i].1),
            pp.per_page[i].rate() * 100.0,
            auto.readings[i].0,
        );
    }
}

/// The goals, from this run's figures.
fn print_goals(runs: &[Run], pages: usize) {
    let find = |engine: &str| runs.iter().rev().find(|r| r.engine == engine);
    let rate = |r: &Run| pages as f64 / r.seconds;
    println!();
    if let (Some(pp), Some(rapid)) = (find("ppocr pool"), find("RapidOCR")) {
        println!(
            "ppocr pages/s {:.3} vs RapidOCR {:.3}: {:.2}x (goal >= 1.5x); CER {:.2}% vs {:.2}%",
            rate(pp),
            rate(rapid),
            rate(pp) / rate(rapid),
            pp.score.rate() * 100.0,
            rapid.score.rate() * 100.0
        );
    }
    if let (Some(auto), Some(tess)) = (find("auto single"), find("ocrchat single")) {
        println!(
            "one page at a time: auto {:.2} s a page vs tesseract-only {:.2} s: {:.2}x as long",
            auto.seconds / pages as f64,
            tess.seconds / pages as f64,
            auto.seconds / tess.seconds,
        );
    }
    if let (Some(auto), Some(tess)) = (find("auto pool"), find("ocrchat pool")) {
        println!(
            "auto pages/s {:.3} vs tesseract-only {:.3}: {:.2}x (goal >= 0.6x); CER {:.2}% vs \
             {:.2}% (goal <= 7%)",
            rate(auto),
            rate(tess),
            rate(auto) / rate(tess),
            auto.score.rate() * 100.0,
            tess.score.rate() * 100.0
        );
    }
}

/// Each page alone through each engine, one after another on one pool thread: where the time
/// of `auto` goes (`OCRCHAT_BENCH_ONLY=times`; not in the default set, it adds a minute).
fn print_page_times(pages: &[Page], tessdata: &Path, config: &PpOcrConfig) -> Result<()> {
    let pool = OcrPool::with_options(OcrOptions {
        threads: 1,
        ppocr: Some(config.clone()),
        ..OcrOptions::new(tessdata)
    });
    let time = |engine: EngineKind, effort: Effort, page: &Page| -> Result<(f64, PageResult)> {
        let started = Instant::now();
        let result = pool.recognize_at_blocking(
            engine,
            effort,
            OcrRequest {
                image: page.image.clone(),
                languages: page.languages.clone(),
                priority: 0,
            },
        )?;
        Ok((started.elapsed().as_secs_f64(), result))
    };
    // Loads each engine (and each language) before the clock matters.
    if let Some(page) = pages.first() {
        time(EngineKind::Tesseract, Effort::Full, page)?;
        time(EngineKind::PpOcr, Effort::Full, page)?;
    }
    println!();
    println!(
        "{:<34} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}",
        "seconds per page (1 thread)", "tess s", "ppocr s", "second s", "ratio", "words", "lines"
    );
    let (mut tess_total, mut pp_total, mut second_total) = (0.0, 0.0, 0.0);
    for page in pages {
        let (tess, _) = time(EngineKind::Tesseract, Effort::Full, page)?;
        let (pp, result) = time(EngineKind::PpOcr, Effort::Full, page)?;
        let (second, _) = time(EngineKind::PpOcr, Effort::SecondOpinion, page)?;
        tess_total += tess;
        pp_total += pp;
        second_total += second;
        let lines: usize = result.blocks.iter().map(|b| b.lines.len()).sum();
        println!(
            "{:<34} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>7}",
            page.label,
            tess,
            pp,
            second,
            pp / tess,
            result.word_count(),
            lines
        );
    }
    println!(
        "{:<34} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
        "all pages",
        tess_total,
        pp_total,
        second_total,
        pp_total / tess_total
    );
    Ok(())
}

/// How a run's pages reach the pool.
#[derive(Clone, Copy, PartialEq)]
enum Arrival {
    /// Every page submitted at once: throughput.
    AllAtOnce,
    /// One page after another, each submitted when the last is read: what a one-page request
    /// waits for on an otherwise idle server (`OCRCHAT_BENCH_ONLY=single`).
    OneByOne,
}

impl Arrival {
    fn callers(self, pages: &[Page]) -> usize {
        match self {
            Arrival::AllAtOnce => pages.len(),
            Arrival::OneByOne => 1,
        }
    }

    /// The run's name: `ocrchat pool` or `ocrchat single`.
    fn name(self, engine: &str) -> &'static str {
        match (engine, self) {
            ("ocrchat", Arrival::AllAtOnce) => "ocrchat pool",
            ("ocrchat", Arrival::OneByOne) => "ocrchat single",
            ("auto", Arrival::AllAtOnce) => "auto pool",
            ("auto", Arrival::OneByOne) => "auto single",
            ("ppocr", _) => "ppocr pool",
            _ => "second pool",
        }
    }
}

/// Which reading a [`run_engines`] run makes.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// PP-OCR on every page.
    PpOcr,
    /// PP-OCR on every page as `auto`'s second opinion (`domain::engine::Effort`): what the
    /// cheaper detection costs in accuracy, page by page.
    SecondOpinion,
    /// The service's `auto` rule.
    Auto,
}

/// All pages through a fresh pool with PP-OCR, submitted at once.
fn run_engines(
    pages: &[Page],
    tessdata: &Path,
    config: &PpOcrConfig,
    threads: usize,
    mode: Mode,
    arrival: Arrival,
) -> Result<Run> {
    reset_peak_rss();
    let pool = OcrPool::with_options(OcrOptions {
        threads,
        ppocr: Some(config.clone()),
        ..OcrOptions::new(tessdata)
    });
    let request = |page: &Page| OcrRequest {
        image: page.image.clone(),
        languages: page.languages.clone(),
        priority: 0,
    };
    let started = Instant::now();
    let callers = arrival.callers(pages);
    let results: Vec<Result<PageResult, ocr::OcrError>> = parallel(pages, callers, |page| {
        match mode {
            Mode::PpOcr => return pool.recognize_with_blocking(EngineKind::PpOcr, request(page)),
            Mode::SecondOpinion => {
                return pool.recognize_at_blocking(
                    EngineKind::PpOcr,
                    Effort::SecondOpinion,
                    request(page),
                )
            }
            Mode::Auto => {}
        }
        let first = pool.recognize_blocking(request(page))?;
        let readable = domain::engine::ppocr_reads_languages(&page.languages).unwrap_or(false);
        if !domain::engine::wants_second_reading(&first, readable) {
            return Ok(first);
        }
        let second =
            pool.recognize_at_blocking(EngineKind::PpOcr, Effort::SecondOpinion, request(page))?;
        Ok(if domain::engine::keep_second_reading(&first, &second) {
            second
        } else {
            first
        })
    });
    let seconds = started.elapsed().as_secs_f64();
    let peak_rss_mib = peak_rss_kib().map(|k| k as f64 / 1024.0);
    let name = match mode {
        Mode::PpOcr => arrival.name("ppocr"),
        Mode::SecondOpinion => arrival.name("second"),
        Mode::Auto => arrival.name("auto"),
    };
    scored_results(name, threads, seconds, pages, results, peak_rss_mib)
}

fn engine_name(engine: &str) -> &'static str {
    match engine {
        "ppocr" => "ppocr",
        "tesseract" => "tesseract",
        _ => "other",
    }
}

/// The pages through RapidOCR 3.10.0 in Python (`bench/rapidocr_pages.py`), one process
/// reading them one after another with its default threads; `None` when it is not installed.
fn run_rapidocr(pages: &[Page], scratch: &Path) -> Result<Option<Run>> {
    let cache = std::env::var_os("OCRCHAT_CACHE").map_or_else(
        || Path::new(&std::env::var_os("HOME").unwrap_or_default()).join(".cache/ocrchat"),
        PathBuf::from,
    );
    let python = cache.join("bench-venv/bin/python");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/rapidocr_pages.py");
    let probe = Command::new(&python)
        .args(["-c", "import rapidocr"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return Ok(None);
    }
    let mut inputs = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let png = scratch.join(format!("rapid-{i}.png"));
        page.image.image.save(&png)?;
        inputs.push(png);
    }
    let output = Command::new(&python)
        .arg(&script)
        .args(&inputs)
        // Its own thread settings, untouched by the limit this process runs under.
        .env_remove(ocr::OMP_THREAD_LIMIT)
        .output()?;
    if !output.status.success() {
        bail!("{}", String::from_utf8_lossy(&output.stderr));
    }
    let stdout = String::from_utf8(output.stdout)?;
    let mut texts = Vec::new();
    let mut seconds = 0.0;
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line)?;
        seconds += value["seconds"].as_f64().unwrap_or_default();
        texts.push(value["text"].as_str().unwrap_or_default().to_owned());
    }
    if texts.len() != pages.len() {
        bail!("RapidOCR answered {} of {} pages", texts.len(), pages.len());
    }
    Ok(Some(scored("RapidOCR", 0, seconds, pages, &texts, None)))
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
                doc_kind: entry.kind.clone(),
            });
        }
    }
    Ok(pages)
}

/// All pages through a fresh pool of `threads` threads, submitted at once.
fn run_pool(pages: &[Page], tessdata: &Path, threads: usize, arrival: Arrival) -> Result<Run> {
    reset_peak_rss();
    let pool = OcrPool::new(threads, tessdata);
    let started = Instant::now();
    let results: Vec<Result<PageResult, ocr::OcrError>> =
        parallel(pages, arrival.callers(pages), |page| {
            pool.recognize_blocking(OcrRequest {
                image: page.image.clone(),
                languages: page.languages.clone(),
                priority: 0,
            })
        });
    let seconds = started.elapsed().as_secs_f64();
    let peak_rss_mib = peak_rss_kib().map(|k| k as f64 / 1024.0);
    scored_results(
        arrival.name("ocrchat"),
        threads,
        seconds,
        pages,
        results,
        peak_rss_mib,
    )
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

/// [`scored`] for a pool run: the first failed page fails the run; each page's engine and
/// mean confidence are kept for the "auto rule inputs" table.
fn scored_results(
    engine: &'static str,
    threads: usize,
    seconds: f64,
    pages: &[Page],
    results: Vec<Result<PageResult, ocr::OcrError>>,
    peak_rss_mib: Option<f64>,
) -> Result<Run> {
    let mut texts = Vec::new();
    let mut readings = Vec::new();
    for (page, result) in pages.iter().zip(results) {
        let result = result.with_context(|| page.label.clone())?;
        readings.push((engine_name(&result.engine), result.mean_confidence));
        texts.push(result.text);
    }
    let mut run = scored(engine, threads, seconds, pages, &texts, peak_rss_mib);
    run.readings = readings;
    Ok(run)
}

fn scored(
    engine: &'static str,
    threads: usize,
    seconds: f64,
    pages: &[Page],
    texts: &[String],
    peak_rss_mib: Option<f64>,
) -> Run {
    if let Some(dir) = env_path("OCRCHAT_BENCH_TEXTS") {
        let _ = std::fs::create_dir_all(&dir);
        for (page, text) in pages.iter().zip(texts) {
            let name = format!("{}.{}{threads}.txt", page.label, short(engine)).replace(' ', "_");
            let _ = std::fs::write(dir.join(name), text);
        }
    }
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
        readings: Vec::new(),
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
