#!/bin/sh
# Submit a file to ocrchat, wait until it is read, print its text (curl and jq):
#     sh submit.sh page.png
set -eu
BASE="${OCRCHAT_URL:-http://127.0.0.1:8080}"
# OCRCHAT_TOKEN unset: an anonymous call.
ocr() { curl -sS --fail-with-body ${OCRCHAT_TOKEN:+-H "Authorization: Bearer $OCRCHAT_TOKEN"} "$@"; }

job=$(ocr -F "file=@$1" -F language=en "$BASE/api/v1/ocr/")
uuid=$(printf '%s' "$job" | jq -r .uuid)
status=$(printf '%s' "$job" | jq -r .status)
while [ "$status" != done ] && [ "$status" != failed ]; do  # files over 5 pages come back pending
  sleep 1
  job=$(ocr "$BASE/api/v1/ocr/$uuid/")
  status=$(printf '%s' "$job" | jq -r .status)
done
[ "$status" = done ] || { echo "failed: $(printf '%s' "$job" | jq -r .error)" >&2; exit 1; }

ocr "$BASE/api/v1/ocr/$uuid/download/?format=txt"
