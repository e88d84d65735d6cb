"""The threaded program with a consumer: each page is used, in one thread, as soon as it arrives."""

import concurrent.futures

from .course.record import mark
from .course.sites import TIMEOUT
from .threaded import get_session  # the lesson's: a Session per thread, in thread_local


def download_site(url):
    with get_session().get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()
        mark(response)  # J or R, as each page arrives
        return response.text  # the page itself, for the consumer


def count_words(page):
    return len(page.split())


def download_all_sites(sites, max_workers=5):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        try:
            futures = [executor.submit(download_site, url) for url in sites]
            words = []
            for future in concurrent.futures.as_completed(futures):
                words.append(count_words(future.result()))  # the consumer: this thread
            return words
        except BaseException:  # an interrupt: drop the queue instead of waiting for it
            executor.shutdown(wait=False, cancel_futures=True)
            raise
