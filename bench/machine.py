"""CPU accounting for bench runs: how busy the machine was, and how much of that was neither server nor driver.

The machine has 2 cores; a test suite or anything else running beside a bench run takes CPU from the server and
skews its numbers. Each run records `foreign_cpu` (cores' worth of CPU used by other processes during the run), and
`wait_quiet` holds a run back until the machine is idle.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def process_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its threads (children that were waited for included)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except FileNotFoundError:
        return 0.0
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + cutime + cstime) / CLK_TCK


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """Wall time and CPU of the machine, a server process and this process between start() and stop()."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def start(self) -> CpuMeter:
        self._wall = time.monotonic()
        self._machine = machine_busy_seconds()
        self._server = process_cpu_seconds(self.server_pid)
        self._own = own_cpu_seconds()
        return self

    def stop(self) -> dict:
        wall = time.monotonic() - self._wall
        machine = machine_busy_seconds() - self._machine
        server = process_cpu_seconds(self.server_pid) - self._server
        own = own_cpu_seconds() - self._own
        return {"wall_s": round(wall, 3), "server_cpu_s": round(server, 3),
                "server_cpu": round(server / wall, 2), "driver_cpu": round(own / wall, 2),
                "foreign_cpu": round(max(0.0, machine - server - own) / wall, 2)}


def busy_cores(sample: float = 1.0) -> float:
    before, own_before = machine_busy_seconds(), own_cpu_seconds()
    time.sleep(sample)
    return max(0.0, (machine_busy_seconds() - before) - (own_cpu_seconds() - own_before)) / sample


def wait_quiet(max_busy: float, max_wait: float) -> float:
    """Waits (at most max_wait s) until other processes use at most max_busy cores; returns the last reading."""
    deadline = time.monotonic() + max_wait
    busy = busy_cores()
    announced = False
    while busy > max_busy and time.monotonic() < deadline:
        if not announced:
            print(f"  machine busy ({busy:.2f} cores used by other processes); waiting up to {max_wait:.0f}s",
                  file=sys.stderr, flush=True)
            announced = True
        busy = busy_cores(2.0)
    return busy


def describe() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "kernel": platform.release()}
