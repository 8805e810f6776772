"""CPU time by kind of process on this machine while a benchmark runs, read from /proc (Linux).

    with CpuByProcess(kinds) as cpu:
        ...  # the measured run
    cpu.report()  # {"kind": seconds of CPU (user + system)}, with "idle" and "all"

A thread reads every process's utime + stime (``/proc/PID/stat``) every ``every_s`` seconds; a
process's CPU in the window is its last reading minus its first (or minus nothing, when it started in
the window). A process that lives shorter than one interval is missed: keep ``every_s`` small beside the
processes that matter. ``kinds(pid, ppid, cmdline) -> str`` names each process's kind.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _read(pid: str) -> tuple[int, float, str] | None:
    """(ppid, CPU seconds, command line) of one process, None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "(comm)": state ppid … utime(14) stime(15)
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, cmdline.strip()


def _idle_seconds() -> float:
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return (int(cpu[3]) + int(cpu[4])) / TICK  # idle + iowait


class CpuByProcess:
    def __init__(self, kinds: Callable[[int, int, str], str], every_s: float = 0.1):
        self.kinds = kinds
        self.every_s = every_s
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[float, str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._parents: dict[int, int] = {}
        self._cmdlines: dict[int, str] = {}

    def _sample(self, initial: bool = False) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            got = _read(entry)
            if got is None:
                continue
            pid = int(entry)
            ppid, seconds, cmdline = got
            if initial:
                self.first[pid] = seconds
            elif pid not in self.last and pid not in self.first:
                self.first[pid] = 0.0  # started in the window
            self.last[pid] = (seconds, cmdline)
            self._parents[pid] = ppid
            self._cmdlines[pid] = cmdline

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self._sample()

    def __enter__(self) -> CpuByProcess:
        self._sample(initial=True)
        self._idle0 = _idle_seconds()
        self._t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.wall_s = time.perf_counter() - self._t0
        self.idle_s = _idle_seconds() - self._idle0

    def parent_cmdline(self, pid: int) -> str:
        return self._cmdlines.get(self._parents.get(pid, 0), "")

    def report(self) -> dict[str, float]:
        by_kind: dict[str, float] = {}
        for pid, (seconds, cmdline) in self.last.items():
            used = seconds - self.first.get(pid, 0.0)
            if used <= 0:
                continue
            kind = self.kinds(pid, self._parents.get(pid, 0), cmdline)
            by_kind[kind] = by_kind.get(kind, 0.0) + used
        out = {k: round(v, 2) for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])}
        out["all processes"] = round(sum(by_kind.values()), 2)
        out["idle (both cores)"] = round(self.idle_s, 2)
        out["window_s"] = round(self.wall_s, 2)
        return out
