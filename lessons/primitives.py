"""The threaded program by hand: Thread, start, join and a Queue, without the executor."""

import queue
import threading

from .threaded import download_site  # lesson: from a cell above

STOP = object()  # the stop marker: a worker that takes it ends


def download_all_sites(sites, max_workers=5):
    work, results = queue.Queue(), []

    def worker():
        while (url := work.get()) is not STOP:
            results.append(download_site(url))

    for url in sites:  # the producer: every page, then one stop marker per worker
        work.put(url)
    for _ in range(max_workers):
        work.put(STOP)
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max_workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()  # the collection point: every worker has ended
    return results
