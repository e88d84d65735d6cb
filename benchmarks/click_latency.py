"""How long each app's Download callback holds the thread that handles clicks (chapter 10).

A click waits, at least, until the callback before it on the same thread has returned: this is
that wait, measured in-process with button.click() over the demo sites, on an asyncio loop
that stands in for the kernel's (the worker hands its progress to it). The wait of a real click
in JupyterLab is measured by the browser suite: `pytest -s tests/browser/test_gui_thread.py`.
Prints figures; asserts nothing.

    python benchmarks/click_latency.py [--runs 5] [--workers 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import statistics

from lessons.chapters import ch10
from lessons.course.sites import stop_demo_sites
from lessons.gui_thread import BlockingApp, WorkerApp


async def runs(app_class, options) -> tuple[list[float], list[float], int]:
    """The app made and clicked on this thread's loop, as in a cell that awaits."""
    app = ch10.make_app(app_class, max_workers=options.workers)
    returned, elapsed = [], []
    for _ in range(options.runs):
        with contextlib.redirect_stdout(io.StringIO()):  # simulate's own lines
            figures = await ch10.simulate(app)
        returned.append(figures["returned"] * 1000)
        elapsed.append(max(t for t, pages in figures["bar"] if pages == figures["pages"]))
    ch10.close(app)
    return returned, elapsed, len(app.sites)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=5)
    options = parser.parse_args()
    try:
        for kind, app_class in (("blocking", BlockingApp), ("worker", WorkerApp)):
            returned, elapsed, pages = asyncio.run(runs(app_class, options))
            print(f"{kind:>8} app, {options.runs} runs of {pages} pages: the Download "
                  f"callback returned after median {statistics.median(returned):.1f} ms "
                  f"(min {min(returned):.1f}, max {max(returned):.1f}); the pages took median "
                  f"{statistics.median(elapsed):.2f} s")  # fmt: skip
    finally:
        stop_demo_sites()


if __name__ == "__main__":
    main()
