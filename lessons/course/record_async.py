"""The run record for the asyncio program: the same Downloads, kept without blocking the loop."""

from __future__ import annotations

import asyncio
import time
import types
from collections.abc import Callable

from .failures import NOT_TRIED, describe
from .program import as_program, rebound, silent
from .record import _WAIT, Recorder, Run, _in_task
from .sites import TIMEOUT

POLL = 0.02  # seconds between looks at a failing site: the loop runs other pages meanwhile


def describe_async(error: BaseException) -> str:
    """Why an aiohttp download failed, in the words describe() uses for requests."""
    import aiohttp  # here, not at the top: the threaded programs never need it

    if isinstance(error, aiohttp.ClientResponseError):
        return f"HTTP {error.status}"
    if isinstance(error, aiohttp.InvalidURL):
        return "not a valid web address"
    if isinstance(error, aiohttp.ClientConnectorError):
        refused = isinstance(error.os_error, ConnectionRefusedError)
        return "connection refused" if refused else "connection failed"
    if isinstance(error, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        return "connection dropped by the server"
    if isinstance(error, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return f"no answer within {TIMEOUT[1]} s"
    return describe(error)


async def may_try(recorder: Recorder, site: str) -> bool | None:
    """Recorder._may_try for a coroutine: the lock is held for a moment only, and the wait
    for a failing site's requests is an asyncio.sleep, so the loop goes on serving them (a
    blocking wait there would stop the very requests it waits for: a deadlock)."""
    while True:
        with recorder._lock:
            decision = recorder._decide(site)
        if decision is not _WAIT:
            return decision
        await asyncio.sleep(POLL)


def wrap_async(recorder: Recorder, download_site: Callable) -> Callable:
    """The lesson's `async def download_site(session, url)`, recorded like the threaded one.

    All coroutines run on one thread; a page's lane is the lowest request slot free when it
    starts, so the timeline shows as many lanes as requests were under way at once.
    """
    busy: set[int] = set()

    async def recorded(session, url, *args, **kwargs):
        if not recorder._begin():
            return None
        slot = min(set(range(len(busy) + 1)) - busy)
        busy.add(slot)
        try:
            return await record(slot, session, url, *args, **kwargs)
        finally:
            busy.discard(slot)
            recorder._finish()

    async def record(slot, session, url, *args, **kwargs):
        download, site = recorder._new_download(url, f"slot {slot + 1}")
        tried = await may_try(recorder, site)
        if tried is None:
            return None
        result = None
        if not tried:
            download.error = NOT_TRIED
            download.end = download.start
        else:
            token = _in_task.set((recorder, download))
            try:
                result = await download_site(session, url, *args, **kwargs)
                download.bytes = int(result or 0)
            except Exception as error:  # one bad page is reported, the run goes on
                download.error = describe_async(error)
                download.status = getattr(error, "status", None) or download.status
            except BaseException:  # cancelled (an interrupt): the page is not recorded
                recorder._abandoned(site)
                raise
            finally:
                _in_task.reset(token)
                download.end = time.perf_counter() - recorder.started
        recorder._ended(download, site, tried)
        return result

    return recorded


async def record_run_async(
    program,
    sites: list[str],
    recorder: Recorder,
    mode: str = "asyncio",
    max_workers: int = 5,
) -> Run:
    """Await a program's download_all_sites with every download recorded.

    Await it in a notebook cell (the kernel's loop already runs), or hand it to asyncio.run()
    on the command line. Cancelled (Ctrl-C under asyncio.run, or the kernel's interrupt), it
    returns the Run so far, marked interrupted, once every request has ended.
    """
    program = as_program(program)  # the package's module, a cell's function, or a kept module
    download_site = program.download_site
    if isinstance(download_site, types.FunctionType):  # the recorder shows J or R instead
        download_site = rebound(download_site, print=silent)
    download_all_sites = rebound(
        program.download_all_sites,
        download_site=wrap_async(recorder, download_site),
        print=silent,
    )
    interrupted, returned = False, None
    recorder.started = start = time.perf_counter()
    try:
        returned = await download_all_sites(sites, max_workers=max_workers)
    except (asyncio.CancelledError, KeyboardInterrupt):
        recorder.recover()
        recorder.stop()
        interrupted = True
        task = asyncio.current_task()
        if task is not None and hasattr(task, "uncancel") and task.cancelling():
            task.uncancel()  # handled here (Python 3.11+): the Run says it was interrupted
    elapsed = time.perf_counter() - start
    return recorder.run(mode, max_workers, len(sites), elapsed, interrupted, returned)
