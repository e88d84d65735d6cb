"""Chapter 09's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import concurrent.futures
import threading
import time

from lessons import site_letter
from lessons.threaded import download_site  # the cells' download_site


def download_all_bounded(sites, limits, max_workers=10):
    """Exercise 1: one Semaphore per site, made from `limits` inside the function, held around
    each download: at most limits[letter] requests to that site at once."""
    semaphores = {letter: threading.Semaphore(n) for letter, n in limits.items()}

    def bounded(url):
        with semaphores[site_letter(url)]:
            return download_site(url)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(bounded, sites))


# Exercise 2's lesson cell: what the check finds beside write_report.
counts = {"J": 0, "R": 0}  # pages per site
log = []  # what happened, in order
counts_lock = threading.Lock()
log_lock = threading.Lock()


def record_page(letter):  # takes counts_lock, then log_lock
    with counts_lock:
        counts[letter] += 1
        time.sleep(0.001)  # some work
        with log_lock:
            log.append(f"page {letter}")


def write_report():
    """Exercise 2: the locks in record_page's order, counts_lock then log_lock."""
    with counts_lock:
        with log_lock:
            log.append(f"report: {counts['J'] + counts['R']} pages")


def download_until_error(sites, max_workers=5):
    """Exercise 3: wait for the first exception, cancel the futures not done, and return the
    URL of the page that failed (None when every page arrived)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        futures = {executor.submit(download_site, url): url for url in sites}
        done, not_done = concurrent.futures.wait(
            futures, return_when=concurrent.futures.FIRST_EXCEPTION
        )
        for future in not_done:
            future.cancel()
    for future in done:
        if future.exception() is not None:
            return futures[future]
    return None


KEY = {
    "check_bounded": download_all_bounded,
    "check_no_deadlock": write_report,
    "check_first_error": download_until_error,
}
