"""How many threads: a program run at several max_workers, against the two limits of a run.

The two limits of a run of P pages with N workers:
- the latency floor, ceil(P / N) * latency: each worker waits for its pages one after another;
- the CPU bound, P * (CPU time one page costs the client) / cpus, where cpus is 1 while the GIL
  is on, and without a GIL the CPUs the busiest run kept busy (at least 1).
"""

from __future__ import annotations

import dataclasses
import time

from matplotlib.figure import Figure

from . import builds, contention
from .plotting import figure_image
from .progress import tracked
from .record import Run
from .runs import run
from .sites import demo_latency, get_sites, latency_floor, sites_changed

COUNTS = (2, 5, 10, 20, 40, 160)


def cpu_bound(cpu_per_page: float, pages: int, cpus: float = 1) -> float:
    """The least time the client's own work takes, spread over `cpus` CPUs at most."""
    return cpu_per_page * pages / cpus


@dataclasses.dataclass
class Point:
    """One run of the sweep."""

    workers: int
    run: Run
    cpu: float  # seconds of CPU of this whole process during the run (time.process_time)

    @property
    def cpus_busy(self) -> float:
        """CPU time over elapsed time: how many CPUs the run kept busy, on average."""
        return self.cpu / max(self.run.elapsed, 1e-9)


@dataclasses.dataclass
class Sweep:
    """One run per worker count, with the limits to compare them against."""

    points: list[Point]
    pages: int
    latency: float
    slots: int | None = None  # requests the server serves at once (None: no limit)
    build: builds.Build = dataclasses.field(default_factory=builds.this_build)
    shared: contention.Shared | None = None  # what the machine did beside the sweep
    program: str = "download_all_sites"

    @property
    def cpu_per_page(self) -> float:
        """The CPU a page cost in the cheapest run: every run of the sweep needed at least that."""
        return min(p.cpu for p in self.points) / self.pages

    @property
    def cpus_used(self) -> float:
        """The most CPUs a run kept busy: more than one only if the client's work spread."""
        return max(p.cpus_busy for p in self.points)

    @property
    def cpus(self) -> float:
        """What the CPU bound divides by: 1 while the GIL is on (one thread at a time runs
        Python); without a GIL, the CPUs the busiest run kept busy, at least 1, at most the
        usable ones. A bound over CPUs the work never used would be one no run comes near."""
        if self.build.gil_enabled:
            return 1.0
        return min(max(1.0, self.cpus_used), self.build.usable_cpus)

    @property
    def cpu_bound(self) -> float:
        return cpu_bound(self.cpu_per_page, self.pages, self.cpus)

    def floor(self, workers: int) -> float:
        return latency_floor(self.pages, workers, self.latency, self.slots)

    def at(self, workers: int) -> Run:
        """The run with that many workers."""
        return next(p.run for p in self.points if p.workers == workers)

    @property
    def best(self) -> Point:
        return min(self.points, key=lambda p: p.run.elapsed)

    @property
    def ratio(self) -> float:
        """The best run's time over its own floor: 1.0 would be perfect."""
        return self.best.run.elapsed / self.floor(self.best.workers)


def sweep(
    counts=COUNTS, copies: int = 80, *, program="threads", sites=None, latency=None, demo=None
) -> Sweep:
    """`program` (a download_all_sites, or "threads") once for each worker count, with a bar.

    CPU is `time.process_time()` around each run: every thread of this process, user and system
    time (`time.thread_time()` would count only the thread that waits for the pool). The demo
    sites run in a process of their own, so their work is not counted. `sites` (a list of URLs)
    with its `latency` is for tests.
    """
    pages = sites if sites is not None else get_sites("demo", copies)
    latency = latency if latency is not None else demo_latency(demo)
    points = []
    with contention.watch() as watched:
        for workers in tracked(counts, "max_workers"):
            cpu = time.process_time()
            result = run(program, workers, sites=pages, quiet=True, show=False, caution=False)
            points.append(Point(workers, result, time.process_time() - cpu))
            if result.interrupted or result.stopped or result.notes:
                break  # an interrupt, or the learner's code failed: the runs so far
    name = getattr(program, "__name__", "download_all_sites")
    return Sweep(points, len(pages), latency, shared=watched.shared, program=name)


def throttled(counts=(2, 4, 8, 16, 40), copies: int = 20, max_concurrent: int = 4, *, demo=None,
              **options) -> Sweep:  # fmt: skip
    """The sweep against sites that serve `max_concurrent` requests each at a time, then back."""
    with sites_changed(demo, max_concurrent=max_concurrent) as changed:
        result = sweep(counts, copies, demo=changed, **options)
    result.slots = max_concurrent * len(changed.sites)
    return result


def report(result: Sweep) -> None:
    """A line a run, its notes if it failed, the fastest run, and 160 workers against 5."""
    for p in result.points:
        print(f"max_workers={p.workers:>3}: {p.run.summary()[-1]}")
        for note in p.run.summary()[:-1]:
            print(f"  {note}")
    if result.slots:
        print(f"The sites serve {result.slots} requests at a time, both together.")
    best = result.best
    print(f"Fastest: max_workers={best.workers}, {best.run.elapsed:.2f} s.")
    by_count = {p.workers: p.run.elapsed for p in result.points}
    if 5 in by_count and 160 in by_count:
        five, many = by_count[5], by_count[160]
        print(f"160 workers took {many:.2f} s, 5 workers {five:.2f} s.")
        if many < five:
            print(f"Here 160 threads were {five / many:.1f} times as fast as 5.")
        else:
            print("Here 160 threads were not faster than 5.")
    contention.say(result.shared)


def say_cpus(result: Sweep) -> str:
    """Why the CPU bound divides by what it does, in one line that holds on this build."""
    if result.build.gil_enabled:
        return "The GIL is on: one thread at a time runs Python, so cpus = 1."
    return (
        f"No GIL here: the busiest run kept {result.cpus_used:.2f} CPUs busy, "
        f"so cpus = {result.cpus:.2f}."
    )


def gains(result: Sweep) -> None:
    """What each step up in workers saved, in all and for each thread added; first and last."""
    per_thread = []
    for low, high in zip(result.points, result.points[1:], strict=False):
        saved = low.run.elapsed - high.run.elapsed
        per_thread.append(saved / (high.workers - low.workers) * 1000)
        what = "saved" if saved >= 0 else "lost"
        print(
            f"From {low.workers} to {high.workers} workers: {abs(saved):.2f} s {what}, "
            f"or {abs(per_thread[-1]):.1f} ms for each thread added."
        )
    if len(per_thread) >= 2:
        first, last = per_thread[0], per_thread[-1]
        if last <= 0:
            print("The last step saved nothing: its threads only cost.")
        elif last < first:
            print(f"A thread saved {first:.1f} ms in the first step, {last:.1f} ms in the last.")
            print("The gain per thread shrank.")
        else:
            print("Here the gain per thread did not shrink.")


def plot(result: Sweep) -> object:
    """Time against max_workers (log scales), the floor, the CPU bound, the server's limit."""
    figure = Figure(figsize=(9, 4.2), dpi=90, layout="constrained")
    ax = figure.add_subplot()
    counts = [p.workers for p in result.points]
    every = list(range(1, max(counts) + 1))
    floors = [result.floor(n) for n in every]
    ax.plot(every, floors, "--", color="#555753", label="latency_floor")
    if result.slots:
        ax.axvline(result.slots, color="#ce5c00", linestyle="-.", label="the sites' limit")
    ax.axhline(result.cpu_bound, color="#a40000", linestyle=":", linewidth=2,
               label="cpu_bound")  # fmt: skip
    ax.fill_between(every, [max(f, result.cpu_bound) for f in floors], color="#eeeeec",
                    label="out of reach")  # fmt: skip
    times = [p.run.elapsed for p in result.points]
    ax.plot(counts, times, "o-", color="#204a87", label=f"your {result.program}")
    for n, t in zip(counts, times, strict=True):
        ax.annotate(f"{t:.2f}", (n, t), textcoords="offset points", xytext=(0, 6), ha="center")
    best = result.best
    ax.plot([best.workers], [best.run.elapsed], "*", color="#73d216", markersize=16,
            label=f"fastest: {best.workers} workers")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(counts, [str(n) for n in counts])
    ax.set_yticks([0.05, 0.1, 0.2, 0.5, 1, 2, 5], ["0.05", "0.1", "0.2", "0.5", "1", "2", "5"])
    ax.set_ylim(min([*floors, result.cpu_bound]) * 0.7, max(times + floors[:2]) * 1.5)
    ax.set_xlabel("max_workers")
    ax.set_ylabel("seconds (log scale)")
    limit = f", the sites serving {result.slots} at a time" if result.slots else ""
    ax.set_title(f"{result.pages} pages, one run per worker count{limit}")
    ax.legend(loc="upper right", fontsize="small")
    return figure_image(figure)
