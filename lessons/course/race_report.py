"""What chapter 04's counters mean on the build that ran them: sentences, and a row per build."""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time

from .. import races
from .builds import Build, missing_build, pythons, run_json, this_build

BARE, ROOM, LOCKED, LOCAL = "bare +=", "with room for a switch", "threading.Lock", "threading.local"
BARE_LOCKED, BARE_LOCAL = "bare += under the lock", "bare += in thread_local"
COUNTERS = {  # name: (function, updates per thread)
    BARE: (races.increment, 250_000),  # cheap: it can do many more updates in a second
    ROOM: (races.increment_with_room, 1_000),
    LOCKED: (races.increment_locked, 1_000),
    LOCAL: (races.increment_local, 1_000),
    BARE_LOCKED: (races.increment_bare_locked, 250_000),
    BARE_LOCAL: (races.increment_bare_local, 250_000),
}
BARE_COUNTERS = (BARE, BARE_LOCKED, BARE_LOCAL)  # the race in its plainest form, and its fixes
OTHER_BUILD_SECONDS = 180


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


def count(name: str, increment, times: int, runs: int, threads: int, step=None) -> Counted:
    """Run `increment(times)` in `threads` threads, `runs` times; `step(name)` after each run."""
    counted = Counted(name, threads * times)
    for _ in range(runs):
        start = time.perf_counter()
        total = races.count_with_threads(increment, threads, times)
        counted.seconds.append(time.perf_counter() - start)
        counted.lost.append(counted.updates - total)
        if step is not None:
            step(name)
    return counted


def _runs(n: int, of: int) -> str:
    return f"all {of} runs" if n == of else f"{n} of {of} runs"


def _cpus(build: Build) -> str:
    if build.gil_enabled:
        return "the GIL is on: one thread runs Python at a time"
    return f"no GIL: {build.parallel_cpus} CPUs can run this process's Python at once"


def switching(build: Build | None = None) -> str:
    """Which build runs, and whether threads can meet between the read and the write of +=."""
    build = build or this_build()
    said = f"This kernel runs {build.name}, {_cpus(build)}. "
    if build.gil_enabled:  # the GIL passes only at switch points, since Python 3.10
        return said + (
            "The GIL passes to another thread only at a call or a backward jump (JUMP_BACKWARD "
            "below), and there is neither between LOAD_GLOBAL counter and STORE_GLOBAL counter: "
            "no other thread runs between the read and the write of this +=."
        )
    if build.parallel_cpus == 1:
        return said + (
            "On one CPU the threads take turns, and without a GIL the system may switch them "
            "between any two instructions: another thread may run between the read and the write."
        )
    return said + (
        "No switch is needed for threads to meet: two threads on two CPUs can both run "
        "LOAD_GLOBAL counter before either runs STORE_GLOBAL counter, and one update is lost."
    )


def what_the_counters_mean(results: list[Counted], build: Build) -> str:
    """The sentence under the counters: what the bare += lost on this build, and why."""
    by_name = {c.name: c for c in results}
    lines = []
    if BARE in by_name:
        bare = by_name[BARE]
        runs, lost = len(bare.lost), bare.runs_that_lost
        median = f"median {statistics.median(bare.lost):,.0f} of {bare.updates:,}"
        if build.gil_enabled and not lost:
            why = "with the GIL a thread is never switched between the read and the write of +="
            lines.append(f"On {build.name} the bare += lost nothing in {_runs(runs, runs)}: {why}.")
        elif build.gil_enabled:
            lines.append(
                f"On {build.name} the bare += lost updates in {_runs(lost, runs)} ({median}): "
                "a switch fell between its read and its write even with the GIL."
            )
        elif lost:
            lines.append(
                f"On {build.name} the bare += lost updates in {_runs(lost, runs)} ({median}): "
                "without the GIL threads run at once, two of them can read the same value, and "
                "the later write wipes out the other's update. The lesson's race, in its plainest "
                "form."
            )
        else:
            lines.append(
                f"On {build.name} the bare += lost nothing in these {runs} runs, but without the "
                "GIL nothing prevents it: threads that run at once can read the same value. "
                + ("(This process may use one CPU only, so its threads took turns.) "
                   if build.parallel_cpus == 1 else "")
                + "Run the cell again."
            )  # fmt: skip
    lost_some = [c.name for c in results if c.runs_that_lost and c.name != BARE]
    lost_none = [c.name for c in results if not c.runs_that_lost and c.name != BARE]
    if lost_some:
        lines.append(
            "Lost updates too: " + ", ".join(_lost_in(by_name[n]) for n in lost_some) + "."
        )
    if lost_none:
        lines.append(f"Lost none in any run: {', '.join(lost_none)}.")
    return "\n".join(lines)


def _lost_in(c: Counted) -> str:
    return f"{c.name} (in {_runs(c.runs_that_lost, len(c.lost))})"


def what_the_sweep_means(lost: dict[str, dict[float, list[float]]], build: Build) -> str:
    """The sentence under the switch-interval sweep: how often nothing was lost, on this build."""
    lines = []
    if build.gil_enabled:
        lines.append(
            f"On {build.name} the GIL passes at a switch point once another thread has waited "
            "the interval. Runs that lost nothing, at each interval:"
        )
    else:
        lines.append(
            f"On {build.name} there is no GIL to hand over, so the interval times nothing: "
            "threads run at once when there are CPUs for them, and what differs between the "
            "intervals is the system's scheduling and chance. Runs that lost nothing, at each "
            "interval:"
        )
    for name, by_interval in lost.items():
        zero = [f"{i * 1000:g} ms: {sum(s == 0 for s in shares)} of {len(shares)}"
                for i, shares in by_interval.items()]  # fmt: skip
        lines.append(f"  {name}: {', '.join(zero)}")
    bare = [share for shares in lost.get(BARE, {}).values() for share in shares]
    if build.gil_enabled and bare and not any(bare):
        lines.append(
            "The bare += lost nothing at any interval: the interval changes how often the GIL "
            "passes, not where, and there is no switch point inside the +=."
        )
    return "\n".join(lines)


def row(build_name: str, results: list[Counted]) -> dict:
    """One build's row of the table: the bare +=, and the two fixes, from its counters."""
    by_name = {c.name: c for c in results}
    missing = [name for name in BARE_COUNTERS if name not in by_name]
    if missing:
        return {"build": build_name, "error": f"no {', '.join(missing)} counted"}
    bare, locked, local = (by_name[name] for name in BARE_COUNTERS)
    return {
        "build": build_name,
        "updates": bare.updates,
        "runs": len(bare.lost),
        "bare_lost": statistics.median(bare.lost),
        "bare_runs_that_lost": bare.runs_that_lost,
        "bare_ns": bare.per_update * 1e9,
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
        bare = f"{r['bare_lost']:,.0f} of {r['updates']:,} ({r['bare_lost'] / r['updates']:.0%})"
        adds = f"{r['locked_ns'] - r['bare_ns']:+,.0f} ns"
        lines.append(_line((r["build"], bare, f"{r['bare_ns']:,.0f}", f"{r['locked_ns']:,.0f}",
                            f"{r['locked_lost']:,}", adds, f"{r['local_ns']:,.0f}",
                            f"{r['local_lost']:,}")))  # fmt: skip
    return "\n".join(lines)


def what_the_table_means(rows: list[dict]) -> str:
    """One sentence a build: did the bare += lose updates there, and what the lock cost."""
    lines = []
    for r in (r for r in rows if "error" not in r):
        lost, runs = r["bare_runs_that_lost"], r["runs"]
        bare = f"lost nothing in {_runs(runs, runs)}"
        if lost:
            bare = f"lost updates in {_runs(lost, runs)}"
        locked = "nothing" if r["locked_lost"] == 0 else f"up to {r['locked_lost']:,} updates"
        lines.append(
            f"{r['build']}: the bare += {bare}; under the lock it lost {locked}, and an update "
            f"took {r['locked_ns']:,.0f} ns instead of {r['bare_ns']:,.0f} ns "
            f"({r['locked_ns'] / r['bare_ns']:.1f} times as long)."
        )
    return "\n".join(lines)


def measure_in(label: str, python: str, runs: int, threads: int, seconds: float) -> dict:
    """The bare counters' row of one build, measured in a fresh Python of it (`python`)."""
    argv = ["-m", "lessons.course.race_report", "--runs", str(runs), "--threads", str(threads)]
    said = run_json(python, argv, seconds)  # a fresh process: its own build, its own GIL
    if "counted" not in said:
        return {"build": label, "error": said.get("error", f"no counters in {said}")}
    return row(said["build"], [Counted(**c) for c in said["counted"]])


def compare_builds(results: list[Counted], seconds: float = OTHER_BUILD_SECONDS) -> list[dict]:
    """This kernel's row from `results`; every other build's, measured in a fresh Python of it."""
    here = build_label(this_build())
    runs = max(len(c.lost) for c in results)
    threads = next((c.updates // COUNTERS[c.name][1] for c in results if c.name in COUNTERS), 4)
    rows = [row(here, results)]
    found = pythons()
    for label, python in list(found.items())[1:]:
        print(f"Measuring {label} in a fresh Python of it: {python}", flush=True)
        rows.append(measure_in(label, python, runs, threads, seconds))
    print(f"{threads} threads, {runs} runs a counter; this kernel's row is the counters above, "
          "another build's ran in a fresh Python of that build:")  # fmt: skip
    print(lock_table(rows))
    print(what_the_table_means(rows))
    if (missing := missing_build(found)) is not None:
        print(missing)
    return rows


def main(argv: list[str] | None = None) -> None:
    """`python -m lessons.course.race_report`: the bare counters on this build, as one JSON line."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    counted = [count(name, *COUNTERS[name], args.runs, args.threads) for name in BARE_COUNTERS]
    build = this_build()  # asked after the imports and the runs: an import may turn the GIL on
    said = {"build": build_label(build), "counted": [dataclasses.asdict(c) for c in counted]}
    print(json.dumps(said))


if __name__ == "__main__":
    main()
