"""Chapter 07's own: your download_all_sites swept over max_workers, what a thread costs, the
internet's spread, and the self-checks (a pool size chosen by measuring, a polite pool)."""

from __future__ import annotations

import threading
import time
import types

from ..course import costs, internet
from ..course import sweep as sweeps
from ..course.exercises import Verdict, attempt, described, not_yet
from ..course.program import current, rebound, silent
from ..course.sites import get_sites, sites_changed
from ..course.sweep import Sweep, gains, say_cpus

# ---- the chapter's runs ------------------------------------------------------------------------


def sweep(download_all_sites, counts=sweeps.COUNTS, copies: int = 80, max_concurrent=None) -> Sweep:
    """Your download_all_sites once for each worker count (160 pages), a line a run.

    With `max_concurrent`, each demo site serves that many requests at a time meanwhile."""
    program = current(download_all_sites)
    if max_concurrent:
        result = sweeps.throttled(counts, copies, max_concurrent, program=program)
    else:
        result = sweeps.sweep(counts, copies, program=program)
    sweeps.report(result)
    print(say_cpus(result))
    return result


def plot(result: Sweep) -> object:
    """The sweep's times against the latency floor and the CPU bound (and the sites' limit)."""
    return sweeps.plot(result)


def thread_costs(threads: int = 200, result: Sweep | None = None) -> costs.ThreadCost:
    """Start `threads` threads that wait, three rounds; print the quickest round's costs, and
    (with a sweep) what starting the threads of its run with the most workers cost that run."""
    cost = costs.thread_costs(threads)
    most = max(result.points, key=lambda p: p.workers).run if result and result.points else None
    costs.report_costs(cost, run=most)
    return cost


def default_workers() -> int:
    """What ThreadPoolExecutor() chooses here when given no max_workers."""
    return costs.report_default()


def spread(download_all_sites, repeats: int = 4) -> list[internet.Pair]:
    """Chapter 1's program and yours (5 workers), `repeats` times each on 20 pages of the
    "internet" demo sites; then the sites are as before."""
    pairs = internet.spread(repeats, copies=10, max_workers=5, program=current(download_all_sites))
    internet.report(pairs)
    return pairs


def plot_spread(pairs: list[internet.Pair]) -> object:
    return internet.plot(pairs)


# ---- exercise 1: a pool size chosen by measuring -----------------------------------------------

PER_SITE = 2  # requests each demo site serves at once during the check: 4 for both sites
CHOOSE_COPIES = 12  # 24 pages
MOST_RUNS = 12  # runs of download_all_sites a choose_workers may make
CHOOSE_SECONDS = 60.0  # and the time they may take, all together
WAIT_SECONDS = 70.0  # how long the check waits for choose_workers to return


class Timed:
    """The learner's download_all_sites, quiet, counting each run and its max_workers."""

    def __init__(self, download_all_sites) -> None:
        glob = download_all_sites.__globals__
        site = glob.get("download_site")
        names = {"print": silent}
        if isinstance(site, types.FunctionType):
            names["download_site"] = rebound(site, print=silent)
        self.function = rebound(download_all_sites, **names)
        self.runs: list[tuple[int | None, float]] = []
        self.began = time.monotonic()
        self.stopped = False

    def __call__(self, sites, max_workers=5, *args, **kwargs):
        if self.stopped:
            raise RuntimeError("the check has stopped")
        if len(self.runs) >= MOST_RUNS or time.monotonic() - self.began > CHOOSE_SECONDS:
            raise RuntimeError(f"the check allows {MOST_RUNS} runs in {CHOOSE_SECONDS:.0f} s")
        started = time.perf_counter()
        try:
            return self.function(sites, max_workers, *args, **kwargs)
        finally:
            self.runs.append((max_workers, time.perf_counter() - started))


def _call_bounded(function, *args, seconds: float) -> tuple[str, object]:
    """("returned", value), ("raised", error) or ("hung", None): `function` in a thread."""
    outcome: list = []

    def call():
        try:
            outcome.append(("returned", function(*args)))
        except Exception as error:  # the learner's code: one line about it
            outcome.append(("raised", error))

    thread = threading.Thread(target=call, name="course-check", daemon=True)
    thread.start()
    thread.join(seconds)
    return outcome[0] if outcome else ("hung", None)


def _program_of(choose_workers):
    """The download_all_sites of the learner's cells (else the lesson's), as it is now."""
    found = choose_workers.__globals__.get("download_all_sites")
    if isinstance(found, types.FunctionType):
        return current(found)
    from .. import threaded

    return threaded.download_all_sites


def check_choose_workers(choose_workers) -> Verdict:
    """Exercise 1: choose_workers(download_all_sites, sites) times a few worker counts and
    returns the smallest one about as fast as the fastest. The check makes each demo site serve
    PER_SITE requests at a time (the learner is not told how many)."""
    if not isinstance(choose_workers, types.FunctionType):
        return not_yet(f"{choose_workers!r} is not a function yet", "run its cell.")
    timed = Timed(_program_of(choose_workers))
    sites = get_sites("demo", CHOOSE_COPIES)
    with sites_changed(max_concurrent=PER_SITE) as demo:
        slots = PER_SITE * len(demo.sites)
        try:
            how, value = _call_bounded(choose_workers, timed, sites, seconds=WAIT_SECONDS)
        finally:
            timed.stopped = True
    counts = sorted({n for n, _ in timed.runs if isinstance(n, int)})
    if how == "hung":
        return not_yet(f"it had not returned after {WAIT_SECONDS:.0f} s", "time a few "
                       "counts, such as 1, 2, 4, 8, 16 and 32.")  # fmt: skip
    if how == "raised":
        return not_yet(f"it raised {type(value).__name__}: {value}", "time a few counts only.")
    if not timed.runs:
        return not_yet(
            f"it returned {value!r} without running download_all_sites once",
            "a guess is not a measurement. Time download_all_sites at a few worker counts.",
        )
    if len(counts) < 3:
        return not_yet(
            f"it timed only {len(counts)} worker count{'s' * (len(counts) != 1)}",
            "time at least three, such as 1, 2, 4, 8, 16 and 32.",
        )
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return not_yet(f"it returned {described(value)}", "return a number of workers.")
    tried = ", ".join(map(str, counts))
    if value < slots - 1:
        return not_yet(
            f"{value} worker{'s' * (value != 1)} left the sites idle, and they serve {slots} "
            "requests at once",
            "return the smallest count about as fast as the fastest, say within 25%.",
        )
    if value > 4 * slots:
        return not_yet(
            f"the sites serve {slots} requests at once, so {value} threads mostly wait",
            "return the smallest count about as fast as the fastest, not the largest.",
        )
    return Verdict(
        f"Correct: you timed {tried} workers and chose {value}. "
        f"The sites served {slots} requests at once."
    )


# ---- exercise 2: a pool that is polite to each site --------------------------------------------

SERVES_AT_ONCE = 4  # what the exercise's cell tells the learner each site serves at once
POLITE_COPIES = 12  # 24 pages


def most_at_once(downloads, letter: str | None = None) -> int:
    """The most downloads under way at one moment (of one site, with `letter`)."""
    events = []
    for d in downloads:
        if letter is None or d.letter == letter:
            events += [(d.start, 1), (d.end, -1)]
    busy = most = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):  # an end before a start
        busy += step
        most = max(most, busy)
    return most


def check_polite(download_all_politely) -> Verdict:
    """Exercise 2: at most SERVES_AT_ONCE requests to each site at once, both sites at once."""
    limit = SERVES_AT_ONCE
    if isinstance(download_all_politely, types.FunctionType):
        limit = download_all_politely.__globals__.get("SERVES_AT_ONCE", SERVES_AT_ONCE)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        return not_yet(f"SERVES_AT_ONCE is {limit!r}", "set it back to 4.")
    with sites_changed(max_concurrent=limit):
        result = attempt(download_all_politely, copies=POLITE_COPIES)
    if isinstance(result, Verdict):
        return result
    if result.done < result.pages:
        return not_yet(f"only {result.done} of {result.pages} pages arrived", "fetch every page.")
    letters = sorted({d.letter for d in result.downloads})
    per_site = {letter: most_at_once(result.downloads, letter) for letter in letters}
    over = {letter: n for letter, n in per_site.items() if n > limit}
    if over:
        letter, n = max(over.items(), key=lambda item: item[1])
        return not_yet(
            f"site {letter} had {n} requests under way at once, and it serves {limit}",
            f"let at most SERVES_AT_ONCE threads at a time fetch from one site. A "
            f"threading.Semaphore({limit}) for each site, or a pool for each site, does it.",
        )
    everything = most_at_once(result.downloads)
    if everything <= limit:
        return not_yet(
            f"at most {everything} requests were under way at once, for both sites together",
            f"each site serves {limit} at once: limit each site, not the whole pool.",
        )
    said = ", ".join(f"{letter} {n}" for letter, n in per_site.items())
    return Verdict(
        f"Correct: at most {said} requests at once, {everything} in all. "
        f"{result.pages} pages in {result.elapsed:.2f} s."
    )


__all__ = [
    "Sweep",
    "check_choose_workers",
    "check_polite",
    "default_workers",
    "gains",
    "plot",
    "plot_spread",
    "spread",
    "sweep",
    "thread_costs",
]
