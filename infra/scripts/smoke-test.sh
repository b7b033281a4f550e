#!/usr/bin/env bash
# CI smoke test, part 2: upload the sample invoice to the deployed inbox bucket and poll Firestore until
# the invoice is SCORED. Fails on a terminal REJECTED / FAILED status or on timeout.
# Reads the Terraform outputs written by the apply step (build/tf-outputs.json).
# Usage: smoke-test.sh <file.pdf>   env: PROJECT_ID, SMOKE_OBJECT, SMOKE_TIMEOUT_S (default 600)
set -euo pipefail

file="${1:?usage: smoke-test.sh <file.pdf>}"
: "${PROJECT_ID:?PROJECT_ID is required}"
object="${SMOKE_OBJECT:-smoke/$(date +%s).pdf}"
timeout_s="${SMOKE_TIMEOUT_S:-600}"
outputs="${TF_OUTPUTS:-build/tf-outputs.json}"

read_output() {
  python3 -c 'import json, sys; v = json.load(open(sys.argv[1])); exec("for k in sys.argv[2:]: v = v[k]"); print(v)' "$outputs" "$@"
}

bucket="$(read_output buckets value inbox)"
database="$(read_output firestore_database value)"
collection="$(read_output function_environment value LEDGERX_COLLECTION_INVOICES)"

gcloud storage cp --content-type=application/pdf "$file" "gs://${bucket}/${object}"
generation="$(gcloud storage objects describe "gs://${bucket}/${object}" --format='value(generation)')"

# Same derivation as functions/core/pipeline/invoice-id.ts: sha256("bucket/name#generation"), 24 hex chars.
hash="$(printf '%s' "${bucket}/${object}#${generation}" | sha256sum | cut -c1-24)"
invoice_id="inv_${hash}"
echo "uploaded gs://${bucket}/${object}#${generation} -> ${invoice_id}"

url="https://firestore.googleapis.com/v1/projects/${PROJECT_ID}/databases/${database}/documents/${collection}/${invoice_id}"
deadline=$(( $(date +%s) + timeout_s ))
status="NOT_FOUND"
while [ "$(date +%s)" -lt "$deadline" ]; do
  token="$(gcloud auth print-access-token)"
  body="$(curl -s -H "Authorization: Bearer ${token}" "$url" || true)"
  status="$(printf '%s' "$body" | python3 -c 'import json, sys
try:
    doc = json.load(sys.stdin)
    print(doc.get("fields", {}).get("status", {}).get("stringValue", "NOT_FOUND"))
except ValueError:
    print("NOT_FOUND")')"
  echo "$(date -u +%H:%M:%S) ${invoice_id}: ${status}"
  case "$status" in
    SCORED) echo "smoke test passed"; exit 0 ;;
    REJECTED | FAILED) echo "smoke test failed: invoice ended ${status}" >&2; exit 1 ;;
  esac
  sleep 10
done
echo "smoke test timed out after ${timeout_s}s (last status ${status})" >&2
exit 1
