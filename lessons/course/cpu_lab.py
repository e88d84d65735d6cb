"""Chapter 12's CPU-bound machinery: the GIL measured, the interpreter reported, the pickling trap.

Kept light at import (no plots, widgets or requests at the top): a process-pool child that runs
`_child_stderr_to` imports this module, and each import there is start-up time.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
import platform
import sys
import tempfile
import time

from .. import cpu
from . import builds

# One after another: about 3 s on 3.11 here, 3.4 s on 3.13t. Long enough that a pool's start-up
# (0.15 to 0.4 s for 2 spawned processes) leaves processes 1.5x or more ahead on 2 idle CPUs.
NUMBERS = [2_000_000 + x for x in range(20)]
ROUNDS = 2  # each version twice, in turn, the fastest kept: a busy moment elsewhere is left out
MAX_PROCESSES = max(8, 2 * (os.cpu_count() or 1))  # each is a whole Python to start
POOL_SECONDS = 20  # a pool's start-up and task must end within this long, or it is stopped


usable_cpus = builds.usable_cpus  # the CPUs this process may run on


def interpreter() -> dict:
    """Print and return what decides whether threads can use several CPUs at once, and the
    builds of CPython this machine offers the course (chapter 12 runs each)."""
    build = builds.this_build()
    gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else None
    facts = {
        "version": build.version,
        "implementation": platform.python_implementation(),
        "free_threaded_build": build.free_threaded,
        "gil_enabled": build.gil_enabled,
        "cpu_count": os.cpu_count(),
        "usable_cpus": build.usable_cpus,
        "start_method": cpu.START_METHOD,
        "builds": builds.pythons(),
    }
    if gil is None:
        gil_text = "on: always, before Python 3.13 (no sys._is_gil_enabled() to ask)"
    else:
        gil_text = f"{'on' if gil else 'off'} (sys._is_gil_enabled() says {gil})"
    print(
        f"Python {facts['version']} ({facts['implementation']}), "
        f"{'a free-threaded' if build.free_threaded else 'the standard'} build; the GIL is "
        f"{gil_text}."
    )
    print(
        f"CPUs: {facts['cpu_count']} in the machine, {facts['usable_cpus']} usable by this "
        f"process. Process pools start their children with {cpu.START_METHOD!r}."
    )
    print(
        "Builds this machine offers the course: "
        + "; ".join(f"{label} at {python}" for label, python in facts["builds"].items())
        + "."
    )
    if missing := builds.missing_build(facts["builds"]):
        print(missing)
    return facts


def check_workers(value, most: int, what: str) -> int:
    """Return `value` if it is a usable count of `what`; else raise a ValueError saying why."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be a whole number from 1 to {most}; got {value!r}")
    if not 1 <= value <= most:
        raise ValueError(f"{what}={value} is out of range: use 1 to {most}")
    return value


def _ready(seconds: float) -> int:
    time.sleep(seconds)  # long enough that the other workers take their share
    return os.getpid()


def pool_startup(max_workers: int = 2) -> float:
    """Seconds to start a process pool until each worker has answered once, and to stop it."""
    context = multiprocessing.get_context(cpu.START_METHOD)
    start = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(max_workers, mp_context=context) as executor:
        pids: set[int] = set()
        while len(pids) < max_workers and time.perf_counter() - start < POOL_SECONDS:
            pids.update(executor.map(_ready, [0.01] * max_workers, timeout=POOL_SECONDS))
    return time.perf_counter() - start


def interpreter_pool_startup(max_workers: int = 2, initializer=None) -> float:
    """Seconds to start an InterpreterPoolExecutor (Python 3.14+) until each interpreter has
    run `initializer` and one short task, and to stop it."""
    start = time.perf_counter()
    with concurrent.futures.InterpreterPoolExecutor(
        max_workers, initializer=initializer
    ) as executor:
        list(executor.map(time.sleep, [0.01] * max_workers))
    return time.perf_counter() - start - 0.01


def _timed(function, *args) -> tuple[list[int], float, float]:
    """Result, elapsed and CPU seconds (this process's threads and its ended children)."""
    before, start = os.times(), time.perf_counter()
    result = function(*args)
    elapsed, after = time.perf_counter() - start, os.times()
    used = sum(after[:4]) - sum(before[:4])  # user + system, of this process and of children
    return result, elapsed, used


def _child_stderr_to(path: str) -> None:
    """A pool child's initializer: its error output goes to a file that the parent reads."""
    sys.stderr = open(path, "w", buffering=1)  # noqa: SIM115 (open for the child's whole life)


def try_in_pool(function, *args, seconds: float = POOL_SECONDS):
    """Run `function(*args)` in a one-process pool as the chapter's programs do; say what came."""
    name = getattr(function, "__qualname__", repr(function))
    where = getattr(function, "__module__", "?")
    context = multiprocessing.get_context(cpu.START_METHOD)
    before = set(multiprocessing.active_children())
    with tempfile.TemporaryDirectory() as folder:
        said = os.path.join(folder, "child-stderr.txt")
        executor = concurrent.futures.ProcessPoolExecutor(
            1, mp_context=context, initializer=_child_stderr_to, initargs=(said,)
        )
        try:
            result = executor.submit(function, *args).result(timeout=seconds)
        except BaseException as error:
            executor.shutdown(wait=False, cancel_futures=True)
            _end_children(before)  # a task still running is stopped, never waited for
            if not isinstance(error, Exception):
                raise  # an interrupt: the pool is stopped, and the interrupt goes on
            _explain(error, name, where, _last_line(said))
            return error
        finally:
            executor.shutdown(wait=True)
        print(
            f"{name}({', '.join(map(repr, args))}) = {result!r}, computed in a child process "
            f"that imported {where}.{name} by name."
        )
        return result


def _end_children(before: set) -> None:
    """Stop the pool's processes that are still running (a task that overran its time)."""
    for child in set(multiprocessing.active_children()) - before:
        child.terminate()
        child.join(timeout=5)


def _last_line(path: str) -> str | None:
    with contextlib.suppress(OSError), open(path) as said:
        return ([line.strip() for line in said if line.strip()] or [None])[-1]
    return None


def _explain(error: Exception, name: str, where: str, child_said: str | None) -> None:
    print(f"The call raised {type(error).__module__}.{type(error).__name__}: {error}")
    if child_said:
        print(f"The child process, before it ended, printed: {child_said}")
    if isinstance(error, concurrent.futures.TimeoutError):
        print("The task did not end in time; its process was stopped.")
        return
    print(
        f"Why: a {cpu.START_METHOD} child is not a copy of the kernel: it gets the function by "
        f"reference, its module and name: {where}.{name}. It imports {where!r} to find it."
    )
    if where == "__main__":
        print(
            "A function defined in a notebook cell lives in the kernel's __main__, which the "
            "child does not have: put it in a module (a .py file) and import it from there."
        )
    else:
        print(
            "A lambda or a function defined inside another function has no name of its own "
            "there: define it at the top of a module."
        )
