#!/usr/bin/env bash
# Objectives side by side on a generated municipality: for every programme
# without group limits, the coverage, total score and blocking pairs of
# `total`, `rank_maximal`, `stable` and `stable_mentor`, all on the same
# data in one run (release build, `mentor-match match --objective`).
#
#   benches/objectives.sh [schools] [seed]     # defaults: 15 schools, seed 7
set -euo pipefail
cd "$(dirname "$0")/.."
schools=${1:-15}
seed=${2:-7}
cargo build --release --quiet --bin mentor-match
bin=target/release/mentor-match
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" generate --schools "$schools" --seed "$seed" > "$work/region.json"
for objective in total rank_maximal stable stable_mentor; do
    "$bin" match --input "$work/region.json" --objective "$objective" > "$work/$objective.json"
done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
objectives = ["total", "rank_maximal", "stable", "stable_mentor"]
runs = {o: json.load(open(f"{work}/{o}.json")) for o in objectives}
print(f"{'programme':<28} {'objective':<14} {'matched':>12} {'total score':>12} {'blocking':>9} {'ms':>9}")
for i, line in enumerate(runs["total"]["programmes"]):
    if line["stats"].get("groups"):
        continue
    for o in objectives:
        s = runs[o]["programmes"][i]["stats"]
        matched = f"{s['mentees_matched']}/{s['mentees_eligible']}"
        ms = s["timings"]["total_ms"] if "total_ms" in s["timings"] else sum(
            v for v in s["timings"].values() if isinstance(v, (int, float)))
        print(f"{line['programme_id']:<28} {o:<14} {matched:>12} {s['total_score']:>12.3f} "
              f"{s['blocking_pairs']:>9} {ms:>9.1f}")
PY
