#!/usr/bin/env python3
"""bench/locked.py: the locked instructions a run executed, by function.

    bench/locked.py OUT1 N1 OUT2 N2

OUT1 and OUT2 are callgrind outputs of bench_count for one workload at N1
and N2 operations, made with per-instruction positions and plain names:

    valgrind --tool=callgrind --dump-instr=yes --compress-strings=no \\
        --compress-pos=no --callgrind-out-file=OUT build/bench/bench_count ...

Every executed instruction is looked up in its object's disassembly
(objdump -d, so the binaries must be the ones that ran: a rebuild
since is reported): those with a lock prefix, an xchg with a memory operand
(implicitly locked) and mfence are counted. Prints, per operation
((count at N2 - count at N1) / (N2 - N1), fixed costs cancelled), each
function's locked instructions with their mnemonics, then the total.
"""
import collections
import os
import re
import subprocess
import sys


def executed(path):
    """{(object, address): times executed}, and {(object, address): fn}."""
    counts = collections.Counter()
    fns = {}
    ob = fn = None
    skip_next = False
    with open(path) as f:
        for line in f:
            if skip_next:  # the inclusive cost of a call: not an execution
                skip_next = False
                continue
            if line.startswith("ob="):
                ob = line[3:].strip()
            elif line.startswith("fn="):
                fn = line[3:].strip()
            elif line.startswith("calls="):
                skip_next = True
            elif line.startswith("0x"):
                parts = line.split()
                addr = int(parts[0], 16)
                counts[(ob, addr)] += int(parts[2]) if len(parts) > 2 else 0
                fns[(ob, addr)] = fn
    return counts, fns


LOCKED = re.compile(r"\block\b|\bxchg\w*\s+[^,]*\(|\bxchg\w*\s+.*,.*\(|\bmfence\b")


def locked_addresses(obj):
    """{address: mnemonic text} of the locked instructions in obj."""
    out = {}
    try:
        dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", obj],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return out
    for line in dis.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(.*)", line)
        if m and LOCKED.search(m.group(2)):
            out[int(m.group(1), 16)] = " ".join(m.group(2).split()[:2])
    return out


def main():
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__)
        sys.exit(2)
    c1, _ = executed(sys.argv[1])
    c2, fns = executed(sys.argv[3])
    d = int(sys.argv[4]) - int(sys.argv[2])
    objs = {ob for ob, _ in c2}
    for ob in objs:  # the disassembly must be of the binary that ran
        try:
            if os.path.getmtime(ob) > os.path.getmtime(sys.argv[3]):
                sys.stderr.write(f"locked.py: {ob} is newer than "
                                 f"{sys.argv[3]}: counts are not its own\n")
        except OSError:
            pass
    locked = {ob: locked_addresses(ob) for ob in objs}
    rows = collections.defaultdict(float)
    for key, n2 in c2.items():
        ob, addr = key
        what = locked[ob].get(addr)
        if what is None:
            continue
        per = (n2 - c1.get(key, 0)) / d
        if abs(per) >= 0.005:
            rows[(fns[key], what, addr)] += per
    total = 0.0
    for (fn, what, addr), per in sorted(rows.items(), key=lambda r: -r[1]):
        print(f"{per:8.2f}  {fn}  {what}  (0x{addr:x})")
        total += per
    print(f"{total:8.2f}  TOTAL locked instructions per operation")


if __name__ == "__main__":
    main()
