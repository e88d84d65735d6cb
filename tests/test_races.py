"""Chapter 04: counters that lose updates or not, the Sessions' connections, the self-checks."""

import dataclasses
import logging
import sys
import threading

import pytest

from lessons import races, sessions
from lessons.course import builds, race_lab, race_report
from lessons.course.race_report import Counted

pytestmark = pytest.mark.timeout(60)

THREADS, TIMES = 4, 300  # small and bounded: a run of the slow counters takes well under a second


def test_room_for_a_switch_loses_updates():
    totals = [races.count_with_threads(races.increment_with_room, THREADS, TIMES) for _ in range(3)]
    assert all(0 < total <= THREADS * TIMES for total in totals)
    assert any(total < THREADS * TIMES for total in totals), f"no update lost: {totals}"


def test_the_lock_never_loses_an_update():
    for _ in range(3):
        assert races.count_with_threads(races.increment_locked, THREADS, TIMES) == THREADS * TIMES


def test_thread_local_counts_exactly_and_shares_nothing():
    for increment, times in ((races.increment_local, TIMES), (races.increment_bare_local, 50_000)):
        assert races.count_with_threads(increment, THREADS, times) == THREADS * times
        assert races.counter == 0  # each thread counted in its own thread_local.count


@pytest.mark.skipif(sys.version_info < (3, 10), reason="switches only at calls since 3.10")
def test_the_bare_increment_loses_nothing_with_the_gil_and_may_without():
    total = races.count_with_threads(races.increment, THREADS, 50_000)
    if builds.this_build().gil_enabled:  # a switch happens only at a call, never inside +=
        assert total == THREADS * 50_000
    else:  # threads run at once on several CPUs: their reads and writes interleave
        assert 0 < total <= THREADS * 50_000


def test_measure_counters_counts_lost_updates_and_time(capsys):
    counters = {name: (f, 100) for name, (f, _) in race_lab.COUNTERS.items()}
    results = race_lab.measure_counters(runs=2, counters=counters)
    by_name = {c.name: c for c in results}
    assert by_name["threading.Lock"].lost == [0, 0]
    assert by_name["threading.local"].lost == [0, 0]
    assert by_name["bare += under the lock"].lost == [0, 0]
    assert by_name["bare += in thread_local"].lost == [0, 0]
    assert all(c.updates == 400 and c.per_update > 0 for c in results)
    printed = capsys.readouterr().out
    assert "Holding the lock across the sleep adds" in printed
    assert "The lock itself, around the bare +=" in printed
    assert f"On {builds.this_build().name} the bare += lost" in printed  # this build, named


def test_the_switch_interval_is_restored_even_on_an_exception(monkeypatch):
    before = sys.getswitchinterval()
    with pytest.raises(KeyError), race_lab.switch_interval(1e-5):
        assert sys.getswitchinterval() == pytest.approx(1e-5)
        raise KeyError("a cell failed")
    assert sys.getswitchinterval() == before

    def fails(*args, **kwargs):
        assert sys.getswitchinterval() == pytest.approx(1e-4)
        raise RuntimeError("a counter failed")

    monkeypatch.setattr(races, "count_with_threads", fails)
    with pytest.raises(RuntimeError):
        race_lab.sweep_switch_interval(intervals=(1e-4,), runs=1)
    assert sys.getswitchinterval() == before


def test_the_sweep_measures_every_interval_and_restores_it():
    before = sys.getswitchinterval()
    lost = race_lab.sweep_switch_interval(intervals=(0.005, 1e-5), runs=1)
    assert sys.getswitchinterval() == before
    assert set(lost) == {"bare +=", "a call between read and write"}
    for by_interval in lost.values():
        assert set(by_interval) == {0.005, 1e-5}
        assert all(0 <= share <= 1 for shares in by_interval.values() for share in shares)


# Recorded from one run of chapter 04's cells on each build (2 CPUs, 4 threads, 5 runs a counter):
# what each run lost, and how long each run took, in seconds.
STANDARD = builds.Build("3.11.7", False, True, 2, "python3.11")
FREE_THREADED = builds.Build("3.13.15", True, False, 2, "python3.13t")
RECORDED = {
    STANDARD.name: [
        ("bare +=", 1_000_000, [0, 0, 0, 0, 0], [0.0706, 0.0518, 0.0682, 0.0439, 0.06]),
        ("with room for a switch", 4000, [2999, 2942, 2981, 2986, 2979], [0.0716] * 5),
        ("threading.Lock", 4000, [0, 0, 0, 0, 0], [0.3432, 0.371, 0.4155, 0.4508, 0.419]),
        ("threading.local", 4000, [0, 0, 0, 0, 0], [0.0914, 0.0935, 0.0983, 0.0797, 0.0972]),
        ("bare += under the lock", 1_000_000, [0] * 5, [0.4443, 0.4632, 0.4287, 0.4349, 0.3145]),
        ("bare += in thread_local", 1_000_000, [0] * 5, [0.1203, 0.1355, 0.1211, 0.1254, 0.1577]),
    ],
    FREE_THREADED.name: [
        ("bare +=", 1_000_000, [63113, 586223, 215361, 537612, 496664],
         [0.0737, 0.0851, 0.0716, 0.1957, 0.2433]),
        ("with room for a switch", 4000, [2987, 2738, 2994, 2976, 2977], [0.0855] * 5),
        ("threading.Lock", 4000, [0, 0, 0, 0, 0], [0.3817, 0.3707, 0.3735, 0.3838, 0.37]),
        ("threading.local", 4000, [0, 0, 0, 0, 0], [0.1006, 0.1027, 0.103, 0.1102, 0.1054]),
        ("bare += under the lock", 1_000_000, [0] * 5, [0.364, 0.3656, 0.2208, 0.209, 0.2235]),
        ("bare += in thread_local", 1_000_000, [0] * 5, [0.1553, 0.1585, 0.1655, 0.2185, 0.1539]),
    ],
}  # fmt: skip
SWEEPS = {  # share of the updates lost in each run, at 5, 1, 0.1 and 0.01 ms
    STANDARD.name: {
        "bare +=": {0.005: [0.0] * 5, 0.001: [0.0] * 5, 0.0001: [0.0] * 5, 1e-05: [0.0] * 5},
        "a call between read and write": {
            0.005: [0.5, 0.0, 0.351, 0.25, 0.25], 0.001: [0.166, 0.387, 0.394, 0.487, 0.267],
            0.0001: [0.254, 0.193, 0.391, 0.502, 0.345], 1e-05: [0.612, 0.556, 0.75, 0.323, 0.0],
        },
    },
    FREE_THREADED.name: {
        "bare +=": {
            0.005: [0.466, 0.471, 0.0, 0.0, 0.0], 0.001: [0.098, 0.0, 0.165, 0.429, 0.05],
            0.0001: [0.0, 0.343, 0.694, 0.399, 0.469], 1e-05: [0.49, 0.25, 0.073, 0.127, 0.531],
        },
        "a call between read and write": {
            0.005: [0.201, 0.122, 0.0, 0.0, 0.135], 0.001: [0.25, 0.342, 0.248, 0.697, 0.1],
            0.0001: [0.5, 0.057, 0.449, 0.036, 0.18], 1e-05: [0.374, 0.25, 0.0, 0.374, 0.005],
        },
    },
}  # fmt: skip


def recorded(build: builds.Build) -> list[Counted]:
    return [Counted(*fields) for fields in RECORDED[build.name]]


def test_the_counters_sentence_says_what_each_build_lost():
    standard = race_report.what_the_counters_mean(recorded(STANDARD), STANDARD)
    assert "On 3.11 (standard) the bare += lost nothing in all 5 runs: with the GIL" in standard
    free = race_report.what_the_counters_mean(recorded(FREE_THREADED), FREE_THREADED)
    assert "On 3.13t (free-threaded) the bare += lost updates in all 5 runs" in free
    assert "(median 496,664 of 1,000,000): without the GIL threads run at once" in free
    assert "lost nothing" not in free and "lost updates" not in standard.splitlines()[0]
    for said in (standard, free):
        assert "Lost updates too: with room for a switch (in all 5 runs)." in said
        assert "Lost none in any run: threading.Lock, threading.local, bare += under the lock, " \
            "bare += in thread_local." in said  # fmt: skip


def test_the_counters_sentence_follows_the_numbers_not_only_the_build():
    # The other build's numbers, as if this build had measured them: the sentence says so.
    gil_lost = race_report.what_the_counters_mean(recorded(FREE_THREADED), STANDARD)
    assert "the bare += lost updates in all 5 runs" in gil_lost and "even with the GIL" in gil_lost
    none_lost = race_report.what_the_counters_mean(recorded(STANDARD), FREE_THREADED)
    assert "lost nothing in these 5 runs, but without the GIL nothing prevents it" in none_lost
    one_cpu = dataclasses.replace(FREE_THREADED, usable_cpus=1)
    assert "one CPU only" in race_report.what_the_counters_mean(recorded(STANDARD), one_cpu)
    assert "one CPU only" not in none_lost


def test_the_sweep_sentence_counts_the_runs_that_lost_nothing_on_each_build():
    standard = race_report.what_the_sweep_means(SWEEPS[STANDARD.name], STANDARD)
    assert "On 3.11 (standard) the GIL passes at a switch point" in standard
    assert "bare +=: 5 ms: 5 of 5, 1 ms: 5 of 5, 0.1 ms: 5 of 5, 0.01 ms: 5 of 5" in standard
    assert "a call between read and write: 5 ms: 1 of 5, 1 ms: 0 of 5" in standard
    assert "The bare += lost nothing at any interval" in standard
    free = race_report.what_the_sweep_means(SWEEPS[FREE_THREADED.name], FREE_THREADED)
    assert "On 3.13t (free-threaded) there is no GIL to hand over" in free
    assert "bare +=: 5 ms: 3 of 5, 1 ms: 1 of 5, 0.1 ms: 1 of 5, 0.01 ms: 0 of 5" in free
    assert "GIL passes" not in free and "lost nothing at any interval" not in free


def test_the_table_has_a_row_per_build_and_what_the_lock_cost_there():
    rows = [race_report.row(b.name, recorded(b)) for b in (STANDARD, FREE_THREADED)]
    table = race_report.lock_table(rows).splitlines()
    assert len(table) == 4 and table[1].startswith("build") and "under the lock" in table[0]
    assert table[2].startswith("3.11 (standard)") and "0 of 1,000,000 (0%)" in table[2]
    assert table[3].startswith("3.13t (free-threaded)") and "496,664 of 1,000,000 (50%)" in table[3]
    for line in table[2:]:  # ..., under the lock: ns/update, lost, adds; thread_local: ns, lost
        *_, locked_lost, adds, ns, local_ns, local_lost = line.split()
        assert locked_lost == local_lost == "0" and adds.startswith("+") and ns == "ns"
    said = race_report.what_the_table_means(rows).splitlines()
    assert said[0] == (
        "3.11 (standard): the bare += lost nothing in all 5 runs; under the lock it lost nothing, "
        "and an update took 435 ns instead of 60 ns (7.2 times as long)."
    )
    assert said[1].startswith("3.13t (free-threaded): the bare += lost updates in all 5 runs; ")
    assert "under the lock it lost nothing" in said[1] and "instead of 85 ns" in said[1]


def test_compare_builds_measures_another_build_in_a_fresh_python(monkeypatch, capsys):
    here = race_report.build_label(builds.this_build())
    monkeypatch.setattr(race_report, "pythons", lambda: {here: sys.executable, "B": sys.executable})
    monkeypatch.setattr(race_report, "missing_build", lambda found=None: None)
    mine = [race_report.count(n, *race_report.COUNTERS[n], 1, 2) for n in race_report.BARE_COUNTERS]
    rows = race_report.compare_builds(mine, seconds=120)
    assert [r["build"] for r in rows] == [here, here]  # the fresh process names its own build
    assert all("error" not in r and r["updates"] == 500_000 and r["runs"] == 1 for r in rows)
    assert rows[1]["locked_lost"] == rows[1]["local_lost"] == 0
    printed = capsys.readouterr().out
    assert f"Measuring B in a fresh Python of it: {sys.executable}" in printed
    assert len(race_report.lock_table(rows).splitlines()) == 4


def test_compare_builds_with_one_build_names_the_command(monkeypatch, capsys):
    only = {race_report.build_label(builds.this_build()): sys.executable}
    monkeypatch.setattr(builds, "pythons", lambda: only)
    monkeypatch.setattr(race_report, "pythons", lambda: only)
    rows = race_report.compare_builds(recorded(FREE_THREADED))
    assert len(rows) == 1
    assert "python -m lessons free-threaded" in capsys.readouterr().out
    monkeypatch.setattr(race_report, "pythons", lambda: {**only, "B": "/no/such/python"})
    monkeypatch.setattr(race_report, "run_json", lambda *args: {"error": "stopped after 9 s"})
    rows = race_report.compare_builds(recorded(STANDARD))
    assert rows[1] == {"build": "B", "error": "stopped after 9 s"}
    printed = capsys.readouterr().out.splitlines()
    unmeasured = [line for line in printed if line.startswith("B ")]
    assert len(unmeasured) == 1 and "not measured: stopped after 9 s" in unmeasured[0]


def test_one_session_per_thread_opens_at_most_one_connection_per_site_and_thread(fast_sites):
    run = race_lab.run_sessions("one per thread", 4, fast_sites, copies=20)
    assert run.done == 40 and not run.errors
    assert all(1 <= n <= 4 for n in run.connections.values()), run.connections


def test_a_new_session_per_page_opens_one_connection_per_page(fast_sites):
    run = race_lab.run_sessions("new per page", 4, fast_sites, copies=20)
    assert run.done == 40
    assert run.connections == {"Jython": 20, "Real Python": 20}


def test_one_shared_session_works_and_starts_fresh_each_run(fast_sites):
    for _ in range(2):  # a fresh Session each run: the second run opens its own connections
        run = race_lab.run_sessions("one shared", 4, fast_sites, copies=20)
        assert run.done == 40 and not run.errors
        assert all(1 <= n <= 4 for n in run.connections.values()), run.connections
    assert sessions.shared_session.adapters["http://"].poolmanager.pools.keys() == set()


def test_pool_warnings_are_counted_not_printed(fast_sites, capfd):
    fast_sites.configure(latency=0.05)  # slow enough that 30 threads want more than 10 each
    run = race_lab.run_sessions("one shared", 30, fast_sites, copies=30)
    assert run.done == 60
    assert run.pool_full > 0
    assert sum(run.connections.values()) > 20  # each discarded connection is opened again
    captured = capfd.readouterr()
    assert race_lab.POOL_FULL not in captured.out + captured.err


def test_the_pool_warnings_handler_is_removed_after_the_block(capfd):
    logger = logging.getLogger("urllib3.connectionpool")
    handlers, propagate = list(logger.handlers), logger.propagate
    with race_lab.PoolWarnings() as pool:
        logger.warning("Connection pool is full, discarding connection: %s. Size: %s", "x", 10)
        logger.warning("something else")
    assert pool.count == 1
    assert logger.handlers == handlers and logger.propagate == propagate
    assert "Connection pool is full" not in capfd.readouterr().err


def test_the_plots_are_pngs(fast_sites):
    counted = [race_lab.Counted("a", 10, [1, 2], [0.1, 0.1]), race_lab.Counted("b", 10, [0], [1])]
    sweep = {"bare +=": {0.005: [0.0], 1e-5: [0.0]}, "call": {0.005: [0.1], 1e-5: [0.5]}}
    runs = race_lab.compare_sessions((2, 3), fast_sites, copies=3)
    assert len(runs) == 6
    for image in (
        race_lab.plot_counters(counted),
        race_lab.plot_switch_interval(sweep),
        race_lab.plot_sessions(runs),
    ):
        assert image.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_check_counter_on_a_right_and_a_wrong_answer():
    assert race_lab.check_counter(races.increment_locked).correct
    assert race_lab.check_counter(races.increment_local).correct
    wrong = race_lab.check_counter(races.increment_with_room)
    assert not wrong.correct and "updates were lost" in wrong


def test_check_counter_on_a_function_that_fails_or_hangs():
    def fails(times):
        raise ValueError("oops")

    assert "raised ValueError" in race_lab.check_counter(fails)
    held = threading.Lock()
    held.acquire()  # never released: the threads wait for ever (they are daemon threads)

    def hangs(times):
        with held:
            pass

    verdict = race_lab.check_counter(hangs, seconds=0.5)
    assert not verdict.correct and "did not finish" in verdict


def test_check_connections_on_a_right_and_a_wrong_answer(fast_sites):
    right = race_lab.check_connections(80, demo=fast_sites)
    assert right.correct, right
    wrong = race_lab.check_connections(10, demo=fast_sites)
    assert not wrong.correct and "accepted 80" in wrong
    assert not race_lab.check_connections(None, demo=fast_sites).correct
    assert not race_lab.check_connections(80.0, demo=fast_sites).correct
