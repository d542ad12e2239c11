#!/usr/bin/env bash
# Installs what bench/service.py needs beside what scripts/deps.sh installs, idempotently: each
# step checks first, says what it does, and does nothing when its piece is already there.
#   - Debian packages: wrk, poppler-utils (pdfimages, pdftotext, pdfunite), ghostscript, img2pdf,
#     LibreOffice Writer (soffice), python3-venv
#   - OCRmyPDF from PyPI in a venv at $OCRCHAT_CACHE/bench-venv (never in the repo)
#   - RapidOCR 3.10.0 with onnxruntime 1.32.0 in the same venv: the reference for our PP-OCR
#     engine (same models, run from Python), used only by the `ocr` bench
set -euo pipefail

CACHE="${OCRCHAT_CACHE:-$HOME/.cache/ocrchat}"
VENV="$CACHE/bench-venv"
OCRMYPDF_VERSION="17.13.0"
RAPIDOCR_VERSION="3.10.0"
ONNXRUNTIME_VERSION="1.32.0"

log() { echo "[bench-setup] $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for pkg in wrk poppler-utils ghostscript img2pdf libreoffice-writer-nogui python3-venv; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present: wrk poppler-utils ghostscript img2pdf libreoffice-writer-nogui"
fi

if [ "$("$VENV/bin/ocrmypdf" --version 2>/dev/null || true)" != "$OCRMYPDF_VERSION" ]; then
  log "installing ocrmypdf==$OCRMYPDF_VERSION from PyPI into $VENV"
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "ocrmypdf==$OCRMYPDF_VERSION"
else
  log "ocrmypdf $OCRMYPDF_VERSION present in $VENV"
fi

if [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("rapidocr"), m.version("onnxruntime"))' 2>/dev/null || true)" != "$RAPIDOCR_VERSION $ONNXRUNTIME_VERSION" ]; then
  log "installing rapidocr==$RAPIDOCR_VERSION onnxruntime==$ONNXRUNTIME_VERSION from PyPI into $VENV"
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "rapidocr==$RAPIDOCR_VERSION" "onnxruntime==$ONNXRUNTIME_VERSION"
else
  log "rapidocr $RAPIDOCR_VERSION and onnxruntime $ONNXRUNTIME_VERSION present in $VENV"
fi
