"""The lesson's program with interpreters (Python 3.14 and newer): a pool of isolated
interpreters in this one process, each with its own GIL, its own modules and its own Session."""

import concurrent.futures

import requests

TIMEOUT = (3, 2)  # seconds to connect, then to wait for each part of the answer
session = None  # one per interpreter: each has its own copy of this module


def set_global_session():
    global session
    session = requests.Session()


def download_site(url):
    # No J or R here: an interpreter's print goes to the process's output, not to a cell.
    with session.get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()
        return len(response.content)


def download_all_sites(sites, max_workers=5):
    with concurrent.futures.InterpreterPoolExecutor(
        max_workers=max_workers, initializer=set_global_session
    ) as executor:
        return list(executor.map(download_site, sites))
