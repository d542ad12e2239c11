//! The `ocrchat` binary: see `ocrchat --help`.

fn main() -> std::process::ExitCode {
    api::cli::main()
}
