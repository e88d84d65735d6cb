"""Race conditions: threads that share a counter lose updates, and two ways not to."""

import concurrent.futures
import threading
import time

counter = 0  # shared by every thread that runs the functions below


def increment(times):
    """The bare `+=`: read the counter, add 1, write it back, all in one line."""
    global counter
    for _ in range(times):
        counter += 1


def increment_with_room(times, pause=time.sleep):
    """The same read-modify-write, with a call between the read and the write."""
    global counter
    for _ in range(times):
        value = counter
        pause(0)  # room for a switch: another thread may run here
        counter = value + 1


def keep_going(seconds):
    """On the standard build, a call that keeps the GIL: a switch here waits for the interval."""


counter_lock = threading.Lock()


def increment_locked(times):
    """The same, but only one thread at a time may be between the read and the write."""
    global counter
    for _ in range(times):
        with counter_lock:
            value = counter
            time.sleep(0)
            counter = value + 1


def increment_bare_locked(times):
    """The bare `+=` under the lock: what the lock itself costs, with no wait inside it."""
    global counter
    for _ in range(times):
        with counter_lock:
            counter += 1


thread_local = threading.local()


def increment_local(times):
    """Nothing shared: each thread counts in its own `thread_local.count`, and returns it."""
    thread_local.count = 0
    for _ in range(times):
        value = thread_local.count
        time.sleep(0)
        thread_local.count = value + 1
    return thread_local.count


def increment_bare_local(times):
    """The bare `+=` on each thread's own `thread_local.count`: nothing shared, nothing lost."""
    thread_local.count = 0
    for _ in range(times):
        thread_local.count += 1
    return thread_local.count


def count_with_threads(increment, threads=4, times=2_000):
    """Run `increment(times)` in `threads` threads at once; return the total counted."""
    global counter
    counter = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as executor:
        returned = list(executor.map(increment, [times] * threads))
    own_counts = [count for count in returned if count is not None]  # the thread_local counters
    return counter + sum(own_counts)
