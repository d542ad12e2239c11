//! The TIFF page walk of upload inspection on any bytes: never panics or loops, allocates within
//! libFuzzer's limit, and never lists more pages than the server accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workers::engine::input::{fuzzing, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        // Small enough that the page-count refusal is reached, large enough for real scans.
        max_pages: 64,
        ..Limits::default()
    };
    match fuzzing::tiff_page_sizes(data, &limits) {
        Ok(pages) => assert!(pages.len() <= limits.max_pages as usize),
        Err(err) => assert!(!err.to_string().is_empty()),
    }
});
