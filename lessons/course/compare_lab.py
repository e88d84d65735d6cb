"""Chapter 11's machinery: the same pages with threads, asyncio and a process pool, side by side."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import multiprocessing
import time

from IPython.display import Image
from matplotlib.figure import Figure

from .. import asynchronous, processes, threaded
from . import contention, record_processes
from .plotting import draw_elapsed, draw_timeline, figure_image
from .program import record_run
from .progress import progress
from .record import Recorder, Run, print_mark
from .record_async import record_run_async
from .record_processes import record_run_processes
from .runs import check_max_workers
from .scale import Sampler
from .sites import demo_latency, demo_pages, latency_floor, start_demo_sites

START_METHODS = ("spawn", "forkserver")  # never fork from a kernel: it has threads


def try_asyncio_run() -> None:
    """What asyncio.run() says in a notebook cell, caught and printed: the kernel's loop runs."""
    coroutine = asynchronous.download_all_sites(demo_pages(copies=1))
    try:
        asyncio.run(coroutine)
    except RuntimeError as error:
        coroutine.close()  # never started: close it, or Python warns it was never awaited
        print(f"RuntimeError: {error}")
        return
    print("asyncio.run() worked: no event loop runs in this thread (not a notebook's kernel?)")


@dataclasses.dataclass
class Measured:
    """One program's run, with what was alive beside it."""

    run: Run
    threads: int  # the most threads alive in the kernel during the run (the kernel's own too)
    processes: int  # the most child processes alive (the demo sites' process is not one)
    startup: float | None = None  # seconds for its pool to start, measured apart


async def run_asyncio(max_workers: int = 5, sites=None, quiet: bool = False, program=None) -> Run:
    """The asyncio program (the package's, or `program`: a cell's function or a saved module)
    over the pages, recorded: `await` it in a cell (the kernel's loop runs it). Prints J or R
    as pages arrive (not with quiet=True), then the lesson's last line."""
    sites = sites if sites is not None else demo_pages()
    check_max_workers(max_workers, len(sites))
    recorder = Recorder(on_mark=None if quiet else print_mark)
    run = await record_run_async(program or asynchronous, sites, recorder, "asyncio", max_workers)
    print(("" if quiet else "\n") + "\n".join(run.summary()))
    return run


def pool_startup(method: str, max_workers: int) -> float:
    """Seconds from creating the program's pool until its last worker process is ready to work
    (Python started, lessons.processes imported, the Session made by the initializer)."""
    context = multiprocessing.get_context(method)
    start = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(
        max_workers, mp_context=context, initializer=processes.set_global_session
    ) as executor:
        ready = list(executor.map(record_processes.ready, range(max_workers)))
    return max(at for _, at in ready) - start - 0.1


def measure(name: str, sites: list[str], max_workers: int, program=None) -> Measured:
    """One recorded, quiet run of `name` ("threads", "processes"; asyncio: measure_async):
    the package's program, or `program`, a module saved from a cell."""
    with Sampler() as alive:
        if name == "threads":
            run = record_run(program or threaded, sites, Recorder(), name, max_workers)
        else:
            program = program or processes
            run = record_run_processes(program, sites, Recorder(), name, max_workers)
    return Measured(run, alive.threads, alive.processes)


async def measure_async(sites: list[str], max_workers: int, program=None) -> Measured:
    with Sampler() as alive:
        run = await record_run_async(
            program or asynchronous, sites, Recorder(), "asyncio", max_workers
        )
    return Measured(run, alive.threads, alive.processes)


async def compare(max_workers: int = 10, demo=None, programs=None) -> dict[str, Measured]:
    """Threads, asyncio and a process pool over the same 160 pages, `max_workers` each; the
    pool's start-up, and the same pool started the other way. Prints one table; `await` it.
    `programs`: {"threads": ..., "asyncio": ..., "processes": ...} saved from cells."""
    demo = demo or start_demo_sites()
    programs = programs or {}
    sites, measured = demo_pages(demo), {}
    method = processes_method(programs.get("processes"))
    other = next(m for m in START_METHODS if m != method)
    with progress(4, "programs") as bar, contention.watch() as watched:
        measured["threads"] = measure("threads", sites, max_workers, programs.get("threads"))
        bar.step("threads")
        measured["asyncio"] = await measure_async(sites, max_workers, programs.get("asyncio"))
        bar.step("asyncio")
        measured["processes"] = measure("processes", sites, max_workers, programs.get("processes"))
        bar.step("processes")
        other_startup = pool_startup(other, max_workers)
        bar.step(f"{other} start-up")
    measured["processes"].startup = startup = last_lane_start(measured["processes"].run)
    floor = latency_floor(len(sites), max_workers, demo_latency(demo))
    print(f"{len(sites)} pages, max_workers={max_workers}; the floor, ceil({len(sites)}/"
          f"{max_workers}) x {demo_latency(demo) * 1000:.0f} ms: {floor:.2f} s")  # fmt: skip
    print(f"{'program':>10} {'elapsed':>8} {'x floor':>8} {'threads':>8} {'processes':>10}  pages")
    for name, m in measured.items():
        print(f"{name:>10} {m.run.elapsed:>7.2f}s {m.run.elapsed / floor:>8.2f} {m.threads:>8} "
              f"{m.processes:>10}  {m.run.done} of {m.run.pages}")  # fmt: skip
    print("threads: the most alive in this kernel during the run, the kernel's own included.")
    print(
        f"Start-up of the program's {max_workers} processes ({method}), until the last one "
        f"began its first page: {startup:.2f} s of its {measured['processes'].run.elapsed:.2f} s."
    )
    print(f"The same pool started by {other} instead, timed apart: {other_startup:.2f} s.")
    contention.say(watched.shared)
    return measured


def last_lane_start(run: Run) -> float:
    """When the last worker process began its first page, seconds into the run: by then every
    process of the pool had started, imported its program and made its Session."""
    first: dict[str, float] = {}
    for d in run.downloads:
        first[d.thread] = min(first.get(d.thread, d.start), d.start)
    return max(first.values(), default=0.0)


def processes_method(program=None) -> str:
    """The start method the process-pool program uses, read from its source, not assumed."""
    import inspect

    source = inspect.getsource((program or processes).download_all_sites)
    return next((m for m in START_METHODS if f'"{m}"' in source), "forkserver")


def plot_compare(measured: dict[str, Measured], demo=None) -> Image:
    """Elapsed time of each program; the process pool's start-up shaded; the floor dashed."""
    figure = Figure(figsize=(8, 2.8), dpi=90, layout="constrained")
    ax = figure.add_subplot()
    names = list(measured)
    runs = [measured[name].run for name in names]
    floor = latency_floor(runs[0].pages, runs[0].max_workers, demo_latency(demo))
    draw_elapsed(ax, names, runs, floor)
    startups = [measured[name].startup or 0 for name in names]
    ax.barh(names, startups, color="#888a85", hatch="//", label="process start-up")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2)  # below: no bar hidden
    return figure_image(figure)


def plot_lanes(run: Run) -> Image:
    """A run's timeline, one lane per thread, request slot (asyncio) or worker process."""
    lanes = len(run.threads)
    figure = Figure(figsize=(9, 1.6 + 0.25 * min(lanes, 12)), dpi=90, layout="constrained")
    ax = figure.add_subplot()
    draw_timeline(ax, run)
    what = {"asyncio": "request slots, all in one thread", "processes": "worker processes"}
    ax.set_ylabel(f"{lanes} {what.get(run.mode, 'threads')}")
    return figure_image(figure)
