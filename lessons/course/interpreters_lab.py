"""Chapter 11's fourth way (Python 3.14 and newer): the downloads in an InterpreterPoolExecutor.

Each program runs in a fresh process of a Python 3.14 or newer (the kernel's own, or one that
`builds.newer_python` finds) and prints one line of JSON, as cpu_builds does for the sums: a fresh
process is fair to each, and its peak memory is the program's own.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time

from . import builds, contention, cpu_builds
from .progress import progress

PROGRAMS = ("threads", "interpreters")
SECONDS = 120  # a program that takes longer than this is stopped, and says so
WORKERS = 5
NO_NEWER = (
    "No Python 3.14 or newer here, so no interpreters row for the downloads. "
    "python -m lessons kernel --python python3.14 adds one."
)


def child(program: str, workers: int, sites: list[str]) -> dict:
    """Run in the fresh Python: one program over `sites`, its costs, and its pool's start-up."""
    from .. import interpreters, threaded
    from .cpu_lab import interpreter_pool_startup
    from .scale import Sampler, resident_kb

    startup = 0.0
    if program == "interpreters":  # timed apart: a pool of interpreters, each with its Session
        startup = interpreter_pool_startup(workers, interpreters.set_global_session)
    function = {"threads": threaded, "interpreters": interpreters}[program].download_all_sites
    before, begun = os.times(), time.perf_counter()
    with Sampler(every=0.02) as alive, contextlib.redirect_stdout(io.StringIO()):  # no J/R
        sizes = function(sites, workers)
    elapsed, after = time.perf_counter() - begun, os.times()
    return {
        "elapsed": elapsed,
        "cpu": sum(after[:4]) - sum(before[:4]),
        "startup": startup,
        "peak_mb": resident_kb("VmHWM") / 1024,
        "threads": alive.threads,
        "pages": len(sizes),
        "bytes": sum(sizes),
        "build": builds.this_build().name,
    }


def compare_downloads(sites=None, max_workers: int = WORKERS, newer=None) -> dict | None:
    """Threads and interpreters over the same pages, each in a fresh Python 3.14 or newer.
    Prints the table and one line on what it shows; None (and one line) where there is none."""
    from .sites import demo_pages

    python = _newer(newer)
    if python is None:
        print(NO_NEWER)
        return None
    label, python = python
    sites = demo_pages() if sites is None else list(sites)
    rows = {}
    with progress(len(PROGRAMS), f"downloads on {label}") as bar, contention.watch() as watched:
        for program in PROGRAMS:
            argv = ["-m", __name__, program, str(max_workers), json.dumps(sites)]
            rows[program] = builds.run_json(python, argv, SECONDS)
            bar.step(program)
    print(f"{len(sites)} pages, max_workers={max_workers}, each program in a fresh {label}.")
    print(
        f"{'program':<13} {'elapsed':>8} {'speed-up':>9} {'CPU time':>9} {'CPUs busy':>9} "
        f"{'peak memory':>11} {'start-up':>9}"
    )
    threads = rows["threads"].get("elapsed")
    for name, r in rows.items():
        if "error" in r:
            print(f"{name:<13} {r['error']}")
            continue
        print(f"{name:<13} {cpu_builds.costs(r, threads)} {r['startup']:7.2f} s")
    print("Speed-up: over the threads. Start-up: the interpreters' pool, timed apart.")
    contention.say(watched.shared)
    print(verdict(rows))
    return {"python": python, "label": label, "rows": rows, "workers": max_workers}


def verdict(rows: dict) -> str:
    """One line on what the two rows show, from their own numbers."""
    threads, interpreters = rows["threads"], rows["interpreters"]
    if "error" in interpreters:
        return f"The interpreters could not run the downloads: {interpreters['error']}"
    if "error" in threads:
        return "The threads' run failed, so nothing is compared; run the cell again."
    slower = interpreters["elapsed"] / threads["elapsed"]
    if slower > 1:
        said = f"The interpreters took {slower:.1f} times as long as the threads."
    else:
        said = f"The interpreters took {slower:.2f} of the threads' time."
    return said + (
        f" Starting them took {interpreters['startup']:.2f} s: each imports requests anew."
    )


def _newer(newer) -> tuple[str, str] | None:
    """(label, interpreter): the kernel's own when it is 3.14 or newer, else one found."""
    if newer is not None:
        return newer or None
    here = builds.this_build()
    if builds.is_newer(here.version):
        return here.name, sys.executable
    return builds.newer_python({})


def main(argv: list[str] | None = None) -> None:
    program, workers, sites = argv if argv is not None else sys.argv[1:]
    print(json.dumps(child(program, int(workers), json.loads(sites))))


if __name__ == "__main__":
    main()
