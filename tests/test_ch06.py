"""Chapter 06: a Session per thread, one shared, one per page; Sessions and connections counted."""

import logging
import pathlib
import threading

import pytest
import requests

from lessons import threaded
from lessons.chapters import ch06

pytestmark = pytest.mark.timeout(60)

PNG = b"\x89PNG\r\n\x1a\n"
SHARED = """
shared_session = requests.Session()


def get_session():
    return shared_session
"""
PER_PAGE = """
def get_session():
    return requests.Session()
"""


def learner(extra: str = "") -> dict:
    """A namespace as a kernel's: the lesson's program run as a cell, then `extra`."""
    namespace = {"__name__": "__main__"}
    exec(pathlib.Path(threaded.__file__).read_text(), namespace)
    exec(extra, namespace)
    return namespace


def test_one_session_per_thread_opens_at_most_one_connection_per_site_and_thread(fast_sites):
    run = ch06.measure(learner()["download_all_sites"], 4, copies=20, demo=fast_sites)
    run.seen.close()
    assert run.run.done == 40 and not run.too_many
    assert all(1 <= n <= 4 for n in run.connections.values()), run.connections
    assert run.way == "one per thread" and run.seen.most_threads == 1


def test_a_new_session_per_page_opens_one_connection_per_page(fast_sites):
    run = ch06.measure(learner(PER_PAGE)["download_all_sites"], 4, copies=20, demo=fast_sites)
    run.seen.close()
    assert run.run.done == 40 and run.connections == {"J": 20, "R": 20}
    assert run.way == "one per page" and run.too_many


def test_one_shared_session_serves_every_thread(fast_sites):
    run = ch06.measure(learner(SHARED)["download_all_sites"], 4, copies=20, demo=fast_sites)
    run.seen.close()
    assert run.run.done == 40 and run.way == "one shared"
    assert all(1 <= n <= 4 for n in run.connections.values()), run.connections


def test_the_table_closes_each_runs_sessions(fast_sites, capsys):
    namespace = learner(SHARED)
    rows = ch06.count_connections(
        namespace["download_all_sites"], (2, 3), copies=5, demo=fast_sites
    )
    assert [row.run.max_workers for row in rows] == [2, 3]
    assert not ch06._holds_pools(namespace["shared_session"])  # the next run starts with none
    out = capsys.readouterr().out
    assert "1, shared by" in out and "Every page arrived, in all 2 runs." in out
    assert max(len(line.split()) for line in out.splitlines()) < 40


def test_pool_warnings_are_counted_not_printed(fast_sites, capfd):
    fast_sites.configure(latency=0.05)  # slow enough that 30 threads want more than 10 each
    run = ch06.measure(learner(SHARED)["download_all_sites"], 30, copies=30, demo=fast_sites)
    run.seen.close()
    assert run.run.done == 60 and run.pool_full > 0
    assert run.opened > 2 * requests.adapters.DEFAULT_POOLSIZE
    captured = capfd.readouterr()
    assert ch06.POOL_FULL not in captured.out + captured.err


def test_the_pool_warnings_handler_is_removed_after_the_block(capfd):
    logger = logging.getLogger("urllib3.connectionpool")
    handlers, propagate = list(logger.handlers), logger.propagate
    with ch06.PoolWarnings() as pool:
        logger.warning("Connection pool is full, discarding connection: %s. Size: %s", "x", 10)
        logger.warning("something else")
    assert pool.count == 1
    assert logger.handlers == handlers and logger.propagate == propagate
    assert "Connection pool is full" not in capfd.readouterr().err


def test_the_figure_is_a_png(fast_sites):
    ways = [
        ch06.count_connections(learner(extra)["download_all_sites"], (2,), 3, demo=fast_sites)
        for extra in ("", SHARED, PER_PAGE)
    ]
    assert ch06.plot(*ways).data.startswith(PNG)
    assert ch06.plot(ways[0], []).data.startswith(PNG)  # a way whose runs all failed


def test_a_get_session_that_raises_gets_one_line(capsys):
    def get_thread_session():
        raise RuntimeError("no Session today")

    verdict = ch06.check_get_session(get_thread_session)
    assert verdict.startswith("Not yet, because only 0 of 20 pages arrived"), verdict
    assert "RuntimeError" in verdict and "Traceback" not in capsys.readouterr().out


def test_a_get_session_that_hangs_is_given_up():
    release = threading.Event()

    def get_thread_session():
        release.wait(30)
        return requests.Session()

    try:
        verdict = ch06.check_get_session(get_thread_session)
    finally:
        release.set()
    assert verdict.startswith("Not yet, because no page began or ended"), verdict


def test_not_a_function_yet():
    assert ch06.check_get_session(None).startswith("Not yet, because None is not a function")
    assert ch06.check_closed(...).startswith("Not yet, because Ellipsis is not a function")
