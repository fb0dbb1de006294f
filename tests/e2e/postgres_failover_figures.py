#!/usr/bin/python3
"""The figures the PostgreSQL failover recipes promise, from a run's verdict.json.

    postgres_failover_figures.py RESULTS_DIR

postgres-failover-async: the lost writes are named, every one acknowledged
by us-east-1's primary alone (served by us-east-1), and the recovery point
spans most of the 2 s between the cut (3 s) and the primary's death (5 s).
postgres-failover-sync: us-east-1's writes, before the cut, took at least
the 20 ms round trip to us-west-2's standby (10 ms each way); and
us-east-1's writes in the asynchronous recipe took under 10 ms.
"""
import json
import sys

run = sys.argv[1]
verdict = json.load(open(run + "/verdict.json"))
invariants = {i["invariant"]: i for i in verdict["invariants"]}
latency = verdict["run"]["write_latency"]
problems = []

if verdict["experiment"] == "postgres-failover-async":
    lost = invariants["no-lost-writes"]["details"]
    if not lost.get("lost_writes"):
        problems.append("no lost write named")
    for w in lost.get("lost_writes", []):
        if w["region"] != "us-east-1" or not 3000 <= w["acknowledged_ms"] <= 5200:
            problems.append("a lost write not acknowledged by the cut-off primary: %s" % w)
    if not 1000 <= lost.get("lost_window_ms", 0) <= 2300:
        problems.append("recovery point %s ms, expected about 2 s" % lost.get("lost_window_ms"))
    if latency["us-east-1"]["write"]["p50_ms"] >= 10:
        problems.append("asynchronous local writes took %s ms" % latency["us-east-1"]["write"]["p50_ms"])
elif verdict["experiment"] == "postgres-failover-sync":
    # Before the cut every write is us-east-1's primary waiting for us-west-2.
    p50 = latency["us-east-1"]["write"]["p50_ms"]
    if p50 < 20:
        problems.append("synchronous writes from us-east-1 took %s ms, under the 20 ms round trip" % p50)
else:
    problems.append("not a postgres failover recipe: " + verdict["experiment"])

for p in problems:
    print("postgres figures: " + p, file=sys.stderr)
print("postgres figures: " + ("wrong" if problems else "as the recipe says"))
sys.exit(1 if problems else 0)
