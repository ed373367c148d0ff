#!/usr/bin/env bash
# Fuzzes the REST surface from its own OpenAPI document with schemathesis (PyPI): a
# node on a scratch SQLite data directory, an owner with an agent and a task, then a
# bounded number of generated requests per operation, authenticated as that owner.
# Any 5xx answer fails the run. Usage: scripts/fuzz-api.sh <companyos binary>
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:?usage: scripts/fuzz-api.sh <path to the companyos binary>}
examples=${FUZZ_EXAMPLES:-20}
venv=${COMPANYOS_VENV:-$HOME/.cache/companyos-venv}
schemathesis_version=4.32.5

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$schemathesis_version"; then
    echo "==> installing schemathesis $schemathesis_version into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==$schemathesis_version"
fi

data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
COMPANYOS_DATA_DIR="$data" COMPANYOS_LISTEN="127.0.0.1:$port" \
    COMPANYOS_AUTH_RATE_LIMIT_PER_MINUTE=100000 COMPANYOS_LOG_LEVEL=warn \
    "$binary" serve >"$data/node.log" 2>&1 &
node=$!
cleanup() {
    kill "$node" 2>/dev/null || true
    wait "$node" 2>/dev/null || true
    rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "$base/readyz" >/dev/null || { cat "$data/node.log"; echo "the node did not start" >&2; exit 1; }

json() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
registered=$(curl -fsS -H 'content-type: application/json' "$base/api/auth/register" \
    -d '{"email": "fuzz@example.com", "name": "Fuzz", "password": "correct horse", "organization": "Fuzz"}')
token=$(echo "$registered" | json "['access_token']")
org=$(echo "$registered" | json "['organization']['id']")
auth=(-H "Authorization: Bearer $token" -H "X-Organization-Id: $org" -H 'content-type: application/json')
agent=$(curl -fsS "${auth[@]}" "$base/api/agents" -d '{"name": "counter", "type": "text_stats"}' | json "['id']")
curl -fsS "${auth[@]}" "$base/api/agent-tasks" \
    -d "{\"agent_id\": \"$agent\", \"task_type\": \"count_text\", \"input\": {\"text\": \"a b\"}, \"requires_approval\": true}" >/dev/null

echo "==> schemathesis: $examples examples per operation against $base/api/openapi.json"
"$venv/bin/schemathesis" run "$base/api/openapi.json" \
    --checks not_a_server_error \
    --max-examples "$examples" \
    --phases examples,coverage,fuzzing \
    --workers 2 \
    --suppress-health-check all \
    -H "Authorization: Bearer $token" \
    -H "X-Organization-Id: $org" && status=0 || status=$?
if grep -q "panicked" "$data/node.log"; then
    grep -B2 -A10 "panicked" "$data/node.log" >&2
    exit 1
fi
exit $status
