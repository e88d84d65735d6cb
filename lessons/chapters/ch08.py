"""Chapter 08's machinery: your hand-made program beside the executor, measured; the self-checks."""

from __future__ import annotations

import builtins
import dataclasses
import platform
import queue
import threading
import types

import requests

from ..course.downloads import Run
from ..course.exercises import Verdict, attempt, described, expected_sizes, not_yet, sizes
from ..course.failures import describe
from ..course.plotting import to_png
from ..course.program import as_program, rebound, record_run, silent
from ..course.progress import Progress
from ..course.record import Recorder
from ..course.sites import demo_pages, site_letter, sites_changed

WORKERS = 5
CHECK_COPIES = 10  # the self-checks: 20 pages
FAILING = "Jython"  # the demo site that answers every page with HTTP 500 in the failing runs
LIMIT = 10.0  # seconds a failing run may take before the course stops waiting for it
GROUP = getattr(builtins, "BaseExceptionGroup", ())  # Python 3.11 and later
LABELS = ("the pool", "by hand")  # with_executor, and your download_all_sites
HAS_SHUTDOWN = hasattr(queue.Queue, "shutdown")  # Queue.shutdown() is new in Python 3.13


def numbered(sites: list[str]) -> list[str]:
    """The same pages, each with its place in the list after a '#': never sent to the server."""
    return [f"{url.split('#')[0]}#{number}" for number, url in enumerate(sites)]


def _tagged(recorded):
    """In place of the recorded download_site: its result, with the page it came from."""
    return lambda url: (url, recorded(url))


def record_each(ways: dict, sites: list[str], max_workers: int = WORKERS) -> dict[str, Run]:
    """Each program of `ways` (label: function) over `sites`, recorded, under one progress bar;
    an interrupt ends the runs still to come."""
    bar = Progress(len(sites) * len(ways), f"{len(ways)} runs, {max_workers} workers")
    lock, runs = threading.Lock(), {}

    def step(download) -> None:
        with lock:  # downloads end in several threads at once
            bar.step()

    for label, function in ways.items():
        program = as_program(function)
        recorder = Recorder(on_download=step)
        runs[label] = record_run(program, sites, recorder, "threads", max_workers, _tagged)
        if runs[label].interrupted:
            break
    bar.finish(ok=not any(run.interrupted for run in runs.values()))
    return runs


def returned_order(run: Run) -> list[int]:
    """The page numbers of the results, in the order download_all_sites returned them."""
    returned = run.returned if isinstance(run.returned, (list, tuple)) else []
    return [int(r[0].rsplit("#", 1)[1]) for r in returned if isinstance(r, tuple)]


def plot_order(runs: dict[str, Run], first: int = 40):
    """The first places of each returned list: the page number there. In order, a diagonal."""
    from IPython.display import Image
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3.2), dpi=80, layout="constrained")
    ax = figure.add_subplot()
    for (label, run), style in zip(runs.items(), ("s-", "o:"), strict=False):
        ax.plot(returned_order(run)[:first], style, markersize=4, label=label)
    ax.set(xlabel=f"place in the returned list (the first {first})", ylabel="page number")
    ax.legend(loc="upper left")
    return Image(data=to_png(figure))


def in_place(run: Run) -> int:
    """How many results stand at the place of their page in the list of pages."""
    return sum(number == place for place, number in enumerate(returned_order(run)))


def compare_runs(with_executor, by_hand, copies: int = 80, demo=None) -> dict[str, Run]:
    """Both programs over the lesson's pages: how long, and how many results in their place."""
    sites = numbered(demo_pages(demo, copies))
    runs = record_each(dict(zip(LABELS, (with_executor, by_hand), strict=True)), sites)
    if any(run.interrupted for run in runs.values()):
        return runs
    for label, run in runs.items():
        print(f"{label + ':':<10} {run.summary()[-1]}")
    print("Results in the place of their page in sites:")
    for label, run in runs.items():
        print(f"{label + ':':<10} {in_place(run)} of {len(sites)}")
    pool, hand = runs.values()
    if pool.elapsed > 0:
        print(f"By hand took {hand.elapsed / pool.elapsed:.2f} times as long as the pool.")
    return runs


@dataclasses.dataclass
class Outcome:
    """What one unrecorded call of a download_all_sites did while some pages failed."""

    pages: int
    tried: int  # pages that download_site was called for
    returned: object = None
    raised: BaseException | None = None
    in_hook: list = dataclasses.field(default_factory=list)  # exceptions that ended a thread
    hung: bool = False  # still running after LIMIT seconds

    @property
    def caller_saw(self) -> str:
        if self.hung:
            return f"no return within {LIMIT:.0f} s"
        if self.raised is not None:
            name, text = type(self.raised).__name__, describe(self.raised)
            return text if text.startswith(name) else f"{name} ({text})"
        return f"{described(self.returned)}, no error"


def call_failing(function, sites: list[str], max_workers: int = WORKERS) -> Outcome:
    """Call `function` as it is (download_site raises for a failing page), in a thread of its
    own, bounded by LIMIT; count the pages tried and the exceptions that ended a thread."""
    names = function.__globals__
    download_site = names.get("download_site")
    if isinstance(download_site, types.FunctionType):
        download_site = rebound(download_site, print=silent)  # no J/R marks here
    tried, lock = [], threading.Lock()

    def counted(url):
        with lock:
            tried.append(url)
        return download_site(url)

    program = rebound(function, download_site=counted, print=silent)
    outcome, saved = Outcome(len(sites), 0), threading.excepthook

    def call():
        try:
            outcome.returned = program(sites, max_workers=max_workers)
        except Exception as error:
            outcome.raised = error

    threading.excepthook = lambda args: outcome.in_hook.append(args.exc_value)
    try:
        caller = threading.Thread(target=call, name="course-caller", daemon=True)
        caller.start()
        caller.join(LIMIT)
        outcome.hung = caller.is_alive()
    finally:
        threading.excepthook = saved
    outcome.tried = len(set(tried))
    return outcome


def compare_failures(
    with_executor, by_hand, copies: int = CHECK_COPIES, demo=None
) -> dict[str, Outcome]:
    """Both programs while one demo site answers every page with HTTP 500."""
    sites = numbered(demo_pages(demo, copies))
    with sites_changed(demo, name=FAILING, error_rate=1.0):
        outcomes = {
            label: call_failing(f, sites)
            for label, f in zip(LABELS, (with_executor, by_hand), strict=True)
        }
    failing = sum(site_letter(url) == FAILING[0] for url in sites)
    print(f"{len(sites)} pages, {WORKERS} workers; the {FAILING} site fails its {failing}.")
    print(f"{'':<9} {'the caller saw':<28} {'pages tried':>13} {'threads ended':>15}")
    for label, o in outcomes.items():
        print(f"{label:<9} {o.caller_saw:<28} {o.tried:>13} {len(o.in_hook):>15}")
    print("threads ended: worker threads that an exception ended.")
    for label, o in outcomes.items():
        if o.raised is None and isinstance(o.returned, list):
            missing = o.pages - len(o.returned)
            print(f"{label}: {missing} of {o.pages} pages missing from its list, without a word.")
    return outcomes


def compare_stops(with_markers, with_shutdown, copies: int = 20, demo=None) -> dict[str, Run]:
    """The stop markers and (on Python 3.13 and later) Queue.shutdown(): every page, every
    worker ended?"""
    sites = numbered(demo_pages(demo, copies))
    ways = {"stop markers": with_markers}
    if HAS_SHUTDOWN:
        ways["Queue.shutdown()"] = with_shutdown
    else:
        print(f"Queue.shutdown() is new in Python 3.13. This kernel runs "
              f"{platform.python_version()}: only the stop markers run.")  # fmt: skip
    runs = record_each(ways, sites)
    for label, run in runs.items():
        alive = [t for t in threading.enumerate() if t.name in run.threads]
        print(f"{label + ':':<17} {run.done} of {run.pages} pages in {run.elapsed:.2f} s; "
              f"threads still alive after: {len(alive)}")  # fmt: skip
    return runs


# ---- the self-checks ------------------------------------------------------------------------


def check_in_order(download_in_order) -> Verdict:
    """Exercise 1: each page's index travels with it in the queue; results[index] keeps order."""
    result = attempt(download_in_order, copies=CHECK_COPIES)
    if isinstance(result, Verdict):
        return result
    if len(result.threads) < 2:
        return not_yet("one thread fetched every page", "start every worker before any join.")
    got, right = sizes(result.returned), expected_sizes(result, CHECK_COPIES)
    if got is None or len(got) != len(right):
        return not_yet(
            f"it returned {described(result.returned)}, not {len(right)} results",
            "make results [None] * len(sites), and write each size at its index.",
        )
    if None in got:
        return not_yet(
            f"{got.count(None)} of the {len(got)} results are still None",
            "in the worker, write results[index] = download_site(url).",
        )
    if got != right:
        return not_yet(
            "the results are not in the order of sites",
            "put (index, url) pairs in the queue, and write each size at results[index].",
        )
    arrived = "".join(d.letter for d in result.downloads)
    return Verdict(
        f"Correct: {len(got)} results in the order of sites, JRJR... "
        f"{len(result.threads)} threads fetched them as {arrived}."
    )


def _carries(error: BaseException | None) -> bool:
    """Whether `error` is the HTTPError a worker met, or holds it (a cause, a group)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, requests.HTTPError):
            return True
        if isinstance(error, GROUP) and any(map(_carries, error.exceptions)):
            return True
        error = error.__cause__ or error.__context__
    return False


def check_raises(download_or_raise) -> Verdict:
    """Exercise 2: a worker's exception is kept, and raised again in the caller after join;
    every page is still tried."""
    result = attempt(download_or_raise, copies=CHECK_COPIES)
    if isinstance(result, Verdict):
        return result
    got = sizes(result.returned)
    if got is None or len(got) != result.pages:
        return not_yet(
            f"with no page failing, it returned {described(result.returned)}, "
            f"not {result.pages} results",
            "return results, as the lesson's program does.",
        )
    sites = numbered(demo_pages(copies=CHECK_COPIES))
    with sites_changed(name=FAILING, error_rate=1.0):
        o = call_failing(download_or_raise, sites)
    failed = sum(site_letter(url) == FAILING[0] for url in sites)
    failed = f"{failed} of {len(sites)} pages failed"
    if o.hung:
        return not_yet(
            f"{failed}, and it had not returned after {LIMIT:.0f} s",
            "does every worker still reach its stop marker?",
        )
    if o.in_hook:
        return not_yet(
            f"{failed}. {len(o.in_hook)} exceptions ended worker threads, and the caller "
            "never saw them",
            "in the worker, catch the exception with try/except, and keep it in errors.",
        )
    if o.raised is None:
        return not_yet(
            f"{failed}, and it returned {described(o.returned)} without an error",
            "after the join loop, raise the first exception in errors.",
        )
    if not _carries(o.raised):
        return not_yet(
            f"{failed}, and it raised {o.caller_saw}, not the HTTPError a worker met",
            "raise the exception you kept: raise errors[0].",
        )
    if o.tried < o.pages:
        return not_yet(
            f"{failed}, and {o.pages - o.tried} pages were never tried",
            "after a worker keeps an exception, let it take the next page.",
        )
    return Verdict(
        f"Correct: {failed}. All {o.tried} pages were tried, and the caller got {o.caller_saw}."
    )
