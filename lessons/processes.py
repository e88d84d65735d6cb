"""The lesson's program with processes: a pool of worker processes, each with its own Session."""

import concurrent.futures
import multiprocessing
import signal

import requests

TIMEOUT = (3, 2)  # seconds to connect, seconds to wait for the answer
session = None  # one per worker process, made by its initializer


def set_global_session():
    global session
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    session = requests.Session()


def download_site(url):
    # No J or R here: the parent marks each page as its result comes back.
    with session.get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()
        return len(response.content)


def download_all_sites(sites, max_workers=5):
    # Never fork from a kernel: it has threads, which a forked child inherits half-way.
    # forkserver starts each worker from a clean process.
    context = multiprocessing.get_context("forkserver")
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=max_workers, mp_context=context, initializer=set_global_session
    ) as executor:
        return list(executor.map(download_site, sites))
