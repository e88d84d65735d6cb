"""The scale question: thousands of pages at a thousand requests at once, threads or asyncio.

Each variant runs in a fresh Python of its own (`python -m lessons.course.scale ...`), so that
its peak memory is its own and not the kernel's: the child prints one line of JSON at its end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import multiprocessing
import sys
import threading
import time

from . import contention
from .builds import missing_build, run_json, this_build
from .builds import pythons as pythons_here
from .exercises import Verdict
from .progress import progress
from .sites import start_demo_sites

PAGES, CONCURRENT = 2000, 1000
SECONDS = 60  # a variant that takes longer than this is stopped, and says so
VARIANTS = ("threads", "asyncio")
SPREAD = 1.3  # CPUs busy above this: the program's Python ran on more than one CPU at once


def resident_kb(field: str = "VmRSS") -> int:
    """This process's resident memory in kB: now (VmRSS) or at its peak (VmHWM), from Linux's
    /proc/self/status. Not ru_maxrss: Linux keeps that across exec, so a child started by a
    kernel of 120 MB would report the kernel's peak, not its own."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(f"{field}:"))


class Sampler:
    """Counts, every few milliseconds in a thread of its own, the threads and child processes
    alive in this process; keeps the most of each (itself not counted)."""

    def __init__(self, every: float = 0.005) -> None:
        self.every, self.threads, self.processes = every, 0, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="sampler", daemon=True)

    def _sample(self) -> None:
        while True:
            self.threads = max(self.threads, threading.active_count() - 1)
            self.processes = max(self.processes, len(multiprocessing.active_children()))
            if self._done.wait(self.every):
                return

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._done.set()
        self._thread.join()


def child(mode: str, concurrent: int, urls: list[str], copies: int) -> dict:
    """Run in the fresh Python: one unrecorded run of the lesson's program, and what it cost."""
    from .record_async import describe_async  # noqa: F401  (import what the run imports)

    if mode == "threads":
        from .. import threaded as program
    else:
        from .. import asynchronous as program
    sites = urls * copies
    before, cpu = resident_kb(), time.process_time()
    with Sampler() as alive, contextlib.redirect_stdout(io.StringIO()):  # no J and R marks
        start = time.perf_counter()
        if mode == "threads":
            sizes = program.download_all_sites(sites, max_workers=concurrent)
        else:
            sizes = asyncio.run(program.download_all_sites(sites, max_workers=concurrent))
        elapsed = time.perf_counter() - start
    return {
        "mode": mode,
        "pages": len(sizes),
        "elapsed": elapsed,
        "cpu": time.process_time() - cpu,  # seconds of CPU, every thread of the process
        "peak_mb": resident_kb("VmHWM") / 1024,
        "before_mb": before / 1024,
        "threads": alive.threads,
        "gil_enabled": this_build().gil_enabled,
    }


def measure(
    mode: str, pages: int = PAGES, concurrent: int = CONCURRENT, demo=None, python: str = ""
) -> dict:
    """One variant in a fresh Python (this one's, or `python`) against this process's demo
    sites; its JSON line, read."""
    demo = demo or start_demo_sites()
    urls = list(demo.urls.values())
    argv = ["-m", __name__, mode, str(concurrent), str(pages // len(urls)), *urls]
    return {"mode": mode} | run_json(python or sys.executable, argv, SECONDS)


def compare_scale(pages: int = PAGES, concurrent: int = CONCURRENT, demo=None) -> dict:
    """Threads against asyncio at `concurrent` requests at once, on each build this machine
    offers: elapsed, CPU, peak memory, threads. The top-level keys are this kernel's build's."""
    pythons = pythons_here()
    by_build: dict[str, dict] = {}
    with (
        progress(len(VARIANTS) * len(pythons), f"{pages} pages at {concurrent}") as bar,
        contention.watch() as watched,
    ):
        for label, python in pythons.items():
            by_build[label] = {}
            for mode in VARIANTS:
                by_build[label][mode] = measure(mode, pages, concurrent, demo, python)
                bar.step(f"{label}: {mode}")
    print(f"{pages} pages, {concurrent} requests at once (max_workers={concurrent}), "
          "each program in a fresh Python of each build:")  # fmt: skip
    print(f"{'build':<22} {'program':>8} {'elapsed':>8} {'CPU':>7} {'CPUs busy':>9} "
          f"{'peak memory':>12} {'before run':>11} {'threads':>8}")  # fmt: skip
    for label, rows in by_build.items():
        for mode, r in rows.items():
            if "error" in r:
                print(f"{label:<22} {mode:>8}  {r['error']}")
                continue
            print(f"{label:<22} {mode:>8} {r['elapsed']:>7.2f}s {r['cpu']:>6.2f}s "
                  f"{r['cpu'] / r['elapsed']:>9.2f} {r['peak_mb']:>9.0f} MB "
                  f"{r['before_mb']:>8.0f} MB "
                  f"{r['threads']:>8}   {r['pages']} pages")  # fmt: skip
    contention.say(watched.shared)
    for line in scale_verdicts(by_build):
        print(line)
    if len(pythons) < 2:
        print(missing_build(pythons))
    return {**by_build[next(iter(by_build))], "by_build": by_build}


def scale_verdicts(by_build: dict) -> list[str]:
    """Per build, which program finished first, and whether its CPU seconds explain it."""
    lines = []
    for label, rows in by_build.items():
        if any("error" in rows[mode] for mode in VARIANTS):
            lines.append(f"{label}: a program failed, so nothing is concluded for it.")
            continue
        first = min(VARIANTS, key=lambda mode: rows[mode]["elapsed"])
        other = next(mode for mode in VARIANTS if mode != first)
        a, b = rows[first], rows[other]
        said = (
            f"{label}: {first} finished first ({a['elapsed']:.2f} s against "
            f"{b['elapsed']:.2f} s) and used {a['cpu']:.2f} s of CPU against {b['cpu']:.2f} s"
        )
        threads = rows["threads"]
        busy = threads["cpu"] / threads["elapsed"]
        said += f"; the threads kept {busy:.2f} CPUs busy: "
        if busy > SPREAD:
            said += "with no GIL, their Python work ran on several CPUs at once."
        elif busy < 0.9:
            said += "less than one CPU's worth, so they waited more than they worked here."
        elif threads.get("gil_enabled", True):
            said += "one CPU's worth: with the GIL, one thread at a time ran Python code."
        else:
            said += "one CPU's worth, though no GIL held them to one (the machine was busy?)."
        lines.append(said)
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}")
    parser.add_argument("mode", choices=VARIANTS)
    parser.add_argument("concurrent", type=int)
    parser.add_argument("copies", type=int)
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args(argv)
    print(json.dumps(child(args.mode, args.concurrent, args.urls, args.copies)))


if __name__ == "__main__":
    main()


def check_faster(answer, results: dict | None = None, demo=None) -> Verdict:
    """Exercise 2: at 1,000 requests at once, which finished the 2,000 pages first here,
    "threads" or "asyncio"? `results`: the table's measurements (else measured now)."""
    if answer not in VARIANTS:
        return Verdict(f"Not yet, because the answer is {answer!r}: write \"threads\" or "
                       "\"asyncio\" instead of None.")  # fmt: skip
    if not results or any("error" in results.get(mode, {"error": 1}) for mode in VARIANTS):
        results = {mode: measure(mode, demo=demo) for mode in VARIANTS}
    if any("error" in results[mode] for mode in VARIANTS):
        return Verdict("Not yet, because a run failed: run the table's cell again.")
    faster = min(VARIANTS, key=lambda mode: results[mode]["elapsed"])
    times = ", ".join(f"{m} {results[m]['elapsed']:.2f} s" for m in VARIANTS)
    if answer == faster:
        return Verdict(f"Correct: {times}.")
    return Verdict(f"Not yet, because {times}. Hint: look at the CPU seconds beside each.")
