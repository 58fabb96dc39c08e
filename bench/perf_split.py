#!/usr/bin/python3
"""Splits a `perf record -a` profile of a destbench run by where the server's samples fall.

Usage: bench/perf_split.py PERF_DATA SERVER_PID

Prints the server's share of all samples, its samples bucketed by library (kernel; gRPC, Abseil
and protobuf; libc and libstdc++; the service's own code), and the share of gRPC's debug-build
completion-queue tag check (`cq_check_tag`, not exported: found by its address in Debian's
libgrpc.so.29.0.0, 1.51.1-3+b1) in the server and in every other process (the benchmark's client).
A tool that prints figures (docs/benchmarks.md, "Where the time goes"), not a test.
"""
import collections
import re
import subprocess
import sys

CQ_CHECK_TAG = (0x4F1400, 0x4F14C0)  # libgrpc.so.29.0.0 (Debian 1.51.1-3+b1)
GRPC_LIBS = ("libgrpc", "libgpr", "libabsl", "libaddress_sorting", "libupb", "libre2",
             "libcares", "libssl", "libcrypto", "libprotobuf")


def perf_script(data, *args):
    return subprocess.run(["perf", "script", "-i", data, *args], capture_output=True, text=True,
                          check=True).stdout


def bucket(dso):
    if "kernel" in dso:
        return "kernel"
    if dso.endswith("/destination"):
        return "ours"
    if any(lib in dso for lib in GRPC_LIBS):
        return "gRPC + Abseil + protobuf"
    if any(lib in dso for lib in ("libc.so", "libstdc++", "ld-linux", "vdso")):
        return "libc/libstdc++"
    return "other: " + dso.rsplit("/", 1)[-1]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data, server = sys.argv[1], int(sys.argv[2])
    # Where each process mapped libgrpc's code, to turn sample addresses into library offsets.
    bases = {}
    for line in perf_script(data, "--show-mmap-events").splitlines():
        m = re.search(r"PERF_RECORD_MMAP2 (\d+)/\d+: \[0x([0-9a-f]+)\(0x[0-9a-f]+\) @ 0x([0-9a-f]+) "
                      r".*r-xp .*libgrpc\.so\.29", line)
        if m:
            bases[int(m.group(1))] = (int(m.group(2), 16), int(m.group(3), 16))
    samples = collections.Counter()
    buckets = collections.Counter()
    cq = collections.Counter()
    for line in perf_script(data, "-F", "pid,ip,dso", "-G").splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        try:
            pid, ip = int(parts[0]), int(parts[1], 16)
        except ValueError:
            continue
        who = "server" if pid == server else ("idle" if pid == 0 else "others")
        samples[who] += 1
        dso = parts[-1].strip("()")
        if "libgrpc.so" in dso and pid in bases:
            base, offset = bases[pid]
            if CQ_CHECK_TAG[0] <= ip - base + offset < CQ_CHECK_TAG[1]:
                cq[who] += 1
        if who == "server":
            buckets[bucket(dso)] += 1
    total = sum(samples.values())
    n = max(samples["server"], 1)
    print(f"server: {samples['server']} samples ({100 * samples['server'] / total:.0f}% of all); "
          f"other processes {100 * samples['others'] / total:.0f}%; idle {100 * samples['idle'] / total:.0f}%")
    for name, count in buckets.most_common():
        print(f"  {name:28s} {100 * count / n:5.1f}%")
    print(f"  cq_check_tag (in gRPC)       {100 * cq['server'] / n:5.1f}%")
    print(f"other processes: cq_check_tag {100 * cq['others'] / max(samples['others'], 1):.1f}%")


if __name__ == "__main__":
    main()
