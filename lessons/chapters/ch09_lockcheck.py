"""Chapter 09's second self-check: write_report fixed, run beside record_page with the locks,
counts and log swapped for watched ones. The watched locks note the order each thread takes
them in (so opposite orders show even in a run that did not deadlock) and what each waits for;
the watched containers note the locks held at each access (Eraser's lockset, for one run)."""

from __future__ import annotations

import re
import threading
import time

from ..course.exercises import Verdict, not_yet
from .ch09_deadlock import GUARDS, LETTERS, REPORTS, ROLES, Pair, _function, _missing, _pair

WIDEN = 0.003  # the reporter's pause after each release, so that a stale report shows
CHECK_SECONDS = 3.0
_RLOCK = type(threading.RLock())


class _Abandoned(BaseException):
    """The self-check's: raised in a thread still waiting for a watched lock when it gave up."""


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
            because = f"{function} {did} {container} without holding {lock}"
            return not_yet(because, f"do it inside `with {lock}:`.")
    if (pair.pages, pair.reports) != (len(LETTERS), REPORTS):
        because = f"the log holds {pair.pages} pages and {pair.reports} reports"
        hint = "record_page logs one page a call, write_report one report."
        return not_yet(f"{because}, not {len(LETTERS)} and {REPORTS}", hint)
    pages, hint = 0, "read counts and append the report without letting go in between."
    for line in map(str, pair.log):  # each report must say the number of pages logged before it
        said, pages = re.findall(r"\d+", line), pages + ("report" not in line)
        if "report" in line and (not said or int(said[0]) != pages):
            return not_yet(f"a report said {line!r} when {pages} pages were logged before it", hint)
    (a, b), *_ = watch.orders or [("", "")]
    locks = f"one lock for both: {watch.shared}" if watch.shared else "no lock nested"
    locks = f"one order for the locks: {a}, then {b}" if a else locks
    run = f"{pair.pages} pages and {pair.reports} reports in {pair.seconds:.2f} s"
    return Verdict(f"Correct: {run}, every report right, and {locks}.")
