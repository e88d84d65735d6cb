"""The lesson's threaded program: a pool of workers, each with a Session of its own."""

import concurrent.futures
import threading

import requests

from lessons import site_letter  # "J" for a Jython page, "R" for a Real Python page

TIMEOUT = (3, 2)  # seconds to connect, seconds to wait for the answer
thread_local = threading.local()


def get_session():
    if not hasattr(thread_local, "session"):
        thread_local.session = requests.Session()
    return thread_local.session


def download_site(url):
    with get_session().get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()  # an error page (500, 404) raises instead
        print(site_letter(url), end="", flush=True)
        return len(response.content)


def download_all_sites(sites, max_workers=5):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(download_site, sites))
