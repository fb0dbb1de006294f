#!/usr/bin/python3
"""An exec client that misbehaves on purpose, for faultline's tests.

    misbehaving_client.py MODE [EVERY]

Answers every operation "ok" (reads read null) except every EVERY-th one
(default 3) of each process it runs as, where, by MODE:
    timeout   it never answers (and stays silent)
    garbage   it writes a line that is not JSON
    wrong-id  it answers another id
    exit      it exits with status 3
    well      it behaves
Writes one line per start to stderr, so a test can count the restarts.
"""
import json
import sys

mode = sys.argv[1]
every = int(sys.argv[2]) if len(sys.argv) > 2 else 3
sys.stderr.write("started in mode %s\n" % mode)
sys.stderr.flush()
count = 0
for line in sys.stdin:
    op = json.loads(line)
    count += 1
    if mode != "well" and count % every == 0:
        if mode == "timeout":
            continue
        if mode == "garbage":
            sys.stdout.write("this is not an answer\n")
            sys.stdout.flush()
            continue
        if mode == "wrong-id":
            sys.stdout.write(json.dumps({"id": op["id"] + 1000, "type": "ok"}) + "\n")
            sys.stdout.flush()
            continue
        if mode == "exit":
            sys.exit(3)
    answer = {"id": op["id"], "type": "ok"}
    if op["f"] == "read":
        answer["value"] = None
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
