#!/usr/bin/env bash
# Fuzzes the REST surface from its own OpenAPI document with schemathesis (PyPI),
# signed in as each role of the permission matrix, on a node seeded with data to act on.
#
# A node on a scratch SQLite data directory sends its mail to a local mailbox
# (scripts/fuzz/mailbox.py), reads Figma from a stand-in (scripts/fuzz/figma.py) and
# reaches its other services' stand-in addresses on loopback.
# scripts/fuzz/seed.py fills it through the public API: two organizations, a member of
# each role (invited by mail), every service connected and fed signed webhook
# deliveries, Figma synced (its design components), an agent of every type, tasks in
# every state, posts, schedules, and rows each role's run may consume. Then
# schemathesis runs once per role (viewer first, owner last) with scripts/fuzz/hooks.py:
# the role's token and organization on every request, seeded ids in paths and bodies,
# and the check that 401/403 come only where the matrix says: each operation's
# `x-permission` in the document, judged by the node's own matrix
# (`GET /api/auth/permissions`); a read of a seeded row no run consumes never answers
# 404. scripts/fuzz/summary.py prints, per role, the operations
# reached past authentication, the requests sent and the server errors, and fails the
# run on any 5xx, any operation a role never got past authentication, or any operation
# schemathesis reports as mostly rejecting generated data.
# Then, on the same node and seed, scripts/fuzz/graphql.py fuzzes GraphQL as each role:
# queries and mutations generated from the node's schema, with seeded ids (and B's),
# checked for server errors, database names, B's data and the matrix; its summary is
# printed under the REST one and fails the run on any violation.
#
# Usage: scripts/fuzz-api.sh <companyos binary>
# FUZZ_EXAMPLES (default 8) bounds the generated cases per operation and phase;
# FUZZ_ROLES (default "viewer member admin owner") picks the roles; FUZZ_WORKERS (default
# 1) sets schemathesis' workers; FUZZ_REPORT_DIR, when set, receives the seeded ids,
# every request's outcome, schemathesis' reports and outputs, the node's log and the
# requests the Figma stand-in answered.
# FUZZ_GRAPHQL_REQUESTS (default 1000) sets the GraphQL requests per role and
# FUZZ_RANDOM_SEED (default 0) seeds both generators (a run is repeatable).
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:?usage: scripts/fuzz-api.sh <path to the companyos binary>}
examples=${FUZZ_EXAMPLES:-8}
# One seed for both generators: a run is repeatable; set another to explore further.
random_seed=${FUZZ_RANDOM_SEED:-0}
roles=${FUZZ_ROLES:-viewer member admin owner}
# One worker: the node has the other core, and concurrent workers trip a race in
# CPython 3.11's ast module when Hypothesis describes a strategy.
workers=${FUZZ_WORKERS:-1}
venv=${COMPANYOS_VENV:-$HOME/.cache/companyos-venv}
schemathesis_version=4.32.5
fuzz=$PWD/scripts/fuzz

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$schemathesis_version"; then
    echo "==> installing schemathesis $schemathesis_version into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==$schemathesis_version"
fi

scratch=$(mktemp -d)
mkdir -p "$scratch/data" "$scratch/reports"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
# The services' API addresses: a loopback port nothing listens on, so syncs, reviews and
# publications fail at once instead of reaching the internet; Figma's is a stand-in
# (scripts/fuzz/figma.py) serving the fixtures' files, so that its sync brings design
# components.
standin="http://127.0.0.1:$(free_port)"
base="http://127.0.0.1:$port"

python3 "$fuzz/mailbox.py" "$scratch/mailbox.port" "$scratch/mailbox.jsonl" &
mailbox=$!
python3 "$fuzz/figma.py" "$scratch/figma.port" "$PWD/fixtures" "$scratch/figma.ndjson" &
figma=$!
node=
cleanup() {
    [ -n "$node" ] && { kill "$node" 2>/dev/null || true; wait "$node" 2>/dev/null || true; }
    kill "$mailbox" "$figma" 2>/dev/null || true
    wait "$mailbox" "$figma" 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT
for _ in $(seq 1 50); do [ -s "$scratch/mailbox.port" ] && [ -s "$scratch/figma.port" ] && break; sleep 0.1; done
[ -s "$scratch/mailbox.port" ] || { echo "the mailbox did not start" >&2; exit 1; }
[ -s "$scratch/figma.port" ] || { echo "the Figma stand-in did not start" >&2; exit 1; }

COMPANYOS_DATA_DIR="$scratch/data" COMPANYOS_LISTEN="127.0.0.1:$port" \
    COMPANYOS_AUTH_RATE_LIMIT_PER_MINUTE=100000 COMPANYOS_AUTH_TOKEN_RATE_LIMIT_PER_MINUTE=100000 \
    COMPANYOS_AUTH_ACCESS_TOKEN_TTL_SECS=3600 COMPANYOS_LOG_LEVEL=warn \
    COMPANYOS_MAIL_SMTP_URL="smtp://127.0.0.1:$(cat "$scratch/mailbox.port")" \
    COMPANYOS_AUTH_GITHUB_API_URL="$standin" COMPANYOS_INTEGRATIONS_VERCEL_API_URL="$standin" \
    COMPANYOS_INTEGRATIONS_FIGMA_API_URL="http://127.0.0.1:$(cat "$scratch/figma.port")" \
    COMPANYOS_INTEGRATIONS_TWITTER_API_URL="$standin" \
    COMPANYOS_INTEGRATIONS_LINKEDIN_API_URL="$standin" \
    "$binary" serve >"$scratch/node.log" 2>&1 &
node=$!

for _ in $(seq 1 100); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "$base/readyz" >/dev/null || { cat "$scratch/node.log"; echo "the node did not start" >&2; exit 1; }
curl -fsS "$base/api/openapi.json" >"$scratch/openapi.json"
# The node's permission matrix: what each operation's x-permission allows each role.
curl -fsS "$base/api/auth/permissions" >"$scratch/permissions.json"
export FUZZ_MATRIX="$scratch/permissions.json"

echo "==> seeding $base"
python3 "$fuzz/seed.py" "$base" "$scratch/mailbox.jsonl" "$PWD/fixtures" \
    "$scratch/seed.json" || { tail -n 50 "$scratch/node.log" >&2; exit 1; }

# Generated strings carry no NUL character: every route refuses one, naming the field,
# before its handler runs.
outcomes=()
for role in $roles; do
    echo "==> schemathesis as $role: $examples examples per operation and phase"
    # From the scratch directory: schemathesis keeps its cache where it runs.
    (cd "$scratch" && FUZZ_SEED="$scratch/seed.json" FUZZ_ROLE="$role" FUZZ_CALLS="$scratch/calls.ndjson" \
        FUZZ_RANDOM_SEED="$random_seed" \
        PYTHONPATH="$fuzz" SCHEMATHESIS_HOOKS=hooks \
        "$venv/bin/schemathesis" --config-file "$fuzz/schemathesis.toml" \
        run "$scratch/openapi.json" --url "$base" \
        --checks not_a_server_error,permission_matrix \
        --max-examples "$examples" \
        --seed "$random_seed" \
        --phases examples,coverage,fuzzing \
        --workers "$workers" \
        --suppress-health-check all \
        --generation-allow-x00 false \
        --no-color \
        --report json --report-json-path "$scratch/reports/$role.json") \
        >"$scratch/$role.out" 2>&1 && status=0 || status=$?
    outcomes+=("$role:$status")
    if [ "$status" -ne 0 ]; then
        cat "$scratch/$role.out"
    else
        grep -E '^ *[0-9]+ generated' "$scratch/$role.out" | sed 's/^ */    /' || true
    fi
done

status=0
PYTHONPATH="$fuzz" python3 "$fuzz/summary.py" "$scratch/openapi.json" "$scratch/calls.ndjson" \
    "$scratch/reports" "${outcomes[@]}" || status=1

# GraphQL, on the same node and seed, as the same roles.
echo "==> GraphQL as $roles"
FUZZ_GRAPHQL_LOG="$scratch/graphql.ndjson" FUZZ_RANDOM_SEED="$random_seed" PYTHONPATH="$fuzz" \
    python3 "$fuzz/graphql.py" "$scratch/seed.json" "$base" $roles || status=1
if [ -n "${FUZZ_REPORT_DIR:-}" ]; then
    mkdir -p "$FUZZ_REPORT_DIR"
    cp -r "$scratch/seed.json" "$scratch/calls.ndjson" "$scratch/reports" "$scratch/node.log" "$scratch"/*.out \
        "$FUZZ_REPORT_DIR"/ 2>/dev/null || true
    cp "$scratch/graphql.ndjson" "$scratch/figma.ndjson" "$FUZZ_REPORT_DIR"/ 2>/dev/null || true
fi
if grep -q "panicked" "$scratch/node.log"; then
    grep -B2 -A10 "panicked" "$scratch/node.log" >&2
    status=1
fi
exit $status
