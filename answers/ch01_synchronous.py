"""Chapter 01's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import threading

import requests

from lessons.synchronous import download_site  # the notebook's cell, as the package holds it


def download_in_threads(sites):
    """Exercise 1: a thread for every page, started, kept, and joined."""

    def fetch(url):
        with requests.Session() as session:
            download_site(url, session)

    threads = []
    for url in sites:
        thread = threading.Thread(target=fetch, args=(url,))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()


def download_sizes(sites):
    """Exercise 2: each thread writes its page's size into its own place of the list."""
    sizes = [None] * len(sites)

    def fetch(index, url):
        with requests.Session() as session:
            sizes[index] = download_site(url, session)

    threads = [threading.Thread(target=fetch, args=(i, url)) for i, url in enumerate(sites)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sizes


KEY = {"check_one_thread_per_page": download_in_threads, "check_sizes_in_order": download_sizes}
