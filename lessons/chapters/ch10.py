"""Chapter 10's machinery: your apps shown and clicked, who set each widget (an observer runs
in the thread that sets a trait), and the self-checks, on a UI thread of their own."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import types

import ipywidgets as widgets
from matplotlib.figure import Figure

from .. import gui_thread, threaded
from ..course.closing import close_tree
from ..course.exercises import Verdict, not_yet
from ..course.plotting import figure_image
from ..course.program import rebound, silent
from ..course.sites import COPIES, demo_pages, start_demo_sites

WAIT, QUICK = 30, 0.2  # seconds: the longest wait for a worker; the longest callback allowed

_shown: dict[str, object] = {}  # the app each class showed last: a rerun of its cell replaces it
_lock = threading.Lock()


def quiet_download_all_sites(sites, max_workers=5):
    """download_all_sites without J/R marks: a thread's print lands in the last cell run."""
    quiet = rebound(threaded.download_site, print=silent)
    return rebound(threaded.download_all_sites, download_site=quiet)(sites, max_workers)


def watched(app):
    """Record, from outside, the thread that sets each trait of each widget of `app`, and
    time each button's callback. Callbacks that arrive on another thread (a kernel subshell)
    are handed to the UI thread, so that every callback runs there."""
    app.calls, app.setters = [], []
    app.ui_thread = threading.get_ident()  # the app is made on the thread that runs its loop
    for name, widget in list(vars(app).items()):
        if not isinstance(widget, widgets.DOMWidget):
            continue

        def record(change, name=name):
            if not change["name"].startswith("_") and change["name"] != "comm":
                app.setters.append((f"{name}.{change['name']}", threading.current_thread().name))

        widget.observe(record)
    for button, callback in [
        (app.download_button, app.download),
        (app.stop_button, app.stop),
        (app.count_button, app.add_click),
    ]:
        button.on_click(callback, remove=True)

        def stamped(clicked, callback=callback, name=button.description):
            if threading.get_ident() != app.ui_thread:
                app.ui_loop.call_soon_threadsafe(stamped, clicked)
                return
            start = time.perf_counter()
            try:
                callback(clicked)
            finally:  # (button, thread, seconds)
                seconds = time.perf_counter() - start
                app.calls.append((name, threading.current_thread().name, seconds))

        button.on_click(stamped)
    return app


def close(app) -> None:
    app.stop()
    worker = getattr(app, "worker", None)
    if worker is not None:
        worker.join(WAIT)
    close_tree(app.widget)


def make_app(app_class, max_workers: int = 5, demo=None, copies: int = COPIES):
    """Your app class on the 160 demo pages, watched; replaces the one of that class shown
    before. Call it from a cell: the cell's thread is the app's UI thread."""
    sites = demo_pages(demo or start_demo_sites(), copies)
    app = watched(app_class(sites, max_workers, quiet_download_all_sites))
    kind = "worker" if hasattr(app, "work") else "blocking"
    app.widget.add_class(f"lessons-{kind}-app")  # what the browser suite finds it by
    with _lock:
        old, _shown[app_class.__name__] = _shown.get(app_class.__name__), app
    if old is not None:
        close(old)
    return app


async def settled(app, timeout: float = WAIT) -> bool:
    """Wait, without holding the UI thread, until the worker ended and its updates ran."""
    deadline = time.monotonic() + timeout
    worker = getattr(app, "worker", None)
    while worker is not None and worker.is_alive() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.05)  # the updates the worker queued last
    return worker is None or not worker.is_alive()


async def simulate(app, counts: int = 3) -> dict:
    """Press Download, then Count `counts` times, 0.3 s apart; print what each click saw."""
    total, name = len(app.sites), type(app).__name__
    app.clicks, app.count.value = 0, "0 clicks"
    app.calls.clear()
    app.setters.clear()
    started = time.perf_counter()
    bar = [(0.0, 0)]  # (seconds, pages) as the bar moved
    app.progress.observe(
        lambda change: bar.append((time.perf_counter() - started, change["new"])), names="value"
    )
    app.download_button.click()
    returned = time.perf_counter() - started
    seen = []
    for _ in range(counts):
        app.count_button.click()
        seen.append(app.progress.value)
        await asyncio.sleep(0.3)  # the UI thread is free: queued updates run now
    await settled(app)
    full = max((t for t, pages in bar if pages == total), default=float("nan"))
    print(f"{name}: the Download callback returned after {returned:.3f} s.")
    print(f"Count clicks while pages downloaded: {sum(v < total for v in seen)} of {counts}.")
    print(f"The bar read {', '.join(map(str, seen))} of {total} at those clicks.")
    print(f"Downloaded {total} in {full:.2f} seconds")
    return {"name": name, "returned": returned, "bar": bar, "pages": total}


def plot_bars(*runs: dict):
    """The pages on each app's bar, second by second after the Download click."""
    figure = Figure(figsize=(8, 2.6), dpi=90, layout="constrained")
    ax = figure.add_subplot()
    for run in runs:
        ax.step(*zip(*run["bar"], strict=True), where="post", label=run["name"])
    ax.set(xlabel="seconds after the Download click", ylabel="pages on the bar")
    ax.legend(loc="lower right")
    return figure_image(figure)


def who_set(app) -> None:
    if not app.setters:
        print("No widget was set yet: run the cell above first.")
        return
    found: dict[str, dict[str, int]] = {}
    for trait, thread in app.setters:
        found.setdefault(trait, {}).setdefault(thread, 0)
        found[trait][thread] += 1
    for trait, threads in found.items():
        by = ", ".join(f"{thread} {n} times" for thread, n in threads.items())
        print(f"{trait}: set by {by}")
    worker = getattr(app, "worker", None)
    if worker is not None:
        said = "set a widget" if any(t == worker.name for _, t in app.setters) else "set no widget"
        print(f"The worker thread, {worker.name}, {said}.")


def show_calls(app, last: int = 6) -> None:
    if not app.calls:
        print("No clicks yet: click the app's buttons, then run this cell again.")
    for button, thread, seconds in app.calls[-last:]:
        print(f"{button}: thread {thread}, {seconds:.3f} s")


# ---- the self-checks: your code on a UI thread of the check's own ----------------------------


class _UIThread:
    """An asyncio loop in a thread named "UI thread": the check's stand-in for the kernel's."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="UI thread", daemon=True)
        self.thread.start()

    def run(self, function, *args, timeout: float = WAIT):
        async def call():
            return function(*args)

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop), self.thread.join(5)


class _Downloads:
    """A download_all_sites that counts its calls and the most at once."""

    def __init__(self) -> None:
        self.lock, self.running, self.most, self.calls = threading.Lock(), 0, 0, 0

    def __call__(self, sites, max_workers=5):
        with self.lock:
            self.running, self.calls = self.running + 1, self.calls + 1
            self.most = max(self.most, self.running)
        try:
            return quiet_download_all_sites(sites, max_workers)
        finally:
            with self.lock:
                self.running -= 1


def _trial(members: dict, press: int, demo, copies: int) -> tuple[object, float, list, str]:
    """A WorkerApp with `members` replaced, clicked `press` times on the UI thread: the app,
    the first click's seconds, the threads left, and what went wrong."""
    ui, before = _UIThread(), set(threading.enumerate())
    your_app = type("YourApp", (gui_thread.WorkerApp,), members)
    downloads = _Downloads()
    app = ui.run(lambda: watched(your_app(demo_pages(demo, copies), 5, downloads)))
    app.downloads, app.errors, took, trouble = downloads, [], 0.0, ""
    try:
        for _ in range(press):
            started = time.perf_counter()
            ui.run(app.download_button.click)
            took = took or time.perf_counter() - started
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if not [t for t in threading.enumerate() if t not in before and t is not ui.thread]:
                break
            time.sleep(0.05)
        ui.run(lambda: None)  # the updates the workers queued run before this
    except Exception as error:
        trouble = f"it raised {error!r}"
    left = [t.name for t in threading.enumerate() if t not in before and t is not ui.thread]
    with contextlib.suppress(Exception):  # the widgets are gone with the check either way
        ui.run(lambda: close_tree(app.widget), timeout=5)
    ui.close()
    return app, took, left, trouble or (app.errors and f"the worker raised {app.errors[0]!r}")


def _verdict_common(app, left: list, trouble: str) -> Verdict | None:
    if trouble:
        return not_yet(trouble, "run the cell again after reading the error.")
    if left:
        return not_yet(f"threads still ran after {WAIT} s: {left}", "does a loop never end?")
    if off := next(((trait, t) for trait, t in app.setters if t != "UI thread"), None):
        trait, thread = off  # the first widget trait set by another thread
        return not_yet(
            f"the thread {thread!r} set {trait}, not the UI thread",
            "hand the update over: app.ui_loop.call_soon_threadsafe(function, value).",
        )
    total = len(app.sites)
    if app.progress.value != total:
        return not_yet(f"the bar reads {app.progress.value} of {total} at the end", "")
    return None


def check_download(my_download, demo=None, copies: int = 20) -> Verdict:
    """Exercise 1: the Download callback starts one worker running app.work, and returns."""
    if not isinstance(my_download, types.FunctionType):
        return not_yet("it is not a function yet", "run the cell that defines it.")
    # `stopping` is what work reads: your callback need not make one.
    members = {"download": lambda self, _b=None: my_download(self), "stopping": threading.Event()}
    app, took, left, trouble = _trial(members, 2, demo or start_demo_sites(), copies)
    if not trouble and took > QUICK:
        return not_yet(
            f"the callback held the UI thread for {took:.2f} s: every click waited that long",
            "start a thread that runs app.work, and return.",
        )
    if app.downloads.calls == 0 and not trouble:
        return not_yet("no page was downloaded", "the thread's target is app.work.")
    if app.downloads.most > 1:
        at_once = f"({app.downloads.most} at once)"
        hint = "keep the thread in app.worker, and return while it is alive."
        return not_yet(f"the second click started a second download {at_once}", hint)
    if verdict := _verdict_common(app, left, trouble):
        return verdict
    return Verdict(
        f"Correct: the callback returned after {took * 1000:.1f} ms, and the second click "
        f"started nothing. The bar reached {len(app.sites)}, set by the UI thread only."
    )


def check_work(my_work, demo=None, copies: int = 20) -> Verdict:
    """Exercise 2: the worker downloads, and hands the bar's value and style to the UI thread."""
    if not isinstance(my_work, types.FunctionType):
        return not_yet("it is not a function yet", "run the cell that defines it.")

    def work(self):
        try:
            my_work(self)
        except Exception as error:  # shown in the verdict, not as a thread's traceback
            self.errors.append(error)

    app, _, left, trouble = _trial({"work": work}, 1, demo or start_demo_sites(), copies)
    if verdict := _verdict_common(app, left, trouble):
        return verdict
    if app.downloads.calls == 0:
        return not_yet("no page was downloaded", "call app.download_all_sites.")
    if app.progress.bar_style != "success":
        return not_yet(
            f"the bar's style is {app.progress.bar_style!r} at the end, not 'success'",
            "hand that change to the UI thread too.",
        )
    steps = sum(trait == "progress.value" for trait, _ in app.setters)
    return Verdict(
        f"Correct: the bar reached {len(app.sites)} in {steps} steps and turned green. "
        "The UI thread set every widget; the worker set none."
    )
