"""What a thread costs: start n threads that wait, then let them go and join them all."""

import threading
import time


def start_and_join(n, while_parked=lambda: None):
    release = threading.Event()
    threads = [threading.Thread(target=release.wait) for _ in range(n)]
    began = time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        started = time.perf_counter()
        measured = while_parked()  # all n threads exist now, each waiting
    finally:
        release.set()  # even after an error: no thread is left waiting
        joining = time.perf_counter()
        for thread in threads:
            if thread.ident is not None:  # started (an error may stop the loop early)
                thread.join()
    return started - began, time.perf_counter() - joining, measured
