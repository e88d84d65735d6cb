"""The threaded program by hand: Thread, start, join and a Queue, without the executor."""

import queue
import threading

from .threaded import download_site  # the lesson's, with a Session per thread

STOP = object()  # the stop marker: a worker that takes it ends


def download_all_sites(sites, max_workers=5):
    work, results = queue.Queue(), []

    def worker():
        while (url := work.get()) is not STOP:
            results.append(download_site(url))  # list.append is safe from threads

    for url in sites:  # the producer: every page, then one stop marker per worker
        work.put(url)
    for _ in range(max_workers):
        work.put(STOP)
    # daemon: a thread still busy after an interrupt never keeps Python from exiting
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max_workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()  # the collection point
    return results


def download_all_sites_sliced(sites, max_workers=5):
    results = []

    def worker(my_sites):
        for url in my_sites:
            results.append(download_site(url))

    threads = [
        threading.Thread(target=worker, args=(sites[i::max_workers],), daemon=True)
        for i in range(max_workers)  # thread i gets every max_workers-th page from page i
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
