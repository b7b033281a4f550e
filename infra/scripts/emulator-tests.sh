#!/usr/bin/env bash
# CI step: run the contract and end-to-end suites against the Pub/Sub and Firestore emulators.
# Runs in the google-cloud-cli "emulators" image (Java + emulator components); adds the pinned Node.js,
# verified against the release's published checksums.
set -euo pipefail

: "${NODE_VERSION:?NODE_VERSION is required}"
PUBSUB_PORT="${PUBSUB_PORT:-8085}"
FIRESTORE_PORT="${FIRESTORE_PORT:-8086}"
PROJECT="${EMULATOR_PROJECT:-ledgerx-test}"

install_node() {
  local dist="node-v${NODE_VERSION}-linux-x64"
  local base="https://nodejs.org/dist/v${NODE_VERSION}"
  local tmp
  tmp="$(mktemp -d)"
  curl -fsSL -o "${tmp}/${dist}.tar.xz" "${base}/${dist}.tar.xz"
  curl -fsSL -o "${tmp}/SHASUMS256.txt" "${base}/SHASUMS256.txt"
  (cd "${tmp}" && grep " ${dist}.tar.xz\$" SHASUMS256.txt | sha256sum -c -)
  tar -xJf "${tmp}/${dist}.tar.xz" -C /opt
  export PATH="/opt/${dist}/bin:${PATH}"
}

wait_for() {
  local name="$1" url="$2"
  for _ in $(seq 1 60); do
    if curl -fs "${url}" >/dev/null 2>&1; then
      echo "${name} emulator ready"
      return 0
    fi
    sleep 1
  done
  echo "${name} emulator did not start" >&2
  return 1
}

install_node

# Job control: each emulator gets its own process group, so the trap can stop the Java children too.
set -m

gcloud beta emulators pubsub start --project="${PROJECT}" --host-port="127.0.0.1:${PUBSUB_PORT}" >/tmp/pubsub.log 2>&1 &
pubsub_pid=$!
gcloud emulators firestore start --host-port="127.0.0.1:${FIRESTORE_PORT}" >/tmp/firestore.log 2>&1 &
firestore_pid=$!
# The wrapper scripts do not exec the Java processes: stop the whole process groups on exit.
trap 'kill -- -"${pubsub_pid}" -"${firestore_pid}" 2>/dev/null || kill "${pubsub_pid}" "${firestore_pid}" 2>/dev/null || true' EXIT

wait_for pubsub "http://127.0.0.1:${PUBSUB_PORT}"
wait_for firestore "http://127.0.0.1:${FIRESTORE_PORT}"

export PUBSUB_EMULATOR_HOST="127.0.0.1:${PUBSUB_PORT}"
export FIRESTORE_EMULATOR_HOST="127.0.0.1:${FIRESTORE_PORT}"
export GOOGLE_CLOUD_PROJECT="${PROJECT}"
export METADATA_SERVER_DETECTION=none

npx vitest run test/contracts test/e2e
