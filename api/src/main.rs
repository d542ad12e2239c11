//! The `ocrchat` binary: see `ocrchat --help`.

// mimalloc returns freed pages to the system: with glibc's allocator, a server that had decoded a
// few large page images sat at several hundred megabytes idle.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    api::cli::main()
}
