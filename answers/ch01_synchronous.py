"""Chapter 01's exercise, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import statistics


def my_estimate(sync_run, copies: int = 20) -> float:
    """Predict the time: seconds the synchronous program takes for 20 J and 20 R pages.

    In the notebook: `my_estimate = ch01.my_estimate(sync_run)`, from the run of cell "Run it".
    """
    # The waiting report (lessons.waiting) prints the average time of a J page and of an R page.
    # One page after another, so the waits add up: 20 of each. About 2 s on the default sites.
    average = {
        letter: statistics.mean(d.end - d.start for d in sync_run.downloads if d.letter == letter)
        for letter in ("J", "R")
    }
    return copies * average["J"] + copies * average["R"]


KEY = {"check_sync_estimate": my_estimate}
