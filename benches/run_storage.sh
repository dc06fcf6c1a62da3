#!/usr/bin/env bash
# What stored runs cost, through the real server, on a generated region:
# database growth per run, the time of `GET /runs/{id}/scores`, and the
# time of an erasure with many stored runs, on SQLite and (when
# `PG_URL` answers) PostgreSQL side by side.
#
#   benches/run_storage.sh [schools] [runs] [programme]
#       defaults: 200 schools (12,000 mentors, 21,400 mentees), 8 runs,
#       programme teacher-pupil; PG_URL defaults to
#       postgres://postgres@127.0.0.1:5432/postgres (a scratch database
#       is created and dropped there).
set -euo pipefail
cd "$(dirname "$0")/.."
schools=${1:-200}
runs=${2:-8}
programme=${3:-teacher-pupil}
pg_admin=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build --release --quiet --bin mentor-match
bin=$PWD/target/release/mentor-match
work=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
"$bin" generate --schools "$schools" --seed 7 > "$work/region.json"
port=18377

size_of() { # database size in bytes
    case "$1" in
    sqlite:*)
        local file=${1#sqlite:}
        sqlite3 "$file" "PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
        stat -c %s "$file"
        ;;
    *) psql -qtA "$1" -c "CHECKPOINT" -c "SELECT pg_database_size(current_database())" | tail -1 ;;
    esac
}

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

measure() { # $1 = database url
    local url=$1
    DATABASE_URL=$url "$bin" migrate 2> /dev/null
    DATABASE_URL=$url "$bin" import "$work/region.json" > /dev/null
    local key
    key=$(DATABASE_URL=$url "$bin" keys create --role admin)
    DATABASE_URL=$url MENTOR_MATCH_BIND=127.0.0.1:$port MENTOR_MATCH_RATE_LIMIT=0 \
        MENTOR_MATCH_LOG_LEVEL=warn "$bin" serve &
    server=$!
    until curl -sf "http://127.0.0.1:$port/health" > /dev/null; do sleep 0.2; done
    local api=http://127.0.0.1:$port/api/v1 auth="Authorization: Bearer $key"
    local before after id start
    before=$(size_of "$url")
    local growth=() run_ms=() ids=()
    # Meanwhile, how fast the server answers others.
    (while :; do
        curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/health"
        sleep 0.02
    done > "$work/health.txt") &
    local prober=$!
    for i in $(seq 1 "$runs"); do
        local dry=false
        [ $((i % 2)) -eq 0 ] && dry=true
        start=$(date +%s%N)
        id=$(curl -sf -X POST "$api/programmes/$programme/runs" -H "$auth" \
            -H 'content-type: application/json' -d "{\"dry_run\": $dry}" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
        until case "$(curl -sf "$api/runs/$id?wait=60" -H "$auth" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" in
            done | failed) true ;; *) false ;; esac; do :; done
        run_ms+=("$(ms_since "$start")")
        ids+=("$id")
        after=$(size_of "$url")
        growth+=("$(( (after - before) / 1024 ))")
        before=$after
    done
    kill "$prober"
    local p99
    p99=$(sort -n "$work/health.txt" | awk '{a[NR]=$1} END {i=int(NR*0.99); if (i<1) i=1; printf "%.0f ms of %d", a[i]*1000, NR}')
    start=$(date +%s%N)
    local bytes
    bytes=$(curl -sf "$api/runs/${ids[0]}/scores" -H "$auth" | wc -c)
    local scores_ms
    scores_ms=$(ms_since "$start")
    # Erase a mentee every stored run read.
    local mentee
    mentee=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(next(m["id"] for m in d["mentees"] if m["kind"]=="pupil"))' "$work/region.json")
    start=$(date +%s%N)
    curl -sf -o /dev/null -X POST "$api/mentees/$mentee/consent/withdraw" -H "$auth"
    local erase_ms
    erase_ms=$(ms_since "$start")
    kill "$server"
    wait "$server" 2> /dev/null || true
    server=
    echo "growth per run (KiB): ${growth[*]}"
    echo "run time through the server (ms): ${run_ms[*]}"
    echo "GET /health during the runs, p99: $p99"
    echo "scores CSV of the first run: $bytes bytes in ${scores_ms} ms"
    echo "erasure of one pupil with $runs stored runs: ${erase_ms} ms"
    echo "database: $(( $(size_of "$url") / 1024 / 1024 )) MiB after all"
}

echo "== SQLite, $schools schools, $runs runs of $programme"
measure "sqlite:$work/storage.db"
if psql -qtA "$pg_admin" -c 'SELECT 1' > /dev/null 2>&1; then
    db=run_storage_$$
    psql -qtA "$pg_admin" -c "CREATE DATABASE $db" > /dev/null
    echo "== PostgreSQL, $schools schools, $runs runs of $programme"
    measure "${pg_admin%/*}/$db" || true
    psql -qtA "$pg_admin" -c "DROP DATABASE $db WITH (FORCE)" > /dev/null
fi
