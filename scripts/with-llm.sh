#!/usr/bin/env bash
# Runs a command with a chat model beside it: when OCRCHAT_LLM_BASE_URL is unset, starts
# llama.cpp's llama-server on a loopback port with the best local model (Qwen2.5-0.5B-class if
# `scripts/deps.sh model-qwen` fetched it, else SmolLM2-135M), points OCRCHAT_LLM_BASE_URL and
# OCRCHAT_LLM_MODEL at it, and stops it when the command ends. With OCRCHAT_LLM_BASE_URL set, the
# command runs as is (an external endpoint).
#
#   scripts/with-llm.sh "$CARGO_TARGET_DIR/release/ocrchat" serve
#
# Environment: OCRCHAT_CACHE (~/.cache/ocrchat), OCRCHAT_LLM_PORT (8081), OCRCHAT_LLM_MODEL_FILE
# (a GGUF to serve instead of the default choice), OCRCHAT_LLM_CONTEXT_TOKENS (4096).
set -euo pipefail

if [ -n "${OCRCHAT_LLM_BASE_URL:-}" ]; then
  exec "$@"
fi

CACHE="${OCRCHAT_CACHE:-$HOME/.cache/ocrchat}"
SERVER="${OCRCHAT_LLAMA_SERVER:-$CACHE/llama-0.94.0/llama-server}"
PORT="${OCRCHAT_LLM_PORT:-8081}"
CTX="${OCRCHAT_LLM_CONTEXT_TOKENS:-4096}"
MODEL="${OCRCHAT_LLM_MODEL_FILE:-}"
if [ -z "$MODEL" ]; then
  for candidate in "$CACHE/models/qwen2.5-0.5b-instruct.gguf" "$CACHE/models/smollm2-135m-instruct.gguf"; do
    if [ -f "$candidate" ]; then MODEL="$candidate"; break; fi
  done
fi
if [ ! -x "$SERVER" ] || [ -z "$MODEL" ]; then
  echo "[with-llm] no llama-server or model (run scripts/deps.sh llama models); chat will answer extractively" >&2
  exec "$@"
fi

echo "[with-llm] starting llama-server with $(basename "$MODEL") on 127.0.0.1:$PORT" >&2
# Passive OpenMP waiting: with spinning threads, 2 cores shared with OCR drop to a few tokens/s.
OMP_WAIT_POLICY=PASSIVE "$SERVER" -m "$MODEL" --host 127.0.0.1 --port "$PORT" -c "$CTX" -t 2 -np 1 \
  --alias local >"${TMPDIR:-/tmp}/ocrchat-llama-server.log" 2>&1 &
LLAMA_PID=$!
trap 'kill "$LLAMA_PID" 2>/dev/null || true; wait "$LLAMA_PID" 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 240); do
  if curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$LLAMA_PID" 2>/dev/null; then
    echo "[with-llm] llama-server exited; see ${TMPDIR:-/tmp}/ocrchat-llama-server.log" >&2
    exit 1
  fi
  sleep 0.5
done

export OCRCHAT_LLM_BASE_URL="http://127.0.0.1:$PORT/v1"
export OCRCHAT_LLM_MODEL="local"
export OCRCHAT_LLM_CONTEXT_TOKENS="$CTX"
# Not exec: llama-server must stop when the service ends. Signals go to the service (which shuts
# down gracefully on TERM); the EXIT trap then stops llama-server.
"$@" &
SERVICE_PID=$!
trap 'kill -TERM "$SERVICE_PID" 2>/dev/null || true' INT TERM
status=0
wait "$SERVICE_PID" || status=$?
# A trapped signal interrupts the first wait; wait for the service to finish shutting down.
if kill -0 "$SERVICE_PID" 2>/dev/null; then wait "$SERVICE_PID" || status=$?; fi
exit "$status"
