"""The worker explorer: slide max_workers, press Run, and watch the threads on one redrawn figure.

The downloads run in a background thread, so the notebook stays responsive; worker threads only
append what they did to a list; and one thread, the explorer's own, turns that list into widget
state (progress, marks, figure) ten times a second. Unlike chapter 10's WorkerApp, that thread is
not the kernel's: the explorer must show a run while a cell holds the kernel's thread (a cell
that waits for it, or the in-process tests, which have no kernel loop). ipywidgets accepts that;
in Tk or Qt it would hand each update to the UI thread. Nothing is printed from a thread, so
nothing lands in whatever cell runs at the time.

The "sites" choice gives the demo sites the "internet" profile set for one run (answers that vary,
now and then a very slow one, a site that throttles); after the run they are as they were.
"""

from __future__ import annotations

import contextlib
import html
import os
import threading

import ipywidgets as widgets

from .closing import close_tree
from .plotting import explorer_png
from .program import GRACE, as_program, current
from .record import Download, Recorder, Run
from .runs import check_max_workers
from .runs import run as run_program
from .sites import sites_changed, start_demo_sites

REFRESH = 0.1  # seconds between two updates of the widgets while a run goes on
MAX_SLIDER = 64
PARTS = [
    "workers", "mode", "profile", "run", "stop", "clear", "progress", "status", "marks", "figure",
]  # fmt: skip
PROFILES = [("steady", "steady"), ("internet", "internet")]

_current: Explorer | None = None  # the explorer shown last; a new one replaces it
_current_lock = threading.Lock()


class Explorer:
    """The widgets, the history of runs, and the one run that may go on at a time."""

    def __init__(
        self, program=None, runs: list[Run] = (), max_workers: int = 5, sites=None,
        profile: str = "steady", demo=None,
    ) -> None:  # fmt: skip
        check_max_workers(max_workers)
        if program is not None:
            as_program(program)  # a clear error now, not at the first press of Run
        self.program = program  # the learner's download_all_sites, or None: the lesson's
        if max_workers > MAX_SLIDER:
            raise ValueError(
                f"the explorer's slider goes from 1 to {MAX_SLIDER}; "
                f"got max_workers={max_workers}. For more, call lessons.run_threads() in a cell."
            )
        if profile not in dict(PROFILES):
            raise ValueError(f"profile must be one of {list(dict(PROFILES))}; got {profile!r}")
        self.sites = sites
        self.demo = demo  # the demo sites the "internet" profile changes (default: this kernel's)
        self.history: list[Run] = [run for run in runs if run is not None]
        self.last: Run | None = self.history[-1] if self.history else None
        self._lock = threading.Lock()  # guards history, last and the running run
        self._recorder: Recorder | None = None
        self._closed = False
        self.finished = threading.Event()
        self.finished.set()

        full = widgets.Layout(width="auto")
        self.workers = widgets.IntSlider(
            value=max_workers, min=1, max=MAX_SLIDER, description="max_workers",
            continuous_update=False, style={"description_width": "initial"},
            layout=widgets.Layout(width="420px"),
        )  # fmt: skip
        self.mode = widgets.ToggleButtons(
            options=[("synchronous", "sync"), ("threaded", "threads")], value="threads"
        )
        self.profile = widgets.Dropdown(
            options=PROFILES, value=profile, description="sites",
            style={"description_width": "initial"}, layout=widgets.Layout(width="160px"),
        )  # fmt: skip
        self.run_button = widgets.Button(description="Run", button_style="success", icon="play")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)
        self.clear_button = widgets.Button(description="Clear", icon="trash")
        self.progress = widgets.IntProgress(value=0, min=0, max=160, description="pages")
        self.status = widgets.Label("Choose max_workers and press Run.")
        self.marks = widgets.HTML(layout=full)
        self.figure = widgets.Image(format="png", layout=widgets.Layout(width="100%"))
        for widget, name in zip(self._parts(), PARTS, strict=True):
            widget.add_class(f"lessons-{name}")  # names the browser tests find them by
        self.run_button.on_click(self.run)
        self.stop_button.on_click(self.stop)
        self.clear_button.on_click(self.clear)
        self.mode.observe(self._mode_changed, names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.mode, self.profile, self.workers]),
                widgets.HBox([self.run_button, self.stop_button, self.clear_button]),
                widgets.HBox([self.progress, self.status]),
                self.marks,
                self.figure,
            ]
        )
        self.widget.add_class("lessons-explorer")
        self._draw()

    # ---- what the buttons do -----------------------------------------------------------------

    @property
    def running(self) -> bool:
        return not self.finished.is_set()

    def run(self, _button=None) -> bool:
        """Start a run in the background with the chosen settings; False if one is going on."""
        with self._lock:
            if self.running or self._closed:
                return False
            self.finished.clear()
            self._recorder = Recorder()  # workers append to its list; the explorer reads it
        mode, workers, profile = self.mode.value, self.workers.value, self.profile.value
        self.run_button.disabled, self.stop_button.disabled = True, False
        self.progress.value, self.progress.bar_style = 0, ""
        self.marks.value = ""
        self.status.value = f"Running {describe(mode, workers, profile)}..."
        threading.Thread(
            target=self._run,
            args=(mode, workers, profile, self._recorder),
            name="explorer",
            daemon=True,
        ).start()
        return True

    def stop(self, _button=None) -> None:
        """End the run: the pages in flight finish, the others are skipped."""
        with self._lock:
            if self._recorder is not None:
                self._recorder.stop()

    def clear(self, _button=None) -> None:
        """Forget every run (not while one goes on) and redraw the empty figure."""
        with self._lock:
            if self.running:
                return
            self.history, self.last = [], None
        self.progress.value, self.marks.value = 0, ""
        self.status.value = "Cleared. Choose max_workers and press Run."
        self._draw()

    def wait(self, timeout: float = 60) -> bool:
        """Wait until the run ends; True if it did within `timeout` seconds."""
        return self.finished.wait(timeout)

    def close(self) -> None:
        """Stop any run and close the widgets (when the explorer's cell is run again)."""
        self._closed = True
        self.stop()
        self.wait(3)
        close_tree(self.widget)

    # ---- the background run, and the one thread that updates the widgets ---------------------

    def _run(self, mode: str, workers: int, profile: str, recorder: Recorder) -> None:
        outcome: dict[str, object] = {}

        # The download_all_sites the kernel holds now: an edited cell reaches this explorer.
        chosen = current(self.program) if mode == "threads" and self.program else mode
        stall = as_program(chosen).page_seconds + GRACE if self.program else None

        def program() -> None:
            try:
                with self._profile(profile):
                    outcome["run"] = run_program(
                        chosen, workers, sites=self.sites, show=False, quiet=True,
                        recorder=recorder,
                    )  # fmt: skip
            except Exception as error:  # shown in the status line, never as a traceback
                outcome["error"] = error

        worker = threading.Thread(target=program, name="explorer-run", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(REFRESH)
                if not self._closed:
                    self._show(recorder.downloads[:])  # a copy: workers keep appending
                if stall and recorder.stalled(stall):  # a hung program: left to itself
                    recorder.close()
                    outcome["error"] = f"no page began or ended for {stall:.0f} s: abandoned"
                    break
            self._finish(outcome.get("run"), outcome.get("error"), profile)
        finally:
            with self._lock:
                self._recorder = None
            self.finished.set()

    def _profile(self, profile: str):
        """The demo sites with the chosen profile set for one run; unchanged for "steady"."""
        if profile == "steady":
            return contextlib.nullcontext()
        demo = self.demo
        if demo is None:
            which = self.sites or os.environ.get("LESSONS_SITES") or "demo"
            if not (isinstance(which, str) and which.strip().lower() == "demo"):
                raise ValueError(
                    f"the {profile!r} sites change the demo sites, and this explorer "
                    "downloads from other sites: choose sites 'steady'"
                )
            demo = start_demo_sites()
        return sites_changed(demo, use=profile)

    def _finish(self, result: Run | None, error: BaseException | None, profile: str) -> None:
        if self._closed:
            return
        if result is not None:
            with self._lock:
                if not (result.stopped or result.interrupted):  # a partial run's time misleads
                    self.history.append(result)
                self.last = result
            self.progress.max = max(result.pages, 1)
            self._show(result.downloads)
            *before, last = result.summary()
            self.status.value = " ".join(
                [f"{last} ({describe(result.mode, result.max_workers, profile)}).", *before]
            )
            self.progress.bar_style = "danger" if result.failed else "success"
            self._draw()
        elif isinstance(error, str):
            self.status.value = f"The run ended: {error}."
        else:
            self.status.value = f"The run did not start: {error}"
            self.progress.bar_style = "danger"
        self.run_button.disabled, self.stop_button.disabled = False, True

    def _show(self, downloads: list[Download]) -> None:
        """The progress bar and the marks, for the pages downloaded so far."""
        self.progress.value = len(downloads)
        self.marks.value = marks_html(downloads)

    def _draw(self) -> None:
        with self._lock:
            runs, last = list(self.history), self.last
        self.figure.value = explorer_png(runs, last)

    def _parts(self) -> list[widgets.Widget]:
        return [
            self.workers, self.mode, self.profile, self.run_button, self.stop_button,
            self.clear_button, self.progress, self.status, self.marks, self.figure,
        ]  # fmt: skip

    def _mode_changed(self, change) -> None:
        self.workers.disabled = change["new"] == "sync"

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def describe(mode: str, workers: int | None, profile: str = "steady") -> str:
    what = "synchronous" if mode == "sync" else f"threads, max_workers={workers}"
    return what if profile == "steady" else f"{what}, {profile} sites"


def marks_html(downloads: list[Download]) -> str:
    """The J/R marks in order of arrival; failed pages as a red x."""
    text = "".join(
        html.escape(d.printed or d.letter) if d.ok else "<b style='color:#c00'>x</b>"
        for d in downloads
    )
    return f"<div style='font-family:monospace;word-break:break-all;line-height:1.2'>{text}</div>"


def explorer(
    program=None,
    runs: list[Run] = (),
    max_workers: int = 5,
    sites=None,
    profile: str = "steady",
    demo=None,
) -> Explorer:
    """Show the worker explorer; `runs` from earlier cells start its history.

    `program` is your download_all_sites: each press of Run runs the one your cell defines at
    that moment. Without it, the explorer runs the lesson's threaded program.

    `profile="internet"` starts it with the demo sites' "internet" profile chosen (for each run
    only); `demo` names the demo sites it changes (by default this kernel's).

    Running the cell again replaces the explorer: the old one stops its run and closes.
    """
    global _current
    with _current_lock:
        if _current is not None:
            _current.close()
        _current = Explorer(program, runs, max_workers, sites, profile, demo)
        return _current
