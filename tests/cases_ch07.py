"""Chapter 07's exercises for tests/test_exercises.py: right answers written other ways than the
key, and wrong ones with the words their "Not yet" must say."""

from exercise_case import Case

EXERCISES = [
    ("check_choose_workers", "choose_workers"),
    ("check_polite", "download_all_politely"),
]
NAMES = ("download_all_sites", "download_site", "site_letter", "time_it", "SERVES_AT_ONCE")

RIGHT = [
    Case(
        "doubling-until-no-gain",  # stops measuring once doubling gains less than 25%
        "ch07",
        "check_choose_workers",
        """
        def choose_workers(download_all_sites, sites):
            workers = 1
            before = time_it(download_all_sites, sites, workers)
            while workers < 64:
                after = time_it(download_all_sites, sites, workers * 2)
                if after > 0.75 * before:
                    return workers
                workers, before = workers * 2, after
            return workers
        """,
    ),
    Case(
        "sorted-times-one-run-each",
        "ch07",
        "check_choose_workers",
        """
        def choose_workers(download_all_sites, sites):
            seconds = {n: time_it(download_all_sites, sites, n) for n in (1, 2, 3, 4, 6, 8, 12)}
            best = min(seconds.values())
            good = [n for n, s in sorted(seconds.items()) if s <= best * 1.25]
            return good[0]
        """,
    ),
    Case(
        "a-pool-for-each-site",
        "ch07",
        "check_polite",
        """
        SERVES_AT_ONCE = 4


        def download_all_politely(sites, max_workers=20):
            pools = {}
            try:
                futures = []
                for url in sites:
                    letter = site_letter(url)
                    if letter not in pools:
                        pools[letter] = concurrent.futures.ThreadPoolExecutor(SERVES_AT_ONCE)
                    futures.append(pools[letter].submit(download_site, url))
                return [future.result() for future in futures]
            finally:
                for pool in pools.values():
                    pool.shutdown()
        """,
    ),
    Case(
        "bounded-semaphores-made-up-front",
        "ch07",
        "check_polite",
        """
        SERVES_AT_ONCE = 4
        gates = {"J": threading.BoundedSemaphore(SERVES_AT_ONCE),
                 "R": threading.BoundedSemaphore(SERVES_AT_ONCE)}


        def download_all_politely(sites, max_workers=20):
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
]

WRONG = [
    Case(
        "always-160",
        "ch07",
        "check_choose_workers",
        """
        def choose_workers(download_all_sites, sites):
            return 160
        """,
        ("without running download_all_sites once", "a guess is not a measurement"),
    ),
    Case(
        "arithmetic-only",
        "ch07",
        "check_choose_workers",
        """
        import os


        def choose_workers(download_all_sites, sites):
            return min(32, os.cpu_count() + 4)
        """,
        ("without running download_all_sites once",),
    ),
    Case(
        "the-largest-it-timed",  # measures, then ignores what it measured
        "ch07",
        "check_choose_workers",
        """
        def choose_workers(download_all_sites, sites):
            seconds = {n: time_it(download_all_sites, sites, n) for n in (1, 4, 16, 64)}
            return max(seconds)
        """,
        ("threads mostly wait", "not the largest"),
    ),
    Case(
        "the-slowest",
        "ch07",
        "check_choose_workers",
        """
        def choose_workers(download_all_sites, sites):
            seconds = {n: time_it(download_all_sites, sites, n) for n in (1, 2, 4, 8)}
            return max(seconds, key=seconds.get)
        """,
        ("1 worker left the sites idle",),
    ),
    Case(
        "one-count-only",
        "ch07",
        "check_choose_workers",
        """
        def choose_workers(download_all_sites, sites):
            time_it(download_all_sites, sites, 5)
            return 5
        """,
        ("timed only 1 worker count",),
    ),
    Case(
        "every-count-to-160",
        "ch07",
        "check_choose_workers",
        """
        def choose_workers(download_all_sites, sites):
            seconds = {n: time_it(download_all_sites, sites, n) for n in range(1, 161)}
            return min(seconds, key=seconds.get)
        """,
        ("raised RuntimeError", "the check allows 12 runs"),
    ),
    Case(
        "one-small-pool",  # polite, but both sites together get only 4
        "ch07",
        "check_polite",
        """
        SERVES_AT_ONCE = 4


        def download_all_politely(sites, max_workers=20):
            with concurrent.futures.ThreadPoolExecutor(max_workers=SERVES_AT_ONCE) as executor:
                return list(executor.map(download_site, sites))
        """,
        ("for both sites together", "limit each site"),
    ),
    Case(
        "one-semaphore-for-both-sites",
        "ch07",
        "check_polite",
        """
        SERVES_AT_ONCE = 4
        gate = threading.Semaphore(SERVES_AT_ONCE)


        def download_all_politely(sites, max_workers=20):
            def fetch(url):
                with gate:
                    return download_site(url)

            with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                return list(executor.map(fetch, sites))
        """,
        ("for both sites together",),
    ),
    Case(
        "helper-outside",  # the helper's download_site is not the one the check records
        "ch07",
        "check_polite",
        """
        SERVES_AT_ONCE = 4
        gates = {"J": threading.Semaphore(4), "R": threading.Semaphore(4)}


        def fetch_politely(url):
            with gates[site_letter(url)]:
                return download_site(url)


        def download_all_politely(sites, max_workers=20):
            with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                return list(executor.map(fetch_politely, sites))
        """,
        ("none through download_site",),
    ),
]

TEMPLATES = [
    Case("template", "ch07", "check_choose_workers", "", ("without running",)),
    Case("template", "ch07", "check_polite", "", ("requests under way at once, and it serves 4",)),
]
