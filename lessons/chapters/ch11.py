"""Chapter 11's own: your threaded, asyncio and process-pool programs kept from their cells,
run side by side and at scale; the self-checks (a polite asyncio program, a time limit)."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import linecache
import os
import pathlib
import shutil
import sys
import tempfile
import threading
import time
import types

from .. import asynchronous, threaded
from ..course import compare_lab, interpreters_lab, scale
from ..course.exercises import Verdict, described, not_yet
from ..course.program import rebound, silent
from ..course.record import Recorder
from ..course.record_async import wrap_async
from ..course.sites import get_sites, site_letter, sites_changed

FOLDER = pathlib.Path(tempfile.gettempdir()) / f"threads-course-{os.getuid()}" / str(os.getpid())
KEPT: dict[str, types.ModuleType] = {}  # "threads", "asyncio", "processes": as last kept

# ---- your programs, kept as modules -------------------------------------------------------------


def _kind(function, source: str) -> str:
    if inspect.iscoroutinefunction(function):
        return "asyncio"
    return "processes" if "ProcessPoolExecutor" in source else "threads"


def keep(download_all_sites) -> types.ModuleType | None:
    """Save the cell that defines `download_all_sites` as my_<kind>.py, then import it, or
    reload it after an edit. A process pool's children import that file by its name."""
    if not isinstance(download_all_sites, types.FunctionType):
        print(f"Not kept: {download_all_sites!r} is not a function. Run its cell first.")
        return None
    module = sys.modules.get(download_all_sites.__module__)
    if download_all_sites.__module__.startswith("lessons") and module is not None:
        return module  # the package's own program: importable as it is
    source = "".join(linecache.getlines(download_all_sites.__code__.co_filename))
    if "def download_all_sites" not in source:
        print("Not kept: this kernel has no source for the cell. Run the program's cell again.")
        return None
    kind = _kind(download_all_sites, source)
    name = f"my_{kind}"
    FOLDER.mkdir(parents=True, exist_ok=True)
    (FOLDER / f"{name}.py").write_text(source)
    shutil.rmtree(FOLDER / "__pycache__", ignore_errors=True)  # never a stale copy
    if str(FOLDER) not in sys.path:
        sys.path.insert(0, str(FOLDER))
    importlib.invalidate_caches()
    again = name in sys.modules
    try:
        module = importlib.reload(sys.modules[name]) if again else importlib.import_module(name)
    except Exception as error:  # the learner's cell: one line about it
        print(f"Not kept: importing {name}.py raised {type(error).__name__}: {error}")
        return None
    KEPT[kind] = module
    how = "reloaded it (importlib.reload)" if again else "imported it"
    print(f"Saved the cell as {name}.py and {how}.")
    return module


def _kept(kind: str, given=None) -> types.ModuleType:
    return given or KEPT.get(kind) or {"threads": threaded, "asyncio": asynchronous}[kind]


# ---- the chapter's runs ------------------------------------------------------------------------


def try_asyncio_run(download_all_sites) -> None:
    """asyncio.run() of your program in this cell, caught: one line on what it says."""
    coroutine = download_all_sites(get_sites("demo", 1))
    try:
        asyncio.run(coroutine)
    except RuntimeError as error:
        coroutine.close()  # never started: close it, or Python warns it was never awaited
        print(f"RuntimeError: {error}")
        return
    print("asyncio.run() worked: no event loop runs in this thread.")


async def run_asyncio(program, max_workers: int = 10):
    """Your asyncio program over the 160 pages, recorded; `await` it."""
    return await compare_lab.run_asyncio(max_workers, program=program)


def plot_lanes(run) -> object:
    return compare_lab.plot_lanes(run)


async def compare(threads=None, with_asyncio=None, processes=None, max_workers: int = 10):
    """Your three programs over the same 160 pages, one table; `await` it."""
    programs = {"threads": threads, "asyncio": with_asyncio, "processes": processes}
    given = {}
    for kind, program in programs.items():
        given[kind] = program or KEPT.get(kind)
        if given[kind] is None:
            print(f"No {kind} program kept: its row runs the package's own.")
    return await compare_lab.compare(max_workers, programs=given)


def plot_compare(measured) -> object:
    return compare_lab.plot_compare(measured)


def at_scale(threads=None, with_asyncio=None, pages: int = 2000, concurrent: int = 1000):
    """Your threaded and asyncio programs, each in a fresh Python of each build here."""
    programs = {"threads": _kept("threads", threads), "asyncio": _kept("asyncio", with_asyncio)}
    return scale.compare_scale(pages, concurrent, programs=programs)


def interpreters() -> dict | None:
    """Threads against InterpreterPoolExecutor, in a fresh Python 3.14 or newer if found."""
    return interpreters_lab.compare_downloads()


# ---- running the learner's code, bounded ------------------------------------------------------

WAIT_SECONDS = 20.0


def _call_bounded(call, seconds: float = WAIT_SECONDS) -> tuple[str, object, float]:
    """("returned", value) or ("raised", error) or ("hung", None), and the seconds it took."""
    outcome: list = []

    def target():
        try:
            outcome.append(("returned", call()))
        except Exception as error:  # the learner's code: one line about it
            outcome.append(("raised", error))

    started = time.perf_counter()
    worker = threading.Thread(target=target, name="course-check", daemon=True)
    worker.start()
    worker.join(seconds)
    how, value = outcome[0] if outcome else ("hung", None)
    return how, value, time.perf_counter() - started


def _most_at_once(downloads, letter: str | None = None) -> int:
    events = []
    for d in downloads:
        if letter is None or d.letter == letter:
            events += [(d.start, 1), (d.end, -1)]
    busy = most = 0
    for _, step in sorted(events):  # at the same moment, an end (-1) before a start
        busy += step
        most = max(most, busy)
    return most


# ---- exercise 1: a polite asyncio program ------------------------------------------------------

SERVES_AT_ONCE = 4
POLITE_COPIES = 12  # 24 pages


def check_polite_async(download_all_politely) -> Verdict:
    """Exercise 1: at most SERVES_AT_ONCE requests to each site at once, both sites at once."""
    if not inspect.iscoroutinefunction(download_all_politely):
        return not_yet(
            f"{download_all_politely!r} is not an async def function yet", "run its cell."
        )
    limit = download_all_politely.__globals__.get("SERVES_AT_ONCE", SERVES_AT_ONCE)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        return not_yet(f"SERVES_AT_ONCE is {limit!r}", "set it back to 4.")
    recorder = Recorder()
    site = rebound(_kept("asyncio").download_site, print=silent)
    function = rebound(
        download_all_politely, download_site=wrap_async(recorder, site), print=silent
    )
    sites = get_sites("demo", POLITE_COPIES)
    with sites_changed(max_concurrent=limit):
        recorder.started = time.perf_counter()
        how, value, _ = _call_bounded(lambda: asyncio.run(function(sites)))
    if how == "hung":
        return not_yet(f"it had not returned after {WAIT_SECONDS:.0f} s", "await every page.")
    if how == "raised":
        return not_yet(f"it raised {_said(value)}")
    done = [d for d in recorder.downloads if d.ok]
    if len(done) < len(sites):
        return not_yet(
            f"{len(done)} of {len(sites)} pages arrived through download_site",
            "call download_site(session, url) for every page, and await it.",
        )
    per_site = {letter: _most_at_once(done, letter) for letter in sorted({d.letter for d in done})}
    letter, most = max(per_site.items(), key=lambda item: item[1])
    if most > limit:
        return not_yet(
            f"site {letter} had {most} requests under way at once, and it serves {limit}",
            f"an asyncio.Semaphore({limit}) for each site, taken with `async with` "
            "around each download.",
        )
    everything = _most_at_once(done)
    if everything <= limit:
        return not_yet(
            f"at most {everything} requests were under way at once, for both sites together",
            f"each site serves {limit} at once: limit each site, not the whole program.",
        )
    if not isinstance(value, list) or len(value) != len(sites):
        return not_yet(f"it returned {described(value)}", "return what asyncio.gather returns.")
    said = ", ".join(f"{letter} {n}" for letter, n in per_site.items())
    return Verdict(f"Correct: at most {said} requests at once, {everything} in all.")


# ---- exercise 2: threads with a time limit ----------------------------------------------------

LIMIT_SECONDS = 0.5  # the time limit the check gives
SLOW_SECONDS = 1.5  # the slow site's delay during the check
LATE = 0.4  # how far past the limit a function may return


def check_within(download_all_within) -> Verdict:
    """Exercise 2: download_all_within(sites, seconds) returns after `seconds`, with each page's
    size where it arrived in time, and None where it did not."""
    if not isinstance(download_all_within, types.FunctionType):
        return not_yet(f"{download_all_within!r} is not a function yet", "run its cell.")
    site = rebound(_kept("threads").download_site, print=silent)
    function = rebound(download_all_within, download_site=site, print=silent)
    sites = get_sites("demo", 6)  # J R J R ...: 12 pages
    seconds = LIMIT_SECONDS
    with sites_changed(name="Real Python", latency=SLOW_SECONDS):
        how, value, took = _call_bounded(lambda: function(sites, seconds))
    if how == "hung":
        return not_yet(f"it had not returned after {WAIT_SECONDS:.0f} s", "stop waiting.")
    if how == "raised":
        return not_yet(
            f"it raised {_said(value)}",
            "a page that is not done is None in the list, not an error.",
        )
    if took > seconds + LATE:
        return not_yet(
            f"it returned after {took:.2f} s, and the limit was {seconds} s",
            "concurrent.futures.wait(futures, timeout=seconds) stops waiting. "
            "A `with` block still waits for every page: "
            "call executor.shutdown(wait=False, cancel_futures=True) instead.",
        )
    if not isinstance(value, list) or len(value) != len(sites):
        return not_yet(
            f"it returned {described(value)}", f"return one entry per page, {len(sites)}."
        )
    letters = [site_letter(url) for url in sites]
    slow = [size for letter, size in zip(letters, value, strict=True) if letter == "R"]
    fast = [size for letter, size in zip(letters, value, strict=True) if letter == "J"]
    if any(size is not None for size in slow):
        return not_yet("a slow page has a size", "a page not done in time is None.")
    arrived = [size for size in fast if isinstance(size, int) and size > 0]
    if not arrived:
        return not_yet(
            "no page came back, though the quick site answers in a moment",
            "wait up to `seconds` for the pages, then keep the sizes of those done.",
        )
    return Verdict(
        f"Correct: it returned after {took:.2f} s with {len(arrived)} of {len(sites)} pages. "
        f"The {len(slow)} slow ones are None."
    )


def _said(error: BaseException) -> str:
    return type(error).__name__ + (f": {error}" if str(error).strip() else "")


__all__ = [
    "at_scale",
    "check_polite_async",
    "check_within",
    "compare",
    "interpreters",
    "keep",
    "plot_compare",
    "plot_lanes",
    "run_asyncio",
    "try_asyncio_run",
]
