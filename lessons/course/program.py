"""A program the course runs, recorded from outside: the package's module or the learner's cell."""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import inspect
import signal
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable

from .downloads import Run
from .record import Recorder
from .sites import TIMEOUT

GRACE = 2.0  # seconds past the program's own timeouts before a run with no progress is abandoned
NO_TIMEOUT = 30.0  # what a page may take when the program sets no TIMEOUT at all
SIGNALS = 10  # at most this many interrupts, a second apart, end an abandoned call


@dataclasses.dataclass
class Program:
    """download_all_sites, and the names it calls (download_site, TIMEOUT) where it was defined."""

    name: str
    download_all_sites: Callable
    namespace: dict
    learner: bool  # defined in a notebook's cell (or anywhere outside the package)
    site: str = "download_site"  # the name of the function that fetches one page

    @property
    def download_site(self) -> Callable | None:
        return self.namespace.get(self.site)

    @property
    def page_seconds(self) -> float:
        """How long one page may take, by the TIMEOUT that the program's own code sees."""
        timeout = self.namespace.get("TIMEOUT", TIMEOUT)
        numbers = timeout if isinstance(timeout, (tuple, list)) else (timeout, timeout)
        if all(isinstance(n, (int, float)) and n > 0 for n in numbers):
            return float(sum(numbers))
        return NO_TIMEOUT  # None (wait for ever) or a value requests would refuse

    @property
    def parameters(self) -> dict[str, inspect.Parameter]:
        try:
            return dict(inspect.signature(self.download_all_sites).parameters)
        except (TypeError, ValueError):
            return {}

    @property
    def takes_max_workers(self) -> bool:
        kinds = {p.kind for p in self.parameters.values()}
        return "max_workers" in self.parameters or inspect.Parameter.VAR_KEYWORD in kinds

    @property
    def default_workers(self) -> int | None:
        default = getattr(self.parameters.get("max_workers"), "default", None)
        return default if isinstance(default, int) and not isinstance(default, bool) else None

    @property
    def signature(self) -> str:
        return f"{self.download_all_sites.__name__}({', '.join(self.parameters)})"


def as_program(what, site: str = "download_site") -> Program:
    """A Program from a module of the package (lessons.threaded) or a function (a cell's);
    `site` names the function that fetches one page, the one each run records."""
    if isinstance(what, Program):
        return what
    if isinstance(what, types.ModuleType):
        short = what.__name__.rsplit(".", 1)[-1]
        return Program(short, what.download_all_sites, vars(what), learner=False)
    if hasattr(what, "download_all_sites") and not callable(what):  # a namespace of a test
        return Program(type(what).__name__, what.download_all_sites, vars(what), learner=False)
    if isinstance(what, types.FunctionType):
        learner = not what.__module__.startswith("lessons")
        name = f"your {what.__name__}" if learner else what.__name__
        return Program(name, what, what.__globals__, learner, site)
    raise ValueError(
        f"expected download_all_sites (the function itself, no brackets); got {what!r}"
    )


def current(function: Callable) -> Callable:
    """The function of that name that its cell's namespace holds now: an edited cell's."""
    latest = getattr(function, "__globals__", {}).get(getattr(function, "__name__", ""))
    return latest if isinstance(latest, types.FunctionType) else function


def rebound(function: types.FunctionType, **names) -> types.FunctionType:
    """A copy of `function` that sees `names` in place of its module's globals of those names.

    This lets a run call the lesson's own download_all_sites with a recorded download_site,
    without changing the module that a learner reads (and that another run may use meanwhile).
    """
    copy = types.FunctionType(
        function.__code__,
        {**function.__globals__, **names},
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copy.__kwdefaults__ = function.__kwdefaults__
    return copy


def silent(*values, **options) -> None:
    """A print that prints nothing: a program's marks, where nothing may be printed."""


def course_print(recorder: Recorder) -> Callable:
    """The print a program sees during a recorded run: its text goes where the run says."""

    def print(*values, sep=" ", end="\n", file=None, flush=False):  # noqa: A001
        if file is not None and file is not sys.stdout:
            builtins.print(*values, sep=sep, end=end, file=file, flush=flush)
            return
        text = (" " if sep is None else sep).join(map(str, values))
        recorder.printed(text + ("\n" if end is None else end))

    return print


def record_run(
    program,
    sites: list[str],
    recorder: Recorder,
    mode: str,
    max_workers: int | None = None,
    wrap: Callable[[Callable], Callable] | None = None,
    names: dict | None = None,
    label_workers: int | None = None,
) -> Run:
    """Run a program's download_all_sites over `sites` with every download recorded.

    `wrap` receives the recorded download_site and returns what the program calls instead;
    `names` replaces more of the program's globals for this run (a recorded consumer, say).
    A learner's program that raises, or makes no progress past its timeouts, ends the run with
    one line about it, not a traceback.
    """
    program = as_program(program)
    download_site = program.download_site
    if not callable(download_site):
        raise ValueError(
            f"{program.name} has no {program.site} to call: run the cell that defines it first"
        )
    say = course_print(recorder)
    if isinstance(download_site, types.FunctionType):
        download_site = rebound(download_site, print=say)
    recorded = recorder.wrap(download_site)
    if wrap is not None:
        recorded = wrap(recorded)
    names = {program.site: recorded, "print": say, **(names or {})}
    function = rebound(program.download_all_sites, **names)
    recorder.program_marks = True
    kwargs = {} if max_workers is None else {"max_workers": max_workers}
    failure: list[BaseException] = []
    if program.learner:
        function = _guarded(function, failure)
    watch = program.page_seconds + GRACE if program.learner else None
    returned, elapsed, interrupted = timed_call(recorder, function, sites, watch=watch, **kwargs)
    workers = max_workers if max_workers is not None else label_workers
    result = recorder.run(mode, workers, len(sites), elapsed, interrupted, returned)
    result.unfinished = 0 if interrupted else recorder.under_way()
    recorder.close()
    if recorder.abandoned:
        result.abandoned, result.interrupted, result.stopped = watch, False, True
    if failure:
        result.notes.append(_raised(program, failure[0]))
    elif isinstance(returned, (list, tuple)) and any(returned) and not result.downloads:
        result.notes.append(
            f"{len(returned)} results came back, but none through {program.site}: call it "
            f"from {program.download_all_sites.__name__}, and the course sees each page."
        )
    return result


def _guarded(function: Callable, failure: list) -> Callable:
    def guarded(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception as error:  # the learner's bug: one line about it, and the kernel is fine
            failure.append(error)
            return None

    return guarded


def _raised(program: Program, error: BaseException) -> str:
    """One line: what the learner's code raised, and the line of their code it came from."""
    home = program.download_all_sites.__module__  # the cells' functions, not those imported
    files = {
        value.__code__.co_filename
        for value in program.namespace.values()
        if isinstance(value, types.FunctionType) and value.__module__ == home
    }
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename in files]
    line = (frames[-1].line or "").strip() if frames else ""
    where = f", in {frames[-1].name}" + (f": {line}" if line else "") if frames else ""
    message = f": {str(error).splitlines()[0]}" if str(error).strip() else ""
    return f"{program.name} raised {type(error).__name__}{message}{where}"


class Watchdog:
    """Ends a call, made in the main thread, that makes no progress: no page begins or ends for
    `seconds`. The call gets KeyboardInterrupt, as from the stop button, once a second until it
    returns (a `with` block that waits for a hung thread needs a second one)."""

    def __init__(self, recorder: Recorder, seconds: float) -> None:
        self.recorder, self.seconds = recorder, seconds
        self._done, self._lock = threading.Event(), threading.Lock()

    def start(self) -> None:
        main = threading.current_thread() is threading.main_thread()
        if main and callable(signal.getsignal(signal.SIGINT)):  # an interrupt would raise
            threading.Thread(target=self._watch, name="course-watchdog", daemon=True).start()

    def _watch(self) -> None:
        while not self.recorder.stalled(self.seconds):
            if self._done.wait(0.1):
                return
        self.recorder.abandoned = True
        self.recorder.stop()
        for _ in range(SIGNALS):
            with self._lock:
                if self._done.is_set():
                    return
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            if self._done.wait(1.0):
                return

    def finish(self) -> None:
        with self._lock:
            self._done.set()


def timed_call(recorder: Recorder, function: Callable, *args, watch=None, **kwargs) -> tuple:
    """(what `function` returned, seconds, interrupted?): Ctrl-C (or the kernel's interrupt)
    stops the recorder, then waits for the pages under way, bounded by the timeouts, since
    plain threads (or worker processes) may still be in a request. With `watch`, a call that
    makes no progress for that many seconds is abandoned (recorder.abandoned)."""
    interrupted, returned = False, None
    watchdog = Watchdog(recorder, watch) if watch else None
    recorder.started = start = time.perf_counter()
    recorder.progress_at = time.monotonic()
    try:
        try:
            if watchdog is not None:
                watchdog.start()
            with _stopping_on_interrupt(recorder):
                returned = function(*args, **kwargs)
        finally:
            if watchdog is not None:
                watchdog.finish()
                if recorder.abandoned:
                    time.sleep(0.05)  # an interrupt already sent lands here, not in the kernel
    except KeyboardInterrupt:
        recorder.recover()
        if watchdog is not None:
            watchdog.finish()
        recorder.stop()
        interrupted = True
    elapsed = time.perf_counter() - start
    if interrupted:  # the pages under way end within the program's timeouts; a hung one not
        page_seconds = watch - GRACE if watch else sum(TIMEOUT)
        with contextlib.suppress(KeyboardInterrupt):
            recorder.settle(0.5 if recorder.abandoned else page_seconds)
        recorder.recover()
    return returned, elapsed, interrupted


@contextlib.contextmanager
def _stopping_on_interrupt(recorder: Recorder):
    """In the main thread, an interrupt first stops the run, so that the pages not yet begun
    are skipped while a `with` block waits for its pool, then raises as it always does."""
    before = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(before):
        yield
        return

    def interrupted(signum, frame):
        recorder.stop()
        before(signum, frame)  # the kernel's (or Python's) handler: KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
