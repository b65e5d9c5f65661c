#!/usr/bin/env python3
# bench/experiments/sched_switch.py PERF.data COMM: from `perf record -e
# sched:sched_switch -a`, counts the switch-outs of threads whose name starts
# with COMM: blocked (prev_state S, ...) or preempted while runnable (R), and
# by whom (a thread of the same program or another). Diagnostic of
# bench/findings-gap-spawn.md.
import sys,re,subprocess,collections
out=subprocess.run(['perf','script','-i',sys.argv[1],'-F','comm,tid,time,event,trace'],capture_output=True,text=True).stdout
prog=sys.argv[2]
pre=collections.Counter(); n=0
for line in out.splitlines():
    m=re.search(r'prev_comm=(\S+) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(\S+) next_pid=(\d+)',line)
    if not m: continue
    pc,pp,st,nc,np=m.groups()
    if pc.startswith(prog):
        n+=1
        if st.startswith('R'):
            pre['preempted by '+('own thread' if nc.startswith(prog) else 'other: '+nc.split('/')[0][:12])]+=1
        else: pre['blocked ('+st+')']+=1
print(prog, "switch-outs", n, dict(pre.most_common(8)))
