"""Chapter 06's machinery: your get_session run three ways, its Sessions and connections counted."""

from __future__ import annotations

import dataclasses
import logging
import threading
import types

import requests
from requests import Session

from .. import threaded
from ..course.downloads import Run
from ..course.exercises import Verdict, described, not_yet, sizes
from ..course.failures import NOT_TRIED
from ..course.plotting import figure_image
from ..course.program import Program, rebound
from ..course.runs import run
from ..course.sites import COPIES, demo_pages, site_letter, start_demo_sites

POOL_FULL = "Connection pool is full"  # urllib3's warning when a pool has no room for a connection
CHECK_COPIES, CHECK_WORKERS = 10, 5  # the self-checks: 20 pages, 5 workers
TABLE = {"one shared": ", shared by {threads} threads", "one per page": ", one a page"}
TABLE["one per thread"] = ", one a thread"


class PoolWarnings(logging.Handler):
    """Counts urllib3's "Connection pool is full" warnings during a `with` block, prints none."""

    logger = logging.getLogger("urllib3.connectionpool")
    count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(POOL_FULL):
            self.count += 1  # emit runs under the handler's own lock

    def __enter__(self) -> PoolWarnings:
        self._saved = self.logger.propagate, self.logger.level
        self.logger.addHandler(self)
        self.logger.propagate = False  # not to the root logger: nothing printed into the cell
        self.logger.setLevel(min(self.logger.getEffectiveLevel(), logging.WARNING))
        return self

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self)
        self.logger.propagate = self._saved[0]
        self.logger.setLevel(self._saved[1])


class SessionsSeen:
    """The learner's get_session, wrapped from outside: each Session it returns, and the
    threads it returned that Session to. Holds the Sessions, so that each can be inspected
    (and closed) after the run."""

    def __init__(self, get_session) -> None:
        self.get_session = get_session
        self.calls = 0
        self.users: dict[int, tuple[object, set[str]]] = {}
        self._lock = threading.Lock()

    def __call__(self):
        session = self.get_session()
        with self._lock:
            self.calls += 1
            self.users.setdefault(id(session), (session, set()))[1].add(
                threading.current_thread().name
            )
        return session

    @property
    def sessions(self) -> list:
        return [session for session, _ in self.users.values() if isinstance(session, Session)]

    @property
    def most_threads(self) -> int:
        """The most threads any one Session served."""
        return max((len(threads) for _, threads in self.users.values()), default=0)

    def still_open(self) -> list:
        """The Sessions that still hold a pool of connections: never closed, or used again."""
        return [session for session in self.sessions if _holds_pools(session)]

    def close(self) -> None:
        for session in self.sessions:
            session.close()


def _holds_pools(session: Session) -> bool:
    managers = (getattr(adapter, "poolmanager", None) for adapter in session.adapters.values())
    return any(len(getattr(manager, "pools", ())) for manager in managers)


@dataclasses.dataclass
class Measured:
    """One run of your download_all_sites: the Run, the Sessions seen, what the sites counted."""

    run: Run
    seen: SessionsSeen
    connections: dict[str, int]  # letter ("J", "R") -> connections that site accepted
    pool_full: int
    threads: dict[str, set[str]]  # letter -> the threads that fetched that site's pages

    @property
    def opened(self) -> int:
        return sum(self.connections.values())

    @property
    def too_many(self) -> bool:
        """More connections to a site than threads fetched from it."""
        return any(n > len(self.threads.get(letter, ())) for letter, n in self.connections.items())

    @property
    def way(self) -> str:
        """How get_session gave out its Sessions, as the figure names it."""
        n, threads = len(self.seen.users), len(self.run.threads)
        if n == 1 and threads > 1:
            return "one shared"
        if n == self.seen.calls and n > threads:
            return "one per page"
        if n == threads and self.seen.most_threads == 1:
            return "one per thread"
        return f"{n} Sessions"

    def sessions(self) -> str:
        """The Sessions seen, in a few words, for the table."""
        how = TABLE.get(self.way, "").format(threads=len(self.run.threads))
        return f"{len(self.seen.users)}{how}" if self.seen.calls else "none seen"


def measure(function, max_workers: int, copies: int = COPIES, get_session=None, demo=None):
    """Run the learner's download_all_sites once, quietly, its download_site calling
    `get_session` (the learner's, by default) wrapped from outside: a Measured, or a Verdict if
    it could not run. The Sessions seen are left open: the caller inspects, then closes them."""
    if not isinstance(function, types.FunctionType):
        return not_yet(f"{function!r} is not a function yet", "run the cell that defines it.")
    namespace = function.__globals__
    download_site = namespace.get("download_site")
    getter = get_session if get_session is not None else namespace.get("get_session")
    if not isinstance(download_site, types.FunctionType) or not callable(getter):
        return not_yet("download_site or get_session is missing", "run the program's cell.")
    seen = SessionsSeen(getter)
    names = {**namespace, "download_site": rebound(download_site, get_session=seen)}
    program = Program(f"your {function.__name__}", function, names, learner=True)
    demo = demo or start_demo_sites()
    letters = {name: site_letter(url) for name, url in demo.urls.items()}
    before = demo.counts()
    with PoolWarnings() as pool:
        pages = demo_pages(demo, copies)
        result = run(program, max_workers, sites=pages, quiet=True, show=False, caution=False)
    after = demo.counts()
    opened = {letters[n]: after[n]["connections"] - before[n]["connections"] for n in after}
    threads: dict[str, set[str]] = {}
    for d in result.downloads:
        threads.setdefault(d.letter, set()).add(d.thread)
    if result.abandoned or result.notes:
        seen.close()
    if result.abandoned:
        return not_yet(
            f"no page began or ended for {result.abandoned:.0f} s, so the run was given up",
            "does anything wait for ever?",
        )
    if result.notes:
        return not_yet(result.notes[0].rstrip("."))
    return Measured(result, seen, opened, pool.count, threads)


def count_connections(
    download_all_sites, worker_counts=(5, 20), copies: int = COPIES, demo=None
) -> list[Measured]:
    """Run your download_all_sites at each worker count; print a row per run. After each run
    the Sessions it used are closed, so that the next run starts with no connection open."""
    rows = []
    print("workers  Sessions                 connections J + R  'pool is full'  the lesson's line")
    for workers in worker_counts:
        measured = measure(download_all_sites, workers, copies, demo=demo)
        if isinstance(measured, Verdict):
            print(f"{workers:>7}  {measured.removeprefix('Not yet, because ')}")
            continue
        measured.seen.close()
        rows.append(measured)
        r, c = measured.run, measured.connections
        opened = f"{c.get('J', 0)} + {c.get('R', 0)}"
        print(
            f"{workers:>7}  {measured.sessions():<24} {opened:>18}  {measured.pool_full:>14}  "
            f"{r.summary()[-1]}"
        )
        if r.interrupted:
            break  # the stop button: no further run
    for r in (m.run for m in rows if m.run.done < m.run.pages):
        print(f"{r.max_workers} workers: " + (r.summary()[-2] if r.failed else "stopped."))
    if rows and all(m.run.done == m.run.pages for m in rows):
        print(f"Every page arrived, in all {len(rows)} runs.")
    if any(m.pool_full for m in rows):
        size = requests.adapters.DEFAULT_POOLSIZE
        print(f"A Session's pool keeps at most {size} connections a site (DEFAULT_POOLSIZE).")
        print("Each 'pool is full' warning is a connection closed for lack of room there.")
    return rows


def plot(*ways: list[Measured]):
    """Connections opened and 'pool is full' warnings: a group of bars per way, one a run."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.4), dpi=90, layout="constrained")
    opened, warned = figure.subplots(1, 2)
    names = [way[0].way if way else "not run" for way in ways]
    workers = sorted({m.run.max_workers for way in ways for m in way})
    width = 0.8 / max(len(workers), 1)
    for i, n in enumerate(workers):
        runs = [(x, m) for x, way in enumerate(ways) for m in way if m.run.max_workers == n]
        xs = [x + (i - (len(workers) - 1) / 2) * width for x, _ in runs]
        opened.bar_label(opened.bar(xs, [m.opened for _, m in runs], width))
        bars = warned.bar(xs, [m.pool_full for _, m in runs], width, label=f"{n} workers")
        warned.bar_label(bars)
    for ax, title in ((opened, "Connections opened, J + R"),
                      (warned, "'Connection pool is full' warnings")):  # fmt: skip
        ax.set_xticks(range(len(ways)), [f"Session:\n{name}" for name in names])
        ax.set_title(title)
        ax.margins(y=0.15)
    warned.legend(loc="upper left")
    return figure_image(figure)


def _problem(measured: Measured) -> Verdict | None:
    """What both checks refuse: a page that did not arrive, a Session that served threads."""
    r, most = measured.run, measured.seen.most_threads
    reasons = [(n, why) for why, n in r.failures.most_common() if why != NOT_TRIED]
    if r.done < r.pages and reasons:
        arrived = f"only {r.done} of {r.pages} pages arrived ({reasons[0][0]} x {reasons[0][1]})"
        return not_yet(arrived, "fix what raised it, then run the cell again.")
    if r.done < r.pages:
        return not_yet(f"only {r.done} of {r.pages} pages arrived", "run it again.")
    if most > 1:
        return not_yet(
            f"one Session served {most} threads", "keep each thread's own Session in thread_local."
        )
    return None


def _per_page(measured: Measured) -> str:
    pages, opened = measured.run.pages, measured.opened
    return f"{pages} pages opened {opened} connections, {opened / pages:.2f} a page"


def check_get_session(get_thread_session) -> Verdict:
    """Exercise 1: one Session per thread, so at most one connection per site and thread."""
    if not isinstance(get_thread_session, types.FunctionType):
        return not_yet(f"{get_thread_session!r} is not a function yet", "run its cell.")
    program = threaded.download_all_sites  # chapter 2's, calling the learner's function
    measured = measure(program, CHECK_WORKERS, CHECK_COPIES, get_thread_session)
    if isinstance(measured, Verdict):
        return measured
    measured.seen.close()
    threads, made = len(measured.run.threads), len(measured.seen.users)
    if problem := _problem(measured):
        return problem
    if measured.too_many or made > threads:
        return not_yet(
            f"{_per_page(measured)}. {threads} threads made {made} Sessions",
            "each thread should make one Session, at its first page, and find it again later.",
        )
    return Verdict(
        f"Correct: {threads} threads made {made} Sessions, one each. {_per_page(measured)}."
    )


def check_closed(download_all_sites) -> Verdict:
    """Exercise 2: a Session per thread, and every one closed when download_all_sites returns."""
    measured = measure(download_all_sites, CHECK_WORKERS, CHECK_COPIES)
    if isinstance(measured, Verdict):
        return measured
    seen, pages = measured.seen, measured.run.pages
    left = len(seen.still_open())  # before the course closes them all
    seen.close()
    got = sizes(measured.run.returned)
    if problem := _problem(measured):
        return problem
    if got is None or len(got) != pages:
        what = described(measured.run.returned)
        return not_yet(f"it returned {what}, not {pages} sizes", "return the results.")
    if not seen.calls:
        return not_yet("download_site never called get_session", "run the program's cell.")
    if measured.too_many:
        return not_yet(
            f"{_per_page(measured)}, so Sessions were closed while their threads still worked",
            "close them after the with block, once every page has arrived.",
        )
    if left:
        return not_yet(
            f"{left} of {len(seen.users)} Sessions were still open when it returned",
            "append each new Session to made, under made_lock. "
            "After the with block, close every Session in made.",
        )
    return Verdict(
        f"Correct: {len(seen.users)} Sessions, one a thread, all closed when it returned. "
        f"{_per_page(measured)}."
    )
