"""Chapter 03's machinery: the N-workers pattern recorded and drawn, and its self-checks."""

from __future__ import annotations

import collections
import dataclasses
import statistics
import threading
import time

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..course import newer
from ..course.exercises import Verdict, attempt, described, expected_sizes, not_yet, sizes
from ..course.plotting import COLORS, OTHER, to_png
from ..course.program import as_program, current, rebound, record_run, silent
from ..course.progress import Progress
from ..course.record import Recorder, Run
from ..course.runs import check_max_workers, check_sites
from ..course.sites import demo_pages, sites_changed

NUMBER = {"ha": "center", "va": "center", "fontsize": 5, "color": "white"}  # a page's number
CONSUMER = "#4e9a06"  # the consumer's marks: green


@dataclasses.dataclass
class Consumed:
    """One call of the consumer: which page, in which thread, when (seconds into the run)."""

    page: int
    thread: str
    at: float
    words: int


@dataclasses.dataclass
class Pattern:
    """A recorded run, what its download_all_sites returned, and where its consumer ran."""

    run: Run
    returned: list[int]  # page numbers, in the order of the list download_all_sites returned
    consumed: list[Consumed]

    @property
    def arrived(self) -> list[int]:
        """Page numbers in the order the pages arrived."""
        return [page_number(d.url) for d in self.run.downloads if d.ok]

    def page(self, number: int):  # the Download of page `number`, or None: not fetched
        return next((d for d in self.run.downloads if page_number(d.url) == number), None)


def numbered(sites: list[str]) -> list[str]:
    """The same pages, each with its place in the list after a '#': never sent to the server."""
    return [f"{url.split('#')[0]}#{number}" for number, url in enumerate(sites)]


def page_number(url: str) -> int:
    return int(url.rsplit("#", 1)[1])


def record(program, sites="demo", max_workers: int = 5, copies: int = 80) -> Pattern:
    """Run a download_all_sites (yours, or a module's) with every download and consumer call
    recorded.

    Each result is tagged with its page's address, so the list that comes back says which page
    each item came from. A progress bar moves as pages arrive; an interrupt stops the run."""
    program = as_program(program)
    sites = numbered(check_sites(sites, copies))
    max_workers = check_max_workers(max_workers, len(sites))
    recorder, consumed, lock = Recorder(), [], threading.Lock()
    count_words = program.namespace.get("count_words")

    def tag(recorded):  # in place of the recorded download_site: its result, named
        return lambda url: (url, recorded(url))

    def counted(tagged_page):
        url, page = tagged_page
        if page is None:
            return None  # failed, or skipped after a stop: nothing to count
        words = count_words(page)
        at = time.perf_counter() - recorder.started
        consumed.append(Consumed(page_number(url), threading.current_thread().name, at, words))
        return words

    names = {"count_words": counted} if callable(count_words) else {}
    bar = Progress(len(sites), f"{program.name}, {max_workers} workers")

    def step(download) -> None:
        with lock:  # downloads end in several threads at once
            bar.step()

    recorder.on_download = step
    run = record_run(program, sites, recorder, "threads", max_workers, wrap=tag, names=names)
    bar.finish(ok=not run.interrupted)
    returned = run.returned or []
    numbers = [page_number(item[0]) for item in returned if isinstance(item, tuple)]
    return Pattern(run, numbers, consumed)


def show_ahead(download_site, copies: int = 20, buffersize: int = 10) -> dict | None:
    """How far `map` runs ahead of a loop that takes a result every 10 ms: without, and (on
    Python 3.14 and newer) with `buffersize=`. Your `download_site`, without its J/R marks."""
    quiet = rebound(current(download_site), print=silent)
    try:
        return newer.show_ahead(quiet, demo_pages(copies=copies), buffersize=buffersize)
    except Exception as error:  # the learner's download_site: one line, not a traceback
        print(f"Your download_site raised {type(error).__name__}: {error}")
        return None


def queue_lengths(run: Run) -> tuple[list[float], list[int]]:
    """Pages waiting in the pool's queue over time: all at first, one fewer at each hand-out."""
    starts = sorted(d.start for d in run.downloads)
    return [0.0, *starts], [run.pages - taken for taken in range(len(starts) + 1)]


def waits_for_order(pattern: Pattern) -> list[float]:
    """How long each page's result waits, in input order, for the pages before it to arrive."""
    ends = {page_number(d.url): d.end for d in pattern.run.downloads}
    ready, waits = 0.0, []
    for number in sorted(ends):
        ready = max(ready, ends[number])
        waits.append(ready - ends[number])
    return waits


def show_orders(pattern: Pattern, first: int = 20) -> None:
    """Print the order of the returned list against the order of arrival, and what it costs."""
    returned, arrived = pattern.returned, pattern.arrived
    print(f"returned list, first {first}: {returned[:first]}")
    print(f"arrival order, first {first}: {arrived[:first]}")
    print(f"Returned in input order: {returned == sorted(returned)}.")
    moved = sum(a != b for a, b in zip(arrived, sorted(arrived), strict=False))
    print(f"Pages that arrived out of their place in sites: {moved} of {len(arrived)}.")
    waits = waits_for_order(pattern)
    if waits:
        print(
            "In input order, a result waits for every page before it: held back "
            f"{statistics.mean(waits) * 1000:.0f} ms on average, "
            f"at most {max(waits) * 1000:.0f} ms."
        )


def show_handouts(pattern: Pattern, pages: int = 12) -> None:
    """A table of the first pages: the worker each went to, when it was handed out, when it came."""
    print("page  site  worker                   handed out  arrived")
    for d in filter(None, map(pattern.page, range(pages))):
        times = f"{d.start * 1000:7.0f} ms {d.end * 1000:6.0f} ms"
        print(f"{page_number(d.url):4}  {d.letter:>4}  {d.thread:<24} {times}")


def where_consumed(pattern: Pattern) -> None:
    """Print which threads ran the downloads and which ran the consumer, and how soon it ran."""
    workers = sorted({d.thread for d in pattern.run.downloads})
    print(f"Downloads ran in {len(workers)} threads: {', '.join(workers)}.")
    for thread, calls in collections.Counter(c.thread for c in pattern.consumed).items():
        print(f"count_words ran {calls} times in {thread}.")
    print(f"Words counted in all: {sum(c.words for c in pattern.consumed)}.")
    lags = [c.at - pattern.page(c.page).end for c in pattern.consumed]
    if lags:
        print(
            f"From a page's arrival to its count: {statistics.median(lags) * 1000:.1f} ms "
            f"(median), at most {max(lags) * 1000:.1f} ms."
        )


def _lanes(ax, pattern: Pattern, consumer: bool) -> None:
    """Worker lanes: each page a bar from hand-out (black tick) to arrival; the consumer's lane."""
    run = pattern.run
    lanes = {name: i for i, name in enumerate(run.threads)}
    for d in run.downloads:
        y = lanes[d.thread]
        color = COLORS.get(d.letter, OTHER)
        ax.broken_barh([(d.start, max(d.end - d.start, 1e-4))], (y - 0.35, 0.7), facecolors=color)
        ax.plot([d.start, d.start], [y - 0.45, y + 0.45], color="black", linewidth=0.8)
        if run.pages <= 200:
            ax.text((d.start + d.end) / 2, y, str(page_number(d.url)), **NUMBER)
    names = [n.replace("ThreadPoolExecutor-", "worker T") for n in lanes]
    if consumer and pattern.consumed:
        y = len(lanes)
        for thread in dict.fromkeys(c.thread for c in pattern.consumed):
            times = [c.at for c in pattern.consumed if c.thread == thread]
            ax.plot(times, [y] * len(times), "|", color=CONSUMER, markersize=12, markeredgewidth=1)
            names.append(f"{thread}\n(count_words)")
            y += 1
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set(ylim=(len(names) - 0.5, -0.5), xlim=(0, max(run.elapsed, 1e-3)))
    ax.set_xlabel("seconds since the run began")
    handles = [Patch(color=COLORS["J"], label="J page"), Patch(color=COLORS["R"], label="R page")]
    handles.append(Line2D([], [], color="black", label="handed to a free worker"))
    if consumer and pattern.consumed:
        handles.append(Line2D([], [], color=CONSUMER, marker="|", ls="", label="page counted"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")


def pattern_png(pattern: Pattern, first: int = 40) -> bytes:
    """The pattern of one run: the queue, the hand-outs per worker, the two orders (`first`)."""
    run = pattern.run
    figure = Figure(figsize=(11, 9), dpi=80, layout="constrained")
    queue, lanes, orders = figure.subplots(3, 1, height_ratios=[1, 1.6, 1.6])
    times, lengths = queue_lengths(run)
    queue.step(times, lengths, where="post", color="#204a87")
    queue.set(xlim=(0, max(run.elapsed, 1e-3)), ylim=(0, run.pages * 1.05))
    queue.set(xlabel="seconds since the run began", ylabel="pages waiting")
    queue.set_title(
        f"The producer: {run.pages} pages put in the pool's queue at once, taken one by one "
        f"({run.done} pages in {run.elapsed:.2f} s)"
    )
    _lanes(lanes, pattern, consumer=False)
    lanes.set_title(
        f"The {len(run.threads)} workers: each takes the next page as soon as it is free"
    )
    arrived, returned = pattern.arrived[:first], pattern.returned[:first]
    orders.plot(returned, "s-", markersize=4, color="#204a87", label="the list map returns")
    orders.plot(arrived, "o:", markersize=4, color="#f57900", label="the order pages arrive")
    orders.set_xlabel(f"place in the list (0 = first; the first {first} of {run.pages})")
    orders.set_ylabel("page number\n(its place in sites)")
    orders.set_title("The collection point: map returns pages in input order, not as they arrive")
    orders.legend(loc="upper left", fontsize="small")
    return to_png(figure)


def consumer_png(pattern: Pattern) -> bytes:
    """The consumer run: worker lanes, and the lane of the thread that counted the words."""
    run = pattern.run
    figure = Figure(figsize=(11, 1.95 + 0.35 * len(run.threads)), dpi=80, layout="constrained")
    ax = figure.add_subplot()
    _lanes(ax, pattern, consumer=True)
    ax.set_title(
        f"The consumer: count_words runs in the collecting thread as pages arrive "
        f"({run.done} pages in {run.elapsed:.2f} s)"
    )
    return to_png(figure)


def plot(pattern: Pattern) -> object:
    """A run's figure as an image in the cell: the pattern, or the lanes of a run with consumer."""
    from IPython.display import Image

    return Image(data=consumer_png(pattern) if pattern.consumed else pattern_png(pattern))


COPIES = 10  # the checks download 10 copies of each site: 20 pages
SLOW = 1.5  # seconds the Jython demo site takes in exercise 2's check: longer than LIMIT
WITHIN_COPIES = 5  # exercise 2 downloads 10 pages: 5 slow ones, all under way at once


def check_input_order(download_in_order) -> Verdict:
    """Exercise 1: submit every page, then return the results in the order of sites."""
    result = attempt(download_in_order, copies=COPIES)
    if isinstance(result, Verdict):
        return result
    if len(result.threads) < 2:
        return not_yet("one thread fetched every page", "submit each url to the executor.")
    got, right = sizes(result.returned), expected_sizes(result, COPIES)
    if got is None or len(got) != len(right):
        return not_yet(f"it returned {described(result.returned)}", "return a list of results.")
    if got != right:
        return not_yet(
            "the results are not in the order of sites",
            "as_completed gives the order of arrival. Read the futures in the order you "
            "submitted them instead.",
        )
    arrived = "".join(d.letter for d in result.downloads)
    return Verdict(
        f"Correct: {len(got)} results in the order of sites, JRJR... They arrived as {arrived}."
    )


def check_within(download_within) -> Verdict:
    """Exercise 2: return what arrived within LIMIT seconds, and leave the slow pages behind."""
    limit = download_within.__globals__.get("LIMIT", 1.0) if callable(download_within) else 1.0
    with sites_changed(name="Jython", latency=SLOW):
        result = attempt(download_within, copies=WITHIN_COPIES)
    if isinstance(result, Verdict):
        if "TimeoutError" in result:
            return Verdict(f"{result} Hint: catch TimeoutError, then return what you have.")
        return result
    got = sizes(result.returned)
    if result.elapsed > limit + 0.3:
        return not_yet(
            f"it returned after {result.elapsed:.1f} s, not about {limit} s",
            "leaving a with block waits for every page. Call "
            "executor.shutdown(wait=False, cancel_futures=True) instead.",
        )
    if not got:
        return not_yet(f"it returned {described(result.returned)}", "return what arrived.")
    return Verdict(
        f"Correct: {len(got)} of {result.pages} pages arrived within {limit} s. "
        f"The function returned after {result.elapsed:.2f} s."
    )
