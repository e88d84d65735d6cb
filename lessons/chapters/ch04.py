"""Chapter 04's machinery: the learner's counters run in threads and measured, the figure of what
they lost, and the self-checks of its two exercises."""

from __future__ import annotations

import collections
import statistics
import time
import types

from matplotlib.figure import Figure

from ..course import contention
from ..course.exercises import Verdict, not_yet
from ..course.plotting import figure_image
from ..course.race_lab import SECONDS, build_name, in_threads, switch_interval
from ..course.race_report import Counted, runs_of, runs_said

RUNS, THREADS = 3, 4


def _runs(count_with_threads, increment, runs: int, threads: int, times: int) -> Counted | None:
    """`count_with_threads(increment, threads, times)`, `runs` times: lost and seconds."""
    name = getattr(increment, "__name__", repr(increment))
    counted = Counted(name, threads * times)
    for _ in range(runs):
        start = time.perf_counter()
        try:
            total = count_with_threads(increment, threads=threads, times=times)
        except Exception as error:  # the learner's code: one line, not a traceback
            print(f"{name} raised {type(error).__name__}: {error}")
            return None
        if isinstance(total, bool) or not isinstance(total, int):
            print(f"count_with_threads returned {total!r}, not a whole number.")
            return None
        counted.seconds.append(time.perf_counter() - start)
        counted.lost.append(counted.updates - total)
    return counted


def _threads(n: int) -> str:
    return f"{n} thread" + ("s" if n != 1 else "")


def _said(counted: Counted) -> str:
    """Every run lost updates / 2 of 3 runs lost updates / no update lost in 3 runs."""
    lost, runs = counted.runs_that_lost, len(counted.lost)
    if lost == runs:
        return f"{counted.name}: every run lost updates."
    if lost:
        return f"{counted.name}: {lost} of {runs} runs lost updates."
    return f"{counted.name}: no update lost in {runs_of(runs)}."


def run_counter(count_with_threads, increment, runs=RUNS, threads=THREADS, times=1_000):
    """Run the learner's counter `runs` times; print what each run counted and lost."""
    print(f"{build_name()}, {_threads(threads)} x {times:,} updates:")
    counted = _runs(count_with_threads, increment, runs, threads, times)
    if counted is None:
        return None
    for number, lost in enumerate(counted.lost, 1):
        total = counted.updates - lost
        print(f"run {number}: counted {total:,} of {counted.updates:,}, lost {lost:,}")
    print(_said(counted))
    return counted


def compare(count_with_threads, without, fixed, runs=RUNS, threads=THREADS, times=1_000):
    """A fix against the counter without it: lost updates, and the time an update takes."""
    print(f"{build_name()}, {_threads(threads)} x {times:,} updates, {runs_of(runs)} each:")
    with contention.watch() as watched:  # other programs' work stretches these timings
        both = [_runs(count_with_threads, f, runs, threads, times) for f in (without, fixed)]
    if None in both:
        return None
    for counted in both:
        lost = ", ".join(f"{n:,}" for n in counted.lost)
        print(f"{counted.name:>18}: lost {lost}; {counted.per_update * 1e6:.1f} µs an update")
    plain, better = both
    print(_said(better))
    ratio = better.per_update / plain.per_update
    print(f"{better.name} took {ratio:.1f} times as long an update as {plain.name}.")
    contention.say(watched.shared)
    return better


def run_bare(count_with_threads, increment_bare, runs=RUNS, threads=THREADS, times=250_000):
    """The bare `counter += 1`: what it lost on this build, this time, and what that means."""
    build = build_name()
    print(f"{build}, {_threads(threads)} x {times:,} updates of counter += 1:")
    counted = _runs(count_with_threads, increment_bare, runs, threads, times)
    if counted is None:
        return None
    for number, lost in enumerate(counted.lost, 1):
        print(f"run {number}: lost {lost:,} of {counted.updates:,}")
    lost = counted.runs_that_lost
    if lost:
        print(f"This time, on {build}, the bare += lost updates in {runs_said(lost, runs)}.")
    else:
        print(f"This time, on {build}, the bare += lost nothing in {runs_of(runs)}.")
        print("Python does not promise that. Another version, or build, may lose updates.")
    print("The rule stands: a read-modify-write is never atomic.")
    return counted


def plot(*counted: Counted | None):
    """Updates lost by each counter run in this chapter: a dot per run, a bar for the median."""
    shown = [c for c in counted if c is not None]
    figure = Figure(figsize=(9, 3.2), dpi=90, layout="constrained")
    ax = figure.add_subplot()
    for x, c in enumerate(shown):
        shares = [100 * n / c.updates for n in c.lost]
        ax.bar(x, statistics.median(shares), color="#d3d7cf", width=0.6)
        ax.plot([x] * len(shares), shares, "o", color="#cc0000", markersize=5)
        ax.annotate(f"median {statistics.median(shares):.0f}%", (x, 102), ha="center")
    ax.set_xticks(range(len(shown)), [c.name for c in shown])
    ax.set(ylabel="updates lost, % of a run's", ylim=(0, 112))
    ax.set_title(f"Updates lost by each counter on {build_name()}, this time (a dot per run)")
    return figure_image(figure)


# ---- exercise 1: the least locking --------------------------------------------------------

PAGES = 25  # pages a thread in the check: with a 10 ms sleep, 0.25 s a thread
TOOK_TURNS = 0.6  # slower than this share of one-after-another: the threads took turns


def _not_a_function(function, name: str) -> Verdict | None:
    if isinstance(function, types.FunctionType):
        return None
    return not_yet(f"{function!r} is not a function yet", f"run the cell that defines {name}.")


def check_least_locking(fetch_pages) -> Verdict:
    """Exercise 1: no page lost, and the threads still overlap their slow work."""
    if wrong := _not_a_function(fetch_pages, "fetch_pages"):
        return wrong
    names = fetch_pages.__globals__
    if not isinstance(names.get("pages_done"), int):
        return not_yet("there is no pages_done to count in", "run the whole cell as given.")
    names["pages_done"] = 0
    alone = in_threads(fetch_pages, [PAGES], SECONDS)
    if trouble := alone.trouble("fetch_pages", SECONDS):
        return Verdict(trouble)
    if alone.elapsed < 0.05:
        return not_yet(
            f"one thread did its {PAGES} pages in {alone.elapsed:.3f} s: the slow work is gone",
            "keep the time.sleep: it stands in for a download.",
        )
    one_after_another = THREADS * alone.elapsed
    names["pages_done"] = 0
    run = in_threads(fetch_pages, [PAGES] * THREADS, SECONDS)
    if trouble := run.trouble("fetch_pages", SECONDS):
        return Verdict(trouble)
    counted = names.get("pages_done", 0) + sum(n for n in run.returned if isinstance(n, int))
    expected = THREADS * PAGES
    if counted < expected:
        return not_yet(
            f"{expected - counted} of {expected} pages were not counted: "
            "two threads read the same pages_done",
            "hold pages_lock from the read of pages_done to its write.",
        )
    if counted > expected:
        return not_yet(f"it counted {counted} pages, not {expected}", "add 1 for each page.")
    timing = f"{run.elapsed:.2f} s, against {one_after_another:.2f} s one after another"
    if run.elapsed > TOOK_TURNS * one_after_another:
        return not_yet(
            f"the lock is held across the slow work, so the threads took turns: {timing}",
            "take the lock only around the update of pages_done, after the sleep.",
        )
    return Verdict(
        f"Correct: {counted} of {expected} pages counted, none lost. "
        f"The threads took {timing}: their slow work overlapped."
    )


# ---- exercise 2: pages per site ------------------------------------------------------------

SITES = ("Jython", "Real Python")
PER_THREAD = 20_000  # sites a thread counts in the check
SHORT_INTERVAL = 1e-4  # the check's switch interval: a race shows up in every run


def _totals(shared, returned: list) -> collections.Counter | None:
    """The counts in the shared dict and in every dict the threads returned."""
    totals = collections.Counter()
    for counts in [shared, *returned]:
        if isinstance(counts, dict):
            totals.update({site: n for site, n in counts.items() if isinstance(n, int)})
        elif counts is not None:
            return None
    return totals


def check_pages_per_site(count_sites) -> Verdict:
    """Exercise 2: every site counted exactly, from 4 threads, with a lock or dicts of their own."""
    if wrong := _not_a_function(count_sites, "count_sites"):
        return wrong
    names = count_sites.__globals__
    if not isinstance(names.get("pages_per_site"), dict):
        return not_yet("there is no dict pages_per_site", "run the whole cell as given.")
    sites = [SITES[i % 2] for i in range(PER_THREAD)]
    each = THREADS * PER_THREAD // len(SITES)
    for _ in range(RUNS):  # a race may lose little in one run: up to RUNS runs
        names["pages_per_site"].clear()
        with switch_interval(SHORT_INTERVAL):
            run = in_threads(count_sites, [list(sites) for _ in range(THREADS)], SECONDS)
        if trouble := run.trouble("count_sites", SECONDS):
            return Verdict(trouble)
        totals = _totals(names.get("pages_per_site"), run.returned)
        if totals is None:
            odd = [r for r in run.returned if not isinstance(r, dict | type(None))]
            return not_yet(f"count_sites returned {odd[0]!r}", "return a dict, or nothing.")
        if any(totals[site] != each for site in SITES):
            break
    said = " and ".join(f"{site} {totals[site]:,}" for site in SITES)
    if any(totals[site] < each for site in SITES):
        return not_yet(
            f"the counts are {said}, not {each:,} each: updates were lost",
            "hold one lock from the read of a count to its write, or count in a dict of the "
            "thread's own and return it.",
        )
    if any(totals[site] != each for site in SITES):
        return not_yet(f"the counts are {said}, not {each:,} each", "add 1 a site, once.")
    return Verdict(f"Correct: {said}, from {THREADS} threads, in {RUNS} runs: no update lost.")
