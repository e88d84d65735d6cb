"""Chapter 09's own machinery (lessons/chapters/ch09.py and ch09_stop.py) on the notebook's cells:
the sites that refuse and the semaphore, the stop, the pool shut down, the interrupt, the context
variables. The deadlock and the futures have tests of their own; the exercises are checked by
tests/test_exercises.py."""

import concurrent.futures
import contextvars
import re
import threading
import time

import pytest

from lessons import primitives, threaded
from lessons.chapters import ch09
from lessons.course.sites import demo_pages, start_demo_sites

pytestmark = pytest.mark.timeout(120)

POLITE = """
PER_SITE = 3
limits = {"J": threading.Semaphore(PER_SITE), "R": threading.Semaphore(PER_SITE)}


def polite_download_site(url):
    with limits[site_letter(url)]:
        return download_site(url)


def download_all_politely(sites, max_workers=10):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(polite_download_site, sites))
"""
STOPPABLE = """
stop = threading.Event()


def download_unless_stopped(url):
    if stop.is_set():
        return None
    return download_site(url)


def download_all_stoppable(sites, max_workers=5):
    stop.clear()
    threading.Timer(0.5, stop.set).start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(download_unless_stopped, sites))
"""
BUG = """

def download_all_stoppable(sites, max_workers=5):
    raise ValueError("a bug of mine")
"""


def cells(source: str) -> dict:
    """A notebook's namespace: chapter 2's program (the lesson cell), then `source`."""
    namespace = {"__name__": "__main__"}
    exec(compile(threaded.__loader__.get_source("lessons.threaded"), "<lesson>", "exec"), namespace)
    exec(compile(source, "<cell>", "exec"), namespace)
    return namespace


def test_a_strict_site_refuses_and_a_semaphore_per_site_keeps_under_its_limit(capsys):
    start_demo_sites()
    namespace = cells(POLITE)
    refused = ch09.strict_run(namespace["download_all_sites"], max_workers=10)
    polite = ch09.strict_run(namespace["download_all_politely"], max_workers=10)
    said = capsys.readouterr().out
    assert sum(d.status == 429 for d in refused.downloads) > 0
    assert all(d.error is None for d in polite.downloads) and len(polite.downloads) == 160
    assert said.count("saw at most 3 requests at once, and refused 0 (429).") == 2  # the polite run
    assert "polite_download_site" not in said  # recorded, not named to the learner
    assert ch09.plot_at_once(refused, polite).data.startswith(b"\x89PNG")
    assert start_demo_sites().sites["Jython"].profile.refuse_over is None  # restored


def test_a_stop_event_skips_the_pages_after_it(capsys):
    start_demo_sites()
    returned = ch09.stop_run(cells(STOPPABLE)["download_all_stoppable"])
    said = capsys.readouterr().out
    assert len(returned) == 160 and 0 < returned.count(None) < 160
    assert "The stop came after 0.5" in said and "returned" in said


def test_a_stop_run_without_the_event_says_what_to_run(capsys):
    assert ch09.stop_run(threaded.download_all_sites) is None
    assert "stop = threading.Event()" in capsys.readouterr().out


def test_a_pool_shut_down_cancels_the_rest_and_its_pages_under_way_finish(capsys):
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=5)
    futures = [executor.submit(threaded.download_site, url) for url in demo_pages()]
    time.sleep(0.3)
    executor.shutdown(wait=False, cancel_futures=True)
    assert ch09.count_futures(futures) is None  # nothing shown under the learner's cell
    said = capsys.readouterr().out
    done, cancelled, running = (int(n) for n in re.findall(r": (\d+)\.", said))
    assert cancelled > 0 and running <= 5 and done + cancelled + running == 160
    assert all(f.done() for f in futures)  # the course waited for those under way


def test_an_interrupt_stops_the_pool_but_not_threads_by_hand(capsys):
    start_demo_sites()
    before = threading.active_count()  # other tests in this process may leave threads waiting
    after = ch09.press_interrupt(threaded.download_all_sites, primitives.download_all_sites)
    pool, by_hand = after["the pool (chapter 2)"], after["threads by hand (chapter 8)"]
    assert pool <= 10 < by_hand  # the pool's pages under way, against the queue's rest
    deadline = time.monotonic() + 2  # every thread of the runs ends (the last ones just now)
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before
    assert "pages fetched after the interrupt" in capsys.readouterr().out


def test_a_new_thread_and_a_copied_context_see_what_they_should(capsys):
    user = contextvars.ContextVar("user", default="nobody")
    user.set("learner")
    ch09.where_seen(user.get)
    said = capsys.readouterr().out
    assert "this thread: 'learner'" in said
    assert "a new Thread, in copy_context().run: 'learner'" in said
    # A plain new thread starts empty, except where 3.14's flag is on (the free-threaded build).
    assert "a new Thread: 'nobody'" in said or "a new Thread: 'learner'" in said


def test_the_bounded_check_answers_a_name_that_is_not_a_function():
    verdict = ch09.check_bounded(None)
    assert not verdict.correct and "is not a function yet" in verdict


def test_a_learner_program_that_raises_gets_one_line(capsys):
    namespace = cells(STOPPABLE + BUG)
    assert ch09.stop_run(namespace["download_all_stoppable"]) is None
    ch09.press_interrupt(namespace["download_all_stoppable"])
    ch09.press_interrupt(lambda sites, max_workers=5: None)  # no download_site where it lives
    said = capsys.readouterr().out.splitlines()
    assert said[0] == "download_all_stoppable raised ValueError: a bug of mine"
    assert said[1] == said[0]
    assert said[2].endswith("run the cell that defines download_site first.")
