#!/usr/bin/env python3
"""Checks that the partition of redis-replicas.toml acted on the stack: no
write of eu-west-1's sessions (to the primary in us-east-1, through both
gateways) is acknowledged while eu-west-1 is cut off (3 s to 7 s, with a
margin for operations under way at either edge), and some are outside it.
A stack whose traffic went around the gateways would pass writes inside.

    partition_held.py RUN_DIR
"""
import json
import sys

inside = outside = 0
with open(sys.argv[1] + "/history.jsonl") as history:
    for line in history:
        op = json.loads(line)
        if op.get("region") != "eu-west-1" or op.get("f") != "write" or op.get("type") != "ok":
            continue
        at = op["time"] / 1e9
        if 3.5 < at < 6.8:
            inside += 1
        elif at < 3.0 or at > 7.5:
            outside += 1
print(f"eu-west-1 writes acknowledged: {inside} while cut off, {outside} outside")
sys.exit(0 if inside == 0 and outside >= 10 else 1)
