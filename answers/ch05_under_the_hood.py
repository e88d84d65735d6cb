"""Chapter 05's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import threading
import time

counter = 0
SWITCH_INTERVAL = 0.00001  # seconds: 10 µs, 500 times as often as the default


def next_number(value):
    return value + 1


def increment_with_call(times):
    """Exercise 1: the read, a call (a switch point), then the write."""
    global counter
    for _ in range(times):
        counter = next_number(counter)


cache = {}
cache_lock = threading.Lock()


def make_report(key):
    time.sleep(0.05)  # slow: stands in for a download
    return {"key": key}


def get_report(key):
    """Exercise 2: one lock from the check to the store, so each report is made once."""
    with cache_lock:
        if key not in cache:
            cache[key] = make_report(key)
        return cache[key]


KEY = {"check_switch_point": increment_with_call, "check_made_once": get_report}
