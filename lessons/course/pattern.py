"""Chapter 03's machinery: the N-workers pattern recorded, drawn, and its exercises checked."""

from __future__ import annotations

import collections
import dataclasses
import statistics
import threading
import time
import types

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .exercises import Verdict
from .plotting import COLORS, OTHER, to_png
from .progress import Progress
from .record import Recorder, Run, record_run
from .runs import check_max_workers, check_sites

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


def record(program: types.ModuleType, sites, max_workers: int = 5, copies: int = 80) -> Pattern:
    """Run a program's download_all_sites with every download and consumer call recorded.

    Each result is tagged with its page's address, so the list that comes back says which page
    each item came from. A progress bar moves as pages arrive; an interrupt stops the run."""
    sites = numbered(check_sites(sites, copies))
    max_workers = check_max_workers(max_workers, len(sites))
    recorder, consumed, lock = Recorder(), [], threading.Lock()

    def tag(recorded):  # in place of the recorded download_site: its result, named
        return lambda url: (url, recorded(url))

    def counted(tagged_page):
        url, page = tagged_page
        if page is None:
            return None  # failed, or skipped after a stop: nothing to count
        words = program.count_words(page)
        at = time.perf_counter() - recorder.started
        consumed.append(Consumed(page_number(url), threading.current_thread().name, at, words))
        return words

    names = {"count_words": counted} if hasattr(program, "count_words") else {}
    bar = Progress(len(sites), f"{program.__name__}, {max_workers} workers")

    def step(download) -> None:
        with lock:  # downloads end in several threads at once
            bar.step()

    recorder.on_download = step
    mode = program.__name__.split(".")[-1]
    run = record_run(program, sites, recorder, mode, max_workers, wrap=tag, names=names)
    bar.finish(ok=not run.interrupted)
    returned = run.returned or []
    numbers = [page_number(item[0]) for item in returned if isinstance(item, tuple)]
    return Pattern(run, numbers, consumed)


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


def check_queue(answer, pattern: Pattern) -> Verdict:
    """Exercise 1: how many pages wait in the queue once every worker has its first page?"""
    run = pattern.run
    workers = len(run.threads)
    if run.done < run.pages:
        return Verdict(f"Not yet, because the run was incomplete ({run.summary()[0]}): rerun it.")
    right = queue_lengths(run)[1][workers]
    if isinstance(answer, bool) or not isinstance(answer, int):
        return Verdict(f"Not yet, because {answer!r} is not a whole number of pages: write one.")
    if answer == right:
        return Verdict(f"Correct: {run.pages} pages, {workers} handed out, {right} wait.")
    return Verdict(
        f"Not yet, because {right} pages waited, not {answer}. Hint: map puts all {run.pages} "
        f"pages in the queue at once, and each of the {workers} workers takes one."
    )


def check_next_worker(answer, pattern: Pattern, page: int = 5) -> Verdict:
    """Exercise 2: which of the pages before `page` freed the worker that was handed `page`?"""
    target, earlier = pattern.page(page), [pattern.page(n) for n in range(page)]
    if target is None or target.thread not in {d.thread for d in earlier if d}:
        return Verdict(f"Not yet, because page {page} went to no busy worker: run the run again.")
    if type(answer) is not int or answer not in range(page) or earlier[answer] is None:
        return Verdict(
            f"Not yet, because {answer!r} is not a page number from 0 to {page - 1}: write one."
        )
    freed = earlier[answer]
    if freed.thread == target.thread:
        return Verdict(
            f"Correct: page {answer} arrived at {freed.end * 1000:.0f} ms, and its worker "
            f"{freed.thread} was handed page {page} at {target.start * 1000:.0f} ms."
        )
    busy = freed.end > target.start
    why = "its worker was still busy with it" if busy else "another worker was free before it"
    return Verdict(
        f"Not yet, because page {answer} arrived at {freed.end * 1000:.0f} ms and page {page} "
        f"was handed out at {target.start * 1000:.0f} ms: {why}. Hint: the first page to "
        "arrive frees the first worker; compare the 'arrived' column."
    )


def check_consumer_thread(answer, pattern: Pattern) -> Verdict:
    """Exercise 3: in which thread does count_words run?"""
    threads = {c.thread for c in pattern.consumed}
    if not threads:
        return Verdict("Not yet, because no page was counted in this run: run it again.")
    if not isinstance(answer, str):
        return Verdict(f"Not yet, because {answer!r} is not a thread's name: write one, in quotes.")
    if answer in threads and len(threads) == 1:
        return Verdict(f"Correct: all {len(pattern.consumed)} counts ran in {answer}.")
    return Verdict(
        f"Not yet, because count_words ran in {', '.join(sorted(threads))}, not {answer!r}. "
        "Hint: as_completed hands each finished future to the loop that asks for it."
    )
