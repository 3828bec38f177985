#!/usr/bin/env python3
"""Replay baseline: the Python `eventsourcing` library's SQLite recorder replaying the same log as
`routeledger rebuild`, measured in the same run, alternating.

    pip install eventsourcing
    swift build -c release --product routeledger --product routeledger-bench
    .build/release/routeledger-bench --events 1000000 --only write --database /tmp/rl-1m.db
    python3 tools/eventsourcing_replay.py /tmp/rl-1m.db --runs 3

The events are copied from the RouteLedger database (type and data of each, in log order) into an
`eventsourcing` SQLiteApplicationRecorder (originator = the event id, version 1). The baseline replay
reads every notification in pages of 10,000 and decodes its JSON state (json.loads): reading and
deserializing the log, no fold. `routeledger rebuild` reads, decodes and folds every event and rewrites
the reload records and snapshots.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import tempfile
import time
import uuid

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore


def load(source: str, target: str) -> int:
    datastore = SQLiteDatastore(target, originator_id_type="text")
    recorder = SQLiteApplicationRecorder(datastore)
    recorder.create_table()
    db = sqlite3.connect(source)
    count = 0
    batch = []
    for (event_id, event_type, data) in db.execute("SELECT id, type, data FROM events ORDER BY seq"):
        batch.append(StoredEvent(originator_id=event_id, originator_version=1, topic=event_type, state=data.encode()))
        if len(batch) == 1000:
            recorder.insert_events(batch)
            count += len(batch)
            batch = []
    if batch:
        recorder.insert_events(batch)
        count += len(batch)
    return count


def replay(target: str) -> int:
    datastore = SQLiteDatastore(target, originator_id_type="text")
    recorder = SQLiteApplicationRecorder(datastore)
    count = 0
    start = 1
    while True:
        page = recorder.select_notifications(start, 10_000)
        if not page:
            return count
        for notification in page:
            json.loads(notification.state)
            count += 1
        start = page[-1].id + 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", help="a RouteLedger database (e.g. written by routeledger-bench --only write)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--routeledger", default=".build/release/routeledger")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        target = os.path.join(work, "eventsourcing.db")
        started = time.monotonic()
        events = load(args.database, target)
        print(f"loaded {events} events into eventsourcing in {time.monotonic() - started:.1f} s")
        ratios = []
        for run in range(1, args.runs + 1):
            started = time.monotonic()
            assert replay(target) == events
            baseline = events / (time.monotonic() - started)
            started = time.monotonic()
            subprocess.run([args.routeledger, "rebuild", "--db", args.database], check=True, stdout=subprocess.DEVNULL)
            ours = events / (time.monotonic() - started)
            ratios.append(ours / baseline)
            print(f"  run {run}: eventsourcing replay {baseline:,.0f} events/s, routeledger rebuild {ours:,.0f} events/s, ratio {ours / baseline:.2f}")
        ratios.sort()
        print(f"rebuild / eventsourcing replay, median of {args.runs}: {ratios[len(ratios) // 2]:.2f} (target >= 5)")


if __name__ == "__main__":
    main()
