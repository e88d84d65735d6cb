"""The doctor, for a room: this machine's CPUs, memory and load, and whether it holds a class of
N learners, by what benchmarks/classroom.py measured one learner to cost."""

from __future__ import annotations

import math
import os
from pathlib import Path

from .course.builds import usable_cpus
from .preflight import Row

# Measured by `python benchmarks/classroom.py` on a 2-CPU, 24 GiB machine (the table and how it
# was had: INSTRUCTOR.md, "A whole class on one machine"), every learner logging in at once.
# Memory: a learner's processes at their peak (their server, kernels, demo sites, pools and
# fresh Pythons), as PSS, which shares out what processes share: the median over classes of 1,
# 5, 10, 20 and 30 was 410 to 425 MB.
MEMORY_PER_LEARNER_MB = 420
# Learners a CPU held: the largest class whose servers all started within JupyterHub's default
# 60 s and ran chapters 02, 07 and 11 with no error (30 on 2 CPUs, the slowest at the edge).
LEARNERS_PER_CPU = 15
# Learners a CPU whose timings stayed near one learner's alone: with 5 on 2 CPUs, chapter 02's
# speed-up was 4.36 against 4.81 alone; with 10, 3.59; with 30, 1.15.
QUIET_PER_CPU = 2.5
MEASURED_ON = "2 CPUs, 24 GiB"
HEADROOM = 0.8  # of the memory free now: the hub, JupyterLab in the browser, the system


def memory_mb() -> tuple[float, float]:
    """The machine's memory and what is available now, in MB (Linux's /proc/meminfo)."""
    found = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            name, value = line.split(":", 1)
            found[name] = int(value.split()[0]) / 1024
    except (OSError, ValueError):
        return math.nan, math.nan
    return found.get("MemTotal", math.nan), found.get("MemAvailable", math.nan)


def check_machine() -> Row:
    """CPUs, memory and load now: a machine already busy measures the crowd (contention)."""
    cpus = usable_cpus()
    total, available = memory_mb()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    found = (
        f"{_cpus(cpus)}, {total / 1024:.1f} GB of memory ({available / 1024:.1f} GB free), "
        f"load {load:.1f} over the last minute"
    )
    if load > cpus:
        return Row(
            "machine",
            "warn",
            f"{found}: busier than its CPUs, so the chapters' timings will print a caution",
            "close other programs, or run the timing cells in turns",
        )
    return Row("machine", "ok", found)


def check_room(learners: int) -> Row:
    """Whether this machine holds `learners` at once, by the measured cost of one."""
    cpus = usable_cpus()
    _, available = memory_mb()
    memory = learners * MEMORY_PER_LEARNER_MB
    room_memory = math.floor(available * HEADROOM / MEMORY_PER_LEARNER_MB)
    room_cpus = cpus * LEARNERS_PER_CPU
    holds = min(room_memory, room_cpus)
    found = (
        f"{learners} learners need about {memory / 1024:.1f} GB ({MEMORY_PER_LEARNER_MB} MB "
        f"each) and {_cpus(math.ceil(learners / LEARNERS_PER_CPU))} ({LEARNERS_PER_CPU} learners a "
        f"CPU, measured on {MEASURED_ON} with JupyterHub's 60 s spawn timeout); this machine "
        f"holds about {holds}"
    )
    quiet = math.floor(cpus * QUIET_PER_CPU)
    if learners <= min(holds, max(quiet, 1)):
        return Row("room", "ok", found)
    if learners <= holds:
        return Row(
            "room",
            "warn",
            f"{found}; above {quiet} ({QUIET_PER_CPU:g} a CPU) the chapters' timings are the "
            "room's, not the threads' (chapter 02's speed-up was 3.59 with 5 learners a CPU, "
            "4.81 alone), and their cells print a caution",
            "run the timing cells in turns (chapter 12's CPU comparison first), or read the "
            "caution aloud",
        )
    short = "not enough memory" if room_memory < room_cpus else "too few CPUs"
    return Row(
        "room",
        "fail",
        f"{found}: {short}",
        f"a bigger machine, or one of {math.ceil(learners / holds)} hubs for the class"
        if holds
        else "a bigger machine",
    )


def _cpus(count: int) -> str:
    return f"{count} CPU{'s' * (count != 1)}"
