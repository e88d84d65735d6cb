"""Race conditions: threads that share a counter lose updates, and two ways not to."""

import concurrent.futures
import threading
import time

counter = 0  # shared by every thread that runs the functions below


def increment(times):
    """Read the shared counter, let other threads run, write it back plus 1."""
    global counter
    for _ in range(times):
        value = counter
        time.sleep(0)  # a call: another thread may run here
        counter = value + 1


def count_with_threads(increment, threads=4, times=1_000):
    """Run increment(times) in `threads` threads at once; return the total counted."""
    global counter
    counter = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as executor:
        returned = list(executor.map(increment, [times] * threads))
    own_counts = [n for n in returned if n is not None]  # what each thread counted for itself
    return counter + sum(own_counts)


counter_lock = threading.Lock()


def increment_locked(times):
    """The same, but one thread at a time holds the lock from the read to the write."""
    global counter
    for _ in range(times):
        with counter_lock:
            value = counter
            time.sleep(0)
            counter = value + 1


thread_local = threading.local()


def increment_local(times):
    """Nothing shared: each thread counts in its own thread_local.count, and returns it."""
    thread_local.count = 0
    for _ in range(times):
        value = thread_local.count
        time.sleep(0)
        thread_local.count = value + 1
    return thread_local.count


def increment_bare(times):
    """The plain `counter += 1`: a read, an add and a write, in one line."""
    global counter
    for _ in range(times):
        counter += 1
