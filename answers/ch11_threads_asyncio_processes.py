"""Chapter 11's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import math
import sys

from lessons.course.sites import demo_latency


def my_bound(target: float = 0.4, pages: int = 160, demo=None) -> int:
    """Exercise 1: the least max_workers for which the asyncio program's floor is <= 0.4 s."""
    # Each slot may take 0.4 s / latency pages one after another (8 at 50 ms); the 160 pages
    # need ceil(160 / 8) = 20 slots. With 19, one slot takes 9 pages: 0.45 s.
    per_slot = math.floor(target / demo_latency(demo) + 1e-9)  # a float's rounding drops no page
    return math.ceil(pages / per_slot)


def my_faster(at_scale: dict) -> str:
    """Exercise 2: which program finished the 2,000 pages first: the table's shorter elapsed."""
    # It depends on the machine and the build, so the table decides (its top-level rows are the
    # kernel's own build's). Where asyncio wins, the CPU column says why: aiohttp does less
    # Python work per request than requests, and with the GIL the threads' work is done one
    # thread at a time.
    return min(("threads", "asyncio"), key=lambda mode: at_scale[mode]["elapsed"])


def my_threads_speedup(cpu_facts: dict | None = None, cpu_results: dict | None = None) -> float:
    """Exercise 3: how many times as fast 2 threads do the sums as one after another."""
    # Read it off the table (cpu_builds.compare_builds): one after another's elapsed over that of
    # 2 threads, on the row of the kernel's own build. Without the table: with the GIL on, one
    # thread at a time runs Python code, so 2 threads are no faster, 1.0; without it, 2 threads
    # can use 2 CPUs, if there are 2.
    if cpu_results:
        rows = cpu_results["builds"][cpu_results["this"]]
        return rows["one after another"]["elapsed"] / rows["threads, 2 workers"]["elapsed"]
    gil = (cpu_facts or {}).get("gil_enabled", getattr(sys, "_is_gil_enabled", lambda: True)())
    cpus = (cpu_facts or {}).get("usable_cpus", 1)
    return 1.0 if gil else float(min(2, cpus))


def my_processes_most(cpu_facts: dict, max_workers: int = 4) -> int:
    """Exercise 4: at most how many times as fast 4 worker processes can be here."""
    # Each CPU runs one process at a time: min(4, usable CPUs), the CPUs line of
    # cpu_lab.interpreter() (2 on this machine), start-up left aside.
    return min(max_workers, cpu_facts["usable_cpus"])


KEY = {
    "check_bound": my_bound,
    "check_faster": my_faster,
    "check_threads_speedup": my_threads_speedup,
    "check_processes_most": my_processes_most,
}
