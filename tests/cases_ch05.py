"""Chapter 05's exercises written as a learner may write them, for tests/test_exercises.py."""

from exercise_case import Case

EXERCISES = [("check_switch_point", "increment_with_call"), ("check_made_once", "get_report")]
NAMES = ("dis", "counter", "increment_bare", "Count", "increment_count", "sys")
SWITCH, ONCE = "check_switch_point", "check_made_once"

RIGHT = [
    Case(
        "read-call-write-in-three-lines",
        "ch05",
        SWITCH,
        """
        SWITCH_INTERVAL = 1e-6


        def next_number(value):
            return value + 1


        def increment_with_call(times):
            global counter
            for _ in range(times):
                value = counter
                value = next_number(value)
                counter = value
        """,
    ),
    Case(
        "double-checked",
        "ch05",
        ONCE,
        """
        import threading
        import time

        cache = {}
        cache_lock = threading.Lock()


        def make_report(key):
            time.sleep(0.05)
            return {"key": key}


        def get_report(key):
            if key not in cache:
                with cache_lock:
                    if key not in cache:
                        cache[key] = make_report(key)
            return cache[key]
        """,
    ),
    Case(
        "a-lock-per-key",
        "ch05",
        ONCE,
        """
        import threading
        import time

        cache = {}
        cache_lock = threading.Lock()
        key_locks = {}


        def make_report(key):
            time.sleep(0.05)
            return {"key": key}


        def get_report(key):
            with cache_lock:
                key_lock = key_locks.setdefault(key, threading.Lock())
            with key_lock:
                if key not in cache:
                    cache[key] = make_report(key)
            return cache[key]
        """,
    ),
]

WRONG = [
    Case(
        "call-after-the-write",
        "ch05",
        SWITCH,
        """
        SWITCH_INTERVAL = 0.00001


        def next_number(value):
            return value + 1


        def increment_with_call(times):
            global counter
            for _ in range(times):
                counter += 1
                next_number(counter)
        """,
        ("no call stands between the read of counter and its write", "next_number"),
    ),
    Case(
        "interval-of-zero",
        "ch05",
        SWITCH,
        """
        SWITCH_INTERVAL = 0


        def next_number(value):
            return value + 1


        def increment_with_call(times):
            global counter
            for _ in range(times):
                counter = next_number(counter)
        """,
        ("SWITCH_INTERVAL is 0",),
    ),
    Case(
        "setdefault",
        "ch05",
        ONCE,
        """
        import threading
        import time

        cache = {}


        def make_report(key):
            time.sleep(0.05)
            return {"key": key}


        def get_report(key):
            return cache.setdefault(key, make_report(key))
        """,
        ("made 8 times, not once", "lock"),
    ),
    Case(
        "lock-around-the-store-only",
        "ch05",
        ONCE,
        """
        import threading
        import time

        cache = {}
        cache_lock = threading.Lock()


        def make_report(key):
            time.sleep(0.05)
            return {"key": key}


        def get_report(key):
            if key not in cache:
                report = make_report(key)
                with cache_lock:
                    cache[key] = report
            return cache[key]
        """,
        ("made 8 times", "from the check"),
    ),
]

TEMPLATES = [
    Case("template", "ch05", SWITCH, "", ("no call stands between",)),
    Case("template", "ch05", ONCE, "", ("made 8 times, not once",)),
]
