"""How long each app's Download callback holds the thread that handles clicks (chapter 10).

A click waits, at least, until the callback before it on the same thread has returned: this is
that wait, measured in-process with button.click() over the demo sites. The wait of a real click
in JupyterLab is measured by the browser suite: `pytest -s tests/browser/test_gui_thread.py`.
Prints figures; asserts nothing.

    python benchmarks/click_latency.py [--runs 5] [--workers 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics

from lessons.course import gui_lab
from lessons.course.sites import stop_demo_sites


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=5)
    options = parser.parse_args()
    try:
        for kind in ("blocking", "worker"):
            app = gui_lab.make_app(kind, max_workers=options.workers)
            returned, elapsed = [], []
            for _ in range(options.runs):
                with contextlib.redirect_stdout(io.StringIO()):  # simulate's own lines
                    figures = gui_lab.simulate(app)
                returned.append(figures["returned"] * 1000)
                elapsed.append(figures["elapsed"])
            gui_lab.close(app)
            print(f"{kind:>8} app, {options.runs} runs of {len(app.sites)} pages: the Download "
                  f"callback returned after median {statistics.median(returned):.1f} ms "
                  f"(min {min(returned):.1f}, max {max(returned):.1f}); the pages took median "
                  f"{statistics.median(elapsed):.2f} s")  # fmt: skip
    finally:
        stop_demo_sites()


if __name__ == "__main__":
    main()
