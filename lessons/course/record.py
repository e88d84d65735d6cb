"""The run record: one Download per page, kept around the lesson's code, never inside it."""

from __future__ import annotations

import collections
import contextvars
import sys
import threading
import time
from collections.abc import Callable

import requests

from .downloads import Download, Run
from .failures import GIVE_UP, NOT_TRIED, describe
from .sites import origin, site_letter

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


def print_mark(text: str) -> None:
    """Print a mark (or what a program printed), as it is, at once."""
    sys.stdout.write(text)  # one write each: marks and lines from threads never interleave
    sys.stdout.flush()


class Recorder:
    """Collects the downloads of one run, and tells listeners as each page arrives."""

    def __init__(
        self,
        on_mark: Callable[[str], None] | None = None,
        on_download: Callable[[Download], None] | None = None,
    ) -> None:
        self.on_mark = on_mark  # gets "J", "R", or "x" for a failed page
        self.on_print = None  # gets what the program printed outside a page, while the run lasts
        # True when the program prints its own J or R: then the recorder makes up none.
        self.program_marks = False
        self.closed = False  # the run is over: what its threads print now goes nowhere
        self.abandoned = False  # no progress past the program's timeouts: given up on
        self.progress_at = time.monotonic()  # when a page last began or ended
        self.on_download = on_download  # gets each Download when it ends
        self.downloads: list[Download] = []
        self.started = time.perf_counter()
        self._stop = threading.Event()
        # Every critical section is `with self._lock:`, never `with self._changed:`. A Condition's
        # __enter__ is Python, and a KeyboardInterrupt landing just after its acquire leaves the
        # lock held (python/cpython#74174). Up to 3.13 the C __enter__ of a lock was atomic
        # against Ctrl-C; from 3.14 the `with` statement checks for signals right after it
        # (python/cpython#148874), so the main thread (a synchronous run, the process pool's
        # parent) can be left holding it. An RLock knows its owner: `recover` releases it.
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)  # a download to a site has ended
        self._failing: dict[str, int] = {}  # site -> failures in a row
        self._in_flight: collections.Counter = collections.Counter()  # site -> requests out
        self._failing_run = 0  # failures in a row, whatever the site
        # Recorded calls under way (their marks and listeners included), by thread: settle()
        # waits for the other threads' only, since an interrupt that lands in the waiting
        # thread's own bookkeeping (between _begin and its finally) can leave its count up.
        self._active: collections.Counter = collections.Counter()

    def recover(self) -> None:
        """After an interrupt caught in this thread: release the lock if the interrupt left
        this thread holding it (Python 3.14's `with`, python/cpython#148874)."""
        while self._lock._is_owned():
            self._lock.release()

    def stop(self) -> None:
        """Ask the run to fetch no more pages; those already in flight finish."""
        self._stop.set()

    def close(self) -> None:
        """The run is over: its threads fetch no more pages, and what they print is dropped."""
        self.closed = True

    def stalled(self, seconds: float) -> bool:
        """Whether no page has begun or ended for `seconds`."""
        return time.monotonic() - self.progress_at > seconds

    def printed(self, text: str) -> None:
        """Text the program printed (its print is the course's during the run): kept with the
        page this thread fetches, else handed to on_print; dropped once the run is over."""
        if self.closed:
            return
        if getattr(_here, "recorder", None) is self and _here.download is not None:
            _here.download.printed += text
        elif self.on_print is not None:
            self.on_print(text)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def under_way(self) -> int:
        """Recorded calls that other threads have begun and not yet ended."""
        me = threading.get_ident()
        with self._lock:
            return sum(n for thread, n in self._active.items() if thread != me)

    def settle(self, seconds: float) -> None:
        """Wait (at most `seconds`) for the downloads still under way after a stop to end,
        marks included, so that nothing of the run goes on, or prints, once it has returned."""
        # Polled with time.sleep, not a Condition.wait: settle runs in the thread that took
        # the interrupt, where a second Ctrl-C inside Condition.wait can leave its lock
        # released under the `with` (then "release unlocked lock"), or held.
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.under_way():
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
        download.printed += letter

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
            self.progress_at = time.monotonic()
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
        shown = download.printed or ("x" if not download.ok else "")
        if not self.program_marks and not shown:
            shown = download.letter  # a program that prints no mark of its own
        if self.on_mark is not None and shown and not self.closed:
            self.on_mark(shown)
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
            if self._stop.is_set() or self.closed:
                return False
            self.progress_at = time.monotonic()
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
                    download.bytes, download.odd = size(result)
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


def size(result) -> tuple[int, str | None]:
    """(bytes, None) for what a download_site returns: the page, or its length; for anything
    else (a Response, a dict, None), (0, the type's name)."""
    if isinstance(result, (bytes, bytearray, str)):
        return len(result), None
    if isinstance(result, int) and not isinstance(result, bool) and result >= 0:
        return result, None
    return 0, type(result).__name__
