"""Chapter 09's stopping: your workers that check an Event, a pool shut down with its pages
cancelled, and an interrupt in the middle of a run, measured page by page."""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import signal
import threading
import time

from ..course.exercises import described
from ..course.program import rebound
from ..course.progress import Progress
from ..course.sites import demo_pages

INTERRUPT_AFTER = 0.5  # seconds into a run when the course presses "interrupt"


def stop_run(function, max_workers: int = 5):
    """Your program that checks `stop` between pages, over the 160 pages, quietly: how many
    pages it fetched and skipped, and how soon after the stop it returned."""
    stop = function.__globals__.get("stop")
    if not isinstance(stop, threading.Event):
        print("Run the cell that defines stop = threading.Event() first.")
        return None
    stopped_at, done = [], threading.Event()

    def watch(start: float) -> None:
        while not done.is_set() and not stop.wait(0.005):
            pass
        if stop.is_set():
            stopped_at.append(time.perf_counter() - start)

    quiet = rebound(function, print=_silent)
    start = time.perf_counter()
    threading.Thread(target=watch, args=(start,), daemon=True).start()
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the J and R of every thread
            returned = quiet(demo_pages(), max_workers=max_workers)
    except Exception as error:  # the learner's bug: one line about it, and the kernel is fine
        print(f"{function.__name__} raised {type(error).__name__}: {error}")
        return None
    finally:
        done.set()
    elapsed = time.perf_counter() - start
    if not isinstance(returned, list):
        print(f"{function.__name__} returned {described(returned)}, not a list.")
        return returned
    fetched = sum(item is not None for item in returned)
    print(f"{fetched} pages fetched, {len(returned) - fetched} skipped, in {elapsed:.2f} s.")
    if stopped_at:
        print(f"The stop came after {stopped_at[0]:.2f} s.")
        print(f"The run returned {elapsed - stopped_at[0]:.2f} s after the stop.")
    else:
        print("The stop never came: every page was fetched first.")
    return returned


def _silent(*values, **options) -> None:
    """A print that prints nothing."""


def count_futures(futures: list, patience: float = 10.0) -> None:
    """What a pool shut down with cancel_futures=True left: done, cancelled, still under way;
    then waits (bounded) for those under way, so that their marks stay in this cell."""
    cancelled = sum(f.cancelled() for f in futures)
    done = sum(f.done() and not f.cancelled() for f in futures)
    running = len(futures) - cancelled - done
    print(f"\nDone before the stop: {done}.")  # after the J and R of the pages
    print(f"Cancelled, never started: {cancelled}.")
    start = time.perf_counter()
    # A cancelled future counts as done() but never as finished for wait(): leave them out.
    concurrent.futures.wait([f for f in futures if not f.done()], timeout=patience)
    late = time.perf_counter() - start
    after = "\n" if running else ""  # the marks of the pages that were under way
    print(f"{after}Under way at the stop: {running}. They finished {late:.2f} s later.")


def press_interrupt(*functions, after: float = INTERRUPT_AFTER) -> dict[str, int]:
    """Each function over the 160 pages, quietly, interrupted after `after` seconds as the
    kernel's Interrupt does: how many pages its threads fetched after the interrupt."""
    if threading.current_thread() is not threading.main_thread():
        print("Run this from the notebook: an interrupt reaches only the main thread.")
        return {}
    after_interrupt = {}
    bar = Progress(len(functions), f"runs, each interrupted after {after} s")
    for function in functions:
        label = _label(function)
        late = _one(function, label, after)
        if late is not None:
            after_interrupt[label] = late
        bar.step(label)
    bar.finish()
    return after_interrupt


def _one(function, label: str, after: float) -> int | None:
    """One interrupted run, said in one line: the pages fetched after the interrupt."""
    if not callable(getattr(function, "__globals__", {}).get("download_site")):
        print(f"{label}: run the cell that defines download_site first.")
        return None
    fetched, at, error = _interrupted(function, after)
    if error:
        print(error)
        return None
    if at is None:
        print(f"{label}: finished before the interrupt.")
        return None
    late = [t for t in fetched if t > at]
    went_on = f", for {max(late) - at:.2f} s" if late else ""
    print(f"{label}: {len(late)} pages fetched after the interrupt{went_on}.")
    return len(late)


def _label(function) -> str:
    module = getattr(function, "__module__", "")
    if module == "lessons.primitives":
        return "threads by hand (chapter 8)"
    if module == "lessons.threaded":
        return "the pool (chapter 2)"
    return f"your {function.__name__}"


def _interrupted(function, after: float) -> tuple[list[float], float | None, str | None]:
    """(when each page arrived, when the interrupt came, what the function raised); waits for
    the threads that go on."""
    site = function.__globals__["download_site"]
    fetched, state = [], {"in_call": False, "at": None}
    lock = threading.Lock()

    def counted(url):
        result = site(url)
        fetched.append(time.perf_counter())
        return result

    def press() -> None:
        time.sleep(after)
        with lock:
            if state["in_call"]:
                state["at"] = time.perf_counter()
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    quiet = rebound(function, download_site=counted, print=_silent)
    presser = threading.Thread(target=press, name="course-interrupt", daemon=True)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                with lock:
                    state["in_call"] = True
                presser.start()
                quiet(demo_pages(), max_workers=5)
            except KeyboardInterrupt:
                pass
            except Exception as error:  # the learner's bug: one line, and the run is over
                state["error"] = f"{function.__name__} raised {type(error).__name__}: {error}"
            finally:
                with lock:
                    state["in_call"] = False
            presser.join()
            _settle(fetched)
    except KeyboardInterrupt:  # landed in a `finally` above: the run is over all the same
        _settle(fetched)
    return fetched, state["at"], state.get("error")


def _settle(fetched: list, quiet_for: float = 0.5, limit: float = 10.0) -> None:
    """Wait until no page has arrived for `quiet_for` seconds (threads that went on)."""
    deadline, seen = time.monotonic() + limit, -1
    while time.monotonic() < deadline and seen != len(fetched):
        seen = len(fetched)
        time.sleep(quiet_for)
