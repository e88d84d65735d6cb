"""Chapter 09's deadlock: the demo deadlocks and shows where each thread waits; RLock; the check."""

import linecache
import threading
import time

import pytest

from lessons.chapters import ch09
from lessons.chapters import ch09_deadlock as ch

pytestmark = pytest.mark.timeout(120)

LESSON = """
import threading
import time

counts = {"J": 0, "R": 0}  # pages per site
log = []  # what happened, in order
counts_lock = threading.Lock()
log_lock = threading.Lock()


def record_page(letter):  # takes counts_lock, then log_lock
    with counts_lock:
        counts[letter] += 1
        time.sleep(0.001)  # some work
        with log_lock:
            log.append(f"page {letter}")


def write_report():  # takes log_lock, then counts_lock: the other order
    with log_lock:
        with counts_lock:
            log.append(f"report: {counts['J'] + counts['R']} pages")
"""
KEY = """
def write_report():  # counts_lock, then log_lock, as record_page
    with counts_lock:
        with log_lock:
            log.append(f"report: {counts['J'] + counts['R']} pages")
"""
RIGHT = {
    "log-lock-first-in-both": """
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
    "one-lock-for-both": """
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
    "acquire-release-in-try-finally": """
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
    "one-rlock-under-two-names": """
counts_lock = log_lock = threading.RLock()
""",
    "log-lock-held-throughout": """
def record_page(letter):
    with log_lock:
        with counts_lock:
            counts[letter] += 1
        time.sleep(0.001)
        log.append(f"page {letter}")


def write_report():
    with log_lock:
        with counts_lock:
            total = counts["J"] + counts["R"]
        log.append(f"report: {total} pages")
""",
}
WRONG = {
    "the-template": ("", ("waited for each other", "a deadlock", "same order")),
    "counts-read-under-log-lock-only": (
        """
def write_report():
    with log_lock:
        log.append(f"report: {counts['J'] + counts['R']} pages")
""",
        ("write_report read counts without holding counts_lock",),
    ),
    "lets-go-between-read-and-write": (
        """
def write_report():
    with counts_lock:
        total = counts["J"] + counts["R"]
    with log_lock:
        log.append(f"report: {total} pages")
""",
        ("a report said", "pages were logged before it"),
    ),
    "one-plain-lock-taken-twice": (
        "log_lock = counts_lock\n",
        ("record_page waited for counts_lock (also log_lock)", "its own thread held"),
    ),
    "opposite-orders-behind-a-third-lock": (
        """
turn = threading.Lock()
lesson_record_page, lesson_write_report = record_page, write_report


def record_page(letter):
    with turn:
        lesson_record_page(letter)


def write_report():
    with turn:
        lesson_write_report()
""",
        (
            "record_page takes counts_lock, then log_lock, and write_report takes log_lock, "
            "then counts_lock",
            "This run finished",
        ),
    ),
    "no-report-logged": (
        "def write_report():\n    with counts_lock:\n        pass\n",
        ("the log holds 160 pages and 0 reports",),
    ),
    "raises": (
        "def write_report():\n    with counts_lock:\n        counts['X'] += 1\n",
        ("write_report raised KeyError",),
    ),
}


def learner(*cells: str) -> dict:
    """A namespace as a kernel's: each cell run in turn, its source known to linecache (as
    IPython does) so that a thread dump can quote the lines."""
    namespace = {"__name__": "__main__"}
    for number, cell in enumerate(cells):
        name = f"<cell {number} {id(cell)}>"
        linecache.cache[name] = (len(cell), None, cell.splitlines(True), name)
        exec(compile(cell, name, "exec"), namespace)
    return namespace


def test_the_lesson_deadlocks_and_the_dump_shows_each_threads_lock(capsys):
    names = learner(LESSON)
    start = time.perf_counter()
    pair = ch.run_pair(names["record_page"], seconds=1.0)
    assert time.perf_counter() - start < 10
    out = capsys.readouterr().out.splitlines()
    assert not pair.finished and sorted(pair.stuck) == ["recorder", "reporter"]
    assert out[0] == "Deadlock: 2 threads still waiting after 1.0 s."
    assert sorted(out[1:]) == [
        "recorder, in record_page: `with log_lock:`",
        "reporter, in write_report: `with counts_lock:`",
    ]
    assert names["counts_lock"].locked() and names["log_lock"].locked()  # held for ever


def test_a_rerun_with_the_locks_still_held_reports_too(capsys):
    names = learner(LESSON)
    ch.run_pair(names["record_page"], seconds=1.0)
    capsys.readouterr()
    start = time.perf_counter()
    pair = ch.run_pair(names["record_page"], seconds=1.0)
    assert time.perf_counter() - start < 10 and not pair.finished
    out = capsys.readouterr().out
    assert "recorder, in record_page: `with counts_lock:`" in out
    assert "counts_lock and log_lock were held before this run began." in out
    assert "Run the cell that makes the locks again, for new ones." in out
    assert "Deadlock" not in out  # they wait for the threads of the run before


def test_the_fixed_pair_finishes_with_every_page_and_report(capsys):
    names = learner(LESSON, KEY)
    pair = ch.run_pair(names["record_page"])
    assert pair.finished and (pair.pages, pair.reports) == (160, 20)
    assert names["counts"] == {"J": 80, "R": 80} and len(names["log"]) == 180
    assert capsys.readouterr().out.startswith("Both threads finished in ")


def test_a_plain_lock_refuses_the_same_thread_twice_and_an_rlock_does_not(capsys):
    assert ch09.try_twice(threading.Lock) is False
    assert ch09.try_twice(threading.RLock) is True
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Lock: the second acquire() in the same thread gave False after")
    assert lines[1].startswith("RLock: the second acquire() in the same thread gave True after")


def test_the_key_is_correct_and_the_check_restores_the_names():
    names = learner(LESSON, KEY)
    before = {n: names[n] for n in ("counts", "log", "counts_lock", "log_lock")}
    verdict = ch09.check_no_deadlock(names["write_report"])
    assert verdict.correct, verdict
    assert "160 pages and 20 reports" in verdict
    assert "one order for the locks: counts_lock, then log_lock" in verdict
    assert all(names[n] is lock for n, lock in before.items())
    assert threading.active_count() < 20


@pytest.mark.parametrize("name", RIGHT)
def test_right_answers_written_differently_are_correct(name):
    names = learner(LESSON, RIGHT[name])
    verdict = ch09.check_no_deadlock(names["write_report"])
    assert verdict.correct, verdict


@pytest.mark.parametrize("name", WRONG)
def test_wrong_answers_say_why(name):
    source, said = WRONG[name]
    names = learner(LESSON, source)
    verdict = ch09.check_no_deadlock(names["write_report"])
    assert verdict.startswith("Not yet, because "), verdict
    for words in said:
        assert words in verdict, verdict


def test_the_template_is_not_yet_twice_even_after_the_demo_deadlocked(capsys):
    names = learner(LESSON)
    ch.run_pair(names["record_page"], seconds=0.5)  # the kernel's locks now held for ever
    first = ch09.check_no_deadlock(names["write_report"])
    second = ch09.check_no_deadlock(names["write_report"])
    assert not first.correct and first == second
    exec(KEY, names)  # the exercise's cell: a new write_report, the same held locks
    assert ch09.check_no_deadlock(names["write_report"]).correct  # the watched locks are new


def test_not_a_function_yet():
    assert ch09.check_no_deadlock(None).startswith("Not yet, because None is not a function yet")
    assert ch.run_pair(None) is None
