//! The `ocrchat` binary: see `ocrchat --help`.

// mimalloc returns freed pages to the system: with glibc's allocator, a server that had decoded a
// few large page images sat at several hundred megabytes idle.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (include/mimalloc.h), which
/// libmimalloc-sys does not name.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

fn main() -> std::process::ExitCode {
    return_freed_memory_at_once();
    api::cli::main()
}

/// mimalloc purges freed pages 1 s after the free, but only when the freeing thread calls into
/// the allocator again; tokio's workers and the blocking pool go quiet when a job ends, so after
/// a 500-page job the server sat at 350 MB idle. Purging at once kept it at 211 MB (and the job's
/// peak at 427 MB instead of 577) at the same CPU per page. `MIMALLOC_PURGE_DELAY` still wins.
fn return_freed_memory_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's option words; valid at any time, from any thread.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
}
