"""Chapters 04 and 05's shared machinery: the learner's thread code run in threads, bounded in
time, and the switch interval changed for a block only."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import threading
import time
from collections.abc import Callable, Iterator

from .builds import this_build

SECONDS = 10.0  # the longest a check waits for the learner's threads


@contextlib.contextmanager
def switch_interval(seconds: float) -> Iterator[None]:
    """Set sys.setswitchinterval for the block only: it changes the whole kernel."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@dataclasses.dataclass
class InThreads:
    """What threads that ran one function returned or raised, and how long they took."""

    returned: list
    errors: list[BaseException]
    elapsed: float
    finished: bool  # every thread ended within the bound

    def trouble(self, name: str, seconds: float) -> str | None:
        """One line when the run cannot be judged: it hung or raised; else None."""
        if not self.finished:
            return (
                f"Not yet, because the threads did not finish within {seconds:g} s, "
                "so the check gave up. Hint: a Lock taken twice by one thread waits for ever."
            )
        if self.errors:
            error = self.errors[0]
            return f"Not yet, because {name} raised {type(error).__name__}: {error}."
        return None


def in_threads(function: Callable, arguments: list, seconds: float = SECONDS) -> InThreads:
    """`function(argument)` in a thread per argument, all released at once by a barrier.

    Daemon threads, waited for at most `seconds` in all: a thread stuck on a lock cannot hold up
    the kernel, and the check says so instead of hanging."""
    barrier = threading.Barrier(len(arguments) + 1)
    returned, errors = [None] * len(arguments), []

    def work(index: int, argument) -> None:
        try:
            barrier.wait(timeout=seconds)
            returned[index] = function(argument)
        except Exception as error:  # the learner's code: reported in one line
            errors.append(error)

    threads = [
        threading.Thread(target=work, args=(i, a), daemon=True, name=f"worker {i + 1}")
        for i, a in enumerate(arguments)
    ]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=seconds)
    start = time.perf_counter()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    elapsed = time.perf_counter() - start
    finished = not any(thread.is_alive() for thread in threads)
    return InThreads(returned, errors, elapsed, finished)


def build_name() -> str:
    """'3.11 (standard)' or '3.13t (free-threaded)', asked now."""
    return this_build().name


def gil_on() -> bool:
    return this_build().gil_enabled
