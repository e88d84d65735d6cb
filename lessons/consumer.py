"""The threaded program with a consumer: each page is used, in one thread, as soon as it arrives."""

import concurrent.futures

from lessons.threaded import TIMEOUT, get_session, site_letter  # lesson: from a cell above


def download_site(url):
    with get_session().get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()
        print(site_letter(url), end="", flush=True)
        return response.text  # the page itself, for the consumer


def count_words(page):
    return len(page.split())


def download_all_sites(sites, max_workers=5):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        futures = [executor.submit(download_site, url) for url in sites]
        words = []
        for future in concurrent.futures.as_completed(futures):
            words.append(count_words(future.result()))  # the consumer: this thread
        return words
