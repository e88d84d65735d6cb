"""The two builds side by side: counters, CPU-bound work and the threaded downloads, per build.

For each build of CPython this machine offers the course (the standard one that runs this script,
and the free-threaded kernel's interpreter that `python -m lessons free-threaded` added), a fresh
Python of that build measures:
- the threaded downloads of the 160 pages at 5, 20 and 160 workers against the demo sites (one
  process of their own, shared by both builds): elapsed, ratio to the latency floor
  ceil(pages / workers) * latency, and the client's CPU per page;
then chapter 05's counters (lessons.course.race_report: updates lost by the bare `+=` from 4
threads, ns per update of it, under a Lock and on a `threading.local`) and chapter 12's CPU-bound
comparison (lessons.course.cpu_builds) runs on each build. It asserts
nothing: the figures are for reading. Target to report against: threads on the free-threaded
build reach at least 1.8 times one after another with 2 CPUs.

    python benchmarks/builds.py [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import sys
import time

from lessons import threaded
from lessons.course import builds, cpu_builds, race_report
from lessons.course.demo_process import DemoSitesProcess
from lessons.course.sites import register_letters

WORKERS = (5, 20, 160)
COPIES = 80
TARGET = 1.8  # free-threaded threads against one after another, with 2 CPUs
CHILD_SECONDS = 300


def counters(pythons: dict[str, str], runs: int) -> None:
    """Chapter 05's bare counters on each build, each in a fresh Python of it (race_report)."""
    rows = [race_report.measure_in(label, python, runs, 4, CHILD_SECONDS)
            for label, python in pythons.items()]  # fmt: skip
    print(f"\nChapter 05's counters: 4 threads, {runs} runs each, in a fresh Python of each build:")
    print(race_report.lock_table(rows))
    print(race_report.what_the_table_means(rows))


def downloads(urls: list[str], latency: float, runs: int) -> dict:
    """The lesson's threaded program at each worker count: the fastest of `runs`, and its CPU."""
    sites = urls * COPIES
    found = {}
    for workers in WORKERS:
        best = None
        for _ in range(runs):
            cpu, start = time.process_time(), time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):  # the J and R marks
                threaded.download_all_sites(sites, max_workers=workers)
            elapsed, used = time.perf_counter() - start, time.process_time() - cpu
            if best is None or elapsed < best["elapsed"]:
                best = {"elapsed": elapsed, "cpu": used}
        floor = math.ceil(len(sites) / workers) * latency
        found[str(workers)] = best | {"floor": floor, "pages": len(sites)}
    return found


def child(urls: list[str], latency: float, runs: int) -> dict:
    register_letters(dict(zip(("Jython", "Real Python"), urls, strict=True)))
    return {"build": builds.this_build().name, "downloads": downloads(urls, latency, runs)}


def table(results: dict[str, dict]) -> None:
    labels = list(results)
    print(f"\n{'':<40}" + "".join(f"{label:>24}" for label in labels))

    def row(name: str, cells: list[str]) -> None:
        print(f"{name:<40}" + "".join(f"{cell:>24}" for cell in cells))

    for workers in WORKERS:
        cells = []
        for label in labels:
            run = results[label]["downloads"][str(workers)]
            cells.append(
                f"{run['elapsed']:.2f} s {run['elapsed'] / run['floor']:.2f}x "
                f"{run['cpu'] / run['pages'] * 1e3:.2f}ms"
            )
        row(f"threads, {workers} workers: elapsed, floor, CPU/page", cells)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python benchmarks/builds.py")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)  # latency, then the urls
    args = parser.parse_args(argv)
    if args.child:
        latency, *urls = args.child
        print(json.dumps(child(urls, float(latency), args.runs)))
        return
    pythons = builds.pythons()
    print("Builds:", "; ".join(f"{label} at {python}" for label, python in pythons.items()))
    if missing := builds.missing_build():
        print(missing)
    demo = DemoSitesProcess()
    try:
        latency = sum(site.profile.latency for site in demo.sites.values()) / len(demo.sites)
        demo.configure(jitter=0.0)
        urls = list(demo.urls.values())
        results = {}
        for label, python in pythons.items():
            argv = [__file__, "--runs", str(args.runs)]
            argv += ["--child", str(latency), *urls]
            started = time.perf_counter()
            results[label] = builds.run_json(python, argv, CHILD_SECONDS)
            print(f"{label}: measured in {time.perf_counter() - started:.1f} s")
            if "error" in results[label]:
                print(f"{label}: {results[label]['error']}")
                results.pop(label)
    finally:
        demo.stop()
    print(
        f"The threaded downloads: 160 pages at {latency * 1e3:.0f} ms (no jitter), fastest of "
        f"{args.runs}; floor = ceil(160 / workers) * latency; CPU/page: the client's "
        "process_time per page."
    )
    table(results)
    counters(pythons, args.runs)
    print("\nChapter 12's CPU-bound comparison, each build in fresh Pythons:")
    cpu = cpu_builds.compare_builds(pythons=pythons)
    for label, rows in cpu["builds"].items():
        sync, two = rows["one after another"], rows["threads, 2 workers"]
        if "error" in sync or "error" in two or sync["gil_enabled"]:
            continue
        ratio = sync["elapsed"] / two["elapsed"]
        verdict = "met" if ratio >= TARGET else "not met"
        print(f"Target: {label} threads, 2 workers >= {TARGET}x one after another: "
              f"{ratio:.2f}x, {verdict}.")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
