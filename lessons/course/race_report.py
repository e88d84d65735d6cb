"""The bare `counter += 1`, under a lock and on a thread_local, measured on each build of CPython.

Chapter 05 and benchmarks/builds.py ask each build the same question in a fresh Python of that
build (`python -m lessons.course.race_report` prints one JSON line), then print a row per build.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import statistics
import threading
import time

from .builds import Build, missing_build, pythons, run_json, this_build

BARE, LOCKED, LOCAL = "bare +=", "bare += under the lock", "bare += in thread_local"
TIMES = 250_000  # updates a thread: cheap ones, so that a run lasts a fraction of a second
OTHER_BUILD_SECONDS = 180

counter = 0  # the course's own counter: the learner's cells keep theirs
counter_lock = threading.Lock()
thread_local = threading.local()


def bare(times: int) -> None:
    global counter
    for _ in range(times):
        counter += 1


def bare_locked(times: int) -> None:
    global counter
    for _ in range(times):
        with counter_lock:
            counter += 1


def bare_local(times: int) -> int:
    thread_local.count = 0
    for _ in range(times):
        thread_local.count += 1
    return thread_local.count


COUNTERS = {BARE: bare, LOCKED: bare_locked, LOCAL: bare_local}


@dataclasses.dataclass
class Counted:
    """Runs of one counter: the updates each run asked for, lost, and how long each run took."""

    name: str
    updates: int
    lost: list[int] = dataclasses.field(default_factory=list)
    seconds: list[float] = dataclasses.field(default_factory=list)

    @property
    def per_update(self) -> float:
        """Seconds per update, the median run's elapsed time divided by its updates."""
        return statistics.median(self.seconds) / self.updates

    @property
    def runs_that_lost(self) -> int:
        """How many of the runs lost at least one update."""
        return sum(1 for n in self.lost if n > 0)


def count_with_threads(increment, threads: int, times: int) -> int:
    """The course's counter counted by `threads` threads at once: what they added up to."""
    global counter
    counter = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as executor:
        returned = list(executor.map(increment, [times] * threads))
    return counter + sum(n for n in returned if n is not None)


def count(name: str, runs: int = 3, threads: int = 4, times: int = TIMES) -> Counted:
    """Run the counter `name` of COUNTERS `runs` times in `threads` threads."""
    counted = Counted(name, threads * times)
    for _ in range(runs):
        start = time.perf_counter()
        total = count_with_threads(COUNTERS[name], threads, times)
        counted.seconds.append(time.perf_counter() - start)
        counted.lost.append(counted.updates - total)
    return counted


def runs_said(n: int, of: int) -> str:
    """'all 3 runs', '2 of 3 runs', '1 run'."""
    if of == 1:
        return "1 run" if n else "no run"
    return f"all {of} runs" if n == of else f"{n} of {of} runs"


def runs_of(n: int) -> str:
    return f"{n} run" + ("s" if n != 1 else "")


def row(build_name: str, results: list[Counted]) -> dict:
    """One build's row of the table: the bare +=, and the two fixes, from its counters."""
    by_name = {c.name: c for c in results}
    missing = [name for name in COUNTERS if name not in by_name]
    if missing:
        return {"build": build_name, "error": f"no {', '.join(missing)} counted"}
    bare_, locked, local = (by_name[name] for name in COUNTERS)
    return {
        "build": build_name,
        "updates": bare_.updates,
        "runs": len(bare_.lost),
        "bare_lost": statistics.median(bare_.lost),
        "bare_runs_that_lost": bare_.runs_that_lost,
        "bare_ns": bare_.per_update * 1e9,
        "locked_lost": max(locked.lost),
        "locked_ns": locked.per_update * 1e9,
        "local_lost": max(local.lost),
        "local_ns": local.per_update * 1e9,
    }


def build_label(build: Build) -> str:
    return build.name + (", GIL on" if build.free_threaded and build.gil_enabled else "")


WIDTHS = (22, 27, 11, 11, 6, 10, 11, 6)  # build; the bare +=; under the lock; in thread_local
HEADS = ("build", "lost (median)", "ns/update", "ns/update", "lost", "adds", "ns/update", "lost")


def _line(cells) -> str:
    first, *rest = zip(cells, WIDTHS, strict=True)
    return f"{first[0]:<{first[1]}}" + "".join(f"{c:>{w}}" for c, w in rest)


def lock_table(rows: list[dict]) -> str:
    """A line per build: lost, ns per update: the bare +=, under the lock, in thread_local."""
    groups = f"{'':<22}{'the bare +=':>38}{'under the lock':>27}{'in thread_local':>17}"
    lines = [groups, _line(HEADS)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['build']:<22}  not measured: {r['error']}")
            continue
        bare_ = f"{r['bare_lost']:,.0f} of {r['updates']:,} ({r['bare_lost'] / r['updates']:.0%})"
        adds = f"{r['locked_ns'] - r['bare_ns']:+,.0f} ns"
        lines.append(_line((r["build"], bare_, f"{r['bare_ns']:,.0f}", f"{r['locked_ns']:,.0f}",
                            f"{r['locked_lost']:,}", adds, f"{r['local_ns']:,.0f}",
                            f"{r['local_lost']:,}")))  # fmt: skip
    return "\n".join(lines)


def what_the_table_means(rows: list[dict]) -> str:
    """Two lines a build: what the bare += lost there this time, and what the lock cost."""
    lines = []
    for r in (r for r in rows if "error" not in r):
        lost, n_runs = r["bare_runs_that_lost"], r["runs"]
        if lost:
            bare_ = f"this time the bare += lost updates in {runs_said(lost, n_runs)}."
        else:
            bare_ = f"this time the bare += lost nothing in {runs_of(n_runs)}."
            bare_ += " Python does not promise it."
        locked = "nothing" if r["locked_lost"] == 0 else f"up to {r['locked_lost']:,} updates"
        lines.append(f"{r['build']}: {bare_}")
        lines.append(
            f"{r['build']}: under the lock it lost {locked}; an update took "
            f"{r['locked_ns']:,.0f} ns instead of {r['bare_ns']:,.0f} ns "
            f"({r['locked_ns'] / r['bare_ns']:.1f} times as long)."
        )
    return "\n".join(lines)


def measure_in(
    label: str, python: str, runs: int, threads: int, seconds: float, times: int = TIMES
) -> dict:
    """The bare counters' row of one build, measured in a fresh Python of it (`python`)."""
    argv = ["-m", "lessons.course.race_report", "--runs", str(runs), "--threads", str(threads)]
    argv += ["--times", str(times)]
    said = run_json(python, argv, seconds)  # a fresh process: its own build, its own GIL
    if "counted" not in said:
        return {"build": label, "error": said.get("error", f"no counters in {said}")}
    return row(said["build"], [Counted(**c) for c in said["counted"]])


def compare_builds(
    runs: int = 3, threads: int = 4, seconds: float = OTHER_BUILD_SECONDS, times: int = TIMES
) -> list[dict]:
    """Every build this machine offers, each measured in a fresh Python of it: a row each."""
    found = pythons()
    rows = []
    for label, python in found.items():
        print(f"Measuring {label} in a fresh Python of it.", flush=True)
        rows.append(measure_in(label, python, runs, threads, seconds, times))
    print(f"{threads} threads, {runs} runs a counter, {times:,} updates a thread:")
    print(lock_table(rows))
    print(what_the_table_means(rows))
    if (missing := missing_build(found)) is not None:
        print(missing)
    return rows


def main(argv: list[str] | None = None) -> None:
    """`python -m lessons.course.race_report`: the bare counters on this build, as one JSON line."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--times", type=int, default=TIMES)
    args = parser.parse_args(argv)
    counted = [count(name, args.runs, args.threads, args.times) for name in COUNTERS]
    build = this_build()  # asked after the imports and the runs: an import may turn the GIL on
    said = {"build": build_label(build), "counted": [dataclasses.asdict(c) for c in counted]}
    print(json.dumps(said))


if __name__ == "__main__":
    main()
