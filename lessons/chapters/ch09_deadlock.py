"""Chapter 09's deadlock: two threads take two locks in opposite orders; a thread dump shows
where each waits; the self-check watches the locks and the data they guard."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import threading
import time
import traceback
import types

from ..course.exercises import Verdict, not_yet
from ..course.progress import Progress

LETTERS = "JR" * 80  # the lesson's 160 pages, J and R alternating
REPORTS = 20
SPACING = 0.002  # seconds the reporter waits before each report
GUARDS = {"counts": "counts_lock", "log": "log_lock"}  # each shared object, and its lock
ROLES = {"recorder": "record_page", "reporter": "write_report"}  # thread: the function it runs
WIDEN = 0.003  # in the check: the reporter's pause after each release, so a stale report shows
CHECK_SECONDS = 3.0
_RLOCK = type(threading.RLock())
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
    held = [n for n in GUARDS.values() if not names[n].acquire(False) or names[n].release()]
    counts.clear()  # a new run: the same objects, emptied
    counts.update(J=0, R=0)
    log.clear()
    pair, stuck = _pair(record_page, names["write_report"], log, seconds)
    for name, error in pair.errors.items():
        print(f"{name} raised {type(error).__name__}: {error}")
    time.sleep(0.1 if stuck else 0)  # then: if nothing was logged since, they make no progress
    waiting = len(stuck) == 2 and len(log) == len(pair.log) and not held
    if pair.finished and not pair.errors:
        print(f"Both threads finished in {pair.seconds:.2f} s: {pair.pages} pages, "
              f"{pair.reports} reports.")  # fmt: skip
    elif stuck:
        head, s = "Deadlock: " * waiting, "s" * (len(stuck) != 1)
        print(f"{head}{len(stuck)} thread{s} still waiting after {seconds:.1f} s.")
        print("\n".join(pair.dump))
    if held:
        print(f"{' and '.join(held)} {('was', 'were')[len(held) > 1]} held before this run began."
              "\nRun the cell that makes the locks again, for new ones.")  # fmt: skip
    return pair


class _Abandoned(BaseException):
    """The self-check's: raised in a thread still waiting for a watched lock when it gave up."""


def _function() -> str:
    """The learner's function that the current thread runs (its thread's name if not known)."""
    return ROLES.get(threading.current_thread().name, threading.current_thread().name)


class _Watch:
    """What the watched locks and containers saw: per thread, the locks held and waited for."""

    def __init__(self) -> None:
        self.held, self.waiting = {}, {}  # thread id: locks held (in order); lock waited for
        self.orders: dict[tuple[str, str], str] = {}  # (first, then): the function seen doing it
        self.unguarded: list[tuple[str, str, str]] = []  # (function, read or changed, container)
        self.locksets: dict[str, set] = {}  # container: the locks held at every access so far
        self.stop, self.on, self.shared = threading.Event(), True, ""  # shared: "a is b"

    def mine(self) -> list:  # the watched locks that the current thread holds
        return self.held.setdefault(threading.get_ident(), [])

    def note(self, container: str, did: str) -> None:
        """An access to `container`: which locks its thread held (Eraser's lockset, for one run)."""
        if not self.on:
            return
        held = set(self.mine())
        self.locksets[container] = self.locksets.get(container, held) & held
        if GUARDS[container] not in {name for lock in held for name in lock.names}:
            self.unguarded.append((_function(), did, container))


class _Lock:
    """A watched stand-in for one of the learner's locks: a Lock or RLock as the original."""

    def __init__(self, names: list[str], original, watch: _Watch) -> None:
        self.lock = threading.RLock() if type(original) is _RLOCK else threading.Lock()
        self.names, self.watch = names, watch
        self.name = " (also ".join(names) + ")" * (len(names) > 1)  # "a (also b)": one lock

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        watch, held, me = self.watch, self.watch.mine(), threading.get_ident()
        for first in set(held) - {self}:  # an order: a lock held, then this one
            watch.orders.setdefault((first.name, self.name), _function())
        watch.waiting[me], got = self, self.lock.acquire(blocking=False)
        end = time.monotonic() + (timeout if timeout >= 0 else 1e9)
        while blocking and not got and not watch.stop.is_set() and time.monotonic() < end:
            got = self.lock.acquire(timeout=max(0.0, min(0.05, end - time.monotonic())))  # in steps
        del watch.waiting[me]
        if not got and watch.stop.is_set():
            raise _Abandoned
        if got:
            held.append(self)
        return got

    def release(self) -> None:
        self.lock.release()
        held = self.watch.mine()
        del held[len(held) - 1 - held[::-1].index(self)]  # the last one taken
        if threading.current_thread().name == "reporter":
            time.sleep(WIDEN)

    __enter__ = acquire

    def __exit__(self, *exc) -> None:
        self.release()


def _watched(base: type, watch: _Watch, container: str, reads=(), writes=()) -> object:
    """A dict or list that notes each read and write of the names given."""

    def wrap(name, did):
        method = getattr(base, name)
        return lambda self, *a, **k: (watch.note(container, did), method(self, *a, **k))[1]

    space = {name: wrap(name, "read") for name in reads}
    space.update({name: wrap(name, "changed") for name in writes})
    return type(f"watched_{container}", (base,), space)()


def _stand_ins(names: dict, watch: _Watch) -> dict:
    """The watched locks (one for names bound to the same lock), counts and log."""
    stand_ins, by_lock = {}, {}
    for name in GUARDS.values():
        by_lock.setdefault(id(names[name]), []).append(name)
    for same in by_lock.values():
        lock = _Lock(same, names[same[0]], watch)
        stand_ins.update(dict.fromkeys(same, lock))
        watch.shared = " is ".join(same) if len(same) > 1 else watch.shared
    reads = ("__getitem__", "get", "keys", "values", "items", "__iter__", "copy", "__len__")
    writes = ("__setitem__", "update", "setdefault", "pop", "clear")
    stand_ins["counts"] = _watched(dict, watch, "counts", reads, writes)
    dict.update(stand_ins["counts"], J=0, R=0)
    writes = ("append", "extend", "insert", "__iadd__", "__setitem__")
    stand_ins["log"] = _watched(list, watch, "log", writes=writes)
    return stand_ins


def _waits(stuck: list[threading.Thread], watch: _Watch) -> tuple[str, str]:
    """Why the stuck threads wait, as a check's "because" and hint."""
    holders = {id(lock): t.name for t in stuck for lock in watch.held.get(t.ident, [])}
    waits = {t.name: watch.waiting.get(t.ident) for t in stuck}
    for name, lock in waits.items():
        if lock is not None and holders.get(id(lock)) == name:
            because = f"{ROLES[name]} waited for {lock.name}, which its own thread held already"
            return because, "a Lock is taken once at a time. Take it once, or use an RLock."
    if len(stuck) == 2 and all(holders.get(id(lock)) not in (None, n) for n, lock in waits.items()):
        because = f"the two threads still waited for each other after {CHECK_SECONDS:.0f} s: a"
        return f"{because} deadlock", "take the locks in the same order in both functions."
    late = " and ".join(ROLES[t.name] for t in stuck)
    return f"{late} had not finished after {CHECK_SECONDS:.0f} s", "what does it wait for?"


def check_no_deadlock(write_report) -> Verdict:
    """The exercise: write_report takes the locks in record_page's order; run both, watched."""
    names = ("record_page", "counts", "log", *GUARDS.values())
    missing = _missing(write_report, *names) or _missing(write_report.__globals__["record_page"])
    if missing:
        return not_yet(missing, "run the cell that defines it.")
    names, watch = write_report.__globals__, _Watch()
    saved = {name: names[name] for name in ("counts", "log", *GUARDS.values())}
    try:
        stand_ins = _stand_ins(names, watch)
        names.update(stand_ins)
        pair, stuck = _pair(names["record_page"], write_report, stand_ins["log"], CHECK_SECONDS)
        waits = _waits(stuck, watch) if stuck else None
    finally:
        watch.on = False
        watch.stop.set()  # threads still waiting for a watched lock end
        names.update(saved)
    for thread in stuck:
        thread.join(1.0)
    return _verdict(pair, watch, waits)


def _verdict(pair: Pair, watch: _Watch, waits) -> Verdict:
    """The check's answer, from what the watched run did."""
    if waits:
        return not_yet(*waits)
    for function, error in pair.errors.items():
        return not_yet(f"{function} raised {type(error).__name__}: {error}", "call it alone.")
    for (a, b), f in watch.orders.items():
        if (b, a) in watch.orders:
            g, hint = watch.orders[b, a], "take the locks in the same order in both functions."
            because = f"{f} takes {a}, then {b}, and {g} takes {b}, then {a}"
            return not_yet(f"{because}. This run finished, but these orders can deadlock", hint)
    for function, did, container in watch.unguarded:
        if not watch.locksets.get(container):  # no one lock held at every access of it
            lock = GUARDS[container]
            return not_yet(f"{function} {did} {container} without holding {lock}",
                           f"do it inside `with {lock}:`.")  # fmt: skip
    if (pair.pages, pair.reports) != (len(LETTERS), REPORTS):
        because = f"the log holds {pair.pages} pages and {pair.reports} reports"
        return not_yet(f"{because}, not {len(LETTERS)} and {REPORTS}",
                       "record_page logs one page a call, write_report one report.")  # fmt: skip
    pages, hint = 0, "read counts and append the report without letting go in between."
    for line in map(str, pair.log):  # each report must say the number of pages logged before it
        said, pages = re.findall(r"\d+", line), pages + ("report" not in line)
        if "report" in line and (not said or int(said[0]) != pages):
            return not_yet(f"a report said {line!r} when {pages} pages were logged before it", hint)
    (a, b), *_ = watch.orders or [("", "")]
    locks = f"one lock for both: {watch.shared}" if watch.shared else "no lock nested"
    locks = f"one order for the locks: {a}, then {b}" if a else locks
    return Verdict(f"Correct: {pair.pages} pages and {pair.reports} reports in "
                   f"{pair.seconds:.2f} s, every report right, and {locks}.")  # fmt: skip
