"""Chapters 04 and 05: counters that lose updates on every build, the two fixes, what a build did
this time (never said as a promise), the two builds side by side, and the self-checks' edges.
Run again by the free-threaded kernel's interpreter and the newer Pythons (other_pythons.py)."""

import re
import sys
import threading

import pytest

from lessons import races
from lessons.chapters import ch04, ch05
from lessons.course import builds, race_lab, race_report
from lessons.course.race_report import Counted

pytestmark = pytest.mark.timeout(90)

THREADS, TIMES = 4, 300  # small and bounded: a run of the sleep(0) counters takes well under 1 s
# What no printed line may say about the bare +=: safe, never loses, kept whole by the GIL.
PROMISE = re.compile(r"\bsafe\b|\bnever (loses|lost|switched)\b|in one piece|GIL keeps", re.I)


# ---- chapter 04: the race, on every build ------------------------------------------------------


def test_a_call_between_the_read_and_the_write_loses_updates_on_every_build():
    totals = [races.count_with_threads(races.increment, THREADS, TIMES) for _ in range(3)]
    assert all(0 < total <= THREADS * TIMES for total in totals)
    assert all(total < THREADS * TIMES for total in totals), f"a run lost nothing: {totals}"


def test_the_lock_and_thread_local_lose_nothing():
    for increment in (races.increment_locked, races.increment_local):
        for _ in range(2):
            assert races.count_with_threads(increment, THREADS, TIMES) == THREADS * TIMES
    assert races.counter == 0  # the thread_local counter shared nothing


def test_the_bare_increment_counts_at_most_every_update_and_promises_nothing():
    total = races.count_with_threads(races.increment_bare, THREADS, 50_000)
    assert 0 < total <= THREADS * 50_000  # no assertion that it loses nothing: Python does not


def test_run_counter_and_compare_print_this_build_and_the_lock_cost(capsys):
    race = ch04.run_counter(races.count_with_threads, races.increment, runs=2, times=TIMES)
    locked = ch04.compare(races.count_with_threads, races.increment, races.increment_locked, 2)
    printed = capsys.readouterr().out
    assert race.updates == THREADS * TIMES and race.runs_that_lost == 2
    assert locked.lost == [0, 0] and builds.this_build().name in printed
    assert "increment: every run lost updates." in printed
    assert "increment_locked: no update lost in 2 runs." in printed
    assert re.search(r"increment_locked took \d+\.\d times as long an update as increment", printed)
    assert ch04.plot(race, locked).data[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("lost", [0, 7])
def test_run_bare_says_this_time_and_never_promises(capsys, lost):
    def count_with_threads(increment, threads, times):
        return threads * times - lost

    counted = ch04.run_bare(count_with_threads, races.increment_bare, runs=2, times=10)
    printed = capsys.readouterr().out
    assert counted.lost == [lost, lost]
    assert f"This time, on {builds.this_build().name}, the bare += lost" in printed
    assert "The rule stands: a read-modify-write is never atomic." in printed
    assert ("Python does not promise that." in printed) == (lost == 0)
    assert not PROMISE.search(printed), printed


def test_a_counter_that_raises_gets_one_line(capsys):
    def count_with_threads(increment, threads, times):
        raise KeyError("counter")

    assert ch04.run_counter(count_with_threads, races.increment) is None
    assert capsys.readouterr().out.splitlines()[-1] == "increment raised KeyError: 'counter'"


# ---- the shared machinery -----------------------------------------------------------------------


def test_the_switch_interval_is_restored_even_on_an_exception():
    before = sys.getswitchinterval()
    with pytest.raises(KeyError), race_lab.switch_interval(1e-5):
        assert sys.getswitchinterval() == pytest.approx(1e-5)
        raise KeyError("a cell failed")
    assert sys.getswitchinterval() == before


def test_in_threads_gives_up_on_a_hang_and_reports_an_error():
    held = threading.Lock()
    held.acquire()  # never released: the daemon threads wait for ever
    hung = race_lab.in_threads(lambda _: held.acquire(), [1, 2], seconds=0.5)
    assert not hung.finished and "did not finish within 0.5 s" in hung.trouble("f", 0.5)
    failed = race_lab.in_threads(lambda n: 1 / n, [1, 0])
    assert failed.finished and failed.returned[0] == 1.0
    assert (
        failed.trouble("f", 1) == "Not yet, because f raised ZeroDivisionError: division by zero."
    )


# ---- chapter 04's checks: the edges the notebook's cases do not reach ---------------------------


def test_the_checks_answer_odd_input_in_one_line():
    assert ch04.check_least_locking(None).startswith("Not yet, because None is not a function")
    namespace = {"pages_done": 0}
    exec("def fetch_pages(pages):\n    global pages_done\n    pages_done += pages", namespace)
    assert "the slow work is gone" in ch04.check_least_locking(namespace["fetch_pages"])
    exec("def count_sites(sites):\n    return len(sites)", namespace)
    assert "no dict pages_per_site" in ch04.check_pages_per_site(namespace["count_sites"])
    namespace["pages_per_site"] = {}
    said = ch04.check_pages_per_site(namespace["count_sites"])
    assert said.startswith("Not yet, because count_sites returned 20000.")


# ---- chapter 05: under the hood -----------------------------------------------------------------


def test_the_bare_increment_has_no_switch_point_between_its_read_and_its_write(capsys):
    steps = ch05.read_to_write(races.increment_bare)
    assert steps[0].argval == steps[-1].argval == "counter"
    assert steps[-1].opname == "STORE_GLOBAL"
    assert not any(ch05._is_switch_point(step) for step in steps)
    with_call = ch05.read_to_write(races.increment)  # time.sleep(0) between the read and write
    assert any(ch05._is_switch_point(step) for step in with_call[1:-1])
    ch05.switch_points(races.increment_bare)
    printed = capsys.readouterr().out
    assert "Calls or backward jumps in between: none." in printed
    assert ("not a promise" in printed) == builds.this_build().gil_enabled
    assert not PROMISE.search(printed), printed


class Count:
    """A number whose += runs Python code, as chapter 05's cell defines it."""

    def __init__(self, n=0):
        self.n = n

    def __iadd__(self, other):
        return Count(self.n + other)


def increment_count(times):
    global counter
    for _ in range(times):
        counter += 1


def test_a_python_iadd_loses_updates_on_every_build(capsys):
    lost = ch05.run_count(increment_count, Count, runs=3, times=100_000)
    assert all(0 <= n < 400_000 for n in lost)
    assert sum(n > 0 for n in lost) >= 2, f"too few runs lost updates: {lost}"
    assert f"Updates lost in {race_report.runs_said(sum(n > 0 for n in lost), 3)}" in (
        capsys.readouterr().out
    )


items, counts = [], {}


def add_item(times):
    for _ in range(times):
        items.append(1)


def add_count(times):
    for _ in range(times):
        counts["pages"] = counts.get("pages", 0) + 1


def test_one_append_keeps_every_item_on_every_build(capsys):
    ch05.one_step_or_two(add_item, add_count, times=20_000)
    assert "add_item, one append each: 80,000 of 80,000 items kept." in capsys.readouterr().out


def test_check_made_once_gives_up_on_a_lock_taken_twice(monkeypatch):
    monkeypatch.setattr(ch05, "SECONDS", 1.0)
    lock = threading.Lock()
    namespace = {"make_report": lambda key: key, "cache": {}, "lock": lock}
    source = "def get_report(key):\n    with lock:\n        with lock:\n            return key"
    exec(source, namespace)
    said = ch05.check_made_once(namespace["get_report"])
    assert said.startswith("Not yet, because the threads did not finish within 1 s")


# ---- the two builds side by side ----------------------------------------------------------------

STANDARD, FREE = "3.11 (standard)", "3.13t (free-threaded)"
RECORDED = {  # one run of the bare counters on each build (4 threads, 3 runs, 250,000 a thread)
    STANDARD: [
        Counted(race_report.BARE, 1_000_000, [0, 0, 0], [0.068, 0.07, 0.066]),
        Counted(race_report.LOCKED, 1_000_000, [0, 0, 0], [0.377, 0.38, 0.37]),
        Counted(race_report.LOCAL, 1_000_000, [0, 0, 0], [0.186, 0.19, 0.18]),
    ],
    FREE: [
        Counted(race_report.BARE, 1_000_000, [593_800, 305_562, 612_000], [0.093, 0.1, 0.09]),
        Counted(race_report.LOCKED, 1_000_000, [0, 0, 0], [0.411, 0.4, 0.42]),
        Counted(race_report.LOCAL, 1_000_000, [0, 0, 0], [0.236, 0.24, 0.23]),
    ],
}


def test_the_table_has_a_row_per_build_and_says_this_time():
    rows = [race_report.row(build, RECORDED[build]) for build in (STANDARD, FREE)]
    table = race_report.lock_table(rows).splitlines()
    assert len(table) == 4 and table[2].startswith(STANDARD) and table[3].startswith(FREE)
    assert "0 of 1,000,000 (0%)" in table[2] and "593,800 of 1,000,000 (59%)" in table[3]
    said = race_report.what_the_table_means(rows).splitlines()
    assert said[0] == (
        f"{STANDARD}: this time the bare += lost nothing in 3 runs. Python does not promise it."
    )
    assert said[1].startswith(f"{STANDARD}: under the lock it lost nothing; an update took 377")
    assert said[2] == f"{FREE}: this time the bare += lost updates in all 3 runs."
    assert not any(PROMISE.search(line) for line in said)


def test_compare_builds_measures_each_build_in_a_fresh_python(monkeypatch, capsys):
    here = race_report.build_label(builds.this_build())
    monkeypatch.setattr(race_report, "pythons", lambda: {here: sys.executable, "B": "/no/python"})
    monkeypatch.setattr(race_report, "missing_build", lambda found=None: None)
    rows = race_report.compare_builds(runs=1, times=20_000, seconds=120)
    assert rows[0]["build"] == here and rows[0]["updates"] == 80_000
    assert rows[0]["locked_lost"] == rows[0]["local_lost"] == 0
    assert rows[1]["build"] == "B" and "does not start" in rows[1]["error"]
    printed = capsys.readouterr().out
    assert f"Measuring {here} in a fresh Python of it." in printed
    assert "B                       not measured: " in printed


def test_compare_builds_with_one_build_names_the_command(monkeypatch, capsys):
    only = {race_report.build_label(builds.this_build()): sys.executable}
    monkeypatch.setattr(builds, "pythons", lambda: only)
    monkeypatch.setattr(race_report, "pythons", lambda: only)
    rows = race_report.compare_builds(runs=1, times=1_000)
    assert len(rows) == 1
    assert "python -m lessons free-threaded" in capsys.readouterr().out
    assert ch05.plot_builds(rows).data[:8] == b"\x89PNG\r\n\x1a\n"
