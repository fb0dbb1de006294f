#!/usr/bin/python3
"""A faultline exec client for Redis carrying the list-append workload (Elle's).

Each transaction comes as one line (docs/clients.md):

    {"id": 9, "f": "txn", "value": [["append", "k1", 4000003], ["r", "k2", null]], "process": 4}

and runs as one Lua script, which Redis executes atomically (nothing else
runs between its commands): RPUSH for an append, LRANGE for a read. The
answer has each read filled with the list it saw:

    {"id": 9, "type": "ok", "value": [["append", "k1", 4000003], ["r", "k2", [5000001]]]}

A single Redis is strict-serializable, so the transactional invariants
(serializable, snapshot-isolation, strict-serializable) must hold on it.

Usage: redis_list_append.py HOST PORT [REGION] [--one-by-one]

--one-by-one is a seeded bug: each micro-operation as its own command, a
millisecond apart, with no transaction around them, so other sessions'
operations interleave (experiments/bug-list-append-one-by-one.toml).
"""
import json
import sys
import time

from redis_register import NotSent, Redis

# ARGV holds the micro-operations flattened: f, key, value, f, key, value...
# An append returns nothing; a read returns the list it read.
TXN = (
    "local out = {} "
    "for i = 1, #ARGV, 3 do "
    "  if ARGV[i] == 'append' then redis.call('RPUSH', ARGV[i + 1], ARGV[i + 2]) out[#out + 1] = 0 "
    "  else out[#out + 1] = redis.call('LRANGE', ARGV[i + 1], 0, -1) end "
    "end "
    "return out"
)


def perform_one_by_one(redis, op):
    done = []
    for f, key, value in op["value"]:
        if f == "append":
            redis.call("RPUSH", key, value)
            done.append([f, key, value])
        else:
            done.append([f, key, [int(v) for v in redis.call("LRANGE", key, 0, -1)]])
        time.sleep(0.001)
    return {"type": "ok", "value": done}


def perform(redis, op):
    if op["f"] != "txn":
        # Final reads of a list (for convergence): the whole list.
        if op["f"] == "read":
            return {"type": "ok", "value": [int(v) for v in redis.call("LRANGE", op["key"], 0, -1)]}
        return {"type": "fail", "error": "unknown f " + op["f"]}
    if ONE_BY_ONE:
        return perform_one_by_one(redis, op)
    args = []
    for f, key, value in op["value"]:
        args += [f, key, "" if value is None else value]
    results = redis.call("EVAL", TXN, 0, *args)
    done = []
    for (f, key, value), result in zip(op["value"], results):
        done.append([f, key, value] if f == "append" else [f, key, [int(v) for v in result]])
    return {"type": "ok", "value": done}


ONE_BY_ONE = False


def main():
    global ONE_BY_ONE
    args = [a for a in sys.argv[1:] if a != "--one-by-one"]
    ONE_BY_ONE = len(args) != len(sys.argv) - 1
    host, port = args[0], int(args[1])
    region = args[2] if len(args) > 2 else None
    redis = Redis(host, port)
    for line in sys.stdin:
        op = json.loads(line)
        try:
            answer = perform(redis, op)
        except NotSent as e:
            redis.close()
            answer = {"type": "fail", "error": str(e)}
        except (OSError, ConnectionError) as e:
            # Sent, then lost: the script may have run.
            redis.close()
            answer = {"type": "info", "error": str(e)}
        except RuntimeError as e:  # the server refused the script: it did not run
            answer = {"type": "fail", "error": str(e)}
        answer["id"] = op["id"]
        if region:
            answer["served_by"] = region
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
