"""The lesson's threaded program: a pool of workers, each with a Session of its own."""

import concurrent.futures
import threading

import requests

from .course.record import mark
from .course.sites import TIMEOUT

thread_local = threading.local()


def get_session():
    if not hasattr(thread_local, "session"):
        thread_local.session = requests.Session()
    return thread_local.session


def download_site(url):
    with get_session().get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()
        mark(response)  # J or R, as each page arrives
        return len(response.content)


def download_all_sites(sites, max_workers=5):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(download_site, sites))
