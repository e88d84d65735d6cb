"""Chapter 02's exercise, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import math

from lessons.course.sites import demo_latency


def my_floor(max_workers: int = 8, pages: int = 160, demo=None) -> float:
    """The floor: the least time 160 pages can take with 8 workers, in seconds."""
    # Each worker waits for its pages one after another: ceil(160 / 8) = 20 pages, each the mean
    # of the two latencies the setup cell printed (50 ms by default): 20 x 0.05 = 1.0 s.
    return math.ceil(pages / max_workers) * demo_latency(demo)


KEY = {"check_floor": my_floor}
