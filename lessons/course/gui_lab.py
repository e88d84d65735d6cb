"""Chapter 10's machinery: the two apps built quietly, their callbacks timed, and the self-checks.

What the kernel can measure honestly is when each callback starts and returns, and on which
thread: a click waits (at least) until the callback before it on the same thread has returned.
How long a real click waits in a browser is measured by the browser suite, from the page.
"""

from __future__ import annotations

import dataclasses
import threading
import time

from IPython.display import Image
from matplotlib.figure import Figure

from .. import threaded
from ..gui_thread import App, BlockingApp, WorkerApp
from .closing import close_tree
from .exercises import TOLERANCE, Verdict, _not_a_number
from .plotting import figure_image
from .program import rebound, silent
from .progress import progress
from .sites import COPIES, demo_latency, demo_pages, latency_floor, start_demo_sites

WAIT = 30  # seconds: the longest a worker is waited for (160 pages take about 2 s)

_shown: dict[str, App] = {}  # the app each kind showed last: a rerun of its cell replaces it
_lock = threading.Lock()


def quiet_download_all_sites(sites, max_workers=5):
    """The lesson's download_all_sites, its J/R marks not printed.

    A mark printed by a thread lands in whichever cell ran last (ipykernel 7): the apps show
    progress on the bar instead, so their downloads print nothing.
    """
    quiet = rebound(threaded.download_site, print=silent)
    program = rebound(threaded.download_all_sites, download_site=quiet)
    return program(sites, max_workers=max_workers)


@dataclasses.dataclass
class Call:
    """One callback: which button, on which thread (and kernel subshell), when, for how long."""

    button: str
    thread: str
    subshell: str | None
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def _subshell() -> str | None:
    """The kernel subshell of the message being handled, if any (None: the main shell)."""
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
        return kernel.get_parent().get("header", {}).get("subshell_id") if kernel else None
    except Exception:  # outside a kernel: no subshell to name
        return None


def timed(app: App) -> App:
    """Each button's callback wrapped so that `app.calls` keeps a Call per click."""
    app.calls = []
    for button, callback in [
        (app.download_button, app.download),
        (app.stop_button, app.stop),
        (app.count_button, app.add_click),
    ]:
        button.on_click(callback, remove=True)

        def stamped(clicked, callback=callback, name=button.description):
            start = time.perf_counter()
            try:
                callback(clicked)
            finally:
                thread, subshell = threading.current_thread().name, _subshell()
                app.calls.append(Call(name, thread, subshell, start, time.perf_counter()))

        button.on_click(stamped)
    return app


def close(app: App) -> None:
    """Stop the app's download, wait for its worker (bounded), and close its widgets."""
    app.stop()
    worker = getattr(app, "worker", None)
    if worker is not None:
        worker.join(WAIT)
    close_tree(app.widget)


def make_app(kind: str, max_workers: int = 5, demo=None, copies: int = COPIES) -> App:
    """A blocking or worker app on the demo pages, timed; replaces the one shown before."""
    classes = {"blocking": BlockingApp, "worker": WorkerApp}
    if kind not in classes:
        raise ValueError(f"kind must be one of {list(classes)}; got {kind!r}")
    demo = demo or start_demo_sites()
    sites = demo_pages(demo, copies)
    app = timed(classes[kind](sites, max_workers, quiet_download_all_sites))
    app.widget.add_class(f"lessons-{kind}-app")  # what the browser suite finds it by
    with _lock:
        old, _shown[kind] = _shown.get(kind), app
    if old is not None:
        close(old)
    return app


def wait_for(app: App, timeout: float = WAIT) -> bool:
    """Wait until the app's worker (if any) has ended; True if it did within `timeout`."""
    worker = getattr(app, "worker", None)
    if worker is None:
        return True
    worker.join(timeout)
    return not worker.is_alive()


def simulate(app: App, counts: int = 3) -> dict:
    """Press Download, then Count `counts` times, with button.click() from this cell.

    Prints how long the Download callback took to return, whether each Count ran while the
    pages were still downloading, and the lesson's closing line. Returns the times, for the plot.
    """
    total = len(app.sites)
    app.count.value, app.clicks, app.calls[:] = "0 clicks", 0, []
    started = time.perf_counter()
    bar_times = [(0.0, 0)]  # (seconds, pages) as the app's bar moved
    app.progress.observe(lambda c: bar_times.append((time.perf_counter() - started, c["new"])),
                         names="value")  # fmt: skip
    with progress(total, "pages") as bar:
        app.download_button.click()
        returned = time.perf_counter() - started
        seen = []
        for _ in range(counts):
            app.count_button.click()
            seen.append(app.progress.value)
            time.sleep(0.05)
        # The app's bar, followed by the cell's until the worker ends (bounded).
        deadline = time.monotonic() + WAIT
        while not (finished := wait_for(app, 0.1)) and time.monotonic() < deadline:
            while bar.done < app.progress.value:
                bar.step()
        while finished and bar.done < app.progress.value:
            bar.step()
    full = max((t for t, pages in bar_times if pages == total), default=float("nan"))
    during = sum(value < total for value in seen)
    print(f"{type(app).__name__}: the Download callback returned after {returned:.3f} s.")
    print(f"  {counts} clicks on Count: {during} ran while pages were still downloading "
          f"(the bar stood at {', '.join(map(str, seen))} of {total}); "
          f"the counter reads {app.count.value!r}.")  # fmt: skip
    print(f"Downloaded {app.progress.value} in {full:.2f} seconds")
    calls = [(c.button, c.start - started, c.end - started) for c in app.calls]
    return {"name": type(app).__name__, "returned": returned, "elapsed": full,
            "during": during, "calls": calls, "bar": bar_times, "pages": total}  # fmt: skip


def plot_clicks(*figures: dict) -> Image:
    """Per app: when each callback ran (a bar from start to return) and the pages on the bar."""
    figure = Figure(figsize=(9, 1.2 + 1.4 * len(figures)), dpi=90, layout="constrained")
    axes = figure.subplots(len(figures), 1, sharex=True, squeeze=False)[:, 0]
    for ax, run in zip(axes, figures, strict=True):
        lanes = {"Download": 1, "Count": 0}
        for button, start, end in run["calls"]:
            color = "#cc0000" if button == "Download" else "#3465a4"
            ax.barh(lanes.get(button, 0), max(end - start, 0.01), left=start, height=0.5,
                    color=color)  # fmt: skip
        ax.set_yticks(list(lanes.values()), [f"{name} callback" for name in lanes])
        pages = ax.twinx()
        times, values = zip(*run["bar"], strict=True)
        pages.step(times, values, where="post", color="#4e9a06", label="pages on the bar")
        pages.set_ylim(0, run["pages"] * 1.05)
        pages.set_ylabel("pages")
        pages.legend(loc="center right")
        ax.set_title(f"{run['name']}: Download returned after {run['returned']:.3f} s")
    axes[-1].set_xlabel("seconds after the Download click")
    return figure_image(figure)


def show_calls(app: App, last: int = 6) -> None:
    """The last callbacks of `app`: button, thread, kernel subshell, and how long each took."""
    if not app.calls:
        print("No clicks yet: click the app's buttons, then run this cell again.")
        return
    for call in app.calls[-last:]:
        where = f"subshell {call.subshell[:8]}..." if call.subshell else "the main shell"
        print(f"{call.button:>9}: thread {call.thread}, message from {where}, "
              f"returned after {call.seconds:.3f} s")  # fmt: skip


def check_wait(answer, max_workers: int = 5, demo=None) -> Verdict:
    """Exercise 1: how long, in seconds, does a Count click wait behind the blocking Download?"""
    message = _not_a_number(answer)
    if message is not None:
        return Verdict(message)
    demo = demo or start_demo_sites()
    app = BlockingApp(demo_pages(demo), max_workers, quiet_download_all_sites)
    with progress(1, "the blocking Download") as bar:
        started = time.perf_counter()
        app.download_button.click()
        right = time.perf_counter() - started
        bar.step()
    close(app)
    floor = latency_floor(len(app.sites), max_workers, demo_latency(demo))
    if abs(answer - right) <= TOLERANCE * right:
        return Verdict(f"Correct: you said {answer:.2f} s; the callback held the thread that "
                       f"handles clicks for {right:.2f} s (the floor: {floor:.2f} s).")  # fmt: skip
    direction = "more" if answer < right else "less"
    return Verdict(f"Not yet, because the Download callback took {right:.2f} s, {direction} than "
                   f"your {answer:.2f} s. Hint: the click waits for the whole download: "
                   f"{len(app.sites)} pages, {max_workers} at a time.")  # fmt: skip


class _Watched:
    """A download_all_sites that counts how many calls overlap: two runs at once show up."""

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


def check_callback(download, demo=None, copies: int = 20) -> Verdict:
    """Exercise 2: `download(app)`, a Download callback: returns at once, fills the bar, once."""
    demo = demo or start_demo_sites()
    watched = _Watched()
    yours = type("YourApp", (App,), {"download": lambda self, _button=None: download(self)})
    app = yours(demo_pages(demo, copies), 5, watched)
    before = set(threading.enumerate())
    try:
        started = time.perf_counter()
        download(app)
        returned = time.perf_counter() - started
        download(app)  # a second click while the first download runs
    except Exception as error:
        return Verdict(f"Not yet, because it raised {error!r}.")
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and [t for t in threading.enumerate() if t not in before]:
        time.sleep(0.05)
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    total = len(app.sites)
    if returned > 0.1:
        return Verdict(f"Not yet, because the callback took {returned:.2f} s to return: every "
                       "click meanwhile waited that long. Start a thread and return.")  # fmt: skip
    if left:
        return Verdict(f"Not yet, because threads were still running after {WAIT} s: {left}.")
    if app.progress.value != total:
        return Verdict(f"Not yet, because the bar reads {app.progress.value} of {total}: let the "
                       "worker set app.progress.value as pages arrive.")  # fmt: skip
    if watched.most > 1:
        return Verdict(f"Not yet, because the second click started a second download beside the "
                       f"first ({watched.most} at once). Hint: remember the worker, and do "
                       "nothing while it is alive.")  # fmt: skip
    return Verdict(f"Correct: the callback returned in {returned * 1000:.1f} ms, the bar reached "
                   f"{total}, and the second click started nothing "
                   f"({watched.calls} calls of download_all_sites, never 2 at once).")  # fmt: skip
