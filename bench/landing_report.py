#!/usr/bin/env python3
"""Lines a landing run's probe packets up with its faults (see bench/landing.sh).

    landing_report.py RUN_DIR

For each fault, in each direction between the two probes:
  onset  the send time of the first affected packet minus the fault's due
         instant, where "affected" is lost (partitions) or at least half the
         fault's delay late (delay), and the packet starts a run of at least
         five affected ones (so a stray loss before the fault does not count);
  heal   the send time of the first packet after the onset that starts a run
         of five unaffected ones, minus the instant the fault was due to stop (partitions only: when a delay
         ends, the packets it still holds go at once, so "late" packets stop
         before the fault does).
A fault's onset is its earliest direction's (the first packet it affected);
"in force" is its latest direction's (when it held both ways). The run's own
figure, how long after the due instant the kernel change had finished
(verdict.json's start_late_us), is printed beside them.
"""
import bisect
import glob
import json
import os
import struct
import sys
from array import array

KINDS = ["route partition", "port partition (nf_tables)", "delay 20 ms"]
RUN = 5  # consecutive affected packets that make an onset


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, len(values) * p // 100)]


def load_probe(directory):
    with open(os.path.join(directory, "probe.json")) as f:
        meta = json.load(f)
    sent = array("q")
    with open(os.path.join(directory, "sent.bin"), "rb") as f:
        sent.frombytes(f.read())
    send_ns = sent[1::2]  # records are (seq, send time); seq is the index
    received = {}
    with open(os.path.join(directory, "recv.bin"), "rb") as f:
        data = f.read()
    for source, seq, sent_at, recv_at in struct.iter_unpack("<I4xQqq", data):
        received.setdefault(source, {})[seq] = recv_at - sent_at
    return meta, send_ns, received


def ip_key(address):
    return struct.unpack("<I", bytes(int(x) for x in address.split(".")))[0]


def direction(send_ns, delays, due, stop_due, affected):
    """(onset_ns, heal_ns) of one fault on one probe flow, or None."""
    first = bisect.bisect_left(send_ns, due - 20_000_000)
    last = bisect.bisect_left(send_ns, stop_due + 50_000_000)
    hits = [s for s in range(first, last) if affected(delays.get(s))]
    onset = None
    for i in range(len(hits) - RUN + 1):
        if hits[i + RUN - 1] - hits[i] == RUN - 1:
            onset = hits[i]
            break
    if onset is None:
        return None
    # The heal: the first packet after the onset that starts a run of RUN
    # unaffected ones.
    hit = set(hits)
    heal = None
    for s in range(onset, last - RUN):
        if all(k not in hit for k in range(s, s + RUN)):
            heal = send_ns[s] - stop_due
            break
    return send_ns[onset] - due, heal


def main(run_dir):
    with open(os.path.join(run_dir, "verdict.json")) as f:
        verdict = json.load(f)
    faults = verdict["run"]["faults"]
    probes = [load_probe(d) for d in sorted(glob.glob(os.path.join(run_dir, "probe-*")))]
    if len(probes) != 2:
        sys.exit(f"landing_report: expected two probe folders in {run_dir}")
    interval_ns = probes[0][0]["interval_us"] * 1000

    # The baseline one-way delay, outside every fault.
    windows = [(f["due_ns"], f["stop_due_ns"] + 200_000_000) for f in faults]
    quiet = []
    for meta, send_ns, received in probes:
        for delays in received.values():
            for seq, d in list(delays.items())[::50]:
                t = send_ns[seq] if seq < len(send_ns) else None
                if t is not None and not any(a <= t <= b for a, b in windows):
                    quiet.append(d)
    base = percentile(quiet, 50)

    rows = {k: {"onset": [], "in_force": [], "heal": [], "applied": [], "missed": 0} for k in KINDS}
    for f in faults:
        kind = KINDS[f["fault"] % 3]
        if kind.startswith("delay"):
            affected = lambda d: d is not None and d >= base + 10_000_000
        else:
            affected = lambda d: d is None
        found = []
        for sender, receiver in ((probes[0], probes[1]), (probes[1], probes[0])):
            delays = receiver[2].get(ip_key(sender[0]["addr"]), {})
            r = direction(sender[1], delays, f["due_ns"], f["stop_due_ns"], affected)
            if r is not None:
                found.append(r)
        row = rows[kind]
        row["applied"].append(f["start_late_us"] * 1000)
        if len(found) < 2:
            row["missed"] += 1
            continue
        row["onset"].append(min(o for o, _ in found))
        row["in_force"].append(max(o for o, _ in found))
        if not kind.startswith("delay"):  # the engine lets held packets go at the revert
            row["heal"] += [h for _, h in found if h is not None]

    ms = lambda ns: ns / 1e6
    print(f"probe: one datagram every {interval_ns // 1000} us each way; "
          f"baseline one-way delay {ms(base):.3f} ms")
    print(f"{'fault':28} {'n':>4}  {'onset p50':>9} {'p99':>7} {'max':>7}  "
          f"{'in force p50':>12} {'p99':>7}  {'heal p50':>8} {'p99':>7}  "
          f"{'kernel done p50':>15} {'p99':>7}  (ms)")
    for kind, row in rows.items():
        print(f"{kind:28} {len(row['onset']):>4}  {ms(percentile(row['onset'], 50)):>9.3f} "
              f"{ms(percentile(row['onset'], 99)):>7.3f} {ms(max(row['onset'], default=0)):>7.3f}  "
              f"{ms(percentile(row['in_force'], 50)):>12.3f} {ms(percentile(row['in_force'], 99)):>7.3f}  "
              + (f"{ms(percentile(row['heal'], 50)):>8.3f} {ms(percentile(row['heal'], 99)):>7.3f}  "
                 if row["heal"] else f"{'-':>8} {'-':>7}  ") +
              f"{ms(percentile(row['applied'], 50)):>15.3f} {ms(percentile(row['applied'], 99)):>7.3f}"
              + (f"  ({row['missed']} not seen both ways)" if row["missed"] else ""))
    every = [o for row in rows.values() for o in row["onset"]]
    print(f"all faults: onset p50 {ms(percentile(every, 50)):.3f} ms, "
          f"p99 {ms(percentile(every, 99)):.3f} ms over {len(every)} faults")


if __name__ == "__main__":
    main(sys.argv[1])
