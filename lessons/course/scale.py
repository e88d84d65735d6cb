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
import subprocess
import sys
import threading
import time

from .exercises import Verdict
from .progress import progress
from .sites import start_demo_sites

PAGES, CONCURRENT = 2000, 1000
SECONDS = 60  # a variant that takes longer than this is stopped, and says so
VARIANTS = ("threads", "asyncio")


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
    }


def measure(mode: str, pages: int = PAGES, concurrent: int = CONCURRENT, demo=None) -> dict:
    """One variant in a fresh Python against this process's demo sites; its JSON line, read."""
    demo = demo or start_demo_sites()
    urls = list(demo.urls.values())
    argv = [sys.executable, "-m", __name__, mode, str(concurrent), str(pages // len(urls)), *urls]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=SECONDS)
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        return {"mode": mode, "error": f"stopped after {SECONDS} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return {"mode": mode, "error": f"exit {done.returncode}: {last}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare_scale(pages: int = PAGES, concurrent: int = CONCURRENT, demo=None) -> dict:
    """Threads against asyncio at `concurrent` requests at once: elapsed, peak memory, threads."""
    results = {}
    with progress(len(VARIANTS), f"{pages} pages at {concurrent}") as bar:
        for mode in VARIANTS:
            results[mode] = measure(mode, pages, concurrent, demo)
            bar.step(mode)
    print(f"{pages} pages, {concurrent} requests at once (max_workers={concurrent}), "
          "each program in a fresh Python:")  # fmt: skip
    print(f"{'program':>8} {'elapsed':>8} {'CPU':>7} {'peak memory':>12} {'before run':>11} "
          f"{'threads':>8}")  # fmt: skip
    for mode, r in results.items():
        if "error" in r:
            print(f"{mode:>8}  {r['error']}")
            continue
        print(f"{mode:>8} {r['elapsed']:>7.2f}s {r['cpu']:>6.2f}s {r['peak_mb']:>9.0f} MB "
              f"{r['before_mb']:>8.0f} MB "
              f"{r['threads']:>8}   {r['pages']} pages")  # fmt: skip
    return results


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
    if not results or any("error" in r for r in results.values()):
        results = {mode: measure(mode, demo=demo) for mode in VARIANTS}
    if any("error" in r for r in results.values()):
        return Verdict("Not yet, because a run failed: run the table's cell again.")
    faster = min(VARIANTS, key=lambda mode: results[mode]["elapsed"])
    times = ", ".join(f"{m} {results[m]['elapsed']:.2f} s" for m in VARIANTS)
    if answer == faster:
        return Verdict(f"Correct: {times}.")
    return Verdict(f"Not yet, because {times}. Hint: look at the CPU seconds beside each.")
