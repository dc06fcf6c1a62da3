#!/usr/bin/env python3
"""The exact group search against an independent optimum: an integer program solved by CBC.

Reads the JSON lines written by `cargo run --release --example groups_exact -- instances N`
(one school-sized component per line: scores scaled by 10^6 with null for a forbidden pair,
`room` = new members each mentor may take, `held` = members already approved, `min`, `max`,
and the Rust result for `total` and `fair`), solves each instance as a MILP and compares.

Model: x[r,c] in {0,1} for allowed cells, y[c] in {0,1} for a mentor below `min`
(need = min - held > 0): sum_c x[r,c] <= 1; need*y <= sum_r x[r,c] <= room*y; for the other
mentors sum_r x[r,c] <= room. Lexicographic, one stage at a time, each stage fixing the
previous optimum: (1) max sum x; (2 total) max sum s*x; (2 fair) the largest threshold
t among the distinct scores such that no chosen cell is below t (a chain of binaries u[j],
"the threshold is at least values[j]", with x[r,c] + u[j] <= 1 where s[r,c] < values[j]), then
(3 fair) max sum s*x with every chosen cell >= t.

Usage:
  python3 -m venv .venv && .venv/bin/pip install pulp      # the wheel ships CBC
  cargo run --release --example groups_exact -- instances 60 > target/groups_instances.jsonl
  .venv/bin/python benches/groups_exact.py target/groups_instances.jsonl
Prints one line per family and every disagreement; exits 1 on any disagreement.
"""
import json
import sys
import time

import pulp


def solve(inst, objective):
    rows, cols = inst["rows"], inst["cols"]
    s = inst["scores"]
    cells = [(r, c) for r in range(rows) for c in range(cols) if s[r * cols + c] is not None]
    need = [max(inst["min"] - h, 0) for h in inst["held"]]
    room = [0 if inst["room"][c] < need[c] else inst["room"][c] for c in range(cols)]
    solver = pulp.PULP_CBC_CMD(msg=False)

    def model():
        m = pulp.LpProblem("groups", pulp.LpMaximize)
        x = {rc: pulp.LpVariable(f"x_{rc[0]}_{rc[1]}", cat="Binary") for rc in cells}
        for r in range(rows):
            m += pulp.lpSum(x[(r, c)] for c in range(cols) if (r, c) in x) <= 1
        for c in range(cols):
            load = pulp.lpSum(x[(r, c)] for r in range(rows) if (r, c) in x)
            if need[c] > 0:
                y = pulp.LpVariable(f"y_{c}", cat="Binary")
                m += load <= room[c] * y
                m += load >= need[c] * y
            else:
                m += load <= room[c]
        return m, x

    def run(m):
        status = m.solve(solver)
        assert pulp.LpStatus[status] == "Optimal", pulp.LpStatus[status]
        return pulp.value(m.objective) or 0

    m, x = model()
    m += pulp.lpSum(x.values())
    k = round(run(m))
    if objective == "total":
        m, x = model()
        m += pulp.lpSum(x.values()) == k
        m += pulp.lpSum(s[r * cols + c] * v for (r, c), v in x.items())
        return k, round(run(m)), None
    if k == 0:
        return 0, 0, None
    # Largest lowest score without a big-M: u[j] = 1 says "every chosen cell scores at
    # least values[j]"; the u form a chain, and a cell below values[j] excludes u[j].
    values = sorted({s[r * cols + c] for (r, c) in cells})
    m, x = model()
    m += pulp.lpSum(x.values()) == k
    u = [pulp.LpVariable(f"u_{j}", cat="Binary") for j in range(len(values))]
    for j in range(1, len(values)):
        m += u[j] <= u[j - 1]
    for (r, c), v in x.items():
        above = next((j for j, val in enumerate(values) if val > s[r * cols + c]), None)
        if above is not None:
            m += v + u[above] <= 1
    m += pulp.lpSum(u)
    low = values[round(run(m)) - 1]
    m, x = model()
    m += pulp.lpSum(x.values()) == k
    for (r, c), v in x.items():
        if s[r * cols + c] < low:
            m += v == 0
    m += pulp.lpSum(s[r * cols + c] * v for (r, c), v in x.items())
    return k, round(run(m)), low


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "target/groups_instances.jsonl"
    stats = {}
    bad = 0
    for line in open(path, encoding="utf-8"):
        inst = json.loads(line)
        fam = stats.setdefault(inst["family"], {"n": 0, "agree": 0, "optimal": 0,
                                                "rust_ms": [], "cbc_ms": []})
        fam["n"] += 1
        ok = True
        for objective in ("total", "fair"):
            rust = inst["rust"][objective]
            t = time.perf_counter()
            k, total, low = solve(inst, objective)
            fam["cbc_ms"].append((time.perf_counter() - t) * 1000)
            fam["rust_ms"].append(rust["ms"])
            fam["optimal"] += rust["optimal"]
            got = (rust["matched"], rust["total"], rust["min"] if objective == "fair" else None)
            want = (k, total, low)
            if got != want:
                ok = False
                print(f"DISAGREE {inst['family']} seed {inst['seed']} {objective}: "
                      f"rust {got} cbc {want}")
        fam["agree"] += ok
        bad += not ok
    for name, f in stats.items():
        med = lambda v: sorted(v)[len(v) // 2]
        print(f"limits {name}: {f['agree']}/{f['n']} seeds agree with CBC on total and fair; "
              f"{f['optimal']}/{2 * f['n']} solves proven optimal; median per solve "
              f"rust {med(f['rust_ms']):.2f} ms (max {max(f['rust_ms']):.1f}), "
              f"cbc {med(f['cbc_ms']):.0f} ms")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
