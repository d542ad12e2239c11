# ocrchat: `just run` starts the service, `just test` runs every test. Both install what is
# missing first (Debian packages, libpdfium, Postgres/Redis started), idempotently.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Build outside the clone so every clone (and CI run) builds incrementally.
export CARGO_TARGET_DIR := env_var_or_default("CARGO_TARGET_DIR", env_var("HOME") + "/.cache/ocrchat/target")
# Tesseract must not spin OpenMP threads: one instance per worker thread instead (7x faster here).
export OMP_THREAD_LIMIT := "1"
# Link the libtesseract that `scripts/deps.sh tesseract` builds (same version and text as Debian's,
# up to 40% less CPU per page), statically; without it pkg-config finds the system library.
export PKG_CONFIG_PATH := env_var_or_default("OCRCHAT_CACHE", env_var("HOME") + "/.cache/ocrchat") + "/tesseract-5.3.0-pix/lib/pkgconfig"

# List the recipes.
default:
    @just --list

# Install missing system packages, libpdfium and our libtesseract build; make sure Postgres and Redis run.
deps:
    scripts/deps.sh system services pdfium tesseract

# Run the service (API + workers) on $OCRCHAT_ADDR (default 127.0.0.1:8080); Swagger UI at /docs.
# Without OCRCHAT_LLM_BASE_URL, a local llama-server answers chat (scripts/with-llm.sh).
run: deps
    scripts/deps.sh llama models model-qwen ppocr embeddings
    cargo build --release -p api
    scripts/with-llm.sh "$CARGO_TARGET_DIR/release/ocrchat" serve

# Run the whole test suite against the real stack (Postgres, Redis, Tesseract, pdfium).
test: deps
    scripts/deps.sh llama models ppocr embeddings
    OCRCHAT_CORPUS="$(scripts/deps.sh corpus)" cargo test --workspace --no-fail-fast -- --test-threads "${OCRCHAT_TEST_THREADS:-4}"

# Formatting and lints, as CI expects them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Regenerate the committed OpenAPI document from the code.
openapi:
    cargo run -q -p api --bin ocrchat -- openapi > openapi/openapi.json

# Benchmarks: ocrchat's engines against the reference tools, printed side by side.
bench: deps && bench-service bench-chat
    scripts/deps.sh embeddings
    OCRCHAT_CORPUS="$(scripts/deps.sh corpus)" cargo bench -p workers --bench ocr
    OCRCHAT_CORPUS="$(scripts/deps.sh corpus)" cargo bench -p search --bench retrieval
    OCRCHAT_CORPUS="$(scripts/deps.sh corpus)" cargo bench -p search --bench recall
    OCRCHAT_CORPUS="$(scripts/deps.sh corpus)" cargo bench -p workers --bench preprocess

# Runs the real service (its own database, Redis namespace and port) beside tesseract, pdfimages,
# pdftotext, OCRmyPDF and wrk in the same run and prints one table of ratios and goals. Arguments
# go to bench/service.py: --quick skips the 500-page job, --only inline,wrk runs some sections.
# The service end to end against the command-line tools (issue 10); `bench` runs it after the
# crate benchmarks.
[positional-arguments]
bench-service *ARGS: deps
    bench/setup.sh
    cargo build --release -p api
    OCRCHAT_CORPUS="$(scripts/deps.sh corpus)" python3 bench/service.py --binary "$CARGO_TARGET_DIR/release/ocrchat" "$@"

# Runs the real service on the documents of the shared chat questions (../shared/chat), asks each
# question with every local model whose GGUF is here and with none (the fallback answers), and
# prints each answer and one table: correct, absent facts uncited, citations verbatim, latency,
# goals. Arguments go to bench/chat.py: --models none,qwen0.5 picks models, --out DIR keeps
# results.json and the recognised page texts there.
# Chat quality end to end (OCR, retrieval, model, citations); `bench` runs it after bench-service.
[positional-arguments]
bench-chat *ARGS: deps
    scripts/deps.sh llama models model-qwen embeddings
    cargo build --release -p api
    OCRCHAT_CORPUS="$(scripts/deps.sh corpus)" python3 bench/chat.py --binary "$CARGO_TARGET_DIR/release/ocrchat" "$@"
