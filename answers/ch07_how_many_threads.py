"""Chapter 07's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import math

from lessons.course.sites import demo_latency


def my_workers(result) -> int:
    """Exercise 1: from how many workers on the latency floor falls below the CPU bound."""
    # ceil(160 / N) * latency = 160 * CPU per page / CPUs gives N = latency * CPUs / CPU per
    # page: the mean latency of the setup cell, and the sweep report's CPU per page and CPUs (1,
    # or more when its runs kept more than one CPU busy, as without a GIL they can). All are
    # printed and depend on the machine and the build. The check accepts 1.5x either way.
    return max(1, round(result.latency * result.cpus / result.cpu_per_page))


def my_floor(max_workers: int = 20, max_concurrent: int = 3, pages: int = 40, demo=None) -> float:
    """Exercise 2: the least time of 40 pages with 20 workers, each site serving 3 at a time."""
    # Two sites of 3 at a time serve 6 pages at once, whatever the 20 workers ask: ceil(40 / 6)
    # = 7 rounds of one latency each (the mean the setup cell printed): 7 x 0.05 = 0.35 s.
    served_at_once = min(max_workers, max_concurrent * 2)
    return math.ceil(pages / served_at_once) * demo_latency(demo)


# Exercise 3: ThreadPoolExecutor() chooses min(32, os.cpu_count() + 4); with 64 CPUs, 32.
my_default = min(32, 64 + 4)

KEY = {
    "check_crossing": my_workers,
    "check_throttled_floor": my_floor,
    "check_default_workers": my_default,
}
