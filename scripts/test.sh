#!/usr/bin/env bash
# Every test of CompanyOS: formatting, lints, and the whole workspace's tests — the
# store and queue contract suites run on SQLite and on the PostgreSQL that
# DATABASE_URL names (default postgres://postgres@127.0.0.1:5432/postgres).
# A service that is down fails its tests loudly; scripts/services.sh starts them.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> the fixtures' signature vectors (fixtures/tools/gen_vectors.py --check)"
python3 fixtures/tools/gen_vectors.py --check

echo "==> npm ci (the graphql-ws client the GraphQL subscription test drives)"
npm ci --prefix crates/api/tests/graphql-ws --silent --no-audit --no-fund

echo "==> cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --all-targets --locked --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for the whole run (cargo prints one per test binary).
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{sum += $1} END {print sum + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{sum += $1} END {print sum + 0}')

# The REST surface fuzzed from its own OpenAPI document (no 5xx allowed), with the
# binary the tests just built.
echo "==> REST fuzzing (schemathesis)"
if scripts/fuzz-api.sh "${CARGO_TARGET_DIR:-target}/debug/companyos"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    status=1
fi

echo
echo "$passed passed, $failed failed"
exit "$status"
