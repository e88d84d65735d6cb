"""Chapter 06's exercises as a learner may answer them, for tests/test_exercises.py: right answers
written otherwise than the key (answers/ch06_one_session_per_thread.py), wrong ones with the
words their "Not yet" must say, and the templates with theirs."""

from exercise_case import Case

EXERCISES = [("check_get_session", "get_thread_session"), ("check_closed", "download_all_sites")]
NAMES = (
    "requests",
    "threading",
    "concurrent",
    "thread_local",
    "get_session",
    "download_site",
    "download_all_sites",
    "TIMEOUT",
)

RIGHT = [
    Case(
        "getattr-and-its-own-local",
        "ch06",
        "check_get_session",
        """
        mine = threading.local()


        def get_thread_session():
            session = getattr(mine, "session", None)
            if session is None:
                session = mine.session = requests.Session()
            return session
        """,
    ),
    Case(
        "try-except-attribute-error",
        "ch06",
        "check_get_session",
        """
        def get_thread_session():
            try:
                return thread_local.session
            except AttributeError:
                thread_local.session = requests.Session()
                return thread_local.session
        """,
    ),
    Case(
        "a-set-closed-in-finally",
        "ch06",
        "check_closed",
        """
        made = set()
        made_lock = threading.Lock()


        def get_session():
            if not hasattr(thread_local, "session"):
                session = requests.Session()
                with made_lock:
                    made.add(session)
                thread_local.session = session
            return thread_local.session


        def download_all_sites(sites, max_workers=5):
            try:
                with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                    return list(executor.map(download_site, sites))
            finally:
                with made_lock:
                    while made:
                        made.pop().close()
        """,
    ),
]

WRONG = [
    Case(
        "one-shared-session",
        "ch06",
        "check_get_session",
        """
        one_for_all = requests.Session()


        def get_thread_session():
            return one_for_all
        """,
        said=("one Session served", "threads", "thread_local"),
    ),
    Case(
        "a-new-session-at-every-call",
        "ch06",
        "check_get_session",
        """
        def get_thread_session():
            thread_local.session = requests.Session()
            return thread_local.session
        """,
        said=("20 pages opened 20 connections", "a page", "one Session"),
    ),
    Case(
        "closes-only-the-main-threads-session",
        "ch06",
        "check_closed",
        """
        made = []
        made_lock = threading.Lock()


        def get_session():
            if not hasattr(thread_local, "session"):
                thread_local.session = requests.Session()
            return thread_local.session


        def download_all_sites(sites, max_workers=5):
            with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                results = list(executor.map(download_site, sites))
            get_session().close()
            return results
        """,
        said=("Sessions were still open", "made"),
    ),
    Case(
        "closes-each-session-after-its-page",
        "ch06",
        "check_closed",
        """
        def get_session():
            if not hasattr(thread_local, "session"):
                thread_local.session = requests.Session()
            return thread_local.session


        def download_all_sites(sites, max_workers=5):
            def download_and_close(url):
                try:
                    return download_site(url)
                finally:
                    get_session().close()

            with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                return list(executor.map(download_and_close, sites))
        """,
        said=("connections", "a page", "after the with block"),
    ),
    Case(
        "forgets-to-return",
        "ch06",
        "check_closed",
        """
        made = []
        made_lock = threading.Lock()


        def get_session():
            if not hasattr(thread_local, "session"):
                thread_local.session = requests.Session()
                with made_lock:
                    made.append(thread_local.session)
            return thread_local.session


        def download_all_sites(sites, max_workers=5):
            with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                results = list(executor.map(download_site, sites))
            for session in made:
                session.close()
        """,
        said=("returned None", "return the results"),
    ),
]

TEMPLATES = [
    Case("template", "ch06", "check_get_session", "", ("20 connections", "a page", "first page")),
    Case("template", "ch06", "check_closed", "", ("Sessions were still open", "made_lock")),
]
