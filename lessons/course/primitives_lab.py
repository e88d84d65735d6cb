"""Chapter 08's machinery: the executor beside Thread and Queue, slicing, and lost exceptions."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import statistics
import threading
import types

from IPython.display import Image
from matplotlib.figure import Figure

from .. import primitives, threaded
from .exercises import TOLERANCE, Verdict
from .failures import describe
from .plotting import draw_elapsed, draw_timeline, figure_image
from .program import record_run
from .progress import progress
from .record import Recorder, Run
from .sites import (
    demo_latency,
    demo_pages,
    latency_floor,
    site_letter,
    sites_changed,
    start_demo_sites,
)

VERSIONS = {  # name: the program, as record_run wants it (download_site, download_all_sites)
    "executor (threaded.py)": threaded,
    "Thread + Queue": primitives,
    "Thread + slices": types.SimpleNamespace(
        download_site=primitives.download_site,
        download_all_sites=primitives.download_all_sites_sliced,
    ),
}


def record(name: str, sites: list[str], max_workers: int = 5) -> Run:
    """One recorded run of a version over `sites`."""
    return record_run(VERSIONS[name], sites, Recorder(), name, max_workers)


def compare_versions(max_workers: int = 5, demo=None, names=None) -> dict[str, Run]:
    """Each version once over the same pages; print elapsed and the ratio to the floor."""
    sites, runs = demo_pages(demo), {}
    names = names or list(VERSIONS)
    with progress(len(names), "versions") as bar:
        for name in names:
            runs[name] = record(name, sites, max_workers)
            bar.step(name)
    latency = demo_latency(demo)
    floor = latency_floor(len(sites), max_workers, latency)
    print(f"{len(sites)} pages, max_workers={max_workers}; the floor, "
          f"ceil({len(sites)}/{max_workers}) x {latency * 1000:.0f} ms: "
          f"{floor:.2f} s")  # fmt: skip
    for name, run in runs.items():
        print(f"{name:>24}: {run.summary()[-1]}, {run.elapsed / floor:.2f} x the floor, "
              f"{len(run.threads)} threads")  # fmt: skip
    return runs


def lane_ends(run: Run) -> dict[str, float]:
    """When each thread's last page arrived, seconds into the run, by thread."""
    ends: dict[str, float] = {}
    for d in run.downloads:
        ends[d.thread] = max(ends.get(d.thread, 0.0), d.end)
    return ends


def show_lanes(run: Run) -> None:
    """Per lane: pages of each site and when the lane finished; the idle time of the first."""
    print(f"{run.mode}, max_workers={run.max_workers}: {run.summary()[-1]}")
    ends = lane_ends(run)
    for thread in run.threads:  # in the order they began
        end = ends[thread]
        letters = [d.letter for d in run.downloads if d.thread == thread]
        print(f"  {thread}: {letters.count('J')} J and {letters.count('R')} R pages, "
              f"finished at {end:.2f} s")  # fmt: skip
    first, last = min(ends.values()), max(ends.values())
    print(f"  The lanes finished {last - first:.2f} s apart: for that long the first one sat idle.")


def compare_slicing(max_workers: int = 2, demo=None) -> dict[str, Run]:
    """The Queue and the slices with `max_workers` workers: elapsed and each lane's end."""
    sites, runs = demo_pages(demo), {}
    with progress(2, f"{max_workers} workers") as bar:
        for name in ("Thread + Queue", "Thread + slices"):
            runs[name] = record(name, sites, max_workers)
            bar.step(name)
    for run in runs.values():
        show_lanes(run)
    return runs


def plot_versions(runs: dict[str, Run], demo=None) -> Image:
    """Elapsed time of each version, with the floor drawn across."""
    figure = Figure(figsize=(8, 2.8), dpi=90, layout="constrained")
    ax = figure.add_subplot()
    first = next(iter(runs.values()))
    floor = latency_floor(first.pages, first.max_workers, demo_latency(demo))
    draw_elapsed(ax, list(runs), list(runs.values()), floor)
    ax.legend(loc="lower left")
    return figure_image(figure)


def plot_lanes(runs: dict[str, Run]) -> Image:
    """The timelines of the runs, one above the other, on the same time axis."""
    figure = Figure(figsize=(9, 1.4 + 1.3 * len(runs)), dpi=90, layout="constrained")
    axes = figure.subplots(len(runs), 1, sharex=True)
    for ax, (name, run) in zip(axes, runs.items(), strict=True):
        draw_timeline(ax, run)
        ax.set_title(f"{name}: {run.done} pages in {run.elapsed:.2f} s")
    for ax in axes[:-1]:
        ax.set_xlabel("")
    axes[0].set_xlim(0, max(run.elapsed for run in runs.values()))
    return figure_image(figure)


@dataclasses.dataclass
class Failure:
    """What one failing run showed: results returned, exceptions seen where, and by whom."""

    pages: int
    returned: int | None  # None: download_all_sites raised instead of returning
    in_hook: list[str]  # exceptions that reached threading.excepthook
    raised: str | None  # the exception download_all_sites raised to its caller
    alive: int  # threads still alive afterwards (other than those before)


def failing(site: str, demo):
    """The demo site `site` answers every page with "500 Internal Server Error" in the block."""
    return sites_changed(demo, name=site, error_rate=1.0)


def run_failing(program, sites: list[str], max_workers: int) -> Failure:
    """Run a program's download_all_sites as it is, unrecorded; catch whatever it loses."""
    in_hook, before = [], threading.enumerate()
    saved = threading.excepthook
    threading.excepthook = lambda args: in_hook.append(describe(args.exc_value))
    returned = raised = None
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the J and R marks: not needed here
            returned = len(program(sites, max_workers=max_workers))
    except Exception as error:
        raised = f"{type(error).__name__}: {describe(error)}"
    finally:
        threading.excepthook = saved
    alive = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    return Failure(len(sites), returned, in_hook, raised, len(alive))


def exception_demo(site: str = "Jython", copies: int = 5, max_workers: int = 5, demo=None):
    """The same failing pages for Thread + Queue and for the executor: where did the error go?"""
    demo = demo or start_demo_sites()
    sites = demo_pages(demo, copies)
    with failing(site, demo):
        by_threads = run_failing(primitives.download_all_sites, sites, max_workers)
        by_executor = run_failing(threaded.download_all_sites, sites, max_workers)
    failed = sum(site_letter(url) == site[0] for url in sites)
    print(f"{len(sites)} pages; the {site} site answers its {failed} with HTTP 500.")
    for name, f in (("Thread + Queue", by_threads), ("executor", by_executor)):
        outcome = (f"raised {f.raised}" if f.raised else
                   f"returned {f.returned} results, {f.pages - f.returned} missing, "
                   "and raised nothing")  # fmt: skip
        if f.returned is not None and f.pages - f.returned > len(f.in_hook):
            outcome += f" ({f.pages - f.returned - len(f.in_hook)} never tried: no worker left)"
        reasons = ", ".join(sorted(set(f.in_hook))) or "none"
        print(f"{name:>15}: download_all_sites {outcome}; {len(f.in_hook)} exceptions went to "
              f"threading.excepthook ({reasons}); threads left alive: {f.alive}")  # fmt: skip
    return by_threads, by_executor


def _whole(answer, what: str) -> str | None:
    if answer is None:
        return f"Not yet, because there is no answer: replace None with a number of {what}."
    if isinstance(answer, bool) or not isinstance(answer, int) or answer < 0:
        return f"Not yet, because {answer!r} is not a whole number of {what}."
    return None


def check_markers(answer, max_workers: int = 5) -> Verdict:
    """Exercise 1: how many stop markers must download_all_sites put for `max_workers`?"""
    message = _whole(answer, "stop markers")
    if message:
        return Verdict(message)
    right = max_workers
    if answer == right:
        return Verdict(f"Correct: {right} workers, {right} markers: each ends at its own marker.")
    if answer < right:
        why = "a worker that never takes a marker waits in work.get() forever, and join() with it"
    else:
        why = "the extra markers stay in the queue, and no worker takes them"
    return Verdict(f"Not yet, because there are {right} workers and you said {answer}: {why}.")


def check_slices(slice_sites, max_workers: int = 2, demo=None) -> Verdict:
    """Exercise 2: `slice_sites(sites, n)` gives n lists: every page once, the work balanced."""
    sites = [f"{url}#{i}" for i, url in enumerate(demo_pages(demo))]  # numbered: each one unique
    try:
        slices = [list(s) for s in slice_sites(sites, max_workers)]
    except Exception as error:
        return Verdict(f"Not yet, because it raised {error!r}.")
    if len(slices) != max_workers:
        return Verdict(f"Not yet, because it gave {len(slices)} lists for {max_workers} workers.")
    given = sorted(url for s in slices for url in s)
    if given != sorted(sites):
        return Verdict(f"Not yet, because the lists hold {len(given)} pages, not each of the "
                       f"{len(sites)} pages once.")  # fmt: skip
    latency = {site_letter(s.url): s.profile.latency for s in _sites(demo)}
    waits = [sum(latency[site_letter(url)] for url in s) for s in slices]
    lanes = ", ".join(f"{w:.2f} s" for w in waits)
    if max(waits) - min(waits) <= TOLERANCE * statistics.mean(waits):
        return Verdict(f"Correct: every page once, and the lanes wait about alike: {lanes}.")
    return Verdict(f"Not yet, because the lanes wait {lanes}: the longest sets the time. "
                   "Hint: the list is J R J R ...; what is in each half?")  # fmt: skip


def _sites(demo):
    return list((demo or start_demo_sites()).sites.values())


def check_caller_saw(answer, demo=None) -> Verdict:
    """Exercise 3: how many exceptions reach the caller of the Thread + Queue version?"""
    message = _whole(answer, "exceptions")
    if message:
        return Verdict(message)
    demo = demo or start_demo_sites()
    with failing("Jython", demo):
        f = run_failing(primitives.download_all_sites, demo_pages(demo, 5), 5)
    right = 1 if f.raised else 0
    said = f"you said {answer}, and the caller saw {right} ({len(f.in_hook)} went to the hook)"
    if answer == right:
        return Verdict(f"Correct: {said}; {f.pages - (f.returned or 0)} results are just missing.")
    return Verdict(f"Not yet, because {said}. Hint: an exception ends the thread that raised it; "
                   "join() only waits for the end.")  # fmt: skip
