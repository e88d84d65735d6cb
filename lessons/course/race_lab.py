"""Chapter 04's machinery: the counters and the Session strategies run, counted, drawn, checked."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import statistics
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from functools import partial

import requests
from IPython.display import Image
from matplotlib.figure import Figure

from .. import races, sessions
from . import contention, race_report
from .builds import this_build
from .exercises import Verdict
from .failures import describe
from .plotting import figure_image
from .program import rebound
from .progress import progress
from .race_report import COUNTERS, ROOM, Counted
from .sites import COPIES, demo_pages, start_demo_sites

STRATEGIES = {
    "one per thread": sessions.download_site,
    "one shared": sessions.download_site_shared,
    "new per page": sessions.download_site_new_session,
}
POOL_FULL = "Connection pool is full"


@contextlib.contextmanager
def switch_interval(seconds: float) -> Iterator[None]:
    """Set sys.setswitchinterval for the block only: it changes the whole kernel."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def measure_counters(runs: int = 5, threads: int = 4, counters=None) -> list[Counted]:
    """Run each counter `runs` times; print updates lost and time per update; return them."""
    counters = counters or COUNTERS
    with progress(len(counters) * runs, "counters") as bar, contention.watch() as watched:
        results = [race_report.count(name, f, times, runs, threads, bar.step)
                   for name, (f, times) in counters.items()]  # fmt: skip
    print(f"{threads} threads, switch interval {sys.getswitchinterval() * 1000:g} ms:")
    for c in results:
        print(f"{c.name:>24}: {c.updates:>9,} updates a run, lost {c.lost}, "
              f"{c.per_update * 1e9:>8,.0f} ns per update")  # fmt: skip
    by_name = {c.name: c for c in results}
    if ROOM in by_name and "threading.Lock" in by_name:  # the same code, with and without the lock
        locked, unlocked = by_name["threading.Lock"].per_update, by_name[ROOM].per_update
        print(f"Holding the lock across the sleep adds {(locked - unlocked) * 1e6:.1f} µs to "
              f"each update: {locked * 1e6:.1f} µs instead of {unlocked * 1e6:.1f} µs: the "
              "other threads wait instead of sleeping at the same time.")  # fmt: skip
    if "bare +=" in by_name and "bare += under the lock" in by_name:
        bare, locked = by_name["bare +="].per_update, by_name["bare += under the lock"].per_update
        print(f"The lock itself, around the bare +=: {(locked - bare) * 1e9:,.0f} ns more per "
              f"update ({locked * 1e9:,.0f} ns instead of {bare * 1e9:,.0f} ns).")  # fmt: skip
    contention.say(watched.shared)
    print(race_report.what_the_counters_mean(results, this_build()))
    return results


def sweep_switch_interval(
    intervals=(0.005, 0.001, 0.0001, 0.00001), runs: int = 5, threads: int = 4
) -> dict[str, dict[float, list[float]]]:
    """Share of updates lost at each switch interval: the bare += and a call that keeps the GIL."""
    keep = races.keep_going  # with a GIL, a switch at this call waits for the interval
    cases = {
        "bare +=": (races.increment, 100_000),
        "a call between read and write": (partial(races.increment_with_room, pause=keep), 50_000),
    }
    lost: dict[str, dict[float, list[float]]] = {name: {} for name in cases}
    with progress(len(cases) * len(intervals) * runs, "switch intervals") as bar:
        for interval in intervals:
            with switch_interval(interval):
                for name, (increment, times) in cases.items():
                    for _ in range(runs):
                        total = races.count_with_threads(increment, threads, times)
                        lost[name].setdefault(interval, []).append(1 - total / (threads * times))
                        bar.step(f"{interval * 1000:g} ms")
    print(f"Back to the kernel's switch interval: {sys.getswitchinterval() * 1000:g} ms")
    for name, by_interval in lost.items():
        shares = [f"{i * 1000:g} ms: {statistics.median(s):.0%}" for i, s in by_interval.items()]
        print(f"{name}, updates lost (median of {runs} runs): {', '.join(shares)}")
    print(race_report.what_the_sweep_means(lost, this_build()))
    return lost


class PoolWarnings(logging.Handler):
    """Counts urllib3's "Connection pool is full" warnings during a `with` block, prints none."""

    logger = logging.getLogger("urllib3.connectionpool")
    count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(POOL_FULL):
            self.count += 1  # emit runs under the handler's own lock

    def __enter__(self) -> PoolWarnings:
        self._saved = self.logger.propagate, self.logger.level
        self.logger.addHandler(self)
        self.logger.propagate = False  # not to the root logger: nothing printed into the cell
        self.logger.setLevel(min(self.logger.getEffectiveLevel(), logging.WARNING))
        return self

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self)
        self.logger.propagate = self._saved[0]
        self.logger.setLevel(self._saved[1])


@dataclasses.dataclass
class SessionRun:
    """One run of a Session strategy: pages, time, connections each site accepted, warnings."""

    strategy: str
    max_workers: int
    done: int
    elapsed: float
    connections: dict[str, int]
    pool_full: int
    errors: list[str]  # why pages failed, one entry a page


def run_sessions(strategy: str, max_workers: int, demo=None, copies: int = COPIES) -> SessionRun:
    """Run one Session strategy over the pages; count connections per site and pool warnings."""
    demo = demo or start_demo_sites()
    pages = demo_pages(demo, copies)
    download_site = STRATEGIES[strategy]
    shared = requests.Session()  # a fresh shared Session for each run: no connections kept
    if strategy == "one shared":
        download_site = rebound(download_site, shared_session=shared)
    done, errors = [], []  # list.append is safe from threads

    def counted(url):  # a failed page is counted, not raised: every run reports its connections
        try:
            done.append(download_site(url))
        except Exception as error:
            errors.append(describe(error))

    before = demo.counts()
    start = time.perf_counter()
    with PoolWarnings() as pool, shared:
        sessions.download_all_sites(pages, download_site=counted, max_workers=max_workers)
    elapsed = time.perf_counter() - start
    after = demo.counts()
    connections = {n: after[n]["connections"] - before[n]["connections"] for n in after}
    return SessionRun(strategy, max_workers, len(done), elapsed, connections, pool.count, errors)


def compare_sessions(worker_counts=(5, 20), demo=None, copies: int = COPIES) -> list[SessionRun]:
    """Every strategy at every worker count; one line printed per run."""
    result = []
    with progress(len(STRATEGIES) * len(worker_counts), "Session strategies") as bar:
        for max_workers in worker_counts:
            for strategy in STRATEGIES:
                run = run_sessions(strategy, max_workers, demo, copies)
                result.append(run)
                bar.step(f"{strategy}, {max_workers} workers")
    for run in result:
        opened = ", ".join(f"{site} {n}" for site, n in run.connections.items())
        failed = f" ({len(run.errors)} failed: {run.errors[0]})" if run.errors else ""
        print(f"{run.strategy:>14}, {run.max_workers:>2} workers: Downloaded {run.done} in "
              f"{run.elapsed:.2f} seconds{failed}; connections opened: {opened}; "
              f"'pool is full' warnings: {run.pool_full}")  # fmt: skip
    return result


def plot_counters(results: list[Counted]) -> Image:
    """Updates lost by each counter: a dot per run, a bar for the median."""
    figure = Figure(figsize=(9, 3.4), dpi=90, layout="constrained")
    ax = figure.add_subplot()
    for x, c in enumerate(results):
        shares = [100 * n / c.updates for n in c.lost]
        ax.bar(x, statistics.median(shares), color="#d3d7cf", width=0.6)
        ax.plot([x] * len(shares), shares, "o", color="#cc0000", markersize=5)
        note = f"{statistics.median(c.lost):,.0f} of {c.updates:,}"
        ax.annotate(note, (x, statistics.median(shares)), ha="center", va="bottom")
    ax.set_xticks(range(len(results)), [textwrap.fill(c.name, 16) for c in results])
    ax.set_ylabel("updates lost, % of a run's")
    ax.set_ylim(0, 100)
    runs = len(results[0].lost)
    ax.set_title(
        f"Updates lost by each counter on {this_build().name} (a dot per run, {runs} runs)"
    )
    return figure_image(figure)


def plot_switch_interval(lost: dict[str, dict[float, list[float]]]) -> Image:
    """Share of updates lost against the switch interval, for each counter in the sweep."""
    figure = Figure(figsize=(9, 3.4), dpi=90, layout="constrained")
    ax = figure.add_subplot()
    for (name, by_interval), color in zip(lost.items(), ("#3465a4", "#cc0000"), strict=False):
        xs = [i * 1000 for i in by_interval]
        medians = [100 * statistics.median(s) for s in by_interval.values()]
        ax.plot(xs, medians, "-", color=color, label=f"{name} (line: median of the runs)")
        for x, shares in zip(xs, by_interval.values(), strict=True):
            ax.plot([x] * len(shares), [100 * s for s in shares], "o", color=color, alpha=0.7)
    ax.set_xscale("log")
    ticks = sorted({i * 1000 for by_interval in lost.values() for i in by_interval})
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("switch interval, ms (sys.setswitchinterval); the default is 5 ms")
    ax.set_ylabel("updates lost, %")
    ax.set_ylim(-3, 100)
    ax.set_title(f"Updates lost at each switch interval on {this_build().name} (a dot per run)")
    ax.legend(loc="upper right")
    return figure_image(figure)


def plot_sessions(result: list[SessionRun]) -> Image:
    """Connections opened (both sites) and pool warnings, per strategy and worker count."""
    figure = Figure(figsize=(10, 3.6), dpi=90, layout="constrained")
    opened, warned = figure.subplots(1, 2)
    workers = sorted({r.max_workers for r in result})
    width = 0.8 / len(workers)
    for i, n in enumerate(workers):
        runs = [r for r in result if r.max_workers == n]
        xs = [x + (i - (len(workers) - 1) / 2) * width for x in range(len(runs))]
        opened.bar_label(opened.bar(xs, [sum(r.connections.values()) for r in runs], width))
        warned.bar_label(warned.bar(xs, [r.pool_full for r in runs], width, label=f"{n} workers"))
    for ax, title in ((opened, "Connections opened (both sites)"),
                      (warned, "'Connection pool is full' warnings")):  # fmt: skip
        ax.set_xticks(range(len(STRATEGIES)), list(STRATEGIES))
        ax.set_title(title)
        ax.margins(y=0.15)
    warned.legend(loc="upper left")
    return figure_image(figure)


def check_counter(increment, threads: int = 4, times: int = 500, seconds: float = 20) -> Verdict:
    """Exercise 1: does `increment(times)` add exactly `times` to races.counter from 4 threads?"""
    races.counter, returned, failures = 0, [], []

    def work():
        try:
            returned.append(increment(times))
        except Exception as error:
            failures.append(error)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()  # daemon threads: a worker stuck on a lock cannot hold up the kernel
    for worker in workers:
        worker.join(timeout=seconds / threads)  # all of them within `seconds`
    if any(worker.is_alive() for worker in workers):
        why = "one may wait for a lock never released (a Lock taken twice waits forever)"
        return Verdict(f"Not yet, because the threads did not finish in {seconds:g} s: {why}.")
    if failures:
        return Verdict(f"Not yet, because it raised {failures[0]!r}.")
    total = races.counter + sum(n for n in returned if isinstance(n, int))
    expected = threads * times
    if total == expected:
        return Verdict(f"Correct: {threads} threads x {times} updates, and the count is {total:,}.")
    hint = "Hint: hold a threading.Lock from the read to the write."
    lost = f"{expected - total:,} updates were lost"
    return Verdict(f"Not yet, because the count is {total:,}, not {expected:,}: {lost}. {hint}")


def check_connections(answer, max_workers: int = 10, demo=None) -> Verdict:
    """Exercise 2: how many connections does the Jython demo site accept in one run?"""
    if isinstance(answer, bool) or not isinstance(answer, int) or answer < 0:
        return Verdict(f"Not yet, because {answer!r} is not a whole number of connections.")
    strategy = "new per page"
    right = run_sessions(strategy, max_workers, demo).connections.get("Jython", 0)
    said = f"you said {answer}, and the Jython site accepted {right}"
    if answer == right:
        return Verdict(f"Correct: {said} ({strategy}, {max_workers} workers).")
    return Verdict(f"Not yet, because {said}. Hint: a Session keeps its connections; "
                   "how many Sessions ask the Jython site for a page?")  # fmt: skip
