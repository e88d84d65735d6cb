"""What threads cost: start-up, memory, and ThreadPoolExecutor's default max_workers."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import threading

from .. import thread_cost
from . import builds
from .exercises import Verdict


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
    """The costs per thread; with `run` (a Run), what starting its threads was of its time."""
    n = cost.threads
    print(
        f"Python {builds.this_build().name}, {n} threads (the quickest of a few rounds): "
        f"started in {cost.start * 1000:.1f} ms "
        f"({cost.start / n * 1e6:.0f} us each), released and joined in {cost.join * 1000:.1f} ms "
        f"({cost.join / n * 1e6:.0f} us each)."
    )
    if cost.resident is None:
        print("Memory: /proc/self/statm is not there on this system, so not measured.")
    else:
        stack = threading.stack_size() or "the system's default"
        print(
            f"Memory while they waited: {cost.resident / n / 1024:.0f} KiB resident (RSS) a "
            f"thread, and {cost.virtual / n / 2**20:.1f} MiB of address space a thread "
            f"(stack size: {stack}). The address space is only reserved; RSS is what a thread "
            "really uses, and it grows with what the thread does (a Session, a connection)."
        )
    if run is not None and run.max_workers:
        starting = cost.start / n * min(run.max_workers, run.pages)
        print(
            f"Starting the {min(run.max_workers, run.pages)} threads of the run with "
            f"max_workers={run.max_workers} costs about {starting * 1000:.0f} ms: "
            f"{starting / run.elapsed:.0%} of its {run.elapsed:.2f} s."
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
    print(
        f"This machine has {cpus()} CPUs: min(32, {cpus()} + 4) = {default_max_workers()}. "
        f"ThreadPoolExecutor() chose max_workers={chosen}."
    )
    return chosen


def not_a_count(answer) -> str | None:
    """Why `answer` is not a worker count, or None if it is one."""
    if isinstance(answer, bool) or not isinstance(answer, int) or answer < 1:
        what = "there is no answer" if answer is None else f"{answer!r} is not a whole number"
        return f"Not yet, because {what}: write a number of workers, 1 or more."
    return None


def check_default_workers(answer, cpu_count: int = 64) -> Verdict:
    """Exercise 3: ThreadPoolExecutor's default max_workers on a machine with `cpu_count` CPUs."""
    right = default_max_workers(cpu_count)
    message = not_a_count(answer)
    if message is None and answer == right:
        message = f"Correct: min(32, {cpu_count} + 4) = {right}."
    elif message is None:
        message = (
            f"Not yet, because it is {right}, not {answer}. Hint: min(32, CPUs + 4); the 32 "
            "keeps a big machine from starting hundreds of threads nobody asked for."
        )
    return Verdict(message)
