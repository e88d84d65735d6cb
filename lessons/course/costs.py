"""What threads cost: start-up, memory, and ThreadPoolExecutor's default max_workers."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os

from .. import thread_cost
from . import builds


@dataclasses.dataclass
class ThreadCost:
    """What starting, parking and joining `threads` threads cost this process."""

    threads: int
    start: float  # seconds to start them all
    join: float  # seconds to release and join them all
    resident: int | None  # bytes of RSS they added while parked (None: not measurable here)
    virtual: int | None  # bytes of address space they reserved (mostly their stacks)


def memory() -> tuple[int, int] | None:
    """(virtual, resident) bytes of this process, from /proc/self/statm (Linux); else None."""
    try:
        with open("/proc/self/statm") as statm:
            size, resident = statm.read().split()[:2]
    except OSError:
        return None
    page = os.sysconf("SC_PAGE_SIZE")
    return int(size) * page, int(resident) * page


def thread_costs(n: int = 500, rounds: int = 3) -> ThreadCost:
    """Start n threads parked on an Event, measure the process, release and join them.

    The quickest of `rounds` rounds: the others were slowed by whatever else ran at the time.
    """
    measured = []
    for _ in range(rounds):
        before = memory()
        start, join, during = thread_cost.start_and_join(n, memory)
        if before is None or during is None:
            measured.append(ThreadCost(n, start, join, None, None))
        else:
            grew = during[1] - before[1], during[0] - before[0]
            measured.append(ThreadCost(n, start, join, *grew))
    return min(measured, key=lambda cost: cost.start)


def report_costs(cost: ThreadCost, run=None) -> None:
    """The costs per thread, a line each; with `run` (a Run), what starting its threads cost it."""
    n = cost.threads
    print(f"Python {builds.this_build().name}: {n} threads started in {cost.start * 1000:.1f} ms.")
    print(f"That is {cost.start / n * 1e6:.0f} microseconds a thread.")
    if cost.resident is None:
        print("Memory: /proc/self/statm is not there on this system, so not measured.")
    else:
        print(f"Memory a waiting thread really uses (RSS): {cost.resident / n / 1024:.0f} KiB.")
        print(f"Address space a thread reserves: {cost.virtual / n / 2**20:.1f} MiB.")
    if run is not None and run.max_workers:
        threads = min(run.max_workers, run.pages)
        starting = cost.start / n * threads
        print(
            f"Starting the {threads} threads of max_workers={run.max_workers}: "
            f"about {starting * 1000:.0f} ms of its {run.elapsed:.2f} s."
        )


def cpus() -> int:
    """The CPUs this process may use, as ThreadPoolExecutor counts them on this Python."""
    return (getattr(os, "process_cpu_count", None) or os.cpu_count)() or 1


def default_max_workers(cpu_count: int | None = None) -> int:
    """ThreadPoolExecutor's max_workers when you give none (Python 3.8 and later)."""
    return min(32, (cpu_count or cpus()) + 4)


def report_default() -> int:
    with concurrent.futures.ThreadPoolExecutor() as pool:
        chosen = pool._max_workers  # what this Python really chose; no thread is started
    print(f"ThreadPoolExecutor() chose max_workers={chosen} here.")
    return chosen
