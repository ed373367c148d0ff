#!/usr/bin/env bash
# Every test of CompanyOS: formatting, lints, the fixtures' vectors, the image and the
# Helm chart, the whole
# workspace's tests — the store and queue contract suites run on SQLite and on the
# PostgreSQL that DATABASE_URL names (default postgres://postgres@127.0.0.1:5432/postgres)
# — the console's unit and end-to-end tests, and a fuzz of the REST API. Every part runs
# even when an earlier one failed, so that a report is complete; the last line counts
# what passed and failed. A service that is down fails its tests loudly;
# scripts/services.sh starts them.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
passed=0
failed=0
failures=()

# Runs one check: counted as one passed or failed part.
check() {
    local name=$1
    shift
    echo "==> $name"
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$name")
        status=1
    fi
}

check "cargo fmt --check" cargo fmt --all -- --check
check "the fixtures' signature vectors (fixtures/tools/gen_vectors.py --check)" \
    python3 fixtures/tools/gen_vectors.py --check
# The image and the Helm chart, offline: hadolint, helm lint and render of every values
# combination, the manifests against the Kubernetes schemas, promtool on the alerts.
check "the image and the Helm chart (scripts/check-deploy.sh)" scripts/check-deploy.sh
check "npm ci (the graphql-ws client the GraphQL subscription test drives)" \
    npm ci --prefix crates/api/tests/graphql-ws --silent --no-audit --no-fund
# The console is built before cargo, whose build script embeds web/dist.
check "the console: npm ci (web/)" npm ci --prefix web --silent --no-audit --no-fund
check "the console: type check and build" npm run --prefix web build --silent
check "cargo clippy (warnings are errors)" \
    cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --all-targets --locked --no-fail-fast 2>&1 | tee "$log"
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    status=1
    failures+=("cargo test")
fi
# Each test of the workspace counts (cargo prints one line per test binary).
passed=$((passed + $(grep -Eo '[0-9]+ passed' "$log" | awk '{sum += $1} END {print sum + 0}')))
failed=$((failed + $(grep -Eo '[0-9]+ failed' "$log" | awk '{sum += $1} END {print sum + 0}')))

binary="${CARGO_TARGET_DIR:-target}/debug/companyos"
check "the console's unit tests (Vitest)" npm test --prefix web --silent
# Chromium driving the console served by the binary the tests just built.
check "the console end to end (Chromium)" node web/e2e/run.mjs "$binary"
# The API fuzzed signed in as each role, on a seeded node: REST from its own OpenAPI
# document (schemathesis) and GraphQL from its schema — no 5xx, no refusal the matrix
# does not make, no other organization's data, no database names.
check "API fuzzing signed in as each role (REST and GraphQL)" scripts/fuzz-api.sh "$binary"

echo
if [ "${#failures[@]}" -gt 0 ]; then
    printf 'failed: %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
exit "$status"
