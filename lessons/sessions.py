"""Three ways to give worker threads a requests.Session: one each, one shared, one per page."""

import concurrent.futures

import requests

from .course.sites import TIMEOUT
from .threaded import get_session  # the lesson's: a Session per thread, in thread_local


def download_site(url):
    """One Session per thread: the lesson's way."""
    with get_session().get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()
        return len(response.content)


shared_session = requests.Session()


def download_site_shared(url):
    """One Session shared by every thread."""
    with shared_session.get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()
        return len(response.content)


def download_site_new_session(url):
    """A new Session for every page."""
    with requests.Session() as session, session.get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()
        return len(response.content)


def download_all_sites(sites, download_site=download_site, max_workers=5):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(download_site, sites))
