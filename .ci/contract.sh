#!/usr/bin/env bash
# The OpenAPI contract against the real server over one database: the
# server is started from the built binary and seeded with the fixtures; a
# client generated from the committed document by openapi-python-client
# plays each role, and with CONTRACT_FUZZ=1 schemathesis then runs every
# check (responses against their schemas, status codes, negative data).
#
# Usage: .ci/contract.sh DATABASE_URL PORT
# Needs: target/debug/mentor-match, and $VENV with openapi-python-client
# (see .ci/run), and schemathesis for CONTRACT_FUZZ=1.
set -euo pipefail
cd "$(dirname "$0")/.."
url=$1
port=$2
venv=${VENV:?set VENV to the virtual environment}
bin=target/debug/mentor-match
base="http://127.0.0.1:$port"
work=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

export DATABASE_URL=$url
"$bin" migrate >/dev/null
admin=$("$bin" keys create --role admin --label contract)
MENTOR_MATCH_BIND="127.0.0.1:$port" MENTOR_MATCH_RATE_LIMIT=0 MENTOR_MATCH_LOG_LEVEL=warn \
    "$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do curl -sf "$base/health" >/dev/null && break; sleep 0.2; done
curl -sf "$base/health" >/dev/null

# The fixtures first (keys scoped to the school need the school).
curl -sf -X POST "$base/api/v1/import" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' --data-binary @fixtures/school.json >/dev/null
system=$("$bin" keys create --role system --organization school-7 --label contract)
curator=$("$bin" keys create --role curator --organization school-7 --label contract)
analyst=$("$bin" keys create --role analyst --label contract)

echo "-- generated client as every role ($url)"
"$venv/bin/openapi-python-client" generate --path openapi/openapi.json \
    --config .ci/client-config.json --output-path "$work/client/mentor_match_client" --meta none >/dev/null
PYTHONPATH="$work/client" "$venv/bin/python" .ci/client_scenario.py \
    "$base" "$admin" "$system" "$curator" "$analyst" fixtures/school.json

# The fuzzing last: it may change or delete what the scenario reads. It
# runs with CONTRACT_FUZZ=1 (and schemathesis in $VENV), as .ci/run sets;
# every check is on (schemathesis's default), and any finding fails.
[ "${CONTRACT_FUZZ:-0}" = 1 ] || exit 0
echo "-- schemathesis against $base ($url)"
# One worker: hypothesis parses strategy sources with Python's `ast`, which
# is not thread-safe on CPython 3.11 (a CI run failed with "AST constructor
# recursion depth mismatch" under two workers).
"$venv/bin/schemathesis" --config-file .ci/schemathesis.toml run "$base/api-docs/openapi.json" \
    -H "Authorization: Bearer $admin" \
    --max-time "${CONTRACT_SECONDS:-150}" \
    --workers 1 \
    --request-timeout 20 \
    --seed 1 \
    --no-color \
    --suppress-health-check all
