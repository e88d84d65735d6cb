"""Chapter 02's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import concurrent.futures

import requests

from lessons.threaded import TIMEOUT, get_session, site_letter  # the notebook's cells


def download_page_alone(url):
    """Exercise 1: a new Session for this page only, closed when the page has arrived."""
    with requests.Session() as session, session.get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()
        print(site_letter(url), end="", flush=True)
        return len(response.content)


def download_all_alone(sites, max_workers=5):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(download_page_alone, sites))


def download_site_sync(url, session):
    """Exercise 2's download_site_sync, as the cell gives it (unchanged)."""
    with session.get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()
        print(site_letter(url), end="", flush=True)
        return len(response.content)


def download_all_sync(sites):
    """Exercise 2: five threads, each bringing its own Session from get_session()."""

    def download_site(url):
        return download_site_sync(url, get_session())

    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as executor:
        return list(executor.map(download_site, sites))


KEY = {
    "check_session_per_page": download_all_alone,
    "check_threaded_from_sync": download_all_sync,
}
