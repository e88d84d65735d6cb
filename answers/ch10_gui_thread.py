"""Chapter 10's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import threading


def my_wait(blocked: dict) -> float:
    """Exercise 1: seconds a Count click waits behind the blocking Download.

    `blocked` is what `gui_lab.simulate(blocking)` returned in the notebook.
    """
    # One thread handles the clicks, and Download holds it until every page is in: Count waits
    # as long as the Download callback took, which simulate printed ("returned after ... s").
    # The floor says about as much: ceil(160 / 5) x 50 ms = 1.6 s on the default sites.
    return blocked["returned"]


def my_download(app):
    """Exercise 2: the Download callback that starts a worker thread and returns at once."""
    worker = getattr(app, "worker", None)
    if worker is not None and worker.is_alive():
        return  # a click while the pages download starts nothing: one download at a time

    def work():  # the worker thread: while it runs, the only one that sets the bar
        app.download_all_sites(app.sites, app.max_workers)
        app.progress.value = len(app.sites)

    # daemon: a download still running never keeps Python from exiting
    app.worker = threading.Thread(target=work, daemon=True)
    app.worker.start()  # and the callback returns at once: the next click is handled now


KEY = {"check_wait": my_wait, "check_callback": my_download}
