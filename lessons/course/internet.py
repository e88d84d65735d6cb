"""The internet the lesson ran on: demo sites changed for one block, and the spread of run times.

The lesson's own runs varied wildly (a threaded run ten times faster once, twice the next time).
The "internet" profile set of the demo sites varies as real sites do; running both programs on it
several times shows that spread, measured here.
"""

from __future__ import annotations

import dataclasses
import statistics

from matplotlib.figure import Figure

from . import contention
from .plotting import figure_image
from .progress import progress
from .record import Run
from .runs import run
from .sites import get_sites, sites_changed

SLOW = 0.5  # seconds: an answer slower than this is one of the internet's very slow ones


@dataclasses.dataclass
class Pair:
    """One synchronous run and one threaded run right after it, on the same pages."""

    sync: Run
    threads: Run

    @property
    def speedup(self) -> float:
        return self.sync.elapsed / self.threads.elapsed


def spread(
    repeats: int = 4,
    copies: int = 10,
    max_workers: int = 5,
    *,
    program="threads",
    demo=None,
    sites=None,
) -> list[Pair]:
    """The synchronous program and `program` (a download_all_sites, or "threads"), `repeats`
    times each, on the "internet" profile set; then the sites are as before.

    `copies` pages per site (10: 20 pages, about a second a synchronous run) keep it short;
    `sites` (a list of URLs) and `demo` (their handle) are for tests.
    """
    pages = sites if sites is not None else get_sites("demo", copies)
    pairs = []
    with sites_changed(demo, use="internet"), progress(2 * repeats, "runs") as bar:
        for _ in range(repeats):
            sync = run("sync", sites=pages, quiet=True, show=False, caution=False)
            bar.step(f"synchronous {sync.elapsed:.2f} s")
            threads = run(program, max_workers, sites=pages, quiet=True, show=False, caution=False)
            bar.step(f"threaded {threads.elapsed:.2f} s")
            pairs.append(Pair(sync, threads))
    return pairs


def slow(result: Run) -> str:
    """How many pages of a run took longer than SLOW to answer, as a note ("" if none)."""
    count = sum(d.end - d.start > SLOW for d in result.downloads)
    return f" ({count} slow answer{'s' * (count > 1)})" if count else ""


def report(pairs: list[Pair]) -> None:
    """Each pair's times and speed-up, then the range of each."""
    for i, pair in enumerate(pairs, 1):
        print(
            f"Run {i}: synchronous {pair.sync.elapsed:.2f} s{slow(pair.sync)}, "
            f"threads {pair.threads.elapsed:.2f} s{slow(pair.threads)}: "
            f"{pair.speedup:.1f} times as fast."
        )
    for what, values in [
        ("synchronous", [p.sync.elapsed for p in pairs]),
        ("threaded", [p.threads.elapsed for p in pairs]),
    ]:
        print(
            f"{what.capitalize()}: from {min(values):.2f} s to {max(values):.2f} s. "
            f"The slowest took {max(values) / min(values):.1f} times as long as the fastest."
        )
    speedups = [p.speedup for p in pairs]
    print(f"Speed-ups: from {min(speedups):.1f} to {max(speedups):.1f} times.")
    failed = sum(p.sync.failed + p.threads.failed for p in pairs)
    if failed:
        print(f"{failed} pages failed. Their time is in the figures.")
    # the spread here is the demo sites'; a crowded machine adds its own, and says so
    contention.say(*(run.shared for pair in pairs for run in (pair.sync, pair.threads)))


def plot(pairs: list[Pair]) -> object:
    """Left: the two programs' times, run by run. Right: the speed-up of each run."""

    figure = Figure(figsize=(10, 3.6), dpi=90, layout="constrained")
    times, ratios = figure.subplots(1, 2, width_ratios=[3, 2])
    x = range(1, len(pairs) + 1)
    times.plot(x, [p.sync.elapsed for p in pairs], "o-", color="#a40000", label="synchronous")
    times.plot(x, [p.threads.elapsed for p in pairs], "s-", color="#204a87", label="threaded")
    times.set_ylim(0, max(p.sync.elapsed for p in pairs) * 1.15)
    times.set_xticks(list(x))
    times.set_xlabel("run")
    times.set_ylabel("seconds")
    times.set_title(f"The same {pairs[0].sync.pages} pages, on the 'internet' demo sites")
    times.legend(loc="best")
    speedups = [p.speedup for p in pairs]
    ratios.bar(list(x), speedups, color="#73d216", width=0.6)
    ratios.axhline(statistics.mean(speedups), color="#555753", linestyle="--", label="mean")
    for i, value in zip(x, speedups, strict=True):
        ratios.annotate(f"{value:.1f}x", (i, value), ha="center", va="bottom")
    ratios.set_ylim(0, max(speedups) * 1.2)
    ratios.set_xticks(list(x))
    ratios.set_xlabel("run")
    ratios.set_title("Speed-up: synchronous / threaded")
    ratios.legend(loc="lower right")
    return figure_image(figure)
