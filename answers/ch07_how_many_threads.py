"""Chapter 07's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import concurrent.futures
import threading
import time

from lessons import site_letter
from lessons.threaded import download_site  # the cells' download_site (and download_all_sites)

SERVES_AT_ONCE = 4  # requests each demo site serves at a time, as the notebook's cell sets it


def time_it(download_all_sites, sites, workers):
    started = time.perf_counter()
    download_all_sites(sites, max_workers=workers)
    return time.perf_counter() - started


def choose_workers(download_all_sites, sites):
    """Exercise 1: time each count (the quicker of two runs), then the smallest count within
    25% of the fastest."""
    counts = [1, 2, 4, 8, 16, 32]
    seconds = {}
    for workers in counts:
        seconds[workers] = min(time_it(download_all_sites, sites, workers) for _ in range(2))
    fastest = min(seconds.values())
    return min(n for n in counts if seconds[n] <= 1.25 * fastest)


def download_all_politely(sites, max_workers=20):
    """Exercise 2: a Semaphore for each site, taken around each download: at most
    SERVES_AT_ONCE requests to one site at a time, and both sites served at once."""
    limits = {}
    for url in sites:
        limits.setdefault(site_letter(url), threading.Semaphore(SERVES_AT_ONCE))

    def download_politely(url):
        with limits[site_letter(url)]:
            return download_site(url)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(download_politely, sites))


KEY = {"check_choose_workers": choose_workers, "check_polite": download_all_politely}
