#!/usr/bin/python3
"""A faultline exec client for Redis, in Python 3 with the standard library only.

faultline starts one of these per client session, in the region's client host,
and writes one operation per line on stdin (docs/clients.md):

    {"id": 7, "f": "read",  "key": "k3", "value": null, "process": 4}
    {"id": 8, "f": "write", "key": "k3", "value": 4000001, "process": 4}
    {"id": 9, "f": "cas",   "key": "k3", "value": [4000001, 4000002], "process": 4}

and reads one answer per line on stdout:

    {"id": 7, "type": "ok", "value": 4000001}

Usage: redis_register.py HOST PORT [REGION]
"""
import json
import socket
import sys

# Compare-and-set in one step on the server: expected "" means "no value".
CAS = (
    "local v = redis.call('GET', KEYS[1]) "
    "if (v == false and ARGV[1] == '') or v == ARGV[1] then "
    "redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0"
)


class NotSent(Exception):
    """The request never left: the operation certainly did not happen."""


class Redis:
    """RESP over one TCP connection, opened lazily and dropped on any error."""

    def __init__(self, host, port):
        self.address = (host, port)
        self.sock = None
        self.reader = None

    def connect(self):
        try:
            self.sock = socket.create_connection(self.address, timeout=0.5)
        except OSError as e:
            raise NotSent(str(e))
        # Below faultline's operation timeout (2 s in the experiments), so the
        # client says "info" itself and is not restarted.
        self.sock.settimeout(1.0)
        self.reader = self.sock.makefile("rb")

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = self.reader = None

    def call(self, *args):
        if self.sock is None:
            self.connect()
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            data = str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(parts))
        return self.reply()

    def reply(self):
        line = self.reader.readline()
        if not line:
            raise ConnectionError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.reader.read(n + 2)
            return data[:-2].decode()
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        raise ConnectionError("unexpected reply %r" % line)


def perform(redis, op):
    f, key, value = op["f"], op.get("key"), op.get("value")
    if f == "read":
        got = redis.call("GET", key)
        return {"type": "ok", "value": None if got is None else int(got)}
    if f == "write":
        redis.call("SET", key, value)
        return {"type": "ok"}
    if f == "cas":
        expected, new = value
        done = redis.call("EVAL", CAS, 1, key, "" if expected is None else expected, new)
        return {"type": "ok"} if done == 1 else {"type": "fail", "error": "precondition"}
    return {"type": "fail", "error": "unknown f " + f}


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    region = sys.argv[3] if len(sys.argv) > 3 else None
    redis = Redis(host, port)
    for line in sys.stdin:
        op = json.loads(line)
        try:
            answer = perform(redis, op)
        except NotSent as e:
            # Never reached the server: certainly not done.
            redis.close()
            answer = {"type": "fail", "error": str(e)}
        except (OSError, ConnectionError) as e:
            # Sent, then lost: a read did nothing, a write may have happened.
            redis.close()
            answer = {"type": "fail" if op["f"] == "read" else "info", "error": str(e)}
        except RuntimeError as e:  # the server said no
            answer = {"type": "fail", "error": str(e)}
        answer["id"] = op["id"]
        if region:
            answer["served_by"] = region
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
