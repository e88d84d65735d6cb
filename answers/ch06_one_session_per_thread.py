"""Chapter 06's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import concurrent.futures
import threading

import requests

from lessons.threaded import download_site  # the notebook's: it calls get_session()

thread_local = threading.local()  # made once, outside get_session: one object for all threads


def get_thread_session():
    """Exercise 1: the threading.local() made once, outside, so
    each thread finds its Session again at its next page."""
    if not hasattr(thread_local, "session"):
        thread_local.session = requests.Session()
    return thread_local.session


made = []  # every Session that the threads made
made_lock = threading.Lock()


def get_session():
    """Exercise 2: a Session per thread, each new one also kept in `made`, under the lock."""
    if not hasattr(thread_local, "session"):
        thread_local.session = requests.Session()
        with made_lock:
            made.append(thread_local.session)
    return thread_local.session


def download_all_sites(sites, max_workers=5):
    """Exercise 2: once every page has arrived, close every Session the threads made."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        results = list(executor.map(download_site, sites))
    with made_lock:
        for session in made:
            session.close()
        made.clear()
    return results


KEY = {"check_get_session": get_thread_session, "check_closed": download_all_sites}
