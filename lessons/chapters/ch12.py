"""Chapter 12's own: the learner's module reloaded and run on each build, the table as bars, the
pickling trap, and the self-checks (chunks for a process pool; a function of your module in
processes).

A process pool's children import the learner's functions by module and name, so the chapter's
cells write them to a file (%%writefile) and import it. Every run here reloads that module first
and makes its pools anew: a child started earlier would still run the code it imported then.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import importlib
import os
import pickle
import threading
import types

from .. import cpu
from ..course import cpu_builds, cpu_lab
from ..course.exercises import Verdict, not_yet

SECONDS = 60  # a learner's function that takes longer than this is left, and said so
CHUNK_NUMBERS = [30_000 + 7 * x for x in range(12)]  # a check's sums: well under a second
# count_primes below each: the first takes far longest (0.4 s here), so the others end before it
LIMITS = [150_000, 1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000]

this_kernel = cpu_lab.interpreter
try_in_pool = cpu_lab.try_in_pool


def reload(module: types.ModuleType) -> types.ModuleType:
    """The module as its file says now: its cached bytecode dropped (an edit within the same
    second, of the same size, would look unchanged), then importlib.reload."""
    if not isinstance(module, types.ModuleType):
        raise TypeError(f"{module!r} is not a module: import it first")
    cached = getattr(module, "__cached__", None)
    if cached:
        with contextlib.suppress(OSError):
            os.remove(cached)
    importlib.invalidate_caches()
    return importlib.reload(module)


def compare(module: types.ModuleType, numbers=None, rounds: int = 1) -> dict:
    """Your module's programs on each build, each in a fresh Python (cpu_builds' table), after
    reloading it: every row runs the file as it is now."""
    module = reload(module)
    return cpu_builds.compare_builds(numbers, rounds=rounds, module=module)


def plot(results: dict):
    """Elapsed time of each program on each build, as bars; a pool's start-up drawn apart."""
    from matplotlib.figure import Figure

    from ..course.plotting import figure_image

    colors = ["#3465a4", "#73d216", "#75507b"]
    names, work, startup, labels, shade = [], [], [], [], []
    for index, (label, rows) in enumerate(results["builds"].items()):
        sync = rows["one after another"].get("elapsed")
        for name, r in rows.items():
            if "error" in r:
                continue
            names.append(f"{label}: {name}")
            startup.append(r["startup"])
            work.append(max(r["elapsed"] - r["startup"], 0.0))
            labels.append(
                f"{r['elapsed']:.2f} s" + (f", {sync / r['elapsed']:.2f} x" if sync else "")
            )
            shade.append(colors[index % len(colors)])
    figure = Figure(figsize=(8.5, 0.45 * len(names) + 1.4), dpi=90, layout="constrained")
    ax = figure.add_subplot()
    ax.barh(names, startup, color="#f0a30a", label="pool start-up (measured apart)")
    bars = ax.barh(names, work, left=startup, color=shade)
    ax.bar_label(bars, labels, padding=3)
    ax.invert_yaxis()
    ax.margins(x=0.3)
    ax.set_xlabel("seconds for the same sums (speed-up over one after another)")
    ax.set_title(f"CPU-bound work on {results['cpus']} usable CPUs, a colour for each build")
    figure.legend(loc="outside lower center", fontsize="small")
    return figure_image(figure)


# ---- running the learner's function: bounded, its pool tasks counted -------------------------


@contextlib.contextmanager
def _counted():
    """Count the tasks handed to any process pool and any thread pool while the block runs
    (map hands a pool one task a chunk)."""
    tasks = {"processes": 0, "threads": 0}
    pools = {"processes": concurrent.futures.ProcessPoolExecutor}
    pools["threads"] = concurrent.futures.ThreadPoolExecutor
    originals = {kind: pool.submit for kind, pool in pools.items()}

    def counting(kind):
        def submit(self, fn, /, *args, **kwargs):
            if threading.current_thread().name == "learner":
                tasks[kind] += 1
            return originals[kind](self, fn, *args, **kwargs)

        return submit

    for kind, pool in pools.items():
        pool.submit = counting(kind)
    try:
        yield tasks
    finally:
        for kind, pool in pools.items():
            pool.submit = originals[kind]


def _bounded(function, *args):
    """(result, None) or (None, why): the call runs in a thread of its own, for SECONDS at most."""
    outcome: dict = {}

    def call():
        try:
            outcome["result"] = function(*args)
        except BaseException as error:  # noqa: BLE001 (the learner's error is the verdict)
            outcome["error"] = error

    worker = threading.Thread(target=call, name="learner", daemon=True)
    worker.start()
    worker.join(SECONDS)
    name = getattr(function, "__name__", "your function")
    if worker.is_alive():
        return None, f"{name} did not return within {SECONDS} s"
    if "error" in outcome:
        error = outcome["error"]
        said = f"{name} raised {type(error).__name__}: {error}"
        if _pickling(error):
            said += ". A function defined in a cell, or a lambda, cannot go to a process pool"
        return None, said
    return outcome["result"], None


def _pickling(error: BaseException) -> bool:
    """The pickling trap, as the kernel meets it (the child fails) or as a test does (the
    parent cannot pickle a function of another __main__), or a lambda's."""
    if isinstance(error, (concurrent.futures.process.BrokenProcessPool, pickle.PicklingError)):
        return True
    return isinstance(error, (AttributeError, TypeError)) and "pickle" in str(error)


def _pool_said(tasks: dict, what: str) -> Verdict | None:
    if tasks["processes"] == 0 and tasks["threads"]:
        return not_yet(
            f"{what} went to a pool of threads, not of processes",
            "use concurrent.futures.ProcessPoolExecutor, with the spawn context.",
        )
    if tasks["processes"] == 0:
        return not_yet(
            f"no task went to a process pool: {what} ran in this kernel",
            "make a ProcessPoolExecutor and hand it the work, as find_sums_processes does.",
        )
    return None


# ---- exercise 1: one chunk a worker ----------------------------------------------------------


def check_chunks(find_sums_in_chunks) -> Verdict:
    """Exercise 1: the numbers split into one chunk a worker, each chunk one task of a process
    pool, the sums back in the order of the numbers."""
    if not callable(find_sums_in_chunks):
        return not_yet(f"{find_sums_in_chunks!r} is not a function", "run the cell above.")
    expected = cpu.find_sums(CHUNK_NUMBERS)
    for workers in (2, 3):
        with _counted() as tasks:
            sums, why = _bounded(find_sums_in_chunks, list(CHUNK_NUMBERS), workers)
        if why:
            return not_yet(why, "run the function in a cell of its own and read the error.")
        if wrong := _pool_said(tasks, "the work"):
            return wrong
        if not isinstance(sums, list) or len(sums) != len(expected):
            return not_yet(
                f"it returned {type(sums).__name__} of {_length(sums)} for 12 numbers",
                "return one flat list: a sum for each number.",
            )
        if sorted(sums) == sorted(expected) and sums != expected:
            return not_yet(
                "the sums came back in another order than the numbers",
                "chunks of neighbours, numbers[i:i + size], keep the order when joined.",
            )
        if sums != expected:
            return not_yet("some sums are wrong", "each chunk goes to my_cpu.find_sums whole.")
        if tasks["processes"] != workers:
            return not_yet(
                f"{workers} workers got {_tasks(tasks['processes'])}, not one chunk each",
                "make max_workers chunks; each task is a trip to a process and back.",
            )
    return Verdict(
        "Correct: 12 numbers went as 2 chunks to 2 processes, and 3 chunks to 3. "
        "The sums came back in order."
    )


def _tasks(count: int) -> str:
    return f"{count} task" + ("" if count == 1 else "s")


def _length(value) -> str:
    try:
        return f"{len(value)} items"
    except TypeError:
        return "no length"


# ---- exercise 2: your own function, in processes, from your module ----------------------------


def check_primes(module) -> Verdict:
    """Exercise 2: my_primes.count_primes_processes runs the module's count_primes in a pool of
    processes, in order. The module is reloaded first, as every run here does."""
    if not isinstance(module, types.ModuleType):
        return not_yet(f"{module!r} is not a module", "run the %%writefile cell, then import.")
    try:
        module = reload(module)
    except Exception as error:  # noqa: BLE001 (the learner's file may not even compile)
        return not_yet(f"the module does not load: {type(error).__name__}: {error}")
    function = getattr(module, "count_primes_processes", None)
    count = getattr(module, "count_primes", None)
    if not (callable(function) and callable(count)):
        return not_yet(
            f"{module.__name__} has no count_primes and count_primes_processes",
            "keep both names in the %%writefile cell, and run it.",
        )
    expected = [count(limit) for limit in LIMITS]
    for _ in range(2):  # twice: one run may end in the order given by chance
        with _counted() as tasks:
            counts, why = _bounded(function, list(LIMITS))
        if why:
            return not_yet(why, "run the function in a cell of its own and read the error.")
        if wrong := _pool_said(tasks, "count_primes"):
            return wrong
        if counts is not None and not isinstance(counts, list):
            with contextlib.suppress(TypeError):
                counts = list(counts)
        if isinstance(counts, list) and sorted(counts) == sorted(expected) and counts != expected:
            return not_yet(
                "the counts came back in another order than the limits",
                "executor.map keeps the order; as_completed does not.",
            )
        if counts != expected:
            return not_yet(
                f"it returned {counts!r:.60}, not one count a limit",
                "return a list: count_primes(limit) for each limit.",
            )
    return Verdict(
        f"Correct: {len(LIMITS)} limits went to a process pool as {_tasks(tasks['processes'])}. "
        f"Its children imported {module.__name__}.count_primes from your file."
    )
