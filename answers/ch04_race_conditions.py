"""Chapter 04's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import threading
import time

pages_done = 0
pages_lock = threading.Lock()


def fetch_pages(pages):
    """Exercise 1: the lock around the update only; the slow work stays outside it."""
    global pages_done
    for _ in range(pages):
        time.sleep(0.01)  # slow work: stands in for a download
        # Held from the read to the write, and only there: the threads still sleep at once.
        with pages_lock:
            done = pages_done
            time.sleep(0)
            pages_done = done + 1


pages_per_site = {}
sites_lock = threading.Lock()


def count_sites(sites):
    """Exercise 2: one lock, shared by every thread, from the read of a count to its write."""
    for site in sites:
        with sites_lock:
            pages_per_site[site] = pages_per_site.get(site, 0) + 1


KEY = {"check_least_locking": fetch_pages, "check_pages_per_site": count_sites}
