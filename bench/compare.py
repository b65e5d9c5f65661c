#!/usr/bin/env python3
"""bench/compare.py: runs weft and its peers on the same work, side by side,
and writes the tables and charts. bench/compare.sh (the one command)
installs and builds everything, then calls this.

    compare.py run --out DIR --weft-build DIR --peers-build DIR [--quick]
                   [--reps N] [--workers "1 2 4"] [--runtimes "..."]
                   [--workloads "..."] [--parts "sched memory echo floors scaling"]
                   [--command CMDLINE]
    compare.py report --out DIR       (tables and charts again, from raw.json)
    both take --results-md FILE: the tables also go into FILE (bench/RESULTS.md)
    between its two marker lines (RESULTS_BEGIN, RESULTS_END below)

`run` writes DIR/raw.json (every figure of every run, and how and when they
were taken), then does what `report` does: DIR/side-by-side.md (a table per
workload with the ratio weft/peer, the machine line, every version, the
date, the commit, the load) and, with gnuplot, an SVG chart per workload
(DIR/*.svg, their gnuplot scripts and data beside them). Every figure in
them is computed from raw.json: none is typed by hand.

How the runs are made (bench/README.md says more):
- every program prints one figure per timed run; each run is one process,
  a warm-up with a tenth of the work and then the timed run, timed inside
  the runtime around the workload alone;
- repetitions go round-robin (repetition 1 of everything, then 2, ...), so a
  burst of load from elsewhere falls on every runtime alike; the table gives
  the median, and the spread (min-max);
- a program that exits 3 has no such API ("n/a"); a run killed at its time
  limit or failing is recorded as such, not left out silently.
"""

import argparse
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"  # Debian's, where python3-uvloop installs

# name: (sizes "A B" as the programs take them, what one operation is,
#        how the operation count follows from A and B)
WORKLOADS = {
    "spawn_many": ((1000000, None), "a spawned task (10^6 empty tasks spawned from one task, all awaited with no handle kept)", "a"),
    "yield_many": ((1000, 10000), "a yield (1,000 tasks each yielding 10,000 times)", "ab"),
    "ping_pong": ((1000, 1000), "a round trip (1,000 pairs each doing 1,000 round trips over two one-slot channels)", "ab"),
    "chained_spawn": ((1000, 1000), "a spawn (1,000 chains of 1,000 spawns, each task spawning the next)", "ab"),
    "timers": ((100000, 1), "a sleeping task (100,000 tasks each sleeping 1 ms, all awaited: wall time / 100,000; 10 ns is exactly 1 ms)", "a"),
    "fan_out": ((100, 32), "a task (100 rounds of a two-level tree: 32 tasks each spawning 32 that yield once, each awaited by its parent: weft a task group and Go a WaitGroup per parent, Tokio and asyncio each handle in turn)", "tree"),
    "gather": ((100, 1000), "a task (100 rounds of 1,000 tasks that yield once, joined by the runtime's gather)", "ab"),
    "lock": ((100, 10000), "a lock taken (100 tasks each taking one async mutex 10,000 times)", "ab"),
    "queue": ((10, 100000), "an item (10 producers each putting 100,000 items into one queue of capacity 1,024, one consumer)", "ab"),
    "to_thread": ((20000, None), "a round trip to a thread (to_thread / spawn_blocking), one at a time", "a"),
    "process_pool": ((5000, 2), "a round trip to a pool of 2 worker processes, one at a time", "a"),
    "spawn_await": ((1000000, None), "a spawn + await of one empty task, one at a time", "a"),
    "yield": ((10000000, None), "a yield of the only task", "a"),
}
# The workload the Python runtimes run at full size (the 100,000 sleepers
# are the workload; --quick takes 10,000).
FIXED = {"timers"}
# The scheduler workloads of the target "weft first at 2 workers".
SCHED_TARGETS = ["spawn_many", "yield_many", "ping_pong", "chained_spawn", "timers", "fan_out", "gather",
                 "spawn_await", "yield"]
SCALING_WORKLOADS = ["spawn_many", "yield_many", "ping_pong", "chained_spawn"]
RUNTIMES = ["weft", "tokio-mt", "tokio-ct", "go", "asyncio", "uvloop"]
SINGLE = {"tokio-ct", "asyncio", "uvloop"}  # one thread: run at 1 worker only
MEMORY_RUNTIMES = ["weft", "tokio-mt", "go", "asyncio", "uvloop"]
ECHO_SERVERS = ["floor", "weft", "tokio-mt", "tokio-ct", "go", "asyncio", "uvloop"]
FLOORS = {"switch": 10000000, "cacheline": 1000000, "eventfd": 200000, "fault": 20000}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cpu_times():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:8]]
    busy = v[0] + v[1] + v[2] + v[5] + v[6]
    return busy, busy + v[3] + v[4]


def busy_over(t0, t1):
    d = t1[1] - t0[1]
    return round(100.0 * (t1[0] - t0[0]) / d, 1) if d else 0.0


def cpus():
    return len(os.sched_getaffinity(0))


# Which size --quick and the Python runtimes divide: 0 for A, 1 for B.
REDUCE = {"timers": 0, "spawn_many": 0, "yield_many": 1, "ping_pong": 1, "chained_spawn": 1, "fan_out": 0,
          "gather": 0, "lock": 1, "queue": 1, "to_thread": 0, "process_pool": 0, "spawn_await": 0,
          "yield": 0}


def sizes(wl, runtime, quick):
    ab = list(WORKLOADS[wl][0])
    div = 1
    if runtime in ("asyncio", "uvloop") and wl not in FIXED:
        div *= 10
    if quick:
        div *= 10
    if wl in REDUCE:
        ab[REDUCE[wl]] = max(ab[REDUCE[wl]] // div, 1)
    return ab[0], ab[1]


def ops_of(wl, a, b):
    kind = WORKLOADS[wl][2]
    if kind == "a":
        return a
    if kind == "tree":
        return a * (b + b * b)
    return a * b


class Programs:
    def __init__(self, weft_build, peers_build):
        self.side = os.path.join(weft_build, "bench", "bench_side")
        self.floors = os.path.join(weft_build, "bench", "bench_floors")
        self.load = os.path.join(weft_build, "bench", "bench_echo_load")
        self.echo_floor = os.path.join(weft_build, "bench", "bench_echo_floor")
        self.echo_weft = os.path.join(weft_build, "examples", "echo_server")
        self.tokio = os.path.join(peers_build, "tokio-target", "release", "tokio-peer")
        self.go = os.path.join(peers_build, "go-peer")
        self.python = os.path.join(HERE, "peers", "python", "peers.py")

    def cmd(self, runtime, workers, wl, args):
        """The command and environment that run `wl` with args on runtime."""
        env = dict(os.environ)
        args = [str(x) for x in args]
        if runtime == "weft":
            return [self.side, str(workers), wl, "1"] + args, env
        if runtime == "tokio-mt":
            return [self.tokio, "multi_thread", str(workers), wl, "1"] + args, env
        if runtime == "tokio-ct":
            return [self.tokio, "current_thread", "1", wl, "1"] + args, env
        if runtime == "go":
            env["GOMAXPROCS"] = str(workers)
            return [self.go, wl, "1"] + args, env
        if runtime in ("asyncio", "uvloop"):
            return [PY, self.python, runtime, wl, "1"] + args, env
        raise ValueError(runtime)


def run_one(cmd, env, limit):
    """Runs cmd; returns (status, its last figure, stderr tail, page faults)."""
    f0 = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return "timeout", None, err[-300:], None
    # Runs are one at a time: the children's page faults grew by this one's
    # (the whole process: warm-up, timed run, start and exit).
    faults = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt - f0
    lines = [x for x in out.splitlines() if x.strip()]
    if p.returncode == 3:
        return "n/a", None, err.strip()[-300:], None
    if p.returncode != 0 or not lines:
        return "failed (exit %d)" % p.returncode, None, err[-300:], None
    try:
        return "ok", float(lines[-1].split()[0]), "", faults
    except ValueError:
        return "failed (output %r)" % lines[-1][:80], None, err[-300:], None


def run_rss(cmd, env, limit):
    """Runs cmd and returns (status, stdout's last figure, peak RSS in KiB)."""
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, start_new_session=True)
    deadline = time.time() + limit
    while True:
        pid, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.time() > deadline:
            os.killpg(p.pid, signal.SIGKILL)
            os.wait4(p.pid, 0)
            return "timeout", None, None
        time.sleep(0.05)
    out = p.stdout.read()
    p.stdout.close()
    code = os.waitstatus_to_exitcode(st)
    lines = [x for x in out.splitlines() if x.strip()]
    if code != 0 or not lines:
        return "failed (exit %d)" % code, None, None
    return "ok", float(lines[-1]), ru.ru_maxrss


def machine():
    lscpu = sh("lscpu")

    def field(name):
        m = re.search(r"^%s:\s*(.*)$" % re.escape(name), lscpu, re.M)
        return m.group(1).strip() if m else "?"

    return {
        "model": field("Model name"),
        "cpus_online": os.cpu_count(),
        "cpus_usable": cpus(),
        "sockets": field("Socket(s)"),
        "cores_per_socket": field("Core(s) per socket"),
        "threads_per_core": field("Thread(s) per core"),
        "hypervisor": field("Hypervisor vendor"),
        "kernel": sh("uname -srm"),
        "memory": sh("free -g | awk '/^Mem:/ {print $2 \" GiB\"}'"),
    }


def versions(peers_build):
    v = {}
    v["weft"] = sh("git -C %s rev-parse --short HEAD" % HERE) + (
        " (with uncommitted changes)" if sh("git -C %s status --porcelain -- . ../rt ../io ../include ../examples" % HERE) else "")
    v["cc"] = sh("cc --version | head -1")
    lock = os.path.join(HERE, "peers", "tokio", "Cargo.lock")
    tv = "?"
    if os.path.exists(lock):
        m = re.search(r'name = "tokio"\nversion = "([^"]+)"', open(lock).read())
        tv = m.group(1) if m else "?"
    v["tokio"] = "tokio %s (Debian librust-tokio-dev %s), %s" % (
        tv, sh("dpkg-query -W -f='${Version}' librust-tokio-dev") or "?", sh("rustc --version"))
    v["go"] = sh("go version")
    v["python"] = "%s %s" % (PY, sh("%s --version" % PY))
    v["uvloop"] = "uvloop " + sh("%s -c 'import uvloop; print(uvloop.__version__)'" % PY)
    v["gnuplot"] = sh("gnuplot --version")
    return v


def scaling_counts():
    n = cpus()
    c, k = [], 1
    while k < n:
        c.append(k)
        k *= 2
    c.append(n)
    return c


def cmd_run(args):
    os.makedirs(args.out, exist_ok=True)
    progs = Programs(args.weft_build, args.peers_build)
    quick = args.quick
    reps = args.reps or (3 if quick else 5)
    limit = 60 if quick else 300
    n = cpus()
    workers = [int(x) for x in args.workers.split()] if args.workers else [1, 2, 2 * n]
    workers = sorted(set(workers))
    runtimes = args.runtimes.split() if args.runtimes else RUNTIMES
    workloads = args.workloads.split() if args.workloads else list(WORKLOADS)
    parts = set(args.parts.split())
    raw = {
        "command": args.command or " ".join(sys.argv),
        "quick": quick,
        "reps": reps,
        "workers": workers,
        "machine": machine(),
        "versions": versions(args.peers_build),
        "runs": [],
        "memory": [],
        "echo": [],
        "floors": [],
    }
    raw["load_before"] = open("/proc/loadavg").read().split()[:3]
    t0 = cpu_times()
    time.sleep(2)
    raw["busy_before"] = busy_over(t0, cpu_times())
    start = time.time()
    raw["date"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(start))
    c0 = cpu_times()

    # The scheduler workloads, and the scaling run's extra worker counts.
    configs = []
    for wl in workloads:
        for rt in runtimes:
            for w in workers:
                if rt in SINGLE and w != 1:
                    continue
                configs.append((wl, rt, w))
    if "scaling" in parts:
        for wl in SCALING_WORKLOADS:
            if wl not in workloads:
                continue
            for rt in ("weft", "tokio-mt", "go"):
                if rt not in runtimes:
                    continue
                for w in scaling_counts():
                    if (wl, rt, w) not in configs:
                        configs.append((wl, rt, w))
    results = {c: {"values": [], "status": []} for c in configs}
    if "sched" in parts:
        for rep in range(reps):
            log("== repetition %d of %d (%d s so far)" % (rep + 1, reps, time.time() - start))
            for c in configs:
                wl, rt, w = c
                if "n/a" in results[c]["status"]:
                    continue  # no such API: said once
                a, b = sizes(wl, rt, quick)
                cmd, env = progs.cmd(rt, w, wl, [a] + ([b] if b is not None else []))
                t_run = time.time()
                st, v, err, faults = run_one(cmd, env, limit)
                results[c].setdefault("seconds", []).append(round(time.time() - t_run, 2))
                results[c]["status"].append(st)
                if st == "ok":
                    results[c]["values"].append(v)
                    results[c].setdefault("faults", []).append(faults)
                else:
                    results[c]["why"] = err
                    if st != "n/a":
                        log("compare.py: %s %s %d: %s: %s" % (wl, rt, w, st, err))
                results[c]["ops"] = ops_of(wl, a, b)
                results[c]["sizes"] = [a, b]
    for (wl, rt, w), r in results.items():
        raw["runs"].append(dict(workload=wl, runtime=rt, workers=w, **r))

    # Memory: the peak RSS of N tasks asleep at once, less that of 0.
    if "memory" in parts:
        counts = [100000] if quick else [100000, 1000000]
        mreps = 1 if quick else 3
        mw = min(2, n)
        log("== memory: %s tasks asleep at once, %d workers" % (counts, mw))
        for rep in range(mreps):
            for rt in MEMORY_RUNTIMES:
                if rt not in runtimes:
                    continue
                for cnt in [0] + counts:
                    if rt in ("asyncio", "uvloop") and cnt > 100000:
                        continue
                    cmd, env = progs.cmd(rt, mw, "memory", [cnt, 600000])
                    st, v, rss = run_rss(cmd, env, 120 if quick else 300)
                    raw["memory"].append(dict(runtime=rt, workers=mw, tasks=cnt, rep=rep,
                                              status=st, start_ns=v, maxrss_kib=rss))
                    if st != "ok":
                        log("compare.py: memory %s %d: %s" % (rt, cnt, st))

    # The echo server, every server driven by the one load generator.
    if "echo" in parts:
        secs = 2 if quick else 3
        ereps = 1 if quick else 3
        conns = 100
        log("== echo: %d connections, %d s a run" % (conns, secs))
        for rep in range(ereps):
            for srv in ECHO_SERVERS:
                if srv not in ("floor",) and srv not in runtimes:
                    continue
                for w in (1, 2):
                    if (srv in SINGLE or srv == "floor") and w != 1:
                        continue
                    env = dict(os.environ)
                    if srv == "floor":
                        cmd = [progs.echo_floor, "0"]
                    elif srv == "weft":
                        env["WEFT_WORKERS"] = str(w)
                        cmd = [progs.echo_weft, "0"]
                    else:
                        cmd, env = progs.cmd(srv, w, "echo", [0])
                    rec = dict(server=srv, workers=w, rep=rep, connections=conns, seconds=secs)
                    rec.update(echo_once(cmd, env, progs.load, conns, secs))
                    raw["echo"].append(rec)
                    if rec["status"] != "ok":
                        log("compare.py: echo %s %d: %s" % (srv, w, rec["status"]))

    if "floors" in parts:
        log("== floors")
        for rep in range(reps):
            for fl, cnt in FLOORS.items():
                cnt = cnt // 10 if quick else cnt
                st, v, err, _ = run_one([progs.floors, fl, str(cnt)], os.environ, limit)
                raw["floors"].append(dict(floor=fl, ops=cnt, rep=rep, status=st, ns_per_op=v, why=err))

    raw["took_s"] = round(time.time() - start)
    raw["busy_during"] = busy_over(c0, cpu_times())
    raw["load_after"] = open("/proc/loadavg").read().split()[:3]
    with open(os.path.join(args.out, "raw.json"), "w") as f:
        json.dump(raw, f, indent=1)
    report(args.out, args.results_md)


def echo_once(cmd, env, load, conns, secs):
    srv = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, start_new_session=True)
    try:
        line = ""
        t_end = time.time() + 20
        while time.time() < t_end:
            line = srv.stdout.readline()
            if "listening on" in line or not line:
                break
        m = re.search(r":(\d+)", line)
        if not m:
            return {"status": "failed (no port printed)"}
        out = subprocess.run([load, m.group(1), str(srv.pid), str(conns), str(secs)],
                             capture_output=True, text=True, timeout=secs + 60).stdout
        r = re.search(r"([\d.]+) round trips/s, p50 (\d+) us, p99 (\d+) us(?:, server CPU ([\d.]+) us)?", out)
        if not r:
            return {"status": "failed (load output %r)" % out[-100:]}
        return {"status": "ok", "rps": float(r.group(1)), "p50_us": int(r.group(2)),
                "p99_us": int(r.group(3)),
                "cpu_us": float(r.group(4)) if r.group(4) else None}
    except subprocess.TimeoutExpired:
        return {"status": "timeout"}
    finally:
        os.killpg(srv.pid, signal.SIGKILL)
        srv.wait()


# ---- the report ---------------------------------------------------------------

def med(v):
    return statistics.median(v) if v else None


def fmt(x):
    if x is None:
        return "-"
    if x >= 1000:
        return "{:,.0f}".format(x)
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def cell(r):
    """A table cell for one configuration's runs."""
    if r is None:
        return ""
    if r["values"]:
        v = r["values"]
        s = fmt(med(v))
        if len(v) > 1:
            s += " (%s-%s)" % (fmt(min(v)), fmt(max(v)))
        bad = [x for x in r["status"] if x != "ok"]
        if bad:
            s += " [%d of %d runs: %s]" % (len(bad), len(r["status"]), bad[0])
        return s
    if "n/a" in r["status"]:
        return "n/a"
    return r["status"][0] if r["status"] else "not run"


def report(out, results_md=None):
    raw = json.load(open(os.path.join(out, "raw.json")))
    runs = {(r["workload"], r["runtime"], r["workers"]): r for r in raw["runs"]}
    workers = raw["workers"]
    m, v = raw["machine"], raw["versions"]
    L = []
    L.append("# weft and its peers, side by side")
    L.append("")
    L.append("Generated by `bench/compare.py` from `raw.json` beside this file; no figure here is typed by hand.")
    L.append("")
    L.append("- Command: `%s`%s" % (raw["command"], " (quick mode: a tenth of the work, fewer runs)" if raw["quick"] else ""))
    L.append("- Date: %s, %d s; weft at commit %s" % (raw["date"], raw["took_s"], v["weft"]))
    L.append("- Machine: %s; %s CPUs online (%s usable), %s socket(s) x %s core(s) x %s thread(s)%s; %s; %s RAM" % (
        m["model"], m["cpus_online"], m["cpus_usable"], m["sockets"], m["cores_per_socket"],
        m["threads_per_core"], "; %s guest" % m["hypervisor"] if m["hypervisor"] != "?" else "",
        m["kernel"], m["memory"]))
    L.append("- Load: CPUs %s%% busy in the 2 s before the runs, %s%% during them; load average before %s, after %s. "
             "Anything above what the runs themselves use is other work on the machine: the figures are that noisy." % (
                 raw["busy_before"], raw["busy_during"], " ".join(raw["load_before"]), " ".join(raw["load_after"])))
    L.append("- Versions: %s; %s; %s; %s; %s; %s" % (v["cc"], v["tokio"], v["go"], v["python"], v["uvloop"], v["gnuplot"]))
    L.append("- Figures: median of %d runs (min-max in brackets), nanoseconds per operation; each run one process, "
             "a warm-up of a tenth of the work and then the timed run. Ratio weft/peer: weft's time over the peer's "
             "at the same worker count (below 1: weft is faster). asyncio and uvloop run a tenth of the work. "
             "Workers %s (the last oversubscribes the %d usable CPUs); tokio-ct, asyncio and uvloop have one thread." % (
                 raw["reps"], ", ".join(map(str, workers)), m["cpus_usable"]))
    L.append("")

    # Issue 8's targets, from the figures below.
    L.append("## Targets")
    L.append("")
    L.append("| target | measured | |")
    L.append("|---|---|---|")
    for wl in SCHED_TARGETS:
        wr = runs.get((wl, "weft", 2))
        peers = sorted((med(r["values"]), k[1]) for k, r in runs.items()
                       if k[0] == wl and k[2] == 2 and k[1] != "weft" and r["values"])
        if not wr or not wr["values"] or not peers:
            continue
        wv = med(wr["values"])
        L.append("| weft first at 2 workers: %s | weft %s ns, best peer %s %s ns (weft/peer %.2f) | %s |" % (
            wl, fmt(wv), peers[0][1], fmt(peers[0][0]), wv / peers[0][0],
            "met" if wv < peers[0][0] else "**missed**"))
    for x in sorted({x["tasks"] for x in raw["memory"] if x["tasks"] > 0 and x["runtime"] == "weft"}):
        recs = [y for y in raw["memory"] if y["runtime"] == "weft" and y["status"] == "ok"]
        base = med([y["maxrss_kib"] for y in recs if y["tasks"] == 0])
        vals = [y["maxrss_kib"] for y in recs if y["tasks"] == x]
        if base is None or not vals:
            continue
        kib = (med(vals) - base) / x
        L.append("| memory per sleeping task at most 5 KiB, %s tasks | %.2f KiB | %s |" % (
            "{:,}".format(x), kib, "met" if kib <= 5 else "**missed**"))
    L.append("")

    # Who is first at 2 workers on each workload.
    L.append("## Who is first at 2 workers")
    L.append("")
    L.append("Page faults per operation: minor faults of the whole process (warm-up, timed run, start and exit) over "
             "the timed run's operations, median; on a VM where a fault is slow (see `fault` in the floors) they "
             "can be most of the time.")
    L.append("")
    L.append("| workload | fastest at 2 workers | weft | weft/fastest peer | page faults per op: weft, fastest peer |")
    L.append("|---|---|---|---|---|")
    for wl in WORKLOADS:
        cands = []
        for rt in RUNTIMES:
            r = runs.get((wl, rt, 2))
            if r and r["values"]:
                cands.append((med(r["values"]), rt))
        wr = runs.get((wl, "weft", 2))
        if not cands and not wr:
            continue
        cands.sort()
        peers = [c for c in cands if c[1] != "weft"]
        wv = med(wr["values"]) if wr and wr["values"] else None
        ratio = "%.2f" % (wv / peers[0][0]) if wv and peers else "-"
        def fpo(r):
            return "%.3f" % (med(r["faults"]) / r["ops"]) if r and r.get("faults") else "-"
        fp = runs.get((wl, peers[0][1], 2)) if peers else None
        L.append("| %s | %s | %s | %s | %s, %s |" % (wl, ("%s (%s)" % (cands[0][1], fmt(cands[0][0]))) if cands else "-",
                                               cell(wr) if wr else "not run", ratio, fpo(wr), fpo(fp)))
    L.append("")

    charts = []
    for wl in WORKLOADS:
        rows = [rt for rt in RUNTIMES if any((wl, rt, w) in runs for w in workers)]
        if not rows:
            continue
        L.append("## %s" % wl)
        L.append("")
        L.append("One operation: %s. Sizes %s (%s)." % (
            WORKLOADS[wl][1],
            ", ".join(sorted({"%s: %s" % ("python" if rt in ("asyncio", "uvloop") else "native",
                                          " x ".join(str(x) for x in runs[(wl, rt, w)]["sizes"] if x is not None))
                              for rt in rows for w in workers if (wl, rt, w) in runs and "sizes" in runs[(wl, rt, w)]})),
            "operations per run: " + ", ".join(sorted({"%s" % "{:,}".format(runs[k]["ops"]) for k in runs
                                                       if k[0] == wl and "ops" in runs[k]}))))
        L.append("")
        L.append("| runtime | " + " | ".join("%d worker%s" % (w, "s" if w > 1 else "") for w in workers) +
                 " | " + " | ".join("weft/peer at %d" % w for w in workers) + " |")
        L.append("|---|" + "---|" * (2 * len(workers)))
        for rt in rows:
            cells = [cell(runs.get((wl, rt, w))) for w in workers]
            ratios = []
            for w in workers:
                r, wr = runs.get((wl, rt, w)), runs.get((wl, "weft", w))
                if rt == "weft" or not r or not r["values"] or not wr or not wr["values"]:
                    ratios.append("")
                else:
                    ratios.append("%.2f" % (med(wr["values"]) / med(r["values"])))
            L.append("| %s | %s | %s |" % (rt, " | ".join(cells), " | ".join(ratios)))
        L.append("")
        charts.append(chart_workload(out, wl, rows, workers, runs))
        if charts[-1]:
            L.append("![%s](%s)" % (wl, charts[-1]))
            L.append("")

    # Scaling.
    sc = sorted({k[2] for k in runs if k[1] in ("weft", "tokio-mt", "go") and k[0] in SCALING_WORKLOADS
                 and k[2] <= m["cpus_usable"]})
    if sc:
        L.append("## Scaling: throughput against worker count")
        L.append("")
        L.append("Millions of operations per second (10^3 / median ns per op), worker counts 1 to the %s usable CPUs "
                 "(powers of two and the count itself, from `os.sched_getaffinity`)." % m["cpus_usable"])
        L.append("")
        L.append("| workload | runtime | " + " | ".join(str(w) for w in sc) + " |")
        L.append("|---|---|" + "---|" * len(sc))
        for wl in SCALING_WORKLOADS:
            for rt in ("weft", "tokio-mt", "go"):
                vals = []
                for w in sc:
                    r = runs.get((wl, rt, w))
                    vals.append("%.2f" % (1e3 / med(r["values"])) if r and r["values"] else "-")
                if any(x != "-" for x in vals):
                    L.append("| %s | %s | %s |" % (wl, rt, " | ".join(vals)))
        L.append("")
        c = chart_scaling(out, sc, runs)
        if c:
            L.append("![scaling](%s)" % c)
            L.append("")

    # Memory.
    if raw["memory"]:
        L.append("## Memory: peak RSS per sleeping task")
        L.append("")
        L.append("Each program starts N tasks that each count themselves and sleep; once all N have counted (all "
                 "asleep at once) it exits at once; the peak RSS is the kernel's (`wait4`'s ru_maxrss). Per task: "
                 "(peak RSS with N - peak RSS with 0) / N, median of the runs. weft reserves 64 KiB of stack per task; "
                 "only the pages touched count. Target: at most 5 KiB per task.")
        L.append("")
        counts = sorted({x["tasks"] for x in raw["memory"] if x["tasks"] > 0})
        L.append("| runtime | workers | " + " | ".join("peak RSS, %s tasks" % "{:,}".format(c) for c in counts) +
                 " | " + " | ".join("KiB per task at %s" % "{:,}".format(c) for c in counts) + " | weft/peer at %s |" % "{:,}".format(counts[-1]))
        L.append("|---|---|" + "---|" * (2 * len(counts) + 1))
        per, rows = {}, []
        for rt in MEMORY_RUNTIMES:
            recs = [x for x in raw["memory"] if x["runtime"] == rt]
            if not recs:
                continue
            base = med([x["maxrss_kib"] for x in recs if x["tasks"] == 0 and x["status"] == "ok"])
            rss_cells, per_cells = [], []
            for c in counts:
                vals = [x["maxrss_kib"] for x in recs if x["tasks"] == c and x["status"] == "ok"]
                bad = [x["status"] for x in recs if x["tasks"] == c and x["status"] != "ok"]
                if vals and base is not None:
                    per[(rt, c)] = (med(vals) - base) / c
                    rss_cells.append("%s MiB" % fmt(med(vals) / 1024))
                    per_cells.append("%.2f" % per[(rt, c)])
                elif bad:
                    rss_cells.append(bad[0])
                    per_cells.append("-")
                else:
                    rss_cells.append("not run" + (" (one thread: 100,000 only)" if rt in SINGLE else ""))
                    per_cells.append("-")
            rows.append((rt, 1 if rt in SINGLE else recs[0]["workers"], rss_cells, per_cells))
        for rt, w, rss_cells, per_cells in rows:
            wl_, p = per.get(("weft", counts[-1])), per.get((rt, counts[-1]))
            ratio = "%.2f" % (wl_ / p) if wl_ and p and rt != "weft" else ""
            L.append("| %s | %d | %s | %s | %s |" % (rt, w, " | ".join(rss_cells), " | ".join(per_cells), ratio))
        L.append("")
        c = chart_memory(out, per, counts)
        if c:
            L.append("![memory](%s)" % c)
            L.append("")

    # Echo.
    if raw["echo"]:
        L.append("## TCP echo server")
        L.append("")
        e0 = raw["echo"][0]
        L.append("Every server driven by `bench_echo_load` (bench/net/echo_load.c: one thread, one epoll), "
                 "%d connections each with one 64-byte message in flight, %d s a run, median of the runs; "
                 "the load generator shares the CPUs with the server. Server CPU: user + system time of the server "
                 "per round trip. Ratio weft/peer: the peer's round trips per second over weft's at the same "
                 "worker count (below 1: weft is faster). `floor`: bench/net/echo_floor.c, a plain single-threaded "
                 "epoll echo server." % (e0["connections"], e0["seconds"]))
        L.append("")
        L.append("| server | workers | round trips/s | p50 us | p99 us | server CPU us/trip | weft/peer |")
        L.append("|---|---|---|---|---|---|---|")
        eb = {}
        for x in raw["echo"]:
            eb.setdefault((x["server"], x["workers"]), []).append(x)
        for (srv, w), xs in eb.items():
            ok = [x for x in xs if x["status"] == "ok"]
            if not ok:
                L.append("| %s | %d | %s | | | | |" % (srv, w, xs[0]["status"]))
                continue
            rps = med([x["rps"] for x in ok])
            wk = eb.get(("weft", w)) or eb.get(("weft", 1))
            wok = [x["rps"] for x in wk if x["status"] == "ok"] if wk else []
            ratio = "%.2f" % (rps / med(wok)) if wok and srv != "weft" and (srv, w) != ("weft", w) else ""
            cpu = [x["cpu_us"] for x in ok if x.get("cpu_us") is not None]
            L.append("| %s | %d | %s | %s | %s | %s | %s |" % (
                srv, w, fmt(rps), fmt(med([x["p50_us"] for x in ok])), fmt(med([x["p99_us"] for x in ok])),
                fmt(med(cpu)) if cpu else "-", ratio))
        L.append("")
        c = chart_echo(out, eb)
        if c:
            L.append("![echo](%s)" % c)
            L.append("")

    if raw["floors"]:
        L.append("## The floors")
        L.append("")
        L.append("What the machine charges for the steps a runtime is made of (bench/floors/floors.c, no runtime in it): "
                 "`switch`, one register-only context switch (callee-saved registers and the stack pointer); "
                 "`cacheline`, a round trip of one cache line between two threads pinned to two CPUs, spinning; "
                 "`eventfd`, a round trip of two threads each blocking in read() on its eventfd (two wakes of a "
                 "sleeping thread); `fault`, the first touch of a fresh anonymous 4 KiB page (a page fault: what a task "
                 "stack costs when its pages were given back). Nanoseconds per operation, median (min-max). The echo "
                 "floor is in the echo table.")
        L.append("")
        L.append("| floor | ns per op | operations per run |")
        L.append("|---|---|---|")
        for fl in FLOORS:
            xs = [x for x in raw["floors"] if x["floor"] == fl]
            if not xs:
                continue
            ok = [x["ns_per_op"] for x in xs if x["status"] == "ok"]
            s = ("%s (%s-%s)" % (fmt(med(ok)), fmt(min(ok)), fmt(max(ok)))) if ok else "%s: %s" % (xs[0]["status"], xs[0].get("why", ""))
            L.append("| %s | %s | %s |" % (fl, s, "{:,}".format(xs[0]["ops"])))
        L.append("")

    with open(os.path.join(out, "side-by-side.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    log("compare.py: wrote %s" % os.path.join(out, "side-by-side.md"))
    if results_md:
        write_results_md(results_md, L, out)


# The part of bench/RESULTS.md that a run rewrites lies between these lines.
RESULTS_BEGIN = "<!-- from here to the end marker bench/compare.sh writes; edits are lost -->"
RESULTS_END = "<!-- end of what bench/compare.sh writes -->"


def write_results_md(path, lines, out):
    """Puts the report into the file at path (bench/RESULTS.md) between its
    markers: headings one level down, charts and raw.json named from there."""
    rel = os.path.relpath(os.path.abspath(out), os.path.dirname(os.path.abspath(path)))
    body = []
    for line in lines:
        if line.startswith("#"):
            line = "#" + line
        line = line.replace("`raw.json` beside this file", "`%s/raw.json`" % rel)
        m = re.match(r"!\[([^\]]*)\]\(([^)]*)\)$", line)
        if m:
            line = "![%s](%s/%s)" % (m.group(1), rel, m.group(2))
        body.append(line)
    with open(path) as f:
        text = f.read()
    i, j = text.find(RESULTS_BEGIN), text.find(RESULTS_END)
    if i < 0 or j < i:
        sys.exit("compare.py: %s lacks the lines %r and %r around the part a run writes"
                 % (path, RESULTS_BEGIN, RESULTS_END))
    text = text[:i + len(RESULTS_BEGIN)] + "\n\n" + "\n".join(body).strip("\n") + "\n\n" + text[j:]
    with open(path, "w") as f:
        f.write(text)
    log("compare.py: wrote its part of %s" % path)


# ---- charts (gnuplot, SVG) ----------------------------------------------------

def gnuplot(out, name, script):
    if not shutil.which("gnuplot"):
        return None
    gp = os.path.join(out, name + ".gp")
    with open(gp, "w") as f:
        f.write(script)
    r = subprocess.run(["gnuplot", name + ".gp"], cwd=out, capture_output=True, text=True)
    if r.returncode != 0:
        log("compare.py: gnuplot %s: %s" % (name, r.stderr[-300:]))
        return None
    return name + ".svg"


def chart_workload(out, wl, rows, workers, runs):
    dat = os.path.join(out, wl + ".dat")
    with open(dat, "w") as f:
        f.write("# runtime " + " ".join("w%d" % w for w in workers) + "\n")
        for rt in rows:
            vals = []
            for w in workers:
                r = runs.get((wl, rt, w))
                vals.append("%.3f" % med(r["values"]) if r and r["values"] else "NaN")
            f.write("%s %s\n" % (rt, " ".join(vals)))
    cols = " , ".join("'%s.dat' using %d:xtic(1) title '%d worker%s'" % (wl, i + 2, w, "s" if w > 1 else "")
                      for i, w in enumerate(workers))
    return gnuplot(out, wl, """set terminal svg size 800,450 dynamic noenhanced font 'sans,11'
set output '%s.svg'
set title '%s: ns per operation (lower is better), median'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'ns per operation (log scale)'
set grid ytics
set key top left
plot %s
""" % (wl, wl, cols))


def chart_scaling(out, sc, runs):
    dat = os.path.join(out, "scaling.dat")
    series = []
    with open(dat, "w") as f:
        for wl in SCALING_WORKLOADS:
            for rt in ("weft", "tokio-mt", "go"):
                pts = [(w, 1e3 / med(runs[(wl, rt, w)]["values"])) for w in sc
                       if (wl, rt, w) in runs and runs[(wl, rt, w)]["values"]]
                if not pts:
                    continue
                f.write("# %s %s\n" % (wl, rt))
                for w, v in pts:
                    f.write("%d %.4f\n" % (w, v))
                f.write("\n\n")
                series.append("%s %s" % (wl, rt))
    if not series:
        return None
    plot = ", ".join("'scaling.dat' index %d using 1:2 with linespoints title '%s'" % (i, s)
                     for i, s in enumerate(series))
    return gnuplot(out, "scaling", """set terminal svg size 800,500 dynamic noenhanced font 'sans,11'
set output 'scaling.svg'
set title 'throughput against worker count (higher is better)'
set xlabel 'workers'
set ylabel 'million operations per second'
set logscale y
set xtics (%s)
set grid
set key outside right
plot %s
""" % (", ".join(str(w) for w in sc), plot))


def chart_memory(out, per, counts):
    rts = [rt for rt in MEMORY_RUNTIMES if any((rt, c) in per for c in counts)]
    if not rts:
        return None
    with open(os.path.join(out, "memory.dat"), "w") as f:
        for rt in rts:
            f.write("%s %s\n" % (rt, " ".join("%.3f" % per[(rt, c)] if (rt, c) in per else "NaN" for c in counts)))
    cols = " , ".join("'memory.dat' using %d:xtic(1) title '%s tasks'" % (i + 2, "{:,}".format(c))
                      for i, c in enumerate(counts))
    return gnuplot(out, "memory", """set terminal svg size 700,400 dynamic noenhanced font 'sans,11'
set output 'memory.svg'
set title 'KiB of peak RSS per sleeping task (lower is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set grid ytics
plot %s
""" % cols)


def chart_echo(out, eb):
    rows = []
    for (srv, w), xs in eb.items():
        ok = [x["rps"] for x in xs if x["status"] == "ok"]
        if ok:
            rows.append(("%s/%d" % (srv, w), med(ok)))
    if not rows:
        return None
    with open(os.path.join(out, "echo.dat"), "w") as f:
        for name, v in rows:
            f.write("%s %.0f\n" % (name, v))
    return gnuplot(out, "echo", """set terminal svg size 800,400 dynamic noenhanced font 'sans,11'
set output 'echo.svg'
set title 'TCP echo: round trips per second (higher is better), server/workers'
set style data histograms
set style fill solid 0.8 border -1
set yrange [0:*]
set grid ytics
set xtics rotate by -30
plot 'echo.dat' using 2:xtic(1) notitle
""")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--weft-build", required=True)
    r.add_argument("--peers-build", required=True)
    r.add_argument("--quick", action="store_true")
    r.add_argument("--reps", type=int, default=0)
    r.add_argument("--workers", default="")
    r.add_argument("--runtimes", default="")
    r.add_argument("--workloads", default="")
    r.add_argument("--parts", default="sched memory echo floors scaling")
    r.add_argument("--command", default="")
    r.add_argument("--results-md", default="")
    p = sub.add_parser("report")
    p.add_argument("--out", required=True)
    p.add_argument("--results-md", default="")
    a = ap.parse_args()
    if a.what == "run":
        for x in (a.runtimes.split() if a.runtimes else []):
            if x not in RUNTIMES:
                ap.error("unknown runtime %s" % x)
        for x in (a.workloads.split() if a.workloads else []):
            if x not in WORKLOADS:
                ap.error("unknown workload %s" % x)
        cmd_run(a)
    else:
        report(a.out, a.results_md)


if __name__ == "__main__":
    main()
