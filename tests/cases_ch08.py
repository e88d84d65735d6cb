"""Chapter 08's exercises for tests/test_exercises.py: right answers written other ways than the
key (answers/ch08_primitives.py), and wrong ones with the words their "Not yet" must say."""

from exercise_case import Case

EXERCISES = [("check_in_order", "download_in_order"), ("check_raises", "download_or_raise")]
NAMES = (
    "queue",
    "threading",
    "STOP",
    "TIMEOUT",
    "download_site",
    "download_all_sites",
    "with_executor",
    "download_with_shutdown",
)

# The lines every version shares: the markers, and the threads started, then joined.
WORKERS = """
    for _ in range(max_workers):
        work.put(STOP)
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max_workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
"""


def program(head: str, tail: str) -> str:
    """A learner's cell: `head` up to the producer, the shared lines, then `tail`."""
    return head + WORKERS + tail


RIGHT = [
    Case(
        "a-dict-by-index",
        "ch08",
        "check_in_order",
        program(
            """
def download_in_order(sites, max_workers=5):
    work, found = queue.Queue(), {}

    def worker():
        while (item := work.get()) is not STOP:
            found[item[0]] = download_site(item[1])

    for pair in enumerate(sites):
        work.put(pair)""",
            """
    return [found[index] for index in range(len(sites))]
""",
        ),
    ),
    Case(
        "pairs-sorted-after-join",
        "ch08",
        "check_in_order",
        program(
            """
def download_in_order(sites, max_workers=5):
    work, results = queue.Queue(), []

    def worker():
        while (item := work.get()) is not STOP:
            index, url = item
            results.append((index, download_site(url)))

    for index, url in enumerate(sites):
        work.put((index, url))""",
            """
    return [size for _, size in sorted(results)]
""",
        ),
    ),
    Case(
        "an-exception-group",
        "ch08",
        "check_raises",
        program(
            """
def download_or_raise(sites, max_workers=5):
    work, results, errors = queue.Queue(), [], []

    def worker():
        while (url := work.get()) is not STOP:
            try:
                size = download_site(url)
            except Exception as error:
                errors.append(error)
                continue
            results.append(size)

    for url in sites:
        work.put(url)""",
            """
    if errors:
        raise ExceptionGroup(f"{len(errors)} pages failed", errors)
    return results
""",
        ),
    ),
    Case(
        "a-new-error-from-the-first",
        "ch08",
        "check_raises",
        program(
            """
def download_or_raise(sites, max_workers=5):
    work, results, errors = queue.Queue(), [], queue.Queue()

    def worker():
        while (url := work.get()) is not STOP:
            try:
                results.append(download_site(url))
            except Exception as error:
                errors.put(error)

    for url in sites:
        work.put(url)""",
            """
    if not errors.empty():
        raise RuntimeError(f"{errors.qsize()} pages failed") from errors.get()
    return results
""",
        ),
    ),
]

WRONG = [
    Case(
        "pairs-put-but-appended",
        "ch08",
        "check_in_order",
        program(
            """
def download_in_order(sites, max_workers=5):
    work, results = queue.Queue(), []

    def worker():
        while (item := work.get()) is not STOP:
            index, url = item
            results.append(download_site(url))

    for index, url in enumerate(sites):
        work.put((index, url))""",
            """
    return results
""",
        ),
        ("not in the order of sites", "results[index]"),
    ),
    Case(
        "sorted-sizes",
        "ch08",
        "check_in_order",
        program(
            """
def download_in_order(sites, max_workers=5):
    work, results = queue.Queue(), []

    def worker():
        while (url := work.get()) is not STOP:
            results.append(download_site(url))

    for url in sites:
        work.put(url)""",
            """
    return sorted(results)
""",
        ),
        ("not in the order of sites",),
    ),
    Case(
        "places-made-but-never-written",
        "ch08",
        "check_in_order",
        program(
            """
def download_in_order(sites, max_workers=5):
    work, results = queue.Queue(), [None] * len(sites)

    def worker():
        while (item := work.get()) is not STOP:
            index, url = item
            download_site(url)

    for index, url in enumerate(sites):
        work.put((index, url))""",
            """
    return results
""",
        ),
        ("20 of the 20 results are still None",),
    ),
    Case(
        "each-thread-joined-at-once",
        "ch08",
        "check_in_order",
        """
def download_in_order(sites, max_workers=5):
    work, results = queue.Queue(), [None] * len(sites)

    def worker():
        while (item := work.get()) is not STOP:
            index, url = item
            results[index] = download_site(url)

    for index, url in enumerate(sites):
        work.put((index, url))
    for _ in range(max_workers):
        work.put(STOP)
    for _ in range(max_workers):
        thread = threading.Thread(target=worker, daemon=True)
        thread.start()
        thread.join()
    return results
""",
        ("one thread fetched every page",),
    ),
    Case(
        "caught-and-never-raised",
        "ch08",
        "check_raises",
        program(
            """
def download_or_raise(sites, max_workers=5):
    work, results, errors = queue.Queue(), [], []

    def worker():
        while (url := work.get()) is not STOP:
            try:
                results.append(download_site(url))
            except Exception as error:
                errors.append(error)

    for url in sites:
        work.put(url)""",
            """
    return results
""",
        ),
        ("without an error", "raise the first exception"),
    ),
    Case(
        "the-worker-stops-at-its-error",
        "ch08",
        "check_raises",
        program(
            """
def download_or_raise(sites, max_workers=5):
    work, results, errors = queue.Queue(), [], []

    def worker():
        while (url := work.get()) is not STOP:
            try:
                results.append(download_site(url))
            except Exception as error:
                errors.append(error)
                return

    for url in sites:
        work.put(url)""",
            """
    if errors:
        raise errors[0]
    return results
""",
        ),
        ("pages were never tried", "the next page"),
    ),
    Case(
        "a-new-error-that-drops-the-first",
        "ch08",
        "check_raises",
        program(
            """
def download_or_raise(sites, max_workers=5):
    work, results, errors = queue.Queue(), [], []

    def worker():
        while (url := work.get()) is not STOP:
            try:
                results.append(download_site(url))
            except Exception as error:
                errors.append(error)

    for url in sites:
        work.put(url)""",
            """
    if errors:
        raise RuntimeError("some pages failed")
    return results
""",
        ),
        ("raised RuntimeError", "not the HTTPError"),
    ),
]

TEMPLATES = [
    Case("template", "ch08", "check_in_order", "", ("not in the order of sites",)),
    Case("template", "ch08", "check_raises", "", ("ended worker threads", "try/except")),
]
