#!/usr/bin/env python3
# bench/experiments/trace_rounds.py TRACE.json: reads a WEFT_TRACE of
# bench/experiments/rounds.c (gather) and prints how long task slices were,
# and how much of the gather waits fell in rounds where some child slice
# lasted over 500 us (its worker descheduled mid-task). Diagnostic of
# bench/findings-gap-spawn.md.
import json,sys,collections
d=json.load(open(sys.argv[1]))['traceEvents']
ev=[e for e in d if e.get('ph')=='X']
by=collections.defaultdict(list)
for e in ev: by[e['tid']].append(e)
mains=sorted([e for e in ev if e.get('name')=='main'], key=lambda e:e['ts'])
print("workers", sorted(by), "events", len(ev))
# main slices: gaps between consecutive main slices = waits for the gather
gaps=[(mains[i+1]['ts']-(mains[i]['ts']+mains[i]['dur']), mains[i]['ts']+mains[i]['dur'], mains[i+1]['ts']) for i in range(len(mains)-1)]
print("main slices", len(mains), "main slice durations (us) top:", sorted([round(m['dur']) for m in mains])[-8:])
long=[e for e in ev if e.get('cat')=='task' and e['name']!='main' and e['dur']>500]
print("child slices > 500 us:", len(long), "sum us", round(sum(e['dur'] for e in long)), "of child slice total", round(sum(e['dur'] for e in ev if e.get('cat')=='task' and e['name']!='main')))
print("child slices by duration bucket:", collections.Counter(min(int(e['dur']//100)*100, 2000) for e in ev if e.get('cat')=='task' and e['name']!='main'))
parks=[e for e in ev if e.get('name')=='park' or e.get('cat')=='park']
print("parks", len(parks), "names", collections.Counter(e.get('name') for e in ev if e.get('cat')!='task').most_common(5))
# for each long main gap, what was running in it
for g,s,t in sorted(gaps, reverse=True)[:6]:
    inside=[e for e in ev if e.get('cat')=='task' and e['ts']<t and e['ts']+e['dur']>s]
    busy=collections.defaultdict(float)
    for e in inside: busy[e['tid']]+=min(e['ts']+e['dur'],t)-max(e['ts'],s)
    lng=[(e['tid'],round(e['dur'])) for e in inside if e['dur']>500]
    print("gather wait %.0f us: task-busy per worker %s; slices>500us %s; child slices %d" % (g, {k:round(v) for k,v in busy.items()}, lng, len(inside)))
tot=sum(g for g,s,t in gaps); st=0; nst=0
for g,s,t in gaps:
    if any(e['ts']<t and e['ts']+e['dur']>s and e['dur']>500 for e in ev if e.get('cat')=='task' and e['name']!='main'):
        st+=g; nst+=1
print("ROUNDS %d, gather wait total %.0f us, in rounds with a child slice >500us: %d rounds, %.0f us (%.0f%%)" % (len(gaps), tot, nst, st, 100*st/tot if tot else 0))
