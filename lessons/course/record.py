"""The run record: one Download per page, kept around the lesson's code, never inside it."""

from __future__ import annotations

import collections
import contextlib
import contextvars
import dataclasses
import sys
import threading
import time
import types
from collections.abc import Callable

import requests

from .failures import GIVE_UP, NOT_TRIED, describe
from .sites import TIMEOUT, origin, site_letter

_here = threading.local()  # the recorder of the download that runs on this thread, if any
# The same for a coroutine: many run on one thread, each in a context of its own.
_in_task: contextvars.ContextVar = contextvars.ContextVar("download", default=None)
_WAIT = object()  # _decide: not yet, a failing site still has requests out


def mark(response) -> None:
    """Show that a page has arrived: J or R, as the lesson prints (requests or aiohttp)."""
    letter = site_letter(str(response.url))
    here = _in_task.get()
    recorder, download = here or (
        getattr(_here, "recorder", None),
        getattr(_here, "download", None),
    )
    if recorder is None:
        print_mark(letter)
    else:
        recorder._arrived(response, letter, download)


def print_mark(letter: str) -> None:
    """Print one mark, with no newline, at once."""
    sys.stdout.write(letter)  # one write per mark: marks from threads never interleave
    sys.stdout.flush()


@dataclasses.dataclass
class Download:
    """One page: which site, which thread fetched it, when (seconds into the run), what came."""

    url: str
    letter: str
    thread: str
    start: float
    end: float = 0.0
    bytes: int = 0
    status: int | None = None
    error: str | None = None  # why it failed, in a few words; None when it arrived

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclasses.dataclass
class Run:
    """What a run did: its downloads in order of arrival and its elapsed time."""

    mode: str
    max_workers: int | None
    pages: int
    downloads: list[Download]
    elapsed: float
    stopped: bool = False  # Stop was pressed, or the kernel interrupted
    interrupted: bool = False
    returned: list | None = None  # what download_all_sites returned (None if interrupted)
    shared: object | None = None  # contention.Shared: what the machine did beside it meanwhile

    @property
    def done(self) -> int:
        return sum(d.ok for d in self.downloads)

    @property
    def failed(self) -> int:
        return sum(not d.ok for d in self.downloads)

    @property
    def failures(self) -> collections.Counter:
        """How many pages failed for each reason."""
        return collections.Counter(d.error for d in self.downloads if not d.ok)

    @property
    def threads(self) -> list[str]:
        """The threads that downloaded, in order of their first download."""
        return list(dict.fromkeys(d.thread for d in sorted(self.downloads, key=lambda d: d.start)))

    def summary(self) -> list[str]:
        """The lines printed after the marks; the last one is the lesson's own."""
        lines = []
        if self.interrupted or self.stopped:
            why = "Interrupted" if self.interrupted else "Stopped"
            lines.append(f"{why} after {self.done} of {self.pages} pages.")
        if self.failed:
            # The reasons pages failed first, then the pages not tried because of them.
            ordered = sorted(self.failures.items(), key=lambda i: (i[0] == NOT_TRIED, -i[1]))
            reasons = ", ".join(f"{n} x {why}" for why, n in ordered)
            lines.append(f"Failed {self.failed} of {self.pages} pages: {reasons}.")
        lines.append(f"Downloaded {self.done} in {self.elapsed:.2f} seconds")
        return lines

    def __repr__(self) -> str:
        workers = "" if self.max_workers is None else f", max_workers={self.max_workers}"
        return f"<Run {self.mode}{workers}: {self.summary()[-1]}>"


class Recorder:
    """Collects the downloads of one run, and tells listeners as each page arrives."""

    def __init__(
        self,
        on_mark: Callable[[str], None] | None = None,
        on_download: Callable[[Download], None] | None = None,
    ) -> None:
        self.on_mark = on_mark  # gets "J", "R", or "x" for a failed page
        self.on_download = on_download  # gets each Download when it ends
        self.downloads: list[Download] = []
        self.started = time.perf_counter()
        self._stop = threading.Event()
        # Every critical section is `with self._lock:`, never `with self._changed:`. A Lock's
        # __enter__ is C, atomic against Ctrl-C; a Condition's is Python, and a KeyboardInterrupt
        # landing just after its acquire leaves the lock held (python/cpython#74174): the main
        # thread (a synchronous run, the process pool's parent) would then wait on it forever.
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a download to a site has ended
        self._failing: dict[str, int] = {}  # site -> failures in a row
        self._in_flight: collections.Counter = collections.Counter()  # site -> requests out
        self._failing_run = 0  # failures in a row, whatever the site
        # Recorded calls under way (their marks and listeners included), by thread: settle()
        # waits for the other threads' only, since an interrupt that lands in the waiting
        # thread's own bookkeeping (between _begin and its finally) can leave its count up.
        self._active: collections.Counter = collections.Counter()

    def stop(self) -> None:
        """Ask the run to fetch no more pages; those already in flight finish."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def settle(self, seconds: float) -> None:
        """Wait (at most `seconds`) for the downloads still under way after a stop to end,
        marks included, so that nothing of the run goes on, or prints, once it has returned."""
        # Polled with time.sleep, not a Condition.wait: settle runs in the thread that took
        # the interrupt, where a second Ctrl-C inside Condition.wait can leave its lock
        # released under the `with` (then "release unlocked lock"), or held.
        deadline, me = time.monotonic() + seconds, threading.get_ident()
        while time.monotonic() < deadline:
            with self._lock:
                if not any(n for thread, n in self._active.items() if thread != me):
                    return
            time.sleep(0.02)

    def run(
        self, mode: str, max_workers, pages: int, elapsed: float, interrupted: bool, returned
    ) -> Run:
        """The Run these downloads make, in the order they ended."""
        with self._lock:
            downloads = sorted(self.downloads, key=lambda d: d.end)
        return Run(
            mode=mode,
            max_workers=max_workers,
            pages=pages,
            downloads=downloads,
            elapsed=elapsed,
            stopped=self.stopping and not interrupted,
            interrupted=interrupted,
            returned=returned,
        )

    def _arrived(self, response, letter: str, download: Download) -> None:
        status = getattr(response, "status_code", None)  # requests; aiohttp says .status
        download.status = status if status is not None else getattr(response, "status", None)
        download.letter = letter

    def _given_up(self, site: str) -> bool:
        # A site failing too, when the run's last GIVE_UP pages all failed: the server is down.
        failing = self._failing.get(site, 0)
        return failing >= GIVE_UP or (failing > 0 and self._failing_run >= GIVE_UP)

    def _unsettled(self, site: str) -> bool:
        """Failing, with requests still out whose end may decide: the site's, or any at all."""
        in_flight = self._in_flight.total()
        return bool(
            self._failing.get(site) and self._in_flight[site] or self._failing_run and in_flight
        )

    def _may_try(self, site: str) -> bool | None:
        """Whether to fetch a page of `site`: not after GIVE_UP failures in a row there (or in
        the run). While a site is failing, a page waits for the site's requests in flight to
        end first, so that a server slower than the timeout is given up after one timeout, not
        after a new round of requests sent to it meanwhile. None: the run was stopped.
        """
        with self._lock:
            while (decision := self._decide(site)) is _WAIT:
                # Only worker threads wait here (a synchronous run has no request out when it
                # decides), and no signal handler runs in them: this wait is not interrupted.
                self._changed.wait(0.05)  # short waits: a Stop is seen at once
            return decision

    def _decide(self, site: str):
        """_may_try's answer now (the lock held): True, False, None (stopped), or _WAIT."""
        if self._unsettled(site) and not self._given_up(site):
            return None if self._stop.is_set() else _WAIT
        if self._given_up(site):
            return False
        self._in_flight[site] += 1
        return True

    def _ended(self, download: Download, site: str, tried: bool) -> None:
        """Keep a download that ended, count it for its site, and tell the listeners."""
        with self._lock:
            self.downloads.append(download)
            if tried:
                self._in_flight[site] -= 1
            if download.ok:
                self._failing.pop(site, None)
                self._failing_run = 0
            elif tried:
                self._failing[site] = self._failing.get(site, 0) + 1
                self._failing_run += 1
            self._changed.notify_all()
        if self.on_mark is not None:
            self.on_mark(download.letter if download.ok else "x")
        if self.on_download is not None:
            self.on_download(download)

    def _abandoned(self, site: str) -> None:
        """A request interrupted before its end: not recorded, no longer in flight."""
        with self._lock:
            self._in_flight[site] -= 1
            self._changed.notify_all()

    def _begin(self) -> bool:
        """Count a recorded call in, unless the run is stopping (then its page is skipped, not
        fetched). Checked and counted at once, so settle() sees every call that goes on."""
        with self._lock:
            if self._stop.is_set():
                return False
            self._active[threading.get_ident()] += 1
            return True

    def _finish(self) -> None:
        """Count a recorded call out, once its marks and listeners are done."""
        with self._lock:
            self._active[threading.get_ident()] -= 1
            self._changed.notify_all()

    def _new_download(self, url, lane: str) -> tuple[Download, str]:
        """A download of `url` starting now in `lane` (a thread, a slot), and its site."""
        download = Download(
            url=str(url),
            letter=site_letter(str(url)),
            thread=lane,
            start=time.perf_counter() - self.started,
        )
        return download, origin(download.url)

    def wrap(self, download_site: Callable) -> Callable:
        """The lesson's download_site, recorded: timed, and never raising for one bad page."""

        def recorded(url, *args, **kwargs):
            if not self._begin():
                return None
            try:
                return record(url, *args, **kwargs)
            finally:
                self._finish()

        def record(url, *args, **kwargs):
            download, site = self._new_download(url, threading.current_thread().name)
            tried = self._may_try(site)
            if tried is None:
                return None  # stopped while waiting
            result = None
            if not tried:  # a dead or hopeless site: do not wait for it again
                download.error = NOT_TRIED
                download.end = download.start
            else:
                _here.recorder, _here.download = self, download
                try:
                    result = download_site(url, *args, **kwargs)
                    download.bytes = size(result)
                except Exception as error:  # one bad page is reported, the run goes on
                    download.error = describe(error)
                    if isinstance(error, requests.HTTPError) and error.response is not None:
                        download.status = error.response.status_code
                except BaseException:  # an interrupt in this thread: the page is not recorded
                    self._abandoned(site)
                    raise
                finally:
                    _here.recorder = _here.download = None
                    download.end = time.perf_counter() - self.started
            self._ended(download, site, tried)
            return result  # what the program's download_site returned: a size, or the page

        return recorded


def size(result) -> int:
    """Bytes of what a download_site returned: its length if it is the page, else the number."""
    if isinstance(result, (bytes, bytearray, str)):
        return len(result)
    return int(result or 0)


def rebound(function: types.FunctionType, **names) -> types.FunctionType:
    """A copy of `function` that sees `names` in place of its module's globals of those names.

    This lets a run call the lesson's own download_all_sites with a recorded download_site,
    without changing the module that a learner reads (and that another run may use meanwhile).
    """
    copy = types.FunctionType(
        function.__code__,
        {**function.__globals__, **names},
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copy.__kwdefaults__ = function.__kwdefaults__
    return copy


def record_run(
    program: types.ModuleType,
    sites: list[str],
    recorder: Recorder,
    mode: str,
    max_workers: int | None = None,
    wrap: Callable[[Callable], Callable] | None = None,
    names: dict | None = None,
) -> Run:
    """Run a program's download_all_sites over `sites` with every download recorded.

    `wrap` receives the recorded download_site and returns what the program calls instead;
    `names` replaces more of the program's globals for this run (a recorded consumer, say).
    """
    download_site = recorder.wrap(program.download_site)
    if wrap is not None:
        download_site = wrap(download_site)
    download_all_sites = rebound(
        program.download_all_sites, download_site=download_site, **(names or {})
    )
    if max_workers is None:
        returned, elapsed, interrupted = timed_call(recorder, download_all_sites, sites)
    else:
        returned, elapsed, interrupted = timed_call(
            recorder, download_all_sites, sites, max_workers=max_workers
        )
    return recorder.run(mode, max_workers, len(sites), elapsed, interrupted, returned)


def timed_call(recorder: Recorder, function: Callable, *args, **kwargs) -> tuple:
    """(what `function` returned, seconds, interrupted?): Ctrl-C (or the kernel's interrupt)
    stops the recorder, then waits for the pages under way, bounded by the timeouts, since
    plain threads (or worker processes) may still be in a request."""
    interrupted, returned = False, None
    recorder.started = start = time.perf_counter()
    try:
        returned = function(*args, **kwargs)
    except KeyboardInterrupt:
        recorder.stop()
        interrupted = True
    elapsed = time.perf_counter() - start
    if interrupted:
        with contextlib.suppress(KeyboardInterrupt):
            recorder.settle(sum(TIMEOUT))
    return returned, elapsed, interrupted
