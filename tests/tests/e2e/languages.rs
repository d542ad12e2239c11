//! Languages (issue 6): the installed-language listing, the codes a submit accepts, and
//! `language=auto` (orientation, script and language detected per page) measured against naming
//! the language, on real corpus scans and on pages rendered from real text in four non-Latin
//! scripts with the installed Noto fonts.
//!
//! The bound for `auto` is relative, like the corpus test's: detection must not cost more than
//! [`AUTO_SLACK`] of CER against the same page read with its language named. When detection is
//! right, `auto`'s final pass is the named language's own model on the same image, so the gap
//! is near zero; 3 points leave room for a second language added to a page (`deu+eng`) or a
//! first-pass script model kept on a page where detection was unsure, and are still far below
//! what a wrong language costs (a Latin page read as another Latin language loses 5 to 15 points
//! on its accents; a wrong script loses nearly everything).

use crate::support::{encode, sample_page, tiny_png};
use image::ImageFormat;
use serde_json::Value;
use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};
use tests::{corpus, Spawn, TestApp};
use workers::engine::score::char_score;

/// Most CER (absolute, 0..1) `auto` may lose against naming the language.
const AUTO_SLACK: f64 = 0.03;

/// A service whose anonymous allowance covers every page these tests submit.
async fn roomy_app() -> TestApp {
    TestApp::spawn_with(Spawn {
        configure: Box::new(|c| c.pricing.anonymous_daily = 1000),
        ..Spawn::default()
    })
    .await
}

/// Submits a file, waits for its end, and returns the job and how long it took.
async fn read(app: &TestApp, bytes: Vec<u8>, name: &str, fields: &[(&str, &str)]) -> (Value, f64) {
    let started = Instant::now();
    let (status, job) = app.submit(bytes, name, fields, None).await;
    assert_eq!(status, 200, "{name} {fields:?}: {job}");
    let job = match job["status"].as_str() {
        Some("done" | "failed") => job,
        _ => {
            app.wait_until_final(
                job["uuid"].as_str().expect("uuid"),
                None,
                Duration::from_secs(300),
            )
            .await
        }
    };
    assert_eq!(job["status"], "done", "{name} {fields:?}: {job}");
    (job, started.elapsed().as_secs_f64())
}

#[tokio::test(flavor = "multi_thread")]
async fn language_list_names_over_a_hundred_installed_languages_with_code_name_and_script() {
    let app = TestApp::spawn_with(Spawn {
        workers: false,
        ..Spawn::default()
    })
    .await;
    let (status, body) = app.get_json("/api/v1/languages/", None).await;
    assert_eq!(status, 200, "{body}");
    let entries = body["languages"].as_array().expect("languages is a list");
    assert_eq!(body["count"].as_u64(), Some(entries.len() as u64), "{body}");
    for entry in entries {
        for field in ["code", "name", "script", "tesseract", "kind"] {
            assert!(
                entry[field].as_str().is_some_and(|v| !v.trim().is_empty()),
                "entry without {field}: {entry}"
            );
        }
        // Listed means installed: the model file is on this machine.
        let model = app.config.tessdata.join(format!(
            "{}.traineddata",
            entry["tesseract"].as_str().unwrap()
        ));
        assert!(
            model.is_file(),
            "{} is listed but not installed",
            model.display()
        );
    }
    let languages: Vec<&Value> = entries.iter().filter(|e| e["kind"] == "language").collect();
    eprintln!(
        "GET /api/v1/languages/: {} entries, {} languages, {} script models",
        entries.len(),
        languages.len(),
        entries.len() - languages.len()
    );
    assert!(
        languages.len() >= 100,
        "only {} languages listed",
        languages.len()
    );
    let by_code = |code: &str| {
        entries
            .iter()
            .find(|e| e["code"] == code)
            .unwrap_or_else(|| panic!("no entry with code {code}"))
    };
    for (code, tesseract, script) in [
        ("en", "eng", "Latin"),
        ("de", "deu", "Latin"),
        ("fr", "fra", "Latin"),
        ("ar", "ara", "Arabic"),
        ("ja", "jpn", "Japanese"),
        ("ru", "rus", "Cyrillic"),
        ("hi", "hin", "Devanagari"),
        ("ch", "chi_sim", "Han"),
    ] {
        let entry = by_code(code);
        assert_eq!(entry["tesseract"], tesseract, "{entry}");
        assert_eq!(entry["script"], script, "{entry}");
        assert_eq!(entry["kind"], "language", "{entry}");
    }
    // Simplified Chinese answers to its ISO code too.
    let chinese = by_code("ch");
    assert!(
        chinese["aliases"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "zh")),
        "{chinese}"
    );
    // Script models are listed as such.
    let latin = entries
        .iter()
        .find(|e| e["tesseract"] == "Latin")
        .expect("the Latin script model is listed");
    assert_eq!(latin["kind"], "script", "{latin}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_language_code_is_refused_with_its_name() {
    let app = TestApp::spawn_with(Spawn {
        workers: false,
        ..Spawn::default()
    })
    .await;
    for (language, named) in [("klingon", "klingon"), ("de+qqx", "qqx"), ("zz", "zz")] {
        let (status, body) = app
            .submit(tiny_png(), "tiny.png", &[("language", language)], None)
            .await;
        assert_eq!(status, 400, "{language}: {body}");
        let message = body["error"].as_str().expect("error message");
        assert!(
            message.contains(&format!("'{named}'")),
            "the message names {named}: {message}"
        );
    }
    // Nothing was accepted, so nothing was charged.
    let (_, account) = app.get_json("/api/v1/account/", None).await;
    assert_eq!(account["used"], 0, "{account}");
}

#[tokio::test(flavor = "multi_thread")]
async fn combined_iso_639_3_and_tesseract_codes_are_read_with_their_models() {
    let app = roomy_app().await;
    for language in [
        "de+en", "deu", "ger", "deu+eng", "chi_sim", "zh-CN", "Fraktur", "Latin",
    ] {
        let (job, seconds) = read(&app, tiny_png(), "tiny.png", &[("language", language)]).await;
        assert_eq!(job["language"], language, "{job}");
        assert_eq!(job["pages"].as_array().map(Vec::len), Some(1), "{job}");
        // A named language is not detected: no detection fields.
        assert!(job["pages"][0].get("detected_language").is_none(), "{job}");
        eprintln!("language={language:<8} done in {seconds:.1} s");
    }
    // A band of German print read with `de+en` reads as German: its own words come out.
    let band = encode(&sample_page(), ImageFormat::Png);
    let (job, _) = read(&app, band, "band.png", &[("language", "de+en")]).await;
    let text = job["text"].as_str().unwrap_or_default();
    let truth = corpus::entry("de_print_antiqua_01.tif").ground_truth();
    let known = text
        .split_whitespace()
        .filter(|w| w.chars().count() >= 4 && truth.contains(*w))
        .count();
    assert!(
        known >= 20,
        "de+en read few of the page's words ({known}): {text:?}"
    );
}

/// One measured page: what `auto` found and both CERs.
struct Measured {
    label: String,
    expected: String,
    detected: String,
    script: String,
    confidence: f64,
    auto_cer: f64,
    named_cer: f64,
    auto_seconds: f64,
    named_seconds: f64,
}

impl Measured {
    fn print_header() {
        eprintln!(
            "{:<28} {:>8} {:>9} {:>11} {:>5} {:>8} {:>8} {:>6} {:>7} {:>7}",
            "page",
            "expected",
            "detected",
            "script",
            "conf",
            "CER auto",
            "CER name",
            "diff",
            "t auto",
            "t name"
        );
    }

    fn print(&self) {
        eprintln!(
            "{:<28} {:>8} {:>9} {:>11} {:>5.2} {:>7.1}% {:>7.1}% {:>+6.1} {:>6.1}s {:>6.1}s",
            self.label,
            self.expected,
            self.detected,
            self.script,
            self.confidence,
            self.auto_cer * 100.0,
            self.named_cer * 100.0,
            (self.auto_cer - self.named_cer) * 100.0,
            self.auto_seconds,
            self.named_seconds
        );
    }
}

/// Reads a page with `language=auto` and with `named`, and scores both against `truth`.
#[allow(clippy::too_many_arguments)]
async fn measure(
    app: &TestApp,
    label: &str,
    bytes: Vec<u8>,
    name: &str,
    named: &str,
    expected: &str,
    truth: &str,
    score: impl Fn(&str, &str) -> f64,
) -> Measured {
    let (auto, auto_seconds) = read(app, bytes.clone(), name, &[("language", "auto")]).await;
    let (explicit, named_seconds) = read(app, bytes, name, &[("language", named)]).await;
    let page = &auto["pages"][0];
    Measured {
        label: label.to_owned(),
        expected: expected.to_owned(),
        detected: page["detected_language"].as_str().unwrap_or("-").to_owned(),
        script: page["script"].as_str().unwrap_or("-").to_owned(),
        confidence: page["detection_confidence"].as_f64().unwrap_or(0.0),
        auto_cer: score(truth, auto["text"].as_str().unwrap_or_default()),
        named_cer: score(truth, explicit["text"].as_str().unwrap_or_default()),
        auto_seconds,
        named_seconds,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_finds_german_french_and_danish_on_corpus_scans_within_three_points_of_naming_them() {
    let app = roomy_app().await;
    let entries: Vec<corpus::Entry> = corpus::manifest()
        .into_iter()
        .filter(|e| ["de", "fr", "da"].contains(&e.lang.as_str()))
        .collect();
    assert!(
        entries.len() >= 5,
        "corpus has its German, French and Danish pages"
    );
    let mut rows = Vec::new();
    for entry in &entries {
        let expected = match entry.lang.as_str() {
            "de" => "deu",
            "fr" => "fra",
            _ => "dan",
        };
        let bytes = std::fs::read(entry.path()).expect("corpus file");
        let casefold = entry.casefold();
        let row = measure(
            &app,
            &entry.file,
            bytes,
            &entry.file,
            &entry.tess,
            expected,
            &entry.ground_truth(),
            |truth, text| char_score(truth, text, casefold).rate(),
        )
        .await;
        rows.push((entry.kind.clone(), row));
    }
    eprintln!("\nlanguage=auto against the named language, corpus scans:");
    Measured::print_header();
    for (_, row) in &rows {
        row.print();
    }
    for (kind, row) in &rows {
        if kind == "handwritten" {
            // Tesseract reads almost nothing of the handwritten will (CER near 100% with the
            // right language named too): there is no text to identify a language in, so only
            // the CER bound applies.
            assert!(
                row.auto_cer <= row.named_cer + AUTO_SLACK,
                "{}: auto CER {:.3} vs named {:.3}",
                row.label,
                row.auto_cer,
                row.named_cer
            );
            continue;
        }
        assert_eq!(row.detected, row.expected, "{}: wrong language", row.label);
        // OSD names Fraktur as a script of its own; auto then reads with `deu+Fraktur`.
        let script = if kind == "print-fraktur" {
            "Fraktur"
        } else {
            "Latin"
        };
        assert_eq!(row.script, script, "{}: wrong script", row.label);
        assert!(
            (0.0..=1.0).contains(&row.confidence) && row.confidence >= 0.5,
            "{}: detection confidence {}",
            row.label,
            row.confidence
        );
        assert!(
            row.auto_cer <= row.named_cer + AUTO_SLACK,
            "{}: auto CER {:.3} vs named {:.3}",
            row.label,
            row.auto_cer,
            row.named_cer
        );
    }
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(tests::unique_name());
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A page of running text in one script, written for these tests (everyday prose, a few
/// sentences in two paragraphs), with the font it is printed in.
struct Sample {
    /// File stem and label.
    stem: &'static str,
    /// What `auto` should detect (Tesseract name), also the language named for comparison.
    language: &'static str,
    /// What OSD should call the script.
    script: &'static str,
    /// An installed Noto family that has the script.
    font: &'static str,
    /// Right-to-left.
    rtl: bool,
    /// The paragraphs.
    paragraphs: &'static [&'static str],
}

const SAMPLES: &[Sample] = &[
    Sample {
        stem: "arabic",
        language: "ara",
        script: "Arabic",
        font: "Noto Naskh Arabic",
        rtl: true,
        paragraphs: &[
            "ذهبنا في الصباح إلى السوق القديم في وسط المدينة. كان الجو جميلا والشوارع مزدحمة \
             بالناس. اشترت أمي الخبز والفواكه والخضروات، واشترى أبي كتابا جديدا لأخي الصغير.",
            "بعد ذلك جلسنا في مقهى صغير وشربنا الشاي وتحدثنا عن العمل والدراسة. عدنا إلى البيت \
             قبل غروب الشمس، وكنا متعبين ولكن سعداء.",
        ],
    },
    Sample {
        stem: "chinese",
        language: "chi_sim",
        script: "Han",
        font: "Noto Serif CJK SC",
        rtl: false,
        paragraphs: &[
            "今天早上我们去了城市中心的图书馆。图书馆很大，里面有很多书和安静的阅读室。\
             我的妹妹借了两本关于动物的书，我借了一本历史书。",
            "中午我们在附近的小饭馆吃了面条。下午天气很好，我们在公园里散步，看见很多老人在下棋。\
             晚上回家以后，我们一起读书，一直读到十点。",
        ],
    },
    Sample {
        stem: "russian",
        language: "rus",
        script: "Cyrillic",
        font: "Noto Serif",
        rtl: false,
        paragraphs: &[
            "Утром мы вышли из дома и пошли к реке. Погода была тёплой, и над водой летали \
             птицы. Мой брат взял с собой книгу, а я нёс корзину с хлебом и яблоками.",
            "Мы сидели на берегу до обеда и говорили о школе, о друзьях и о лете. Вечером мы \
             вернулись домой усталые, но счастливые.",
        ],
    },
    Sample {
        stem: "hindi",
        language: "hin",
        script: "Devanagari",
        font: "Noto Serif Devanagari",
        rtl: false,
        paragraphs: &[
            "आज सुबह हम अपने दादा जी के साथ बाज़ार गए। बाज़ार में बहुत भीड़ थी और हर तरफ़ \
             रंग-बिरंगी दुकानें थीं। दादा जी ने ताज़ी सब्ज़ियाँ और फल खरीदे।",
            "मेरी बहन ने एक नई किताब ली। दोपहर को हम घर लौट आए और सबने मिलकर खाना खाया। \
             शाम को हमने बगीचे में खेल खेला।",
        ],
    },
];

impl Sample {
    fn text(&self) -> String {
        self.paragraphs.join("\n\n")
    }

    fn html(&self) -> String {
        let dir = if self.rtl { "rtl" } else { "ltr" };
        let body: String = self
            .paragraphs
            .iter()
            .map(|p| format!("<p dir=\"{dir}\">{p}</p>\n"))
            .collect();
        format!(
            "<html dir=\"{dir}\"><head><meta charset=\"utf-8\"></head>\
             <body dir=\"{dir}\" style=\"font-family:'{}';font-size:16pt\">\n{body}</body></html>\n",
            self.font
        )
    }
}

/// Prints every sample to PDF with headless LibreOffice (one run for all), then rasterises
/// each PDF's page at 300 dpi, grey, with pdftoppm, as a scanner would deliver it. Returns the
/// PNG of each sample, in order.
fn render_samples(scratch: &Scratch) -> Vec<PathBuf> {
    let html: Vec<PathBuf> = SAMPLES
        .iter()
        .map(|s| {
            let path = scratch.0.join(format!("{}.html", s.stem));
            std::fs::write(&path, s.html()).expect("write html");
            path
        })
        .collect();
    let out = scratch.0.join("pdf");
    let output = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            scratch.0.join("lo-profile").display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--infilter=HTML (StarWriter)",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(&out)
        .args(&html)
        .output()
        .expect("soffice runs (libreoffice-writer-nogui)");
    SAMPLES
        .iter()
        .map(|s| {
            let pdf = out.join(format!("{}.pdf", s.stem));
            assert!(
                pdf.is_file(),
                "LibreOffice did not print {}: {}",
                s.stem,
                String::from_utf8_lossy(&output.stderr)
            );
            let prefix = scratch.0.join(s.stem);
            let status = Command::new("pdftoppm")
                .args([
                    "-r",
                    "300",
                    "-gray",
                    "-png",
                    "-singlefile",
                    "-f",
                    "1",
                    "-l",
                    "1",
                ])
                .arg(&pdf)
                .arg(&prefix)
                .status()
                .expect("pdftoppm runs");
            assert!(status.success(), "pdftoppm failed on {}", pdf.display());
            prefix.with_extension("png")
        })
        .collect()
}

/// CER with all whitespace removed: the printed lines wrap where LibreOffice chose, and Han
/// text has no spaces a reader would count.
fn unspaced_cer(truth: &str, text: &str) -> f64 {
    let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    char_score(&strip(truth), &strip(text), false).rate()
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_finds_arabic_chinese_russian_and_hindi_on_printed_pages_within_three_points() {
    let scratch = Scratch::new();
    let pages = render_samples(&scratch);
    let app = roomy_app().await;
    let mut rows = Vec::new();
    for (sample, png) in SAMPLES.iter().zip(&pages) {
        let bytes = std::fs::read(png).expect("rendered page");
        let row = measure(
            &app,
            sample.stem,
            bytes,
            &format!("{}.png", sample.stem),
            sample.language,
            sample.language,
            &sample.text(),
            unspaced_cer,
        )
        .await;
        rows.push((sample, row));
    }
    eprintln!("\nlanguage=auto against the named language, pages printed with Noto fonts:");
    Measured::print_header();
    for (_, row) in &rows {
        row.print();
    }
    for (sample, row) in &rows {
        assert_eq!(row.script, sample.script, "{}: wrong script", row.label);
        assert_eq!(row.detected, row.expected, "{}: wrong language", row.label);
        assert!(
            row.confidence >= 0.5 && row.confidence <= 1.0,
            "{}: detection confidence {}",
            row.label,
            row.confidence
        );
        // The pages are clean prints: named, each reads nearly perfectly.
        assert!(
            row.named_cer < 0.10,
            "{}: named CER {:.3} (the rendering is broken?)",
            row.label,
            row.named_cer
        );
        assert!(
            row.auto_cer <= row.named_cer + AUTO_SLACK,
            "{}: auto CER {:.3} vs named {:.3}",
            row.label,
            row.auto_cer,
            row.named_cer
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_turns_pages_upside_down_and_sideways_upright_and_reads_them() {
    let app = roomy_app().await;
    let entry = corpus::entry("da_typewritten_01.jpg");
    let truth = entry.ground_truth();
    let upright = image::open(entry.path()).expect("corpus page decodes");
    let (job, _) = read(
        &app,
        encode(&upright, ImageFormat::Png),
        "upright.png",
        &[("language", "auto")],
    )
    .await;
    let upright_cer = char_score(&truth, job["text"].as_str().unwrap(), false).rate();
    assert!(
        job["pages"][0].get("rotation").is_none(),
        "{}",
        job["pages"][0]
    );
    let (width, height) = (
        job["pages"][0]["width"].clone(),
        job["pages"][0]["height"].clone(),
    );
    eprintln!("\norientation with language=auto ({}):", entry.file);
    eprintln!(
        "{:<26} {:>9} {:>9} {:>8} {:>7}",
        "page", "rotation", "detected", "CER", "time"
    );
    eprintln!(
        "{:<26} {:>9} {:>9} {:>7.1}% {:>7}",
        "upright",
        "-",
        job["pages"][0]["detected_language"].as_str().unwrap_or("-"),
        upright_cer * 100.0,
        "-"
    );
    // The scan turned clockwise by `turn`; turning it back takes `360 - turn` clockwise.
    for (turn, turned) in [
        (180u16, upright.rotate180()),
        (90, upright.rotate90()),
        (270, upright.rotate270()),
    ] {
        let name = format!("turned-{turn}.png");
        let (job, seconds) = read(
            &app,
            encode(&turned, ImageFormat::Png),
            &name,
            &[("language", "auto")],
        )
        .await;
        let page = &job["pages"][0];
        let cer = char_score(&truth, job["text"].as_str().unwrap(), false).rate();
        eprintln!(
            "{:<26} {:>9} {:>9} {:>7.1}% {:>6.1}s",
            format!("turned {turn}° clockwise"),
            page["rotation"].to_string(),
            page["detected_language"].as_str().unwrap_or("-"),
            cer * 100.0,
            seconds
        );
        assert_eq!(page["rotation"], 360 - turn, "{name}: {page}");
        // Boxes are in the upright frame: its width is the upright page's.
        assert_eq!(page["width"], width, "{name}: {page}");
        assert_eq!(page["height"], height, "{name}: {page}");
        assert_eq!(page["detected_language"], "dan", "{name}: {page}");
        assert!(
            cer <= upright_cer + AUTO_SLACK,
            "{name}: CER {cer:.3} vs upright {upright_cer:.3}"
        );
    }
}
