#!/usr/bin/env python3
"""The assignment solver beside SciPy and lapx on the same score matrices.

Every case is written once as a score-matrix CSV (the format of
GET /api/v1/runs/{id}/scores: a header of mentor ids, one row per mentee with
its id first, an empty cell where the pair is forbidden, a mentor with k
places as k identical columns) and solved by

* ours:   `mentor-match solve FILE --repeat N` (its own median solve time,
          reading the file excluded; coverage first, then the largest total);
* SciPy:  `scipy.optimize.linear_sum_assignment`;
* lapjvh: `lap.lapjvh` from lapx (dense Jonker-Volgenant);
* lapmod: `lap.lapmod` from lapx (sparse Jonker-Volgenant on compressed rows).

Only the solver call is timed for the Python solvers (median of --repeat);
the cost arrays are built beforehand, in the layout each solver takes without
copying (C-contiguous float64 for lapjvh, float64/int32 arrays for lapmod).

How the same problem is put to each of them:

* maximisation: cost = max_score - score (non-negative, as lapmod requires;
  a constant shift per cell changes no optimum when the number of matched
  rows is fixed, which the next point ensures);
* forbidden cells: absent in lapmod; a large finite cost in SciPy and lapjvh,
  BIG = (min(rows, cols) + 1) * (max_score - min_score + 1), large enough that
  one more allowed pair always outweighs any loss of score, so the optimum is
  the coverage-first one (the most pairs, then the largest total) and the
  forbidden pairs it still has are dropped before the total is taken;
* capacities: the CSV already repeats a mentor's column once per place, so
  every solver sees the same unit-capacity matrix (ours merges the identical
  columns back into one capacitated column itself);
* rectangles: with more rows than columns the Python solvers get the
  transpose (so rows <= columns and every row can be matched); SciPy and
  lapjvh (extend_cost=True: its native rectangular path, no padding) take the
  rectangle as it is; lapmod takes square matrices only, so the missing rows
  are added as dummy rows of cost 0 to every column.

A case passes when the four totals and numbers of matched pairs are equal.
The ratios printed are ours / theirs (below 1: ours is faster).

Cases (seeded; the first eight are the families of the README table):
  dense_n1000, dense_n2000     uniform scores 0..9999
  rect_1000x3000               1,000 mentees, 3,000 mentors
  cap4_2000x500x4              2,000 mentees, 500 mentors of 4 places
  ties_n2000                   scores 0..100
  tiespop_n2000                scores 0..100 skewed by mentor popularity
  block20x100, block10x200     schools: mentees and mentors of one school
                               only, rows and columns shuffled
  places_3500x1000x3           3,500 mentees, 1,000 mentors of 3 places
                               (more mentees than places)
  blocks_sparse_200x20         200 small schools of 20 + 20 (0.5 % allowed)
  employer_pupil               the employer-pupil matrix of a generated
                               region: `mentor-match generate --schools S
                               --seed 7`, its employer-pupil programme set to
                               the whole region, then `mentor-match match
                               --programme P --scores FILE` (every pair
                               allowed, more pupils than employers' places)

Usage:
  python3 benches/side_by_side.py [--bin target/release/mentor-match]
      [--cases a,b] [--repeat 5] [--dir DIR] [--schools 100]

Pinned requirements (benches/side_by_side.txt):
  pip install -r benches/side_by_side.txt   # numpy, scipy, lapx
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy
from scipy.optimize import linear_sum_assignment

import lap

SEED = 20261125
FORBIDDEN = np.iinfo(np.int64).min


def rng(k):
    return np.random.default_rng(SEED + k)


def blocks(r, schools, mentees, mentors):
    """`schools` schools of `mentees` x `mentors`; shuffled rows and columns."""
    row_school = r.permutation(np.repeat(np.arange(schools), mentees))
    col_school = r.permutation(np.repeat(np.arange(schools), mentors))
    w = r.integers(0, 10000, size=(schools * mentees, schools * mentors), dtype=np.int64)
    w[row_school[:, None] != col_school[None, :]] = FORBIDDEN
    return w


def tiespop():
    r = rng(6)
    pop, fit = r.random(2000), r.random((2000, 2000))
    return np.rint(100 * (0.6 * pop[None, :] + 0.4 * fit)).astype(np.int64)


# name -> function returning the score matrix (int64, FORBIDDEN where not allowed)
SYNTHETIC = {
    "dense_n1000": lambda: rng(1).integers(0, 10000, size=(1000, 1000), dtype=np.int64),
    "dense_n2000": lambda: rng(2).integers(0, 10000, size=(2000, 2000), dtype=np.int64),
    "rect_1000x3000": lambda: rng(3).integers(0, 10000, size=(1000, 3000), dtype=np.int64),
    "cap4_2000x500x4": lambda: np.repeat(
        rng(4).integers(0, 10000, size=(2000, 500), dtype=np.int64), 4, axis=1
    ),
    "ties_n2000": lambda: rng(5).integers(0, 101, size=(2000, 2000), dtype=np.int64),
    "tiespop_n2000": tiespop,
    "block20x100": lambda: blocks(rng(7), 20, 100, 100),
    "block10x200": lambda: blocks(rng(8), 10, 200, 200),
    "places_3500x1000x3": lambda: np.repeat(
        rng(9).integers(0, 10000, size=(3500, 1000), dtype=np.int64), 3, axis=1
    ),
    "blocks_sparse_200x20": lambda: blocks(rng(10), 200, 20, 20),
}
CASES = list(SYNTHETIC) + ["employer_pupil"]


def write_csv(path, w):
    rows, cols = w.shape
    with open(path, "w") as f:
        f.write("mentee," + ",".join(f"c{j}" for j in range(cols)) + "\n")
        for i in range(rows):
            f.write(f"r{i}," + ",".join("" if x == FORBIDDEN else str(x) for x in w[i]) + "\n")


def read_csv(path):
    """Scores of a CSV as exact integers (decimals scaled by 10^k as `solve` does)."""
    with open(path) as f:
        lines = [line.rstrip("\r\n").split(",") for line in f if line.strip()]
    cells = [row[1:] for row in lines[1:]]
    scale = max((len(c.split(".")[1]) for row in cells for c in row if "." in c), default=0)

    def value(c):
        if not c:
            return FORBIDDEN
        whole, _, frac = c.partition(".")
        neg = whole.startswith("-")
        mag = int(whole.lstrip("+-") or "0") * 10**scale + int((frac + "0" * scale)[:scale] or "0")
        return -mag if neg else mag

    return np.array([[value(c) for c in row] for row in cells], dtype=np.int64), scale


def employer_pupil(binary, workdir, schools, seed=7):
    """The employer-pupil score matrix of a generated region, exported by `match --scores`."""
    path = os.path.join(workdir, f"employer_pupil_s{schools}.csv")
    if os.path.exists(path):
        return path
    region = os.path.join(workdir, f"region_s{schools}.json")
    with open(region, "w") as f:
        subprocess.run([binary, "generate", "--schools", str(schools), "--seed", str(seed)],
                       stdout=f, check=True)
    with open(region) as f:
        data = json.load(f)
    # The generated employer-pupil programmes are per municipality; the region-wide one is
    # the same programme over the region (the organisation without a parent).
    programme = next(p for p in data["programmes"] if p["form"] == "employer_pupil")
    region_id = next(o["id"] for o in data["organizations"] if not o.get("parent_id"))
    programme = dict(programme, id="employer-pupil-region", organization_ids=[region_id])
    prog_path = os.path.join(workdir, f"programme_s{schools}.json")
    with open(prog_path, "w") as f:
        json.dump(programme, f)
    subprocess.run([binary, "match", "--input", region, "--programme", prog_path, "--scores", path],
                   stdout=subprocess.DEVNULL, check=True)
    return path


def timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, 1000 * statistics.median(times)


def result(w, rows, cols):
    """Total and number of matched pairs of (rows, cols), forbidden cells dropped."""
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    s = w[rows, cols]
    keep = s != FORBIDDEN
    return int(s[keep].sum()), int(keep.sum())


def python_solvers(w, repeat):
    """Median solve time and (total, matched) of SciPy, lapjvh and lapmod on the score matrix w."""
    allowed = w != FORBIDDEN
    lo, hi = int(w[allowed].min()), int(w[allowed].max())
    transposed = w.shape[0] > w.shape[1]
    wt = w.T if transposed else w
    al = allowed.T if transposed else allowed
    n, m = wt.shape
    big = float((min(n, m) + 1) * (hi - lo + 1))
    dense = np.ascontiguousarray(np.where(al, hi - wt, big), dtype=np.float64)

    def back(r, c):
        return (c, r) if transposed else (r, c)

    out = {}
    (r, c), ms = timed(lambda: linear_sum_assignment(dense), repeat)
    out["scipy"] = (result(w, *back(r, c)), ms)
    (_, r, c), ms = timed(lambda: lap.lapjvh(dense, extend_cost=n != m), repeat)
    out["lapjvh"] = (result(w, *back(r, c)), ms)

    # lapmod: compressed rows of the allowed cells, padded to a square matrix with dummy
    # rows of cost 0 to every column.
    counts = al.sum(axis=1)
    ii = np.zeros(m + 1, dtype=np.int32)
    ii[1:n + 1] = np.cumsum(counts)
    ii[n + 1:] = ii[n] + m * np.arange(1, m - n + 1)
    _, kk_real = np.nonzero(al)
    cc_real = (hi - wt[al]).astype(np.float64)
    kk = np.concatenate([kk_real, np.tile(np.arange(m), m - n)]).astype(np.int32)
    cc = np.concatenate([cc_real, np.zeros((m - n) * m)])
    (_, x, _), ms = timed(lambda: lap.lapmod(m, cc, ii, kk), repeat)
    r = np.arange(n)
    out["lapmod"] = (result(w, *back(r, x[:n])), ms)
    return out


def ours(binary, path, repeat):
    p = subprocess.run([binary, "solve", path, "--repeat", str(repeat)],
                       capture_output=True, text=True, check=True)
    res = json.loads(p.stdout)
    return (int(res["total_exact"].replace(".", "")), res["matched"]), res["solve_ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="target/release/mentor-match")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", default=None, help="where the CSV files are kept (default: a temp dir)")
    ap.add_argument("--schools", type=int, default=100, help="region size of employer_pupil")
    a = ap.parse_args()
    d = a.dir or tempfile.mkdtemp(prefix="side-by-side-")
    os.makedirs(d, exist_ok=True)
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, lapx {lap.__version__}; "
          f"median of {a.repeat}")
    head = ("case", "shape", "ours ms", "scipy ms", "lapjvh ms", "lapmod ms",
            "/scipy", "/lapjvh", "/lapmod", "totals")
    print("{:22} {:>16} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7}  {}".format(*head))
    ok = True
    for name in a.cases.split(","):
        if name == "employer_pupil":
            path = employer_pupil(a.bin, d, a.schools)
            w, _ = read_csv(path)
        else:
            w = SYNTHETIC[name]()
            path = os.path.join(d, name + ".csv")
            if not os.path.exists(path):
                write_csv(path, w)
        mine, ms = ours(a.bin, path, a.repeat)
        theirs = python_solvers(w, a.repeat)
        same = all(res == mine for res, _ in theirs.values())
        ok &= same
        t = {k: v[1] for k, v in theirs.items()}
        shape = f"{w.shape[0]}x{w.shape[1]}"
        print(f"{name:22} {shape:>16} {ms:9.1f} {t['scipy']:9.1f} {t['lapjvh']:9.1f} "
              f"{t['lapmod']:9.1f} {ms / t['scipy']:7.2f} {ms / t['lapjvh']:7.2f} "
              f"{ms / t['lapmod']:7.2f}  "
              + ("equal" if same else f"DIFFER ours {mine} " + " ".join(
                  f"{k} {v[0]}" for k, v in theirs.items())), flush=True)
    print("all totals equal" if ok else "TOTALS DIFFER")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
