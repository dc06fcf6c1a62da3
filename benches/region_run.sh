#!/usr/bin/env bash
# Region-wide programmes through the real server: a generated region is
# imported, one programme per partner form is put over the whole region
# (every school of it, one component), and each is run while `GET /health`
# is probed. Prints, per database and programme, the component, the run
# time, the p99 of `GET /health` meanwhile and the server's peak memory
# (VmHWM: the resident high-water mark of the server process since it
# started; the import runs before it, as its own command).
#
#   benches/region_run.sh [schools] [forms]
#       defaults: 800 schools (48,000 mentors, 85,600 mentees) and
#       "student_pupil employer_pupil"; PG_URL defaults to
#       postgres://postgres@127.0.0.1:5432/postgres (a scratch database
#       is created and dropped there).
set -euo pipefail
cd "$(dirname "$0")/.."
schools=${1:-800}
forms=${2:-student_pupil employer_pupil}
pg_admin=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build --release --quiet --bin mentor-match
bin=$PWD/target/release/mentor-match
work=$(mktemp -d)
server=
prober=
cleanup() {
    [ -n "$prober" ] && kill "$prober" 2>/dev/null || true
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
"$bin" generate --schools "$schools" --seed 7 > "$work/region.json"
port=18378

# The region's root organisation and, per form, a programme over it.
python3 - "$work" $forms <<'EOF'
import json, sys
work, forms = sys.argv[1], sys.argv[2:]
data = json.load(open(f"{work}/region.json"))
roots = [o["id"] for o in data["organizations"] if not o.get("parent_id")]
template = next(p for p in data["programmes"] if p["form"] in forms)
for form in forms:
    programme = {k: v for k, v in template.items() if k != "weights_normalised"}
    programme.update(
        id=f"{form.replace('_', '-')}-region",
        name=f"{form} — region",
        form=form,
        organization_ids=roots,
    )
    json.dump(programme, open(f"{work}/{form}.json", "w"), ensure_ascii=False)
EOF

hwm_mib() { awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

measure() { # $1 = database url
    local url=$1
    DATABASE_URL=$url "$bin" migrate 2> /dev/null
    DATABASE_URL=$url MENTOR_MATCH_LOG_LEVEL=warn "$bin" import "$work/region.json" > /dev/null
    local key
    key=$(DATABASE_URL=$url "$bin" keys create --role admin)
    DATABASE_URL=$url MENTOR_MATCH_BIND=127.0.0.1:$port MENTOR_MATCH_RATE_LIMIT=0 \
        MENTOR_MATCH_LOG_LEVEL=warn "$bin" serve &
    server=$!
    until curl -sf "http://127.0.0.1:$port/health" > /dev/null; do sleep 0.2; done
    local api=http://127.0.0.1:$port/api/v1 auth="Authorization: Bearer $key"
    echo "server after start: $(hwm_mib "$server") MiB"
    for form in $forms; do
        local programme=${form//_/-}-region
        curl -sf -o /dev/null -X PUT "$api/programmes/$programme" -H "$auth" \
            -H 'content-type: application/json' --data-binary "@$work/$form.json"
        (while :; do
            curl -s -o /dev/null -m 10 -w '%{time_total}\n' "http://127.0.0.1:$port/health"
            sleep 0.05
        done > "$work/health.txt") &
        prober=$!
        local start id status
        start=$(date +%s%N)
        id=$(curl -sf -X POST "$api/programmes/$programme/runs" -H "$auth" \
            -H 'content-type: application/json' -d '{"dry_run": true}' |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
        until status=$(curl -sf "$api/runs/$id?wait=60" -H "$auth" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])') &&
            case $status in done | failed) true ;; *) false ;; esac; do :; done
        local run_s=$(( ($(date +%s%N) - start) / 1000000000 ))
        kill "$prober"
        wait "$prober" 2> /dev/null || true
        prober=
        local p99 component
        p99=$(sort -n "$work/health.txt" | awk '{a[NR]=$1} END {i=int(NR*0.99); if (i<1) i=1; printf "%.0f ms of %d probes (max %.0f ms)", a[i]*1000, NR, a[NR]*1000}')
        component=$(curl -sf "$api/runs/$id" -H "$auth" | python3 -c '
import json, sys
r = json.load(sys.stdin)
s = r.get("stats") or (r.get("result") or {}).get("stats") or {}
print(s.get("largest_component"), "matched", s.get("mentees_matched"), "of", s.get("mentees_eligible"))')
        echo "$form: $status in ${run_s} s; component $component"
        echo "  GET /health p99 meanwhile: $p99"
        echo "  server peak memory so far: $(hwm_mib "$server") MiB"
    done
    kill "$server"
    wait "$server" 2> /dev/null || true
    server=
}

echo "== SQLite, $schools schools"
measure "sqlite:$work/region.db"
if psql -qtA "$pg_admin" -c 'SELECT 1' > /dev/null 2>&1; then
    db=region_run_$$
    psql -qtA "$pg_admin" -c "CREATE DATABASE $db" > /dev/null
    echo "== PostgreSQL, $schools schools"
    measure "${pg_admin%/*}/$db" || true
    psql -qtA "$pg_admin" -c "DROP DATABASE $db WITH (FORCE)" > /dev/null
fi
