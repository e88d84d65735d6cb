"""One call to run the lesson's programs, timed and recorded, with their input checked."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable

from .. import primitives, synchronous, threaded
from . import contention
from .program import as_program, record_run
from .record import Download, Recorder, Run, print_mark
from .sites import COPIES, get_sites

PROGRAMS = {"sync": synchronous, "threads": threaded, "primitives": primitives}
# Imported when first run: aiohttp alone takes a third of a second to import.
LATER = {"asyncio": "asynchronous", "processes": "processes"}
MODES = [*PROGRAMS, *LATER]
MAX_WORKERS = 1000  # more threads than that is never faster here, and costs memory
MAX_PROCESSES = 61  # a process costs tens of MB and a start-up; Windows' own pool limit


def check_max_workers(max_workers, pages: int | None = None) -> int:
    """Return max_workers if it is a count the threaded program can use; else raise ValueError."""
    if isinstance(max_workers, bool) or not isinstance(max_workers, int):
        raise ValueError(
            f"max_workers must be a whole number from 1 to {MAX_WORKERS}; got {max_workers!r}"
        )
    if max_workers < 1:
        raise ValueError(
            f"max_workers must be at least 1 (one worker thread downloads one page at a time); "
            f"got {max_workers}"
        )
    if max_workers > MAX_WORKERS:
        more = f" and more than the {pages} pages" if pages else ""
        raise ValueError(
            f"max_workers={max_workers} is too many{more}: use 1 to {MAX_WORKERS}. "
            "The pool never starts more threads than there are pages, and each one costs "
            "start-up time and memory."
        )
    return max_workers


def check_sites(sites, copies: int = COPIES) -> list[str]:
    """The pages to download: "demo", "real", None (LESSONS_SITES or demo), or a list of URLs."""
    if sites is None or (isinstance(sites, str) and sites.lower() in ("demo", "real")):
        return get_sites(sites, copies)
    if isinstance(sites, str) or not all(isinstance(url, str) for url in sites):
        raise ValueError(f"sites must be 'demo', 'real' or a list of URLs; got {sites!r}")
    return list(sites)


def run(
    program="threads",
    max_workers: int | None = None,
    *,
    sites=None,
    copies: int = COPIES,
    quiet: bool = False,
    show: bool = True,
    on_mark: Callable[[str], None] | None = None,
    on_download: Callable[[Download], None] | None = None,
    recorder: Recorder | None = None,
    caution: bool = True,
    wrap: Callable[[Callable], Callable] | None = None,
    names: dict | None = None,
) -> Run:
    """Run a program over the lesson's pages, timed and recorded: your own download_all_sites
    (the function a cell defined), or one of the lesson's by name (MODES: "sync", "threads",
    "asyncio", ...).

    For "asyncio", max_workers is how many requests may be under way at once; for
    "processes", how many worker processes. J or R is printed as each page arrives (not with
    quiet=True) and, with show=True, the lesson's closing line "Downloaded 160 in N seconds",
    then (with caution=True) a caution if the machine was shared meanwhile (contention).
    Returns the Run: every download, with its thread and times, for plots and checks.
    `wrap` and `names` go to record_run, for your own program only.
    """
    if isinstance(program, str) and program not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {program!r}")
    sites = check_sites(sites, copies)
    notes, label = [], None
    if isinstance(program, str):
        mode = program
        if mode == "sync":
            max_workers = None  # one thread: a worker count means nothing to it
        elif max_workers is None:
            max_workers = 5
    else:
        program = as_program(program)
        label = program.default_workers
        if max_workers is not None and not program.takes_max_workers:
            notes.append(f"{program.signature} has no max_workers: it ran as written.")
            max_workers = None
        mode = "threads" if max_workers is not None or label is not None else "sync"
    workers = check_max_workers(max_workers, len(sites)) if max_workers is not None else None
    if mode == "processes" and workers > MAX_PROCESSES:
        raise ValueError(
            f"max_workers={workers} is too many processes: use 1 to {MAX_PROCESSES}. Each "
            "worker process starts its own Python and costs tens of MB."
        )
    if recorder is None:
        recorder = Recorder()
    if on_mark is None and not quiet:
        on_mark = print_mark
    recorder.on_mark = on_mark
    recorder.on_print = None if quiet else print_mark  # the same one write, for any text
    if on_download is not None:
        recorder.on_download = on_download
    with contention.watch() as watched:
        if isinstance(program, str):
            result = record_mode(mode, sites, recorder, workers)
        else:
            result = record_run(
                program, sites, recorder, mode, workers, wrap, names, label_workers=label
            )
    result.shared = watched.shared
    result.notes[:0] = notes
    if show:
        marks = "\n" if on_mark is print_mark and result.downloads else ""
        print(marks + "\n".join(result.summary()))
        if caution and not (result.interrupted or result.stopped):
            contention.say(result.shared)
    return result


def record_mode(mode: str, sites: list[str], recorder: Recorder, workers: int | None) -> Run:
    """One recorded run of the program `mode`, the way that program must be driven."""
    if mode in PROGRAMS:
        return record_run(PROGRAMS[mode], sites, recorder, mode, workers)
    program = importlib.import_module(f"...{LATER[mode]}", __name__)
    if mode == "processes":
        from .record_processes import record_run_processes

        return record_run_processes(program, sites, recorder, mode, workers)
    from .record_async import record_run_async

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop runs here (the command line): asyncio.run() starts one
        return asyncio.run(record_run_async(program, sites, recorder, mode, workers))
    raise RuntimeError(
        "an event loop already runs in this thread (a notebook's kernel): there, "
        "await lessons.course.compare_lab.run_asyncio(...) instead"
    )


def run_sync(**options) -> Run:
    """The synchronous program over the lesson's 160 pages."""
    return run("sync", **options)


def run_threads(max_workers: int = 5, **options) -> Run:
    """The threaded program over the lesson's 160 pages."""
    return run("threads", max_workers, **options)


__all__ = ["COPIES", "MAX_WORKERS", "MODES", "check_max_workers", "run", "run_sync", "run_threads"]
