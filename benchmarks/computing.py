"""Chapter 12's target: on 2 idle CPUs, 2 processes and 2 free-threaded threads each do the
CPU-bound sums at least 1.5 times as fast as one after another.

Runs the chapter's table (lessons.course.cpu_builds.compare_builds, the lesson's lessons.cpu,
the chapter's 20 numbers) with each program in a fresh Python of each build this machine offers,
the fastest of --rounds runs, then one line per target: the ratio, met or not. It asserts
nothing: run it when the machine is quiet (the table's caution says when it was not).

    python benchmarks/computing.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys

from lessons.course import builds, cpu_builds

TARGET = 1.5  # times as fast as one after another, with 2 usable CPUs


def targets(results: dict) -> list[str]:
    """One line per target met or not: processes on each build, threads on a free-threaded one."""
    lines = []
    for label, rows in results["builds"].items():
        sync = rows.get("one after another", {})
        wanted = ["processes, 2 workers"]
        if sync.get("free_threaded") and not sync.get("gil_enabled"):
            wanted.append("threads, 2 workers")
        for name in (name for name in wanted if name in rows):  # a newer Python: no processes
            row = rows[name]
            if "error" in sync or "error" in row:
                lines.append(f"Target: {label} {name}: not measured ({row.get('error')}).")
                continue
            ratio = sync["elapsed"] / row["elapsed"]
            verdict = "met" if ratio >= TARGET else "not met"
            lines.append(f"Target: {label} {name} >= {TARGET}x: {ratio:.2f}x, {verdict}.")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{builds.usable_cpus()} usable CPUs; builds: {', '.join(builds.pythons())}")
    results = cpu_builds.compare_builds(rounds=args.rounds)
    print()
    for line in targets(results):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
