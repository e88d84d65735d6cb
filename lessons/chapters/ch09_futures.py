"""Chapter 09, "Futures that fail well": result(timeout=), cancel(), a callback, the first
error, bounded retries, each measured on the demo sites; and the exercise's self-check."""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import socket
import threading
import time
import types

from ..course.exercises import Verdict, described, not_yet, requests_served
from ..course.failures import describe
from ..course.program import rebound, silent
from ..course.sites import demo_pages, sites_changed, start_demo_sites

WORKERS = 5
LIMIT = 10.0  # seconds a learner's function may take before the course stops waiting for it
SLOW, SLOW_SECONDS = "Jython", 1.5  # under 2 s, the lesson's read timeout: the page arrives
BAD_AT = 30  # the failing page's index: page 31 of the list
COPIES = 80  # 160 pages


class Pool(concurrent.futures.ThreadPoolExecutor):
    """Keeps its futures (map's too), counts the results map hands out, notes the thread of each
    done-callback. Its with-block waits for the futures as a pool's does, at most LIMIT s."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers, thread_name_prefix="pool")
        self.futures: list[concurrent.futures.Future] = []
        self.handed_out, self.callback_threads, self.callback_errors = 0, [], []

    def __exit__(self, *exception) -> None:
        concurrent.futures.wait(self.futures, timeout=LIMIT)
        self.shutdown(wait=False, cancel_futures=True)

    def submit(self, fn, /, *args, **kwargs):
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback = lambda callback: concurrent.futures.Future.add_done_callback(
            future, self._traced(callback)
        )
        self.futures.append(future)
        return future

    def _traced(self, callback):
        def traced(future):
            try:
                callback(future)
            except Exception as error:  # the learner's callback: counted, not logged
                self.callback_errors.append(error)
            self.callback_threads.append(threading.current_thread().name)

        return traced

    def map(self, fn, *iterables, **options):
        return self._counted(super().map(fn, *iterables, **options))  # submits every page now

    def _counted(self, results):
        for result in results:
            self.handed_out += 1
            yield result


@contextlib.contextmanager
def failing_pages(copies: int = COPIES):
    """(bad, sites): the lesson's pages, page BAD_AT + 1 a loopback address that refuses."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))  # bound, never listening: every connection is refused
        bad = f"http://127.0.0.1:{holder.getsockname()[1]}/"
        sites = demo_pages(copies=copies)
        sites[BAD_AT] = bad
        yield bad, sites


def quiet(function: types.FunctionType, **names) -> types.FunctionType:
    """The learner's function calling a download_site that prints no J/R (or `names`)."""
    site = function.__globals__.get("download_site")
    if isinstance(site, types.FunctionType):
        site = rebound(site, print=silent)
    return rebound(function, **{"download_site": site, "print": silent, **names})


def bounded(function, *args, limit: float | None = None, **kwargs) -> types.SimpleNamespace:
    """`function` in a daemon thread, at most `limit` (or LIMIT) s: returned, raised, hung."""
    call = types.SimpleNamespace(returned=None, raised=None, hung=False, seconds=0.0)
    call.limit = limit or LIMIT

    def target() -> None:
        start = time.perf_counter()
        try:
            call.returned = function(*args, **kwargs)
        except Exception as error:
            call.raised = error
        call.seconds = time.perf_counter() - start

    thread = threading.Thread(target=target, name="course-caller", daemon=True)
    thread.start()
    thread.join(call.limit)
    call.hung = thread.is_alive()
    return call


def served_since(before: int) -> int:
    """Requests the demo sites served since `before`, once pages under way arrived (<= 2 s)."""
    counts = [requests_served()]
    while len(counts) < 10 and (len(counts) < 2 or counts[-1] != counts[-2]):
        time.sleep(0.2)
        counts.append(requests_served())
    return counts[-1] - before


def said(error: BaseException) -> str:
    """An exception in a few words: its name, and why if the name does not say."""
    name, text = type(error).__name__, describe(error)
    return text if text.startswith(name) else f"{name} ({text})"


def outcome(call: types.SimpleNamespace) -> str:
    """What a bounded call did, in a few words."""
    if call.hung:
        return f"had not returned after {call.limit:.0f} s"
    if call.raised is not None:
        return f"raised {said(call.raised)}"
    return f"returned {described(call.returned)}"


def show_timeout(wait_briefly) -> None:
    """wait_briefly(executor, url) submits one slow page and waits result(timeout=0.5)."""
    url = start_demo_sites().urls[SLOW]
    arrived, site = {}, quiet(wait_briefly).__globals__["download_site"]

    def timed(page):
        try:
            arrived["size"] = site(page)
        finally:
            arrived["at"] = time.perf_counter() - start

    program = quiet(wait_briefly, download_site=timed)
    print(f"The {SLOW} demo site takes {SLOW_SECONDS} s a page in this cell.")
    with sites_changed(name=SLOW, latency=SLOW_SECONDS, jitter=0.0), Pool(1) as pool:
        start = time.perf_counter()
        call = bounded(program, pool, url, limit=2 * SLOW_SECONDS + 1)
    who = "result()" if isinstance(call.raised, TimeoutError) else "wait_briefly"
    print(f"{who} {outcome(call)}" + ("." if call.hung else f" after {call.seconds:.2f} s."))
    if "size" in arrived:
        went_on = " went on:" if arrived["at"] > call.seconds + 0.1 else ""
        print(f"The worker thread{went_on} the page arrived after {arrived['at']:.2f} s.")
    elif "at" in arrived:
        print(f"The page failed after {arrived['at']:.2f} s.")


def show_cancel(cancel_all, copies: int = 20, workers: int = 2) -> None:
    """cancel_all(executor, sites) submits every page, then calls cancel() on each future."""
    sites, before = demo_pages(copies=copies), requests_served()
    with Pool(workers) as pool:
        call = bounded(quiet(cancel_all), pool, sites)
    print(f"{len(sites)} pages submitted to {workers} workers, then cancel() on each.")
    returned = call.returned
    if not (isinstance(returned, list) and all(isinstance(r, bool) for r in returned)):
        print(f"cancel_all {outcome(call)}, not the list of what cancel() returned.")
        returned = [f.cancelled() for f in pool.futures]
    print(f"cancel() returned True for {returned.count(True)}: not started, now never will be.")
    print(f"cancel() returned False for {returned.count(False)}: already running.")
    print(f"The demo sites served {served_since(before)} of the {len(sites)} pages.")


def count_progress(submit_counted, copies: int = COPIES, workers: int = WORKERS) -> None:
    """submit_counted(executor, sites) submits every page, each with a callback that counts."""
    sites, names = demo_pages(copies=copies), submit_counted.__globals__
    readings = [names.get("pages_done")]
    with Pool(workers) as pool:
        try:
            quiet(submit_counted)(pool, sites)  # in this thread, as the cell's own code runs
        except Exception as error:
            print(f"submit_counted raised {said(error)}.")
        deadline = time.monotonic() + LIMIT
        while time.monotonic() < deadline and not all(f.done() for f in pool.futures):
            time.sleep(0.25)
            readings.append(names.get("pages_done"))
        time.sleep(0.1)  # a future's callbacks run just after it is done
    if names.get("pages_done") != readings[-1]:
        readings.append(names.get("pages_done"))
    callbacks = collections.Counter(pool.callback_threads)
    here = callbacks.pop(threading.current_thread().name, 0)
    print(f"{len(pool.futures)} pages submitted to {workers} workers.")
    print(f"pages_done, read every 0.25 s and at the end: {', '.join(map(str, readings))}")
    workers_ran = f"{callbacks.total()} times in worker threads ({len(callbacks)} of them)"
    print(f"The callback ran {workers_ran}, {here} times in this cell's thread.")
    if pool.callback_errors:
        print(f"It raised {len(pool.callback_errors)} times: {said(pool.callback_errors[0])}.")


def failing_run(function, workers: int) -> tuple:
    """function(executor, sites) over the pages, one refused; the pool ends as a with-block."""
    with failing_pages() as (_, sites):
        before = requests_served()
        with Pool(workers) as pool:
            call = bounded(quiet(function), pool, sites)
        served = served_since(before)
    print(f"{len(sites)} pages, {workers} workers; page {BAD_AT + 1} goes to a closed port.")
    return call, pool, f"{served} of {len(sites) - 1}"


def map_error(map_pages, workers: int = WORKERS) -> None:
    """map_pages(executor, sites) reads executor.map's results; one page fails."""
    call, pool, served = failing_run(map_pages, workers)
    if call.raised is not None:
        got = f"got {said(call.raised)}"
        print(f"The caller {got} at result {pool.handed_out + 1}, after {call.seconds:.2f} s.")
    else:
        print(f"map_pages {outcome(call)}, with no error.")
    cancelled = sum(f.cancelled() for f in pool.futures)
    print(f"Pages fetched: {served}. Cancelled, never started: {cancelled}.")


def wait_error(wait_first_error, workers: int = WORKERS) -> None:
    """wait_first_error(executor, sites) submits every page and returns what wait() returned;
    one page fails."""
    call, pool, served = failing_run(wait_first_error, workers)
    try:
        done, not_done = call.returned
        failed = sum(not f.cancelled() and f.exception() is not None for f in done)
        counted = f"{len(done)} done, {len(not_done)} not done"
        print(f"wait() returned after {call.seconds:.2f} s: {counted}.")
        print(f"Done with an exception: {failed}.")
    except (TypeError, ValueError):
        print(f"wait_first_error {outcome(call)}, not wait()'s (done, not_done).")
    print(f"Pages fetched by the end of the with-block: {served}.")


def show_retries(download_with_retries, copies: int = 10, workers: int = WORKERS) -> None:
    """download_with_retries(url, tries=3) over 20 pages while 30% of answers are errors."""
    sites = [f"{url}#{n}" for n, url in enumerate(demo_pages(copies=copies))]  # one key a page
    calls, site = [], quiet(download_with_retries).__globals__["download_site"]

    def counted(url):
        calls.append(url)  # one step, in any thread
        return site(url)

    program = quiet(download_with_retries, download_site=counted)
    with sites_changed(error_rate=0.3), Pool(workers) as pool:
        futures = {pool.submit(program, url): url for url in sites}
    ended = [f for f in futures if f.done() and not f.cancelled()]
    arrived = [futures[f] for f in ended if f.exception() is None]
    tries = collections.Counter(calls)
    first = sum(tries[url] == 1 for url in arrived)
    print(f"{len(sites)} pages, {workers} workers; each site fails 30% of its answers.")
    print(f"Fetched on the first try: {first}. After retries: {len(arrived) - first}.")
    print(f"Given up: {len(sites) - len(arrived)}.")
    print(f"download_site was called {len(calls)} times.")


# ---- the exercise: stop the run at the first error, and say which page ----------------------


def check_first_error(download_until_error) -> Verdict:
    """download_until_error(sites, max_workers=5): the URL of the first page that failed (None
    if none did), and no page started after that error."""
    if not isinstance(download_until_error, types.FunctionType):
        return not_yet(
            f"{download_until_error!r} is not a function yet", "run the cell that defines it."
        )
    if not callable(download_until_error.__globals__.get("download_site")):
        return not_yet("there is no download_site to call", "run the lesson's cell first.")
    program = quiet(download_until_error)
    with failing_pages() as (bad, sites):
        before = requests_served()
        call = bounded(program, sites, max_workers=WORKERS)
        served = served_since(before)
    page, most = f"page {BAD_AT + 1}", BAD_AT + 3 * WORKERS
    if call.hung or call.raised is not None:
        return not_yet(
            f"it {outcome(call)}, instead of returning the URL of {page}",
            "catch the error where you read the future's result, and bound every wait.",
        )
    if served > most:
        return not_yet(
            f"it fetched {served} pages; the run went on after the error at {page}",
            "wait(futures, return_when=FIRST_EXCEPTION), then cancel the futures not done; "
            "or executor.shutdown(cancel_futures=True).",
        )
    returned = call.returned
    if returned != bad:
        if returned is None:
            because = f"it returned None, yet {page} failed"
        elif isinstance(returned, BaseException):
            because = f"it returned the {type(returned).__name__} itself, not its page's URL"
        elif isinstance(returned, str):
            because = f"it returned {returned}, but the page that failed was {bad}"
        else:
            because = f"it returned {described(returned)}, not the URL of {page}"
        return not_yet(because, "keep each future's URL in a dict {future: url}.")
    clean = bounded(program, demo_pages(copies=10), max_workers=WORKERS)
    if clean.hung or clean.raised is not None or clean.returned is not None:
        return not_yet(f"with every page arriving, it {outcome(clean)}", "then return None.")
    return Verdict(
        f"Correct: {page} of {len(sites)} failed, and it returned that page's URL. "
        f"{served} pages were fetched; the other {len(sites) - 1 - served} never started."
    )
