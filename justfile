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
    scripts/deps.sh ppocr embeddings llama model-qwen
    cargo build --release -p api
    scripts/with-llm.sh "$CARGO_TARGET_DIR/release/ocrchat" serve

# Run the whole test suite against the real stack (Postgres, Redis, Tesseract, pdfium).
test: deps
    scripts/deps.sh system-test ppocr embeddings llama models schemathesis browser clients
    OCRCHAT_CORPUS="$(scripts/deps.sh corpus)" cargo test --workspace --no-fail-fast -- --test-threads "${OCRCHAT_TEST_THREADS:-4}"

# Formatting and lints, as CI expects them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Regenerate the committed OpenAPI document from the code.
openapi:
    cargo run -q -p api --bin ocrchat -- openapi > openapi/openapi.json

# The Python package (clients/python, openapi-python-client) and the TypeScript types
# (clients/typescript/schema.d.ts, openapi-typescript) under clients/typescript/client.ts. Run after
# `just openapi`: a test fails while they differ from what the spec generates, or a generator
# warns. The generators install once, pinned, under ~/.cache/ocrchat/clients-tools.
# Regenerate the committed clients from openapi/openapi.json.
clients:
    scripts/deps.sh clients
    clients/generate.sh

# Benchmarks: ocrchat's engines against the reference tools, printed side by side.
bench: deps && bench-service bench-chat
    scripts/deps.sh system-test ppocr embeddings
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
# goals; then retrieval recall@5 (BM25 alone beside hybrid) on the same recognised text.
# Arguments go to bench/chat.py: --models none,qwen0.5 picks models, --out DIR keeps
# results.json and the recognised page texts there.
# Chat quality end to end (OCR, retrieval, model, citations); `bench` runs it after bench-service.
[positional-arguments]
bench-chat *ARGS: deps
    scripts/deps.sh llama models model-qwen embeddings
    cargo build --release -p api
    OCRCHAT_CORPUS="$(scripts/deps.sh corpus)" python3 bench/chat.py --binary "$CARGO_TARGET_DIR/release/ocrchat" --recall "$@"

# Load test (issue 14, item 8): the real service (its own database, Redis namespace and port) under
# concurrent loopback clients for a bounded time (50 submitting small corpus crops, 200 polling, 20
# chatting, 60 s by default); then every accepted job must end `done` with each page once. Prints
# requests/s, statuses, p50/p99 per endpoint, pages/s, peak RSS, 429s, and PASS/FAIL for "nothing
# lost, no 5xx". Arguments go to bench/load.py: --seconds 120 --pollers 100 --field engine=tesseract.
[positional-arguments]
bench-load *ARGS: deps
    scripts/deps.sh system-test ppocr embeddings
    cargo build --release -p api
    OCRCHAT_CORPUS="$(scripts/deps.sh corpus)" python3 bench/load.py --binary "$CARGO_TARGET_DIR/release/ocrchat" "$@"

# Memory on purpose (issue 14, item 6): the corpus's bad/ files, a generated PNG just under the
# page-pixel limit and a PDF with one 200 x 200 inch page, one after another; prints the server's
# peak RSS per input and overall and its idle RSS 60 s after the last job, beside the goals
# (< 1 GB peak, < 300 MB idle). Arguments go to bench/memory.py: --only png,pdf --png-colour gray.
[positional-arguments]
bench-memory *ARGS: deps
    scripts/deps.sh system-test ppocr
    cargo build --release -p api
    OCRCHAT_CORPUS="$(scripts/deps.sh corpus)" python3 bench/memory.py --binary "$CARGO_TARGET_DIR/release/ocrchat" "$@"

# Fuzzes upload inspection with libFuzzer (issue 14): the targets in fuzz/ (`sniff`,
# `image_header`, `tiff_frames`, `pdf_inspect`) for SECONDS each, or only TARGET. Each corpus
# (fuzz/corpus/TARGET, not committed) is seeded from the shared corpus and its bad/ files, capped in
# size, and tiny generated files of every format; crash inputs land in fuzz/artifacts/TARGET/.
# cargo-fuzz needs nightly flags: RUSTC_BOOTSTRAP=1 allows them on stable. CI does not run this.
fuzz target="" seconds="600":
    #!/usr/bin/env bash
    set -euo pipefail
    scripts/deps.sh system pdfium tesseract
    eval "$(scripts/deps.sh env)"
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    # Fuzz the versions the service ships (fuzz/ is a workspace of its own, with its own lock).
    cp Cargo.lock fuzz/Cargo.lock
    export CARGO_TARGET_DIR="${OCRCHAT_CACHE:-$HOME/.cache/ocrchat}/fuzz-target" RUSTC_BOOTSTRAP=1
    corpus="$(scripts/deps.sh corpus)"
    tiny="$(mktemp -d)"; trap 'rm -rf "$tiny"' EXIT
    python3 fuzz/tiny_seeds.py "$tiny"
    shopt -s nullglob
    # seed TARGET MAX_BYTES FILE...: copies the files into TARGET's corpus, each cut to MAX_BYTES.
    seed() {
        local dir="fuzz/corpus/$1" cap="$2" file; shift 2; mkdir -p "$dir"
        for file in "$@"; do head -c "$cap" "$file" > "$dir/seed-$(basename "$file")"; done
    }
    seed sniff 4096 "$corpus"/*.* "$corpus"/bad/*.* "$tiny"/*
    images=()
    for ext in jpg png gif bmp webp tif; do
        images+=("$corpus"/*."$ext" "$corpus"/bad/*."$ext" "$tiny"/*."$ext")
    done
    seed image_header 262144 "${images[@]}"
    seed tiff_frames 1048576 "$corpus"/*.tif "$corpus"/bad/*.tif "$tiny"/*.tif
    seed pdf_inspect 1048576 "$corpus"/*.pdf "$corpus"/bad/*.pdf "$tiny"/*.pdf
    targets="{{target}}"
    for t in ${targets:-sniff image_header tiff_frames pdf_inspect}; do
        extra=(); [ "$t" = pdf_inspect ] && extra=(-max_len=1048576)
        # -a: with debug assertions, so an arithmetic overflow is a crash, as in the tests.
        cargo fuzz run -a "$t" "fuzz/corpus/$t" -- -max_total_time="{{seconds}}" \
            -rss_limit_mb=4096 -timeout=30 "${extra[@]}"
    done
