//! Upload inspection (`inspect`) with the real pdfium: no crash, no hang, and the outcome is
//! within the limits. pdfium is loaded once from `OCRCHAT_PDFIUM_LIB` (`scripts/deps.sh env`).
//!
//! pdfium itself is C++ built without coverage instrumentation, so libFuzzer is guided by the
//! Rust side only; what this target mostly finds is crashes and hangs on mutated real files.
#![no_main]

use domain::FileKind;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use workers::engine::{
    input::{inspect, Limits},
    pdf::PdfEngine,
};

fn engine() -> &'static PdfEngine {
    static ENGINE: OnceLock<PdfEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let library = std::env::var("OCRCHAT_PDFIUM_LIB")
            .expect("set OCRCHAT_PDFIUM_LIB (eval \"$(scripts/deps.sh env)\")");
        PdfEngine::load(library).expect("pdfium loads")
    })
}

fuzz_target!(|data: &[u8]| {
    // Everything else is `image_header`'s: spend the (slow) executions on what pdfium opens.
    if FileKind::sniff(data) != Some(FileKind::Pdf) {
        return;
    }
    let limits = Limits::default();
    match inspect(data, &limits, engine()) {
        Ok(inspection) => {
            assert_eq!(inspection.pages.len(), inspection.page_count as usize);
            assert!(inspection.page_count >= 1 && inspection.page_count <= limits.max_pages);
            for page in &inspection.pages {
                assert!(page.width >= 1 && page.height >= 1);
                assert!(page.width <= limits.max_dimension && page.height <= limits.max_dimension);
                assert!(u64::from(page.width) * u64::from(page.height) <= limits.max_page_pixels);
            }
        }
        Err(err) => assert!(!err.to_string().is_empty()),
    }
});
