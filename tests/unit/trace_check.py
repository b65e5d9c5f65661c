#!/usr/bin/env python3
"""Checks a weft trace (tests/unit/trace.c): Chrome trace-event JSON that
python's json module parses, with one named track per worker and on each
track the events the workload must have caused.

usage: trace_check.py TRACE WORKERS MIN_STEALS MIN_UNPARKS MONITOR_TIMERS
       [--dropped]
MONITOR_TIMERS: timers the monitor fired for stuck workers; those wakes are
on no worker's track, so a worker may then lack one.
"""
import json
import sys


def main():
    path = sys.argv[1]
    workers, min_steals, min_unparks, monitor_timers = map(int, sys.argv[2:6])
    dropped_expected = "--dropped" in sys.argv
    with open(path) as f:
        doc = json.load(f)
    events = doc["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events
             if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names == {i: f"worker {i}" for i in range(workers)}, names
    dropped = sum(e["args"]["dropped"] for e in events
                  if e["ph"] == "M" and e["name"] == "weft_dropped")
    if dropped_expected:
        assert dropped > 0, "the bound was not applied"
        print(f"ok: {len(events)} events, {dropped} dropped")
        return
    assert dropped == 0, dropped
    by = {i: [e for e in events if e.get("tid") == i and e["ph"] != "M"]
          for i in range(workers)}
    for tid, evs in by.items():
        for e in evs:
            assert e["pid"] == 1 and e["ts"] >= 0, e
            if e["ph"] == "X":
                assert e["dur"] >= 0, e
        slices = [e for e in evs if e["ph"] == "X" and e["cat"] == "task"]
        parks = [e for e in evs if e["ph"] == "X" and e["cat"] == "park"]
        timers = [e for e in evs if e["ph"] == "i" and e["cat"] == "timer"]
        pinned = [e for e in slices if e["name"] == f"pinned-{tid}"]
        assert pinned, f"worker {tid}: no run slice of pinned-{tid}"
        assert all(e["args"]["site"].startswith(("/", "weft_run"))
                   or ".c:" in e["args"]["site"] for e in slices)
        assert monitor_timers or any(
            e["args"]["task"] == f"pinned-{tid}" for e in timers), \
            f"worker {tid}: no timer wake of pinned-{tid}"
        assert parks, f"worker {tid}: no park"
        # Slices on one track do not overlap (one task at a time).
        xs = sorted((e["ts"], e["ts"] + e["dur"]) for e in slices + parks)
        for (a0, a1), (b0, b1) in zip(xs, xs[1:]):
            assert b0 >= a1 - 0.002, f"worker {tid}: overlap {a0}-{a1} {b0}"
        print(f"worker {tid}: {len(slices)} run slices, {len(parks)} parks, "
              f"{len(timers)} timer wakes")
    steals = [e for e in events if e["ph"] == "i" and e.get("cat") == "steal"]
    unparks = [e for e in events if e["ph"] == "i" and e.get("cat") == "unpark"]
    for e in steals:
        assert e["args"]["victim"] != e["tid"] and e["args"]["tasks"] >= 1, e
    for e in unparks:
        assert e["args"]["woke"] != e["tid"], e
    assert len(steals) >= min_steals, (len(steals), min_steals)
    assert len(unparks) >= min_unparks, (len(unparks), min_unparks)
    odd = [e for e in events if e["ph"] == "X" and e["name"] == 'odd "name" \\ here']
    assert odd, "the escaped name did not come back"
    print(f"ok: {len(events)} events, {len(steals)} steals, {len(unparks)} unparks")


if __name__ == "__main__":
    main()
