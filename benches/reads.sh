#!/usr/bin/env bash
# The API reads' ceiling (BENCHMARKS.md, "The edge"): a release node on its own (SQLite
# in a fresh data directory, or the PostgreSQL server `READS_DATABASE_URL` names, which
# must be an empty database), an organization with 500 parked tasks and one agent, and
# `companyos-reads` confined to one core (`taskset -c 1`, one thread) reading the task
# list and the GraphQL agents query at 1, 8 and 32 connections. The node is not pinned.
#
#   bash benches/reads.sh                  # SQLite
#   READS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/reads bash benches/reads.sh
#
# Environment: READS_PORT (18080), READS_CONNECTIONS (1,8,32), READS_DURATION (10 s),
# READS_TASKS (500).
set -euo pipefail
cd "$(dirname "$0")/.."

port="${READS_PORT:-18080}"
connections="${READS_CONNECTIONS:-1,8,32}"
duration="${READS_DURATION:-10}"
tasks="${READS_TASKS:-500}"
target="${CARGO_TARGET_DIR:-target}"

cargo build --release -p companyos -p companyos-benches --bin companyos --bin companyos-reads
for tool in taskset curl python3; do
  command -v "$tool" > /dev/null || { echo "reads.sh needs $tool" >&2; exit 2; }
done

data="$(mktemp -d)"
node_pid=""
cleanup() {
  if [ -n "$node_pid" ]; then kill "$node_pid" 2> /dev/null || true; wait "$node_pid" 2> /dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

COMPANYOS_AUTH_TOKEN_RATE_LIMIT_PER_MINUTE=10000000 \
COMPANYOS_LOG_LEVEL=warn \
COMPANYOS_DATABASE_URL="${READS_DATABASE_URL:-}" \
  "$target/release/companyos" serve --listen "127.0.0.1:$port" --data-dir "$data" > "$data/node.log" 2>&1 &
node_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -sf "$base/readyz" > /dev/null && break
  sleep 0.2
done
curl -sf "$base/readyz" > /dev/null || { echo "the node did not become ready:" >&2; cat "$data/node.log" >&2; exit 1; }

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
registered="$(curl -sf "$base/api/auth/register" -H 'content-type: application/json' \
  -d '{"email":"reads@example.com","name":"Reads","password":"correct horse battery","organization":"Reads"}')"
token="$(printf '%s' "$registered" | json "['access_token']")"
org="$(printf '%s' "$registered" | json "['organization']['id']")"
api() { curl -sf -H "authorization: Bearer $token" -H "x-organization-id: $org" -H 'content-type: application/json' "$@"; }
agent="$(api "$base/api/agents" -d '{"name":"counter","type":"text_stats"}' | json "['id']")"
echo "seeding $tasks parked tasks"
for n in $(seq 1 "$tasks"); do
  api "$base/api/agent-tasks" -d "{\"agent_id\":\"$agent\",\"task_type\":\"count_text\",\"requires_approval\":true,\"description\":\"task $n\"}" > /dev/null
done

printf '%s' "$token" > "$data/token"
for path in tasks agents; do
  taskset -c 1 "$target/release/companyos-reads" --url "$base" --token-file "$data/token" \
    --organization "$org" --path "$path" --connections "$connections" --duration "$duration"
done
