#!/usr/bin/env python3
"""`routeledger routes --seq 1` against `routes --seq LAST` as the CLI runs them (start-up, open, snapshot,
fold, print), alternating, on a log written by `routeledger-bench --only write`:

    python3 tools/compare/routes_cli.py /tmp/m1.db --routeledger .build-release/release/routeledger --runs 30

Prints the median of each and their ratio (issue 16: within 3x).
"""
import argparse
import sqlite3
import statistics
import subprocess
import time

parser = argparse.ArgumentParser()
parser.add_argument("database")
parser.add_argument("--routeledger", default=".build-release/release/routeledger")
parser.add_argument("--runs", type=int, default=30)
args = parser.parse_args()
last = sqlite3.connect(args.database).execute("SELECT max(seq) FROM events").fetchone()[0]
times = {1: [], last: []}
for _ in range(args.runs):
    for seq in (1, last):
        start = time.perf_counter()
        subprocess.run([args.routeledger, "routes", "--seq", str(seq), "--db", args.database], stdout=subprocess.DEVNULL, check=True)
        times[seq].append(time.perf_counter() - start)
first, end = statistics.median(times[1]), statistics.median(times[last])
print(f"routes --seq 1: {first * 1000:.1f} ms, routes --seq {last}: {end * 1000:.1f} ms, end / start {end / first:.2f} (median of {args.runs}, target <= 3)")
