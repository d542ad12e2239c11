//! Upload inspection of single images (PNG, JPEG, WEBP, GIF, BMP) and TIFFs, as `inspect` does it
//! (PDFs are `pdf_inspect`'s): never panics, allocates within libFuzzer's limit, and an accepted
//! file is within the limits it was inspected under.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workers::engine::input::{fuzzing, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let Some(result) = fuzzing::inspect_raster(data, &limits) else {
        return;
    };
    match result {
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
