"""Chapter 11's exercises for tests/test_exercises.py: right answers written other ways than the
key, and wrong ones with the words their "Not yet" must say."""

from exercise_case import Case

EXERCISES = [
    ("check_polite_async", "download_all_politely"),
    ("check_within", "download_all_within"),
]
NAMES = ("download_all_sites", "download_site", "site_letter", "SERVES_AT_ONCE", "aiohttp")

RIGHT = [
    Case(
        "a-gather-for-each-site",  # each site's pages in a gather of their own, run at once
        "ch11",
        "check_polite_async",
        """
        SERVES_AT_ONCE = 4


        async def download_all_politely(sites):
            async def one_site(session, letter):
                gate = asyncio.Semaphore(SERVES_AT_ONCE)

                async def polite(url):
                    async with gate:
                        return await download_site(session, url)

                return await asyncio.gather(
                    *(polite(url) for url in sites if site_letter(url) == letter)
                )

            async with aiohttp.ClientSession() as session:
                letters = sorted({site_letter(url) for url in sites})
                parts = await asyncio.gather(*(one_site(session, l) for l in letters))
            return [size for part in parts for size in part]
        """,
    ),
    Case(
        "semaphores-made-as-needed",
        "ch11",
        "check_polite_async",
        """
        SERVES_AT_ONCE = 4


        async def download_all_politely(sites):
            gates = {}

            async def polite(session, url):
                gate = gates.setdefault(site_letter(url), asyncio.Semaphore(SERVES_AT_ONCE))
                await gate.acquire()
                try:
                    return await download_site(session, url)
                finally:
                    gate.release()

            async with aiohttp.ClientSession() as session:
                tasks = [asyncio.create_task(polite(session, url)) for url in sites]
                return [await task for task in tasks]
        """,
    ),
    Case(
        "as-completed-with-a-timeout",
        "ch11",
        "check_within",
        """
        def download_all_within(sites, seconds, max_workers=5):
            executor = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers)
            futures = {executor.submit(download_site, url): i for i, url in enumerate(sites)}
            sizes = [None] * len(sites)
            try:
                for future in concurrent.futures.as_completed(futures, timeout=seconds):
                    if future.exception() is None:
                        sizes[futures[future]] = future.result()
            except concurrent.futures.TimeoutError:
                pass
            executor.shutdown(wait=False, cancel_futures=True)
            return sizes
        """,
    ),
    Case(
        "a-deadline-for-each-result",
        "ch11",
        "check_within",
        """
        import time


        def download_all_within(sites, seconds, max_workers=5):
            deadline = time.monotonic() + seconds
            executor = concurrent.futures.ThreadPoolExecutor(max_workers)
            futures = [executor.submit(download_site, url) for url in sites]
            sizes = []
            for future in futures:
                try:
                    sizes.append(future.result(max(0, deadline - time.monotonic())))
                except Exception:
                    sizes.append(None)
            executor.shutdown(wait=False, cancel_futures=True)
            return sizes
        """,
    ),
]

WRONG = [
    Case(
        "one-semaphore-for-both-sites",
        "ch11",
        "check_polite_async",
        """
        SERVES_AT_ONCE = 4


        async def download_all_politely(sites):
            gate = asyncio.Semaphore(SERVES_AT_ONCE)

            async def polite(session, url):
                async with gate:
                    return await download_site(session, url)

            async with aiohttp.ClientSession() as session:
                return await asyncio.gather(*(polite(session, url) for url in sites))
        """,
        ("for both sites together", "limit each site"),
    ),
    Case(
        "a-semaphore-made-for-every-page",  # each page its own gate: nothing waits
        "ch11",
        "check_polite_async",
        """
        SERVES_AT_ONCE = 4


        async def download_all_politely(sites):
            async def polite(session, url):
                async with asyncio.Semaphore(SERVES_AT_ONCE):
                    return await download_site(session, url)

            async with aiohttp.ClientSession() as session:
                return await asyncio.gather(*(polite(session, url) for url in sites))
        """,
        ("requests under way at once, and it serves 4",),
    ),
    Case(
        "not-async",
        "ch11",
        "check_polite_async",
        """
        def download_all_politely(sites):
            return [len(url) for url in sites]
        """,
        ("is not an async def function",),
    ),
    Case(
        "forgets-to-await",
        "ch11",
        "check_polite_async",
        """
        SERVES_AT_ONCE = 4


        async def download_all_politely(sites):
            async with aiohttp.ClientSession() as session:
                return [download_site(session, url) for url in sites]
        """,
        ("0 of 24 pages arrived", "await it"),
    ),
    Case(
        "wait-inside-a-with-block",  # stops waiting, then the block waits for every page
        "ch11",
        "check_within",
        """
        def download_all_within(sites, seconds, max_workers=5):
            with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                futures = [executor.submit(download_site, url) for url in sites]
                concurrent.futures.wait(futures, timeout=seconds)
                return [f.result() if f.done() else None for f in futures]
        """,
        ("the limit was 0.5 s", "A `with` block still waits"),
    ),
    Case(
        "map-with-a-timeout-raises",
        "ch11",
        "check_within",
        """
        def download_all_within(sites, seconds, max_workers=5):
            executor = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers)
            try:
                return list(executor.map(download_site, sites, timeout=seconds))
            finally:
                executor.shutdown(wait=False, cancel_futures=True)
        """,
        ("it raised TimeoutError", "is None in the list"),
    ),
    Case(
        "gives-up-at-once",
        "ch11",
        "check_within",
        """
        def download_all_within(sites, seconds, max_workers=5):
            return [None] * len(sites)
        """,
        ("no page came back",),
    ),
    Case(
        "only-the-pages-done",  # a shorter list: which page is which is lost
        "ch11",
        "check_within",
        """
        def download_all_within(sites, seconds, max_workers=5):
            executor = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers)
            futures = [executor.submit(download_site, url) for url in sites]
            done, _ = concurrent.futures.wait(futures, timeout=seconds)
            executor.shutdown(wait=False, cancel_futures=True)
            return [f.result() for f in done]
        """,
        ("return one entry per page, 12",),
    ),
]

TEMPLATES = [
    Case("template", "ch11", "check_polite_async", "", ("requests under way at once",)),
    Case("template", "ch11", "check_within", "", ("the limit was 0.5 s",)),
]
