"""Chapter 10's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import threading

from lessons.gui_thread import BATCH


def my_download(app):
    """Exercise 1: start one worker running app.work, and return at once."""
    # No lock: every callback runs on the UI thread, one at a time, so no other click can run
    # between the check and the start.
    if app.worker is not None and app.worker.is_alive():
        return  # a click while the pages download starts nothing
    app.worker = threading.Thread(target=app.work, daemon=True)
    app.worker.start()


def my_work(app):
    """Exercise 2: the worker downloads; the UI thread sets the bar and its style."""
    for start in range(0, len(app.sites), BATCH):
        app.download_all_sites(app.sites[start : start + BATCH], app.max_workers)
        app.ui_loop.call_soon_threadsafe(app.show_progress, min(start + BATCH, len(app.sites)))

    def finished():  # runs on the UI thread
        app.progress.bar_style = "success"

    app.ui_loop.call_soon_threadsafe(finished)


KEY = {"check_download": my_download, "check_work": my_work}
