"""Chapter 09's machinery: sites that refuse (429) and your Semaphore, context variables in new
threads, and the first self-check (each site bounded to its own limit). Stopping, the deadlock
and the futures have modules of their own: ch09_stop, ch09_deadlock, ch09_futures."""

from __future__ import annotations

import contextlib
import contextvars
import io
import platform
import threading
import time
import types

from ..course import builds, newer
from ..course.exercises import Verdict, described, not_yet
from ..course.plotting import to_png
from ..course.program import rebound
from ..course.runs import run
from ..course.sites import demo_pages, site_letter, sites_changed, start_demo_sites
from .ch09_deadlock import run_pair
from .ch09_futures import (
    check_first_error,
    count_progress,
    map_error,
    show_cancel,
    show_retries,
    show_timeout,
    wait_error,
)
from .ch09_lockcheck import check_no_deadlock
from .ch09_stop import count_futures, press_interrupt, stop_run

SERVES = 3  # a strict demo site answers 429 past this many requests at once
LIMIT = 10.0  # seconds the check waits for your function before it gives up


def _site_of(function) -> str:
    """The function that fetches one page for `function`: the one of its names that calls
    download_site (polite_download_site, say), else download_site itself."""
    names = getattr(getattr(function, "__code__", None), "co_names", ())
    for name in names:
        value = function.__globals__.get(name)
        if isinstance(value, types.FunctionType) and "download_site" in value.__code__.co_names:
            return name
    return "download_site"


def _counts(demo) -> dict[str, dict[str, int]]:
    return demo.counts()


def _say_sites(before: dict, after: dict) -> None:
    for name, now in after.items():
        refused = now["refused"] - before[name]["refused"]
        print(f"{name} saw at most {now['busiest']} requests at once, and refused {refused} (429).")


# ---- section 1: a site that refuses -----------------------------------------------------------


def strict_run(function, max_workers: int = 10, serves: int = SERVES):
    """Your program over the 160 pages while each demo site refuses past `serves` at once.

    When your program maps a function of yours that calls download_site (polite_download_site,
    say), the course records download_site inside it: a page counts from its request, not from
    the wait at your semaphore."""
    demo = start_demo_sites()
    helper = _site_of(function)
    wrap = names = None
    if helper != "download_site":
        recorded = {}

        def forward(url):
            return recorded["download_site"](url)

        def wrap(download_site):
            recorded["download_site"] = download_site
            return download_site

        names = {helper: rebound(function.__globals__[helper], download_site=forward)}
    with sites_changed(demo, refuse_over=serves):
        demo.reset_busiest()
        before = _counts(demo)
        result = run(function, max_workers, sites="demo", caution=False, wrap=wrap, names=names)
        _say_sites(before, _counts(demo))
    return result


def under_way(run, letter: str) -> tuple[list[float], list[int]]:
    """(times, requests under way to one site) through a recorded run: a step each start or end."""
    events = sorted(
        (t, step)
        for d in run.downloads
        if d.letter == letter
        for t, step in ((d.start, 1), (d.end, -1))
    )
    times, busy, now = [0.0], [0], 0
    for t, step in events:
        now += step
        times.append(t)
        busy.append(now)
    return times, busy


def plot_at_once(*runs, serves: int = SERVES):
    """For each run, the requests under way to each site over time, beside the site's limit."""
    from IPython.display import Image
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3.2), dpi=80, layout="constrained")
    axes = figure.subplots(1, len(runs), sharey=True, squeeze=False)[0]
    for ax, each in zip(axes, runs, strict=True):
        for letter, style in (("J", "-"), ("R", ":")):
            times, busy = under_way(each, letter)
            ax.step(times, busy, style, where="post", label=f"{letter}: your requests out")
        ax.axhline(serves, color="grey", linestyle="--", label=f"the site takes {serves}")
        refused = sum(d.status == 429 for d in each.downloads)
        ax.set(title=f"{each.max_workers} workers: {refused} refused", xlabel="seconds")
    axes[0].set(ylabel="requests out at once")
    axes[0].legend(loc="upper right")
    return Image(data=to_png(figure))


# ---- the deadlock's last paragraph: a lock taken twice by one thread -----------------------------


def try_twice(lock_factory) -> bool:
    """The same thread takes a new lock twice: does the second acquire() succeed?"""
    lock, name = lock_factory(), {threading.Lock: "Lock", threading.RLock: "RLock"}[lock_factory]
    lock.acquire()
    start = time.perf_counter()
    got, waited = lock.acquire(timeout=0.5), time.perf_counter() - start
    print(f"{name}: the second acquire() in the same thread gave {got} after {waited:.2f} s.")
    for _ in range(1 + got):
        lock.release()
    return got


# ---- section 5: context variables in new threads ------------------------------------------------


def where_seen(function) -> None:
    """What `function` returns in this thread, in a new Thread, in a Thread given a copy of this
    context, and (Python 3.14 and later) in a Thread(context=...)."""
    seen = {}

    def in_thread(label: str, target=function, **options) -> None:
        thread = threading.Thread(target=lambda: seen.setdefault(label, target()), **options)
        thread.start()
        thread.join(5)

    seen["this thread"] = function()
    in_thread("a new Thread")
    context = contextvars.copy_context()
    in_thread("a new Thread, in copy_context().run", lambda: context.run(function))
    if newer.newer_here():
        in_thread("Thread(context=copy_context())", context=contextvars.copy_context())
    for label, value in seen.items():
        print(f"{label}: {value!r}")
    if not newer.newer_here():
        print(
            f"Thread(context=) is new in Python 3.14; this kernel runs {platform.python_version()}."
        )


def newer_threads() -> None:
    """In a Python 3.14 or newer (this kernel's, or one found): does a new thread see the
    starter's context variable, without and with -X thread_inherit_context=1?"""
    here = builds.this_build()
    found = (here.name, None) if builds.is_newer(here.version) else builds.newer_python({})
    if not found:
        print(
            "No Python 3.14 or newer here: python -m lessons kernel --python python3.14 adds one."
        )
        return
    label, python = found
    for inherit in (None, True):
        facts = newer.inherits_context(python, inherit)
        if "error" in facts:
            print(f"{label}: the check failed: {facts['error']}")
            return
        how = "by default" if inherit is None else "with -X thread_inherit_context=1"
        print(f"{label}, {how}: a new thread sees {facts['seen']!r}.")


# ---- exercise 1: each site bounded to its own limit ---------------------------------------------

ROUNDS = ({"Jython": 2, "Real Python": 4}, {"Jython": 3, "Real Python": 1})
BOUNDED_COPIES = 20  # 40 pages a round


def check_bounded(download_all_bounded) -> Verdict:
    """Exercise 1: at most limits[letter] requests at once to each site, none refused, every
    page returned; and each site's whole limit used."""
    if not isinstance(download_all_bounded, types.FunctionType):
        return not_yet(
            f"{download_all_bounded!r} is not a function yet", "run the cell that defines it."
        )
    demo = start_demo_sites()
    sites = demo_pages(demo, copies=BOUNDED_COPIES)
    said = []
    for serves in ROUNDS:
        limits = {site_letter(url): serves[name] for name, url in demo.urls.items()}
        verdict = _bounded_round(download_all_bounded, demo, sites, serves, limits)
        if isinstance(verdict, Verdict):
            return verdict
        said.append(verdict)
    return Verdict(f"Correct: {said[0]}; then {said[1]}. No page was refused.")


def _bounded_round(function, demo, sites, serves: dict, limits: dict) -> Verdict | str:
    with contextlib.ExitStack() as stack:
        for name, limit in serves.items():
            stack.enter_context(sites_changed(demo, name=name, refuse_over=limit))
        demo.reset_busiest()
        before = demo.counts()
        returned, error, seconds = _bounded_call(function, sites, dict(limits))
        after = demo.counts()
    if error == "hung":
        return not_yet(
            f"{function.__name__} did not return within {LIMIT:.0f} s",
            "does every acquire have its release? `with semaphore:` does both.",
        )
    refused = {n: after[n]["refused"] - before[n]["refused"] for n in after}
    busiest = {n: after[n]["busiest"] for n in after}
    over = [n for n in serves if refused[n] or busiest[n] > serves[n]]
    if over:
        name = over[0]
        return not_yet(
            f"{name} takes {serves[name]} at once, got {busiest[name]}, and refused "
            f"{refused[name]} pages (limits were {limits})",
            "give each site its own threading.Semaphore(limits[letter]), made inside the "
            "function, and hold it around download_site.",
        )
    if error:
        return not_yet(f"{function.__name__} raised {error}")
    if not isinstance(returned, list) or len(returned) != len(sites) or None in returned:
        return not_yet(
            f"{function.__name__} returned {described(returned)}, for {len(sites)} pages",
            "return the list of sizes, as download_all_sites does.",
        )
    under = [n for n in serves if busiest[n] < serves[n]]
    if under:
        name = under[0]
        return not_yet(
            f"{name} takes {serves[name]} at once, and got at most {busiest[name]}",
            "use each site's whole limit: its own semaphore, not one for both.",
        )
    return f"{seconds:.2f} s with limits {limits}"


def _bounded_call(function, sites: list[str], limits: dict) -> tuple:
    """(returned, error or "hung" or None, seconds): the call, quietly, in a thread of its own."""
    box: dict = {}

    def call() -> None:
        try:
            box["returned"] = function(sites, limits)
        except Exception as error:  # the learner's bug: one line about it
            box["error"] = f"{type(error).__name__}: {error}"

    start = time.perf_counter()
    thread = threading.Thread(target=call, name="course-check", daemon=True)
    with contextlib.redirect_stdout(io.StringIO()):
        thread.start()
        thread.join(LIMIT)
    if thread.is_alive():
        return None, "hung", LIMIT
    return box.get("returned"), box.get("error"), time.perf_counter() - start


__all__ = [
    "SERVES",
    "check_bounded",
    "check_first_error",
    "check_no_deadlock",
    "count_progress",
    "count_futures",
    "map_error",
    "newer_threads",
    "plot_at_once",
    "press_interrupt",
    "run_pair",
    "show_cancel",
    "show_retries",
    "show_timeout",
    "wait_error",
    "stop_run",
    "strict_run",
    "try_twice",
    "where_seen",
]
