"""Chapter 04: counters that lose updates or not, the Sessions' connections, the self-checks."""

import logging
import sys
import threading

import pytest

from lessons import races, sessions
from lessons.course import builds, race_lab

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
    assert races.count_with_threads(races.increment_local, THREADS, TIMES) == THREADS * TIMES
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
    assert all(c.updates == 400 and c.per_update > 0 for c in results)
    printed = capsys.readouterr().out
    assert "Holding the lock across the sleep adds" in printed
    assert "The lock itself, around the bare +=" in printed


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
