"""Every Python the course has a kernel of, side by side: chapter 11's tables and the command line.

For the standard Python that runs this script, the free-threaded kernel's interpreter and the
kernels of Python 3.14 and 3.15 (`python -m lessons kernel`), each in fresh processes:
- `python -m lessons threads --workers 5` and `--workers 160`: the "Downloaded 160 in N seconds"
  line, the fastest of `--runs`;
- chapter 11's three programs over the 160 pages, 10 workers each (compare_lab.compare);
- chapter 12's CPU-bound table (cpu_builds), with the interpreters' row where it runs;
- the downloads with threads and with interpreters, on 3.14 and newer (interpreters_lab).
It asserts nothing: the figures are for reading.

    python benchmarks/pythons.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import time

from lessons.course import builds, compare_lab, cpu_builds, interpreters_lab, kernels

DOWNLOADED = re.compile(r"Downloaded 160 in ([0-9.]+) seconds")
SECONDS = 300


def every_python() -> dict[str, str]:
    """label -> interpreter: this one, the other build, and each newer Python's kernel."""
    found = builds.pythons()
    specs = kernels.python_kernels()
    for name in reversed(builds.NEWER_NAMES):
        if name in specs and (label := builds.label_of(specs[name]["argv"][0])):
            found.setdefault(label, specs[name]["argv"][0])
    return found


def command_line(python: str, workers: int, runs: int) -> str:
    """The fastest "Downloaded 160 in N seconds" of `runs` runs of the command."""
    best = None
    for _ in range(runs):
        argv = [python, "-m", "lessons", "threads", "--workers", str(workers), "--quiet"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=SECONDS)
        found = DOWNLOADED.search(done.stdout)
        if not found:
            return f"failed: {(done.stderr.strip().splitlines() or ['no message'])[-1]}"
        best = min(best or float("inf"), float(found.group(1)))
    return f"{best:.2f} s"


def compare_child() -> None:
    """Run in each Python: chapter 11's three programs, printed as the chapter prints them."""
    asyncio.run(compare_lab.compare(max_workers=10))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python benchmarks/pythons.py")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.compare:
        return compare_child()
    pythons = every_python()
    print("Pythons:", "; ".join(f"{label} at {python}" for label, python in pythons.items()))
    print(f"\npython -m lessons threads, the fastest of {args.runs}:")
    for label, python in pythons.items():
        five, all_of_them = (command_line(python, n, args.runs) for n in (5, 160))
        print(f"{label:<22} --workers 5: {five:>8}   --workers 160: {all_of_them:>8}")
    for label, python in pythons.items():
        print(f"\nChapter 08's three programs on {label}:")
        started = time.perf_counter()
        done = subprocess.run(
            [python, __file__, "--compare"], capture_output=True, text=True, timeout=SECONDS
        )
        print(done.stdout.strip() or done.stderr.strip().splitlines()[-1])
        print(f"({time.perf_counter() - started:.1f} s with the start-up)")
    print("\nChapter 12's CPU-bound table, every Python:")
    cpu_builds.compare_builds(pythons=pythons, newer=False)
    for label, python in pythons.items():
        version = builds.interpreter_facts(python)
        if version and builds.is_newer(version[0]):
            print(f"\nThe downloads with interpreters on {label}:")
            interpreters_lab.compare_downloads(newer=(label, python))


if __name__ == "__main__":
    sys.exit(main())
