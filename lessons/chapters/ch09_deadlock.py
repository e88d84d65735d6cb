"""Chapter 09's deadlock: two threads take two locks in opposite orders; a thread dump shows
where each waits. The self-check, which watches the locks, is in ch09_lockcheck."""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
import traceback
import types

from ..course.progress import Progress

LETTERS = "JR" * 80  # the lesson's 160 pages, J and R alternating
REPORTS = 20
SPACING = 0.002  # seconds the reporter waits before each report
GUARDS = {"counts": "counts_lock", "log": "log_lock"}  # each shared object, and its lock
ROLES = {"recorder": "record_page", "reporter": "write_report"}  # thread: the function it runs
_HIDDEN = (threading.__file__, os.path.dirname(os.path.dirname(__file__)))  # not the learner's


@dataclasses.dataclass
class Pair:
    """What one run of the two threads did (run_pair's, or a check's)."""

    finished: bool  # both threads ended within the bound
    seconds: float  # until both ended, or the bound
    pages: int  # log lines that are pages
    reports: int  # log lines that are reports
    stuck: list[str]  # names of the threads still alive at the bound
    dump: list[str]  # where each stuck thread waits, in the learner's code
    errors: dict  # function name: the exception that ended its thread
    log: list  # the log's lines, as they were at the end


def _pair(record_page, write_report, log, seconds: float) -> tuple[Pair, list]:
    """Both loops, started together in two daemon threads, joined within `seconds`."""
    errors, go = {}, threading.Event()

    def loop(function, calls, spacing):
        try:
            go.wait(seconds)
            for argument in calls:
                time.sleep(spacing)
                function(*argument)
        except BaseException as error:  # the learner's exception, or the check's _Abandoned
            errors[_function()] = error

    jobs = {"recorder": (record_page, [(c,) for c in LETTERS], 0)}
    jobs["reporter"] = (write_report, [()] * REPORTS, SPACING)
    threads = [threading.Thread(target=loop, args=jobs[n], name=n, daemon=True) for n in jobs]
    for thread in threads:
        thread.start()
    go.set()  # both threads are started: off they go, together
    start = time.perf_counter()
    _join(threads, start + seconds, seconds)
    elapsed = time.perf_counter() - start
    stuck, lines = [t for t in threads if t.is_alive()], list(log)
    reports, names = sum("report" in str(line) for line in lines), [t.name for t in stuck]
    pair = Pair(not stuck, elapsed, len(lines) - reports, reports, names, [], errors, lines)
    pair.dump = dump_threads(stuck)
    return pair, stuck


def _join(threads, deadline: float, seconds: float, step: float = 0.25) -> None:
    """Join the threads by the deadline; a bar shows the wait once it passes a step."""
    bar = None
    while (alive := [t for t in threads if t.is_alive()]) and time.perf_counter() < deadline:
        alive[0].join(min(step, max(0.0, deadline - time.perf_counter())))
        if bar is None and alive[0].is_alive():
            bar = Progress(round(seconds / step), f"both threads, {seconds:.0f} s at most")
        if bar is not None:
            bar.step()
    if bar is not None:
        bar.finish(ok=not any(t.is_alive() for t in threads))


def dump_threads(threads) -> list[str]:
    """One line a thread: where the learner's code of that thread is now."""
    frames, lines = sys._current_frames(), []
    for thread in threads:
        stack = traceback.extract_stack(frames[thread.ident]) if thread.ident in frames else []
        stack = [f for f in stack if not f.filename.startswith(_HIDDEN)]
        if not stack:
            lines.append(f"{thread.name}, outside your code")
            continue
        line = f"`{stack[-1].line.strip()}`" if stack[-1].line else f"line {stack[-1].lineno}"
        lines.append(f"{thread.name}, in {' > '.join(f.name for f in stack)}: {line}")
    return lines


def _held(lock) -> bool:
    """Whether a lock is held now (by the threads of an earlier run): try it without waiting."""
    if not lock.acquire(blocking=False):
        return True
    lock.release()
    return False


def _missing(function, *names: str) -> str:
    """Why the course cannot run `function` with the learner's names: "" when it can."""
    if not isinstance(function, types.FunctionType):
        return f"{function!r} is not a function yet"
    gone = [name for name in names if name not in function.__globals__]
    return f"there is no {gone[0]} yet" if gone else ""


def run_pair(record_page, seconds: float = 2.0) -> Pair | None:
    """The recorder and the reporter, together: both finish, or a deadlock and where each waits."""
    missing = _missing(record_page, "write_report", "counts", "log", *GUARDS.values())
    if missing:
        print(f"{missing.capitalize()}: run the cell that defines it.")
        return None
    names = record_page.__globals__  # the notebook's; a try without waiting fails if held
    counts, log = names["counts"], names["log"]
    held = [name for name in GUARDS.values() if _held(names[name])]
    counts.clear()  # a new run: the same objects, emptied
    counts.update(J=0, R=0)
    log.clear()
    pair, stuck = _pair(record_page, names["write_report"], log, seconds)
    for name, error in pair.errors.items():
        print(f"{name} raised {type(error).__name__}: {error}")
    time.sleep(0.1 if stuck else 0)  # then: if nothing was logged since, they make no progress
    waiting = len(stuck) == 2 and len(log) == len(pair.log) and not held
    if pair.finished and not pair.errors:
        said = f"{pair.pages} pages, {pair.reports} reports"
        print(f"Both threads finished in {pair.seconds:.2f} s: {said}.")
    elif stuck:
        head, s = "Deadlock: " * waiting, "s" * (len(stuck) != 1)
        print(f"{head}{len(stuck)} thread{s} still waiting after {seconds:.1f} s.")
        print("\n".join(pair.dump))
    if held:
        were = "were" if len(held) > 1 else "was"
        print(f"{' and '.join(held)} {were} held before this run began.")
        print("Run the cell that makes the locks again, for new ones.")
    return pair


def _function() -> str:
    """The learner's function that the current thread runs (its thread's name if not known)."""
    return ROLES.get(threading.current_thread().name, threading.current_thread().name)
