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


def load(mode: str, path: str | None = None):
    """The program to run: the file a cell was saved to (`path`), else the package's own."""
    if path:
        import importlib.util

        spec = importlib.util.spec_from_file_location(f"saved_{mode}", path)
        program = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(program)
        return program
    if mode == "threads":
        from .. import threaded as program
    else:
        from .. import asynchronous as program
    return program


def saved_file(program) -> str | None:
    """The file of a program saved from a cell, which a fresh Python can load; None for the
    package's own programs (the child imports those itself)."""
    name = getattr(program, "__name__", "lessons")
    return None if name.startswith("lessons") else getattr(program, "__file__", None)


def child(mode: str, concurrent: int, urls: list[str], copies: int, path=None) -> dict:
    """Run in the fresh Python: one unrecorded run of the program, and what it cost."""
    from .record_async import describe_async  # noqa: F401  (import what the run imports)

    program = load(mode, path)
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
    mode: str,
    pages: int = PAGES,
    concurrent: int = CONCURRENT,
    demo=None,
    python: str = "",
    program=None,
) -> dict:
    """One variant in a fresh Python (this one's, or `python`) against this process's demo
    sites; its JSON line, read. `program`: a module saved from a cell (else the package's)."""
    demo = demo or start_demo_sites()
    urls = list(demo.urls.values())
    argv = ["-m", __name__, mode, str(concurrent), str(pages // len(urls)), *urls]
    if saved_file(program):
        argv += ["--program", saved_file(program)]
    return {"mode": mode} | run_json(python or sys.executable, argv, SECONDS)


def compare_scale(
    pages: int = PAGES, concurrent: int = CONCURRENT, demo=None, programs: dict | None = None
) -> dict:
    """Threads against asyncio at `concurrent` requests at once, on each build this machine
    offers: elapsed, CPU, peak memory, threads. The top-level keys are this kernel's build's.
    `programs`: {"threads": module, "asyncio": module} saved from cells (else the package's)."""
    programs = programs or {}
    pythons = pythons_here()
    by_build: dict[str, dict] = {}
    with (
        progress(len(VARIANTS) * len(pythons), f"{pages} pages at {concurrent}") as bar,
        contention.watch() as watched,
    ):
        for label, python in pythons.items():
            by_build[label] = {}
            for mode in VARIANTS:
                by_build[label][mode] = measure(
                    mode, pages, concurrent, demo, python, programs.get(mode)
                )
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
    """Per build, two lines: which program finished first, and what the threads' CPUs busy
    mean on that build."""
    lines = []
    for label, rows in by_build.items():
        if any("error" in rows[mode] for mode in VARIANTS):
            lines.append(f"{label}: a program failed, so nothing is concluded for it.")
            continue
        first = min(VARIANTS, key=lambda mode: rows[mode]["elapsed"])
        other = next(mode for mode in VARIANTS if mode != first)
        a, b = rows[first], rows[other]
        lines.append(
            f"{label}: {first} finished first ({a['elapsed']:.2f} s against "
            f"{b['elapsed']:.2f} s), with {a['cpu']:.2f} s of CPU against {b['cpu']:.2f} s."
        )
        threads = rows["threads"]
        busy = threads["cpu"] / threads["elapsed"]
        said = f"{label}: the threads kept {busy:.2f} CPUs busy. "
        if busy > SPREAD:
            said += "With no GIL, their Python work ran on several CPUs at once."
        elif busy < 0.9:
            said += "Less than one CPU's worth: they waited more than they worked."
        elif threads.get("gil_enabled", True):
            said += "One CPU's worth: with the GIL, one thread at a time ran Python code."
        else:
            said += "One CPU's worth, though no GIL held them to one (the machine was busy?)."
        lines.append(said)
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}")
    parser.add_argument("mode", choices=VARIANTS)
    parser.add_argument("concurrent", type=int)
    parser.add_argument("copies", type=int)
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--program", help="the file of a program saved from a cell")
    args = parser.parse_args(argv)
    print(json.dumps(child(args.mode, args.concurrent, args.urls, args.copies, args.program)))


if __name__ == "__main__":
    main()
