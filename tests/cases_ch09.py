"""Chapter 09's exercises for tests/test_exercises.py: right answers written other ways than the
key (answers/ch09_coordination.py), and wrong ones with the words their "Not yet" must say."""

from exercise_case import Case

EXERCISES = [
    ("check_bounded", "download_all_bounded"),
    ("check_no_deadlock", "write_report"),
    ("check_first_error", "download_until_error"),
]
NAMES = (
    "concurrent",
    "threading",
    "requests",
    "site_letter",
    "TIMEOUT",
    "download_site",
    "download_all_sites",
    "time",
    "counts",
    "log",
    "counts_lock",
    "log_lock",
    "record_page",
    "write_report",
)
DEADLOCK = "check_no_deadlock"
FIRST = "check_first_error"
# Exercise 3's key, to write wrong answers as small changes of it.
KEY_SOURCE = """
def download_until_error(sites, max_workers=5):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        futures = {executor.submit(download_site, url): url for url in sites}
        done, not_done = concurrent.futures.wait(
            futures, return_when=concurrent.futures.FIRST_EXCEPTION
        )
        for future in not_done:
            future.cancel()
    for future in done:
        if future.exception() is not None:
            return futures[future]
    return None
"""

RIGHT = [
    Case(
        "bounded-semaphores-acquire-release",
        "ch09",
        "check_bounded",
        """
def download_all_bounded(sites, limits, max_workers=10):
    gates = {}
    for url in sites:
        letter = site_letter(url)
        gates.setdefault(letter, threading.BoundedSemaphore(limits[letter]))

    def fetch(url):
        gate = gates[site_letter(url)]
        gate.acquire()
        try:
            return download_site(url)
        finally:
            gate.release()

    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(fetch, sites))
""",
    ),
    Case(
        "bounded-one-pool-per-site",
        "ch09",
        "check_bounded",
        """
def download_all_bounded(sites, limits, max_workers=10):
    pools = {
        letter: concurrent.futures.ThreadPoolExecutor(max_workers=n)
        for letter, n in limits.items()
    }
    futures = [pools[site_letter(url)].submit(download_site, url) for url in sites]
    try:
        return [future.result() for future in futures]
    finally:
        for pool in pools.values():
            pool.shutdown()
""",
    ),
    Case(
        "log-lock-first-in-both",
        "ch09",
        DEADLOCK,
        """
def record_page(letter):
    with log_lock:
        with counts_lock:
            counts[letter] += 1
            time.sleep(0.001)
            log.append(f"page {letter}")


def write_report():
    with log_lock:
        with counts_lock:
            log.append(f"report: {counts['J'] + counts['R']} pages")
""",
    ),
    Case(
        "one-lock-for-both",
        "ch09",
        DEADLOCK,
        """
log_lock = counts_lock


def record_page(letter):
    with counts_lock:
        counts[letter] += 1
        time.sleep(0.001)
        log.append(f"page {letter}")


def write_report():
    with log_lock:
        log.append(f"report: {counts['J'] + counts['R']} pages")
""",
    ),
    Case(
        "acquire-release-in-try-finally",
        "ch09",
        DEADLOCK,
        """
def write_report():
    counts_lock.acquire()
    try:
        log_lock.acquire()
        try:
            total = sum(counts.values())
            log.append(f"report: {total} pages")
        finally:
            log_lock.release()
    finally:
        counts_lock.release()
""",
    ),
    Case(
        "one-rlock-under-two-names",
        "ch09",
        DEADLOCK,
        """
counts_lock = log_lock = threading.RLock()


def write_report():
    with log_lock:
        with counts_lock:
            log.append(f"report: {counts['J'] + counts['R']} pages")
""",
    ),
    Case(
        "as-completed-and-shutdown",
        "ch09",
        FIRST,
        """
def download_until_error(sites, max_workers=5):
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers)
    pages = {executor.submit(download_site, url): url for url in sites}
    for future in concurrent.futures.as_completed(pages):
        if future.exception() is not None:
            executor.shutdown(wait=False, cancel_futures=True)
            return pages[future]
    executor.shutdown()
    return None
""",
    ),
    Case(
        "map-and-its-index",
        "ch09",
        FIRST,
        """
def download_until_error(sites, max_workers=5):
    arrived = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        try:
            for _ in executor.map(download_site, sites):
                arrived += 1
        except requests.RequestException:
            return sites[arrived]
    return None
""",
    ),
]

WRONG = [
    Case(
        "bounded-one-semaphore-for-both",
        "ch09",
        "check_bounded",
        """
def download_all_bounded(sites, limits, max_workers=10):
    gate = threading.Semaphore(min(limits.values()))

    def fetch(url):
        with gate:
            return download_site(url)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(fetch, sites))
""",
        said=("Real Python takes 4 at once, and got at most", "not one for both"),
    ),
    Case(
        "bounded-a-new-semaphore-each-page",
        "ch09",
        "check_bounded",
        """
def download_all_bounded(sites, limits, max_workers=10):
    def fetch(url):
        with threading.Semaphore(limits[site_letter(url)]):
            return download_site(url)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(fetch, sites))
""",
        said=("Jython takes 2 at once", "refused"),
    ),
    Case(
        "bounded-limits-written-in",
        "ch09",
        "check_bounded",
        """
gates = {"J": threading.Semaphore(2), "R": threading.Semaphore(4)}


def download_all_bounded(sites, limits, max_workers=10):
    def fetch(url):
        with gates[site_letter(url)]:
            return download_site(url)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(fetch, sites))
""",
        said=("Real Python takes 1 at once", "'R': 1"),
    ),
    Case(
        "bounded-acquire-never-released",
        "ch09",
        "check_bounded",
        """
def download_all_bounded(sites, limits, max_workers=10):
    gates = {letter: threading.Semaphore(n) for letter, n in limits.items()}

    def fetch(url):
        gates[site_letter(url)].acquire()
        return download_site(url)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(fetch, sites))
""",
        said=("did not return within",),
    ),
    Case(
        "counts-read-under-log-lock-only",
        "ch09",
        DEADLOCK,
        """
def write_report():
    with log_lock:
        log.append(f"report: {counts['J'] + counts['R']} pages")
""",
        said=("write_report read counts without holding counts_lock",),
    ),
    Case(
        "lets-go-between-read-and-write",
        "ch09",
        DEADLOCK,
        """
def write_report():
    with counts_lock:
        total = counts["J"] + counts["R"]
    with log_lock:
        log.append(f"report: {total} pages")
""",
        said=("a report said", "pages were logged before it"),
    ),
    Case(
        "one-plain-lock-taken-twice",
        "ch09",
        DEADLOCK,
        """
log_lock = counts_lock


def write_report():
    with log_lock:
        with counts_lock:
            log.append(f"report: {counts['J'] + counts['R']} pages")
""",
        said=("waited for counts_lock (also log_lock)", "its own thread held"),
    ),
    Case(
        "first-error-no-cancel",
        "ch09",
        FIRST,
        """
def download_until_error(sites, max_workers=5):
    first = None
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        pages = {executor.submit(download_site, url): url for url in sites}
        for future in concurrent.futures.as_completed(pages):
            if future.exception() is not None and first is None:
                first = pages[future]
    return first
""",
        said=("the run went on after the error at page 31", "FIRST_EXCEPTION"),
    ),
    Case(
        "first-error-returns-the-exception",
        "ch09",
        FIRST,
        KEY_SOURCE.replace("return futures[future]", "return future.exception()"),
        said=("returned the ConnectionError itself",),
    ),
    Case(
        "first-error-raises",
        "ch09",
        FIRST,
        """
def download_until_error(sites, max_workers=5):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        list(executor.map(download_site, sites))
""",
        said=("raised ConnectionError", "instead of returning the URL of page 31"),
    ),
    Case(
        "first-error-another-page",
        "ch09",
        FIRST,
        KEY_SOURCE.replace("return futures[future]", "return sites[0]"),
        said=("but the page that failed was",),
    ),
    Case(
        "first-error-a-url-with-no-error",
        "ch09",
        FIRST,
        KEY_SOURCE.replace("    return None\n", "    return sites[0]\n"),
        said=("with every page arriving, it returned a str",),
    ),
]
