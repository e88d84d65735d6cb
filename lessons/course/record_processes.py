"""The run record for the process-pool program: each child times its page, the parent records.

A child cannot share the parent's Recorder (it has a copy of nothing), and its prints would
land in whichever cell of the kernel runs at that moment. So the child returns what it saw (its
size or its error, its pid, and when it began and ended by time.perf_counter(), which on Linux
is CLOCK_MONOTONIC: the same clock in every process) and the parent records and marks each
page as its result comes back, in the order of the list, as executor.map gives them.
"""

from __future__ import annotations

import concurrent.futures
import functools
import importlib
import os
import sys
import time
import types

from .failures import NOT_TRIED, describe
from .program import rebound, timed_call
from .record import Download, Recorder, Run
from .sites import origin, site_letter


def timed(download_site, url: str) -> dict:
    """Run in the child: the lesson's download_site, timed, and never raising for one page."""
    seen = {"pid": os.getpid(), "start": time.perf_counter(), "bytes": 0, "error": None}
    try:
        seen["bytes"] = download_site(url)
    except Exception as error:  # one bad page is reported, the run goes on
        seen["error"] = describe(error)
        response = getattr(error, "response", None)
        seen["status"] = getattr(response, "status_code", None)
    seen["end"] = time.perf_counter()
    return seen


def ready(_) -> tuple[int, float]:
    """Run in the child by compare_lab.pool_startup: which process, and when it was free to work.

    Here, in a module the child imports anyway, so that timing the start-up imports nothing more.
    """
    time.sleep(0.1)  # hold the worker, so that each task goes to a process of its own
    return os.getpid(), time.perf_counter()


def boot(folder: str, module: str, initializer: str | None) -> None:
    """Run first in each child of a pool whose program lives in a file outside the package (a
    cell the course saved): import that file by name, then call the program's initializer."""
    if folder not in sys.path:
        sys.path.insert(0, folder)
    loaded = importlib.import_module(module)
    if initializer:
        getattr(loaded, initializer)()


def saved_home(program: types.ModuleType) -> tuple[str, str] | None:
    """(folder, module name) of a program saved from a cell; None for the package's own."""
    if program.__name__.startswith("lessons") or not getattr(program, "__file__", None):
        return None
    return os.path.dirname(program.__file__), program.__name__


class RecordedPool(concurrent.futures.ProcessPoolExecutor):
    """The program's ProcessPoolExecutor, whose map records each page as its result arrives."""

    def __init__(self, *args, recorder: Recorder, home=None, **kwargs) -> None:
        if home is not None:  # the children import the saved file before anything of it
            first = kwargs.get("initializer")
            kwargs["initializer"] = functools.partial(boot, *home, getattr(first, "__name__", None))
        super().__init__(*args, **kwargs)
        self.recorder = recorder

    def map(self, download_site, sites, **_):
        futures = [self.submit(timed, download_site, url) for url in sites]
        try:
            for url, future in zip(sites, futures, strict=True):
                yield self._record(url, future)
        finally:  # an interrupt, or the end: pages not started are not started now
            for future in futures:
                future.cancel()

    def _record(self, url: str, future: concurrent.futures.Future):
        recorder, site = self.recorder, origin(url)
        with recorder._lock:
            skip = recorder._given_up(site) or recorder.stopping
        if skip and future.cancel():  # a dead site, or Stop: the queued pages are not tried
            if recorder.stopping:
                return None
            now = time.perf_counter() - recorder.started
            download = Download(url, site_letter(url), "not started", now, now, error=NOT_TRIED)
            recorder._ended(download, site, tried=False)
            return None
        seen = future.result()
        with recorder._lock:
            recorder._in_flight[site] += 1  # _ended counts it out again
        download = Download(
            url=url,
            letter=site_letter(url),
            thread=f"process {seen['pid']}",
            start=seen["start"] - recorder.started,
            end=seen["end"] - recorder.started,
            bytes=seen["bytes"] or 0,
            status=seen.get("status") or (None if seen["error"] else 200),
            error=seen["error"],
        )
        recorder._ended(download, site, tried=True)
        return seen["bytes"] if download.ok else None


def record_run_processes(
    program: types.ModuleType,
    sites: list[str],
    recorder: Recorder,
    mode: str = "processes",
    max_workers: int = 5,
) -> Run:
    """Run the process-pool program's download_all_sites with every page recorded by the
    parent; Ctrl-C (or the kernel's interrupt) ends it after the pages under way."""
    home = saved_home(program) if isinstance(program, types.ModuleType) else None
    pool = functools.partial(RecordedPool, recorder=recorder, home=home)
    concurrent_ = types.SimpleNamespace(futures=types.SimpleNamespace(ProcessPoolExecutor=pool))
    download_all_sites = rebound(program.download_all_sites, concurrent=concurrent_)
    returned, elapsed, interrupted = timed_call(
        recorder, download_all_sites, sites, max_workers=max_workers
    )
    return recorder.run(mode, max_workers, len(sites), elapsed, interrupted, returned)
