"""How many threads: max_workers swept against two limits, what a thread costs, and the checks.

The two limits of a run of P pages with N workers:
- the latency floor, ceil(P / N) * latency: each worker waits for its pages one after another;
- the CPU bound, P * (CPU time one page costs the client) / (CPUs that run that work at once):
  at least one, and more only as far as the runs kept more CPUs busy (without a GIL they can).
"""

from __future__ import annotations

import dataclasses
import time

from matplotlib.figure import Figure

from . import builds, contention
from .costs import not_a_count
from .exercises import Verdict, _not_a_number
from .plotting import figure_image
from .progress import tracked
from .record import Run
from .runs import run
from .sites import demo_latency, get_sites, latency_floor, sites_changed, start_demo_sites

COUNTS = (1, 2, 5, 10, 20, 40, 80, 160)
TOLERANCE = 0.15


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
        return self.cpu / self.run.elapsed


@dataclasses.dataclass
class Sweep:
    """One run per worker count, with the limits to compare them against."""

    points: list[Point]
    pages: int
    latency: float
    slots: int | None = None  # requests the server serves at once (None: no limit)
    build: builds.Build = dataclasses.field(default_factory=builds.this_build)
    shared: contention.Shared | None = None  # what the machine did beside the sweep

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
        """What the CPU bound divides by: the CPUs used, measured, but at least one.

        Not the build's parallel_cpus alone: without a GIL the work may still not spread, and a
        bound over CPUs it never used would be one no run comes near. With the cheapest run's
        CPU and the busiest run's CPUs, no run of the sweep can beat the bound.
        """
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

    @property
    def crossing(self) -> float:
        """The worker count where the latency floor, about P / N * latency, falls to the bound."""
        return self.pages * self.latency / self.cpu_bound


def sweep(counts=COUNTS, copies: int = 80, *, sites=None, latency=None, demo=None) -> Sweep:
    """The threaded program once for each worker count, with a progress bar.

    CPU is `time.process_time()` around each run: every thread of this process, user and system
    time. `time.thread_time()` would count only the calling thread, which merely waits for the
    pool. That CPU over the run's elapsed time is how many CPUs the run kept busy. The demo
    sites run in a process of their own, so their work is not counted.
    `sites` (a list of URLs) with its `latency` is for tests.
    """
    pages = sites if sites is not None else get_sites("demo", copies)
    latency = latency if latency is not None else demo_latency(demo)
    points = []
    with contention.watch() as watched:
        for workers in tracked(counts, "max_workers"):
            cpu = time.process_time()
            result = run("threads", workers, sites=pages, quiet=True, show=False)
            points.append(Point(workers, result, time.process_time() - cpu))
    return Sweep(points, len(pages), latency, shared=watched.shared)


def throttled(
    counts=(2, 4, 8, 16, 40), copies: int = 20, max_concurrent: int = 4, *, demo=None, **options
) -> Sweep:
    """The sweep against sites that serve `max_concurrent` requests each at a time, then back."""
    with sites_changed(demo, max_concurrent=max_concurrent) as changed:
        result = sweep(counts, copies, demo=changed, **options)
    result.slots = max_concurrent * len(changed.sites)
    return result


def cpus_said(cpus: float, unit: bool = True) -> str:
    """'1 CPU' or '1.06 CPUs' (without `unit`: '1' or '1.06')."""
    number = "1" if cpus == 1 else f"{cpus:.2f}"
    return f"{number} CPU{'s' * (cpus != 1)}" if unit else number


def build_sentence(result: Sweep) -> str:
    """Which build ran the sweep, how many CPUs it lets the client's Python use, how many it did."""
    build, used = result.build, result.cpus_used
    busiest = max(result.points, key=lambda p: p.cpus_busy)
    if build.gil_enabled:
        may = "with the GIL on, one thread at a time runs the client's Python"
        # Only Python waits for the GIL: the system's work on the sockets can run beside it.
        spread = ", as system calls run beside the GIL" if used > 1 else ""
    else:
        may = f"without a GIL, the client's Python may run on up to {build.parallel_cpus} CPUs"
        spread = (
            ": its work spread over more than one CPU"
            if used > 1
            else ": on average, not more than one"
        )
    return (
        f"This sweep ran on Python {build.name}: {may}; its busiest run (max_workers="
        f"{busiest.workers}) kept {used:.2f} CPUs busy (CPU time / elapsed){spread}."
    )


def bound_sentence(result: Sweep) -> str:
    """The CPU bound that holds for this sweep, and how it follows from what it measured."""
    ms, pages, build = result.cpu_per_page * 1000, result.pages, result.build
    said = (
        f"The client's CPU: at least {ms:.2f} ms a page (its cheapest run), so {pages} pages "
        f"need at least {pages} x {ms:.2f} ms / {cpus_said(result.cpus)} = "
        f"{result.cpu_bound:.2f} s, however many threads wait"
    )
    if build.parallel_cpus > result.cpus:
        widest = cpu_bound(result.cpu_per_page, pages, build.parallel_cpus)
        said += (
            f", as long as its work spreads no wider than here (over all {build.parallel_cpus} "
            f"CPUs: {widest:.2f} s)"
        )
    return said + "."


def bound_label(result: Sweep) -> str:
    """The CPU bound's line in the plot's legend: the build, and what the bound was divided by."""
    ms = result.cpu_per_page * 1000
    return f"CPU bound on {result.build.name}: P x {ms:.2f} ms / {cpus_said(result.cpus)}"


def report(result: Sweep) -> None:
    """A line a run, the build and the CPU bound it gives, the best run, 160 against 5."""
    for p in result.points:
        floor = result.floor(p.workers)
        print(
            f"max_workers={p.workers:>3}: {p.run.summary()[-1]}; floor {floor:.2f} s "
            f"({p.run.elapsed / floor:.1f}x); CPU {p.cpu / result.pages * 1000:.2f} ms a page, "
            f"{p.cpus_busy:.2f} CPUs busy"
        )
    print(f"\n{build_sentence(result)}\n{bound_sentence(result)}")
    if result.slots:
        print(
            f"The server serves {result.slots} requests at a time: its floor stops falling there."
        )
    best = result.best
    print(
        f"Best: max_workers={best.workers} in {best.run.elapsed:.2f} s, {result.ratio:.1f} times "
        f"its floor of {result.floor(best.workers):.2f} s."
    )
    by_count = {p.workers: p.run.elapsed for p in result.points}
    if 5 in by_count and 160 in by_count:
        print(f"160 workers against 5: {by_count[5] / by_count[160]:.1f} times faster, here.")
    contention.say(result.shared)


def plot(result: Sweep) -> object:
    """Time against max_workers (log scales), the floor, the CPU bound, the server's limit."""

    figure = Figure(figsize=(9, 4.2), dpi=90, layout="constrained")
    ax = figure.add_subplot()
    counts = [p.workers for p in result.points]
    every = [n for n in range(1, max(counts) + 1) if n in counts or n == 1 or n % 2 == 0]
    floors = [result.floor(n) for n in every]
    n = "min(N, the server's limit)" if result.slots else "N"
    ax.plot(every, floors, "--", color="#555753", label=f"latency floor: ceil(P / {n}) x latency")
    if result.slots:
        ax.axvline(result.slots, color="#ce5c00", linestyle="-.", label="the server's limit")
    ax.axhline(result.cpu_bound, color="#a40000", linestyle=":", linewidth=2,
               label=bound_label(result))  # fmt: skip
    ax.fill_between(every, [max(f, result.cpu_bound) for f in floors], color="#eeeeec",
                    label="out of reach")  # fmt: skip
    times = [p.run.elapsed for p in result.points]
    ax.plot(counts, times, "o-", color="#204a87", label="measured")
    for n, t in zip(counts, times, strict=True):
        ax.annotate(f"{t:.2f}", (n, t), textcoords="offset points", xytext=(0, 6), ha="center")
    best = result.best
    ax.plot([best.workers], [best.run.elapsed], "*", color="#73d216", markersize=16,
            label=f"best: {best.workers} workers")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(counts, [str(n) for n in counts])
    ax.set_yticks([0.05, 0.1, 0.2, 0.5, 1, 2, 5], ["0.05", "0.1", "0.2", "0.5", "1", "2", "5"])
    ax.set_ylim(min([*floors, result.cpu_bound]) * 0.7, max(times + floors[:2]) * 1.5)
    ax.set_xlabel("max_workers (N)")
    ax.set_ylabel("seconds (log scale)")
    limit = f", the server serving {result.slots} at a time" if result.slots else ""
    ax.set_title(f"{result.pages} pages (P), one run per worker count{limit}")
    ax.legend(loc="upper right", fontsize="small")
    return figure_image(figure)


# ---- the exercises' self-checks ----------------------------------------------------------------


def check_crossing(answer, result: Sweep) -> Verdict:
    """Exercise 1: from how many workers on can the latency floor no longer be reached?"""
    right = result.crossing
    message = not_a_count(answer)
    if message is None and right / 1.5 <= answer <= right * 1.5:
        message = f"Correct: you said {answer}; the floor meets the CPU bound at {right:.0f}."
    elif message is None:
        message = (
            f"Not yet, because the floor meets the CPU bound at about {right:.0f} workers, not "
            f"{answer}. Hint: ceil(P / N) * latency = P * CPU per page / CPUs gives N = "
            f"latency * CPUs / CPU per page: {result.latency * 1000:.0f} ms x "
            f"{cpus_said(result.cpus, unit=False)} / {result.cpu_per_page * 1000:.2f} ms."
        )
    return Verdict(message)


def check_throttled_floor(
    answer, max_workers: int = 20, max_concurrent: int = 4, pages: int = 40, demo=None
) -> Verdict:
    """Exercise 2: the floor of `pages` pages, `max_workers` workers, sites serving 4 at a time."""
    message = _not_a_number(answer)
    if message is None:
        demo = demo if demo is not None else start_demo_sites()
        slots = max_concurrent * len(demo.sites)
        right = latency_floor(pages, max_workers, demo_latency(demo), slots)
        if abs(answer - right) <= TOLERANCE * right:
            message = f"Correct: you said {answer:.2f} s, and the floor is {right:.2f} s."
        else:
            message = (
                f"Not yet, because the floor is {right:.2f} s, not {answer:.2f} s. Hint: the "
                f"{len(demo.sites)} sites serve {slots} pages at a time in all, whatever the "
                f"{max_workers} workers ask: ceil({pages} / {slots}) rounds."
            )
    return Verdict(message)
