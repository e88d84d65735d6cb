"""Chapter 08's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import queue
import threading

from lessons.primitives import STOP
from lessons.threaded import download_site  # the notebook's download_site, chapter 2's


def download_in_order(sites, max_workers=5):
    """Exercise 1: each page travels with its index; its size is written at that index."""
    work, results = queue.Queue(), [None] * len(sites)

    def worker():
        while (item := work.get()) is not STOP:
            index, url = item
            results[index] = download_site(url)

    for index, url in enumerate(sites):
        work.put((index, url))
    for _ in range(max_workers):
        work.put(STOP)
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max_workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def download_or_raise(sites, max_workers=5):
    """Exercise 2: a worker keeps the exception and goes on; the caller raises it after join."""
    work, results, errors = queue.Queue(), [], []

    def worker():
        while (url := work.get()) is not STOP:
            try:
                results.append(download_site(url))
            except Exception as error:  # kept for the caller; the worker takes the next page
                errors.append(error)

    for url in sites:
        work.put(url)
    for _ in range(max_workers):
        work.put(STOP)
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max_workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


KEY = {"check_in_order": download_in_order, "check_raises": download_or_raise}
