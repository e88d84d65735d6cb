"""Chapter 04's exercises written as a learner may write them, for tests/test_exercises.py."""

from exercise_case import Case

EXERCISES = [("check_least_locking", "fetch_pages"), ("check_pages_per_site", "count_sites")]
NAMES = ("threading", "time", "counter", "count_with_threads", "counter_lock", "thread_local")
LEAST, SITES = "check_least_locking", "check_pages_per_site"

RIGHT = [
    Case(
        "acquire-release",
        "ch04",
        LEAST,
        """
        pages_done = 0
        pages_lock = threading.Lock()


        def fetch_pages(pages):
            global pages_done
            for _ in range(pages):
                time.sleep(0.01)
                pages_lock.acquire()
                try:
                    pages_done += 1
                finally:
                    pages_lock.release()
        """,
    ),
    Case(
        "each-thread-returns-its-count",
        "ch04",
        LEAST,
        """
        pages_done = 0


        def fetch_pages(pages):
            mine = 0
            for _ in range(pages):
                time.sleep(0.01)
                mine += 1
            return mine
        """,
    ),
    Case(
        "counter-returned",
        "ch04",
        SITES,
        """
        import collections

        pages_per_site = {}


        def count_sites(sites):
            return collections.Counter(sites)
        """,
    ),
    Case(
        "thread-local-dict",
        "ch04",
        SITES,
        """
        pages_per_site = {}
        mine = threading.local()


        def count_sites(sites):
            mine.counts = {}
            for site in sites:
                mine.counts[site] = mine.counts.get(site, 0) + 1
            return mine.counts
        """,
    ),
]

WRONG = [
    Case(
        "lock-around-the-slow-work",
        "ch04",
        LEAST,
        """
        pages_done = 0
        pages_lock = threading.Lock()


        def fetch_pages(pages):
            global pages_done
            for _ in range(pages):
                with pages_lock:
                    time.sleep(0.01)
                    done = pages_done
                    time.sleep(0)
                    pages_done = done + 1
        """,
        ("the lock is held across the slow work, so the threads took turns", "only around"),
    ),
    Case(
        "lock-around-the-read-only",
        "ch04",
        LEAST,
        """
        pages_done = 0
        pages_lock = threading.Lock()


        def fetch_pages(pages):
            global pages_done
            for _ in range(pages):
                time.sleep(0.01)
                with pages_lock:
                    done = pages_done
                time.sleep(0)
                pages_done = done + 1
        """,
        ("pages were not counted", "from the read of pages_done to its write"),
    ),
    Case(
        "lock-taken-twice",
        "ch04",
        LEAST,
        """
        pages_done = 0
        pages_lock = threading.Lock()


        def fetch_pages(pages):
            global pages_done
            for _ in range(pages):
                time.sleep(0.01)
                with pages_lock:
                    with pages_lock:
                        pages_done += 1
        """,
        ("did not finish within 10 s", "taken twice"),
    ),
    Case(
        "a-new-lock-each-time",
        "ch04",
        SITES,
        """
        pages_per_site = {}


        def count_sites(sites):
            for site in sites:
                with threading.Lock():
                    pages_per_site[site] = pages_per_site.get(site, 0) + 1
        """,
        ("updates were lost", "one lock"),
    ),
    Case(
        "a-misspelt-dict",
        "ch04",
        SITES,
        """
        pages_per_site = {}
        sites_lock = threading.Lock()


        def count_sites(sites):
            for site in sites:
                with sites_lock:
                    pages_per_sites[site] = pages_per_site.get(site, 0) + 1
        """,
        ("count_sites raised NameError",),
    ),
]

TEMPLATES = [
    Case("template", "ch04", LEAST, "", ("pages were not counted", "pages_lock")),
    Case("template", "ch04", SITES, "", ("updates were lost",)),
]
