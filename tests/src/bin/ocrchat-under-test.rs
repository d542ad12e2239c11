//! The real `ocrchat` entry point, built inside the tests package so that end-to-end tests can
//! start it as a separate process (`CARGO_BIN_EXE_ocrchat-under-test`) and kill it with SIGKILL.

fn main() -> std::process::ExitCode {
    api::cli::main()
}
