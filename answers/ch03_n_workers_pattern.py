"""Chapter 03's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import concurrent.futures

from lessons.consumer import download_site  # the notebook's last download_site: the page itself

LIMIT = 1.0  # seconds, as the notebook's cell sets it


def download_in_order(sites, max_workers=5):
    """Exercise 1: every page submitted first, then each result read in the order submitted."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        futures = [executor.submit(download_site, url) for url in sites]
        return [future.result() for future in futures]


def download_within(sites, max_workers=5):
    """Exercise 2: what arrived within LIMIT seconds; the pool dropped without waiting."""
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers)
    futures = [executor.submit(download_site, url) for url in sites]
    done, _ = concurrent.futures.wait(futures, timeout=LIMIT)
    executor.shutdown(wait=False, cancel_futures=True)
    return [future.result() for future in done if future.exception() is None]


KEY = {"check_input_order": download_in_order, "check_within": download_within}
