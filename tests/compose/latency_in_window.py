"""Median latency of one region's successful operations inside and outside a
fault's window, from a run's history.jsonl: the compose lane's evidence that
a fault acted on the containers (and only while it lasted).

  python3 latency_in_window.py RESULTS_DIR REGION FAULT_KIND
prints: inside=<n> <median ms> outside=<n> <median ms>
"""
import json
import statistics
import sys

results, region, kind = sys.argv[1:4]
start = stop = None
invokes = {}
inside, outside = [], []
for line in open(results + "/history.jsonl"):
    op = json.loads(line)
    if op.get("f") == "start-" + kind and op["type"] == "ok":
        start = op["time"]
    if op.get("f") == "stop-" + kind and op["type"] == "invoke":
        stop = op["time"]
    if not isinstance(op.get("process"), int) or op.get("region") != region:
        continue
    if op["type"] == "invoke":
        invokes[op["process"]] = op
    elif op["type"] == "ok" and op["process"] in invokes:
        began = invokes.pop(op["process"])["time"]
        took = (op["time"] - began) / 1e6
        during = start is not None and began > start and (stop is None or op["time"] < stop)
        (inside if during else outside).append(took)
med = lambda xs: round(statistics.median(xs), 1) if xs else -1
print(f"inside={len(inside)} {med(inside)} outside={len(outside)} {med(outside)}")
