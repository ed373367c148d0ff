#!/usr/bin/env bash
# A local cluster of CompanyOS nodes on this machine, for trying cluster mode and for
# the load harness.
#
#   cluster/local.sh up N     start N nodes (127.0.0.1, consecutive ports) on one
#                             PostgreSQL database, and print one line per node,
#                             "<base URL> <process id>", once each answers /readyz
#   cluster/local.sh down     stop them (SIGTERM: each drains and leaves the cluster)
#   cluster/local.sh status   the members as GET /api/cluster would list them
#
# Settings (environment):
#   DATABASE_URL             the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
#                            the nodes share the database LOCAL_CLUSTER_DATABASE on it
#   LOCAL_CLUSTER_DATABASE   database name (default companyos_local_cluster; created if missing)
#   LOCAL_CLUSTER_BIN        the companyos binary (default: the debug build of this checkout,
#                            under CARGO_TARGET_DIR when it is set)
#   LOCAL_CLUSTER_DIR        where logs, data directories and process ids go
#                            (default ${TMPDIR:-/tmp}/companyos-local-cluster)
#   LOCAL_CLUSTER_BASE_PORT  the first node's port (default 18080)
#   LOCAL_CLUSTER_REDIS_URL  the Redis the nodes share rate limits, LLM budgets and the
#                            event bus through (default redis://127.0.0.1:6379, keys under
#                            "<database>:"); empty: none
#   LOCAL_CLUSTER_AMQP_URL   the RabbitMQ that carries word of runnable tasks to the nodes
#                            (default amqp://guest:guest@127.0.0.1:5672/%2f, queues under
#                            "<database>."); empty: none (the dispatchers poll the table)
# Every COMPANYOS_* setting in the environment is passed on to the nodes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${LOCAL_CLUSTER_DIR:-${TMPDIR:-/tmp}/companyos-local-cluster}"
server="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
database="${LOCAL_CLUSTER_DATABASE:-companyos_local_cluster}"
base_port="${LOCAL_CLUSTER_BASE_PORT:-18080}"
redis_url="${LOCAL_CLUSTER_REDIS_URL-redis://127.0.0.1:6379}"
amqp_url="${LOCAL_CLUSTER_AMQP_URL-amqp://guest:guest@127.0.0.1:5672/%2f}"
binary="${LOCAL_CLUSTER_BIN:-${CARGO_TARGET_DIR:-$here/target}/debug/companyos}"

usage() {
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

database_url() {
    # The server URL with its database replaced.
    local without_query="${server%%\?*}"
    local query=""
    [[ "$server" == *\?* ]] && query="?${server#*\?}"
    echo "${without_query%/*}/$database$query"
}

up() {
    local count="$1"
    [[ "$count" =~ ^[1-9][0-9]*$ ]] || { echo "up: N must be a positive whole number" >&2; exit 2; }
    [[ -x "$binary" ]] || { echo "no companyos binary at $binary: build it (cargo build -p companyos) or set LOCAL_CLUSTER_BIN" >&2; exit 2; }
    if [[ -n "$(ls "$dir"/*.pid 2>/dev/null)" ]]; then
        echo "a local cluster is already up under $dir: run '$0 down' first" >&2
        exit 2
    fi
    mkdir -p "$dir"
    [[ "$database" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "LOCAL_CLUSTER_DATABASE must be lower-case letters, digits and _" >&2; exit 2; }
    if ! psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
        psql "$server" -qc "CREATE DATABASE $database" >/dev/null
    fi
    # Every node must share the token secret and the master key.
    [[ -f "$dir/jwt.secret" ]] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/jwt.secret"
    [[ -f "$dir/master.key" ]] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/master.key"
    local url
    url="$(database_url)"
    for i in $(seq 1 "$count"); do
        local port=$((base_port + i - 1))
        mkdir -p "$dir/node-$i"
        DATABASE_URL="$url" \
        COMPANYOS_CLUSTER_ENABLED=true \
        COMPANYOS_CLUSTER_NODE="node-$i" \
        COMPANYOS_LISTEN="127.0.0.1:$port" \
        COMPANYOS_DATA_DIR="$dir/node-$i" \
        COMPANYOS_AUTH_JWT_SECRET="$(cat "$dir/jwt.secret")" \
        COMPANYOS_MASTER_KEY="$(cat "$dir/master.key")" \
        COMPANYOS_CLUSTER_REDIS_URL="${COMPANYOS_CLUSTER_REDIS_URL-$redis_url}" \
        COMPANYOS_CLUSTER_REDIS_PREFIX="${COMPANYOS_CLUSTER_REDIS_PREFIX-$database:}" \
        COMPANYOS_CLUSTER_AMQP_URL="${COMPANYOS_CLUSTER_AMQP_URL-$amqp_url}" \
        COMPANYOS_CLUSTER_AMQP_PREFIX="${COMPANYOS_CLUSTER_AMQP_PREFIX-$database.}" \
            nohup "$binary" serve > "$dir/node-$i.log" 2>&1 &
        echo $! > "$dir/node-$i.pid"
    done
    for i in $(seq 1 "$count"); do
        local port=$((base_port + i - 1)) pid
        pid="$(cat "$dir/node-$i.pid")"
        local ready=""
        for _ in $(seq 1 600); do
            if ! kill -0 "$pid" 2>/dev/null; then
                echo "node-$i exited before it was ready; its log ($dir/node-$i.log) ends:" >&2
                tail -5 "$dir/node-$i.log" >&2
                exit 1
            fi
            if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
                ready=1
                break
            fi
            sleep 0.1
        done
        [[ -n "$ready" ]] || { echo "node-$i did not answer /readyz within 60 s (log: $dir/node-$i.log)" >&2; exit 1; }
        echo "http://127.0.0.1:$port $pid"
    done
}

down() {
    local pids=()
    for file in "$dir"/*.pid; do
        [[ -e "$file" ]] || continue
        pids+=("$(cat "$file")")
    done
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 300); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -f "$dir"/*.pid
    echo "stopped ${#pids[@]} node(s)"
}

status() {
    psql "$(database_url)" -c "SELECT node_id, epoch, address, lease_until > clock_timestamp() AS live,
        (EXTRACT(EPOCH FROM clock_timestamp() - renewed_at) * 1000)::BIGINT AS lease_age_ms,
        (SELECT COUNT(*) FROM organization_leases l WHERE l.node_id = m.node_id AND l.node_epoch = m.epoch AND NOT l.released) AS organizations
        FROM cluster_members m ORDER BY node_id"
}

case "${1:-}" in
    up) [[ $# -eq 2 ]] || usage; up "$2" ;;
    down) down ;;
    status) status ;;
    *) usage ;;
esac
