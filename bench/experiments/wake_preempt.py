#!/usr/bin/env python3
# bench/experiments/wake_preempt.py PERF.data COMM: from `perf record -e
# sched:sched_switch -e sched:sched_wakeup -a`, sorts the preemptions of the
# threads whose name starts with COMM (switched out while runnable): by the
# thread they had woken less than 0.5 ms before (wakeup preemption of the
# waker), by another of their own threads, or by another program.
# Diagnostic of bench/findings-gap-spawn.md.
import sys,re,subprocess,collections
out=subprocess.run(['perf','script','-i',sys.argv[1],'-F','comm,tid,cpu,time,event,trace'],capture_output=True,text=True).stdout
prog=sys.argv[2]
last_wake={}  # target tid -> (time, waker tid, waker comm)
c=collections.Counter()
for line in out.splitlines():
    m=re.match(r'\s*(\S+)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:(\w+):\s+(.*)',line)
    if not m: continue
    comm,tid,cpu,t,ev,tr=m.groups(); t=float(t); tid=int(tid)
    if ev=='sched_wakeup':
        mm=re.search(r'comm=(\S+) pid=(\d+)',tr)
        last_wake[int(mm.group(2))]=(t,tid,comm)
    elif ev=='sched_switch':
        mm=re.search(r'prev_comm=(\S+) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(\S+) next_pid=(\d+)',tr)
        pc,pp,st,nc,np=mm.groups(); pp=int(pp); np=int(np)
        if not pc.startswith(prog) or not st.startswith('R'): continue
        w=last_wake.get(np)
        if w and w[1]==pp and t-w[0]<0.0005:
            c['preempted by the thread it woke <0.5ms before']+=1
        elif nc.startswith(prog):
            c['preempted by another own thread']+=1
        else:
            c['preempted by other program']+=1
print(prog, dict(c))
