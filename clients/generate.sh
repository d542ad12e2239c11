#!/usr/bin/env bash
# Regenerates the clients from the committed OpenAPI document (openapi/openapi.json):
#
#   clients/python/                  the Python package `ocrchat_client` (openapi-python-client)
#   clients/typescript/schema.d.ts   the TypeScript types (openapi-typescript), which
#                                    clients/typescript/client.ts (hand-written) calls through
#                                    openapi-fetch
#
#   clients/generate.sh        writes them into clients/ (`just clients`)
#   clients/generate.sh DIR    writes DIR/python and DIR/typescript/schema.d.ts instead; the
#                              test that keeps the committed clients current compares the two
#
# The generators come from `scripts/deps.sh clients` (pinned: clients/requirements.txt and
# clients/typescript/package-lock.json). A generator warning fails this script: a spec that a
# generator reads with a warning is a spec that generated clients get wrong somewhere.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/clients}"
tools="${OCRCHAT_CLIENTS_TOOLS:-${OCRCHAT_CACHE:-$HOME/.cache/ocrchat}/clients-tools}"
spec="$root/openapi/openapi.json"

for tool in "$tools/venv/bin/openapi-python-client" "$tools/node/node_modules/.bin/openapi-typescript"; do
  [ -x "$tool" ] || { echo "$tool is missing: run scripts/deps.sh clients" >&2; exit 1; }
done
mkdir -p "$out/typescript"
out="$(cd "$out" && pwd)"

# openapi-python-client formats what it writes with ruff (its post-hooks), found on PATH: the
# venv's, pinned, since ruff's version shapes the output. --overwrite replaces the whole folder.
# Run from the output folder so the path it prints is the same wherever DIR is.
(cd "$out" && PATH="$tools/venv/bin:$PATH" openapi-python-client generate --path "$spec" \
  --config "$root/clients/python-config.yaml" --meta uv --output-path python --overwrite \
  --fail-on-warning)
# ruff's cache is not part of the client.
rm -rf "$out/python/.ruff_cache"

# openapi-typescript prints its banner and any warning; keep what it says to judge it.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
(cd "$out/typescript" && "$tools/node/node_modules/.bin/openapi-typescript" "$spec" \
  --output schema.d.ts) >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
# Timings vary from run to run; keep the rest of what it said.
sed -E 's/ \[[0-9.]+ ?m?s\]$//' "$log"
if grep -qiE 'warn|⚠' "$log"; then
  echo "openapi-typescript warned about $spec (see above)" >&2
  exit 1
fi
