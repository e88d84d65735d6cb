"""Chapter 08: the program by hand, what the pool gives that it does not, measured; the checks."""

import os
import queue
import signal
import threading
import time

import pytest
import requests

from lessons import primitives, threaded
from lessons.chapters import ch08
from lessons.course.program import record_run
from lessons.course.record import Recorder

pytestmark = pytest.mark.timeout(60)
download_site = primitives.download_site  # what download_with_shutdown calls, as in a cell


def numbered(pages):
    """Each page made unique by its place after a #, which is never sent to the server."""
    return [f"{url}#{i}" for i, url in enumerate(pages)]


def new_threads_end(before, seconds=5.0):
    """Wait for the threads started since `before`; return those still alive."""
    left = [t for t in threading.enumerate() if t not in before]
    for thread in left:
        thread.join(timeout=seconds)
    return [t for t in left if t.is_alive()]


def test_queue_version_downloads_every_page_once_and_every_thread_ends(fast_pages):
    pages, before = numbered(fast_pages), threading.enumerate()
    run = record_run(primitives, pages, Recorder(), "primitives", max_workers=5)
    assert sorted(d.url for d in run.downloads) == sorted(pages)
    assert run.done == len(pages) and len(run.returned) == len(pages)
    assert len(run.threads) == 5
    assert not new_threads_end(before, seconds=0.5)


def test_queue_version_returns_the_sizes_unrecorded(fast_pages, capsys):
    sizes = primitives.download_all_sites(fast_pages[:20], max_workers=3)
    assert len(sizes) == 20 and all(size > 0 for size in sizes)
    assert sorted(capsys.readouterr().out) == sorted("JR" * 10)  # the lesson's marks


def test_an_interrupt_while_joining_does_not_hang(fast_pages):
    before, sent, lock = threading.enumerate(), [], threading.Lock()

    def interrupting(download_site):
        def download(url):
            with lock:
                if len(sent) == 0 and threading.current_thread() is not threading.main_thread():
                    sent.append(url)  # a real SIGINT to the main thread, blocked in join()
                    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            return download_site(url)

        return download

    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    run = record_run(primitives, fast_pages, Recorder(), "primitives", 5, wrap=interrupting)
    assert run.interrupted and sent
    assert run.done < len(fast_pages)
    assert not new_threads_end(before), "a worker still runs after the interrupt"
    assert os.getpid()  # still here: the interrupt was caught by record_run


def test_nothing_is_marked_after_an_interrupted_run_returns(fast_pages):
    """A worker's mark comes after its request ends: the run waits for the mark too (CI once
    printed a J after the summary line of an interrupted `python -m lessons primitives`)."""
    marks, returned, sent, lock = [], threading.Event(), [], threading.Lock()

    def slow_mark(letter):
        time.sleep(0.2)  # a mark that takes its time, as a busy terminal or kernel may
        marks.append(returned.is_set())

    def interrupting(download_site):
        def download(url):
            with lock:
                if not sent:  # one real SIGINT to the main thread, blocked in join()
                    sent.append(url)
                    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            return download_site(url)

        return download

    run = record_run(primitives, fast_pages, Recorder(on_mark=slow_mark), "primitives", 5,
                     wrap=interrupting)  # fmt: skip
    returned.set()
    time.sleep(0.5)
    assert run.interrupted and sent and marks
    assert not any(marks), f"{marks.count(True)} marks after the run returned"


def download_with_shutdown(sites, max_workers=5):
    """The notebook's version with Queue.shutdown() (Python 3.13 and later)."""
    work, results = queue.Queue(), []

    def worker():
        try:
            while True:
                results.append(download_site(work.get()))
        except queue.ShutDown:
            return

    for url in sites:
        work.put(url)
    work.shutdown()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max_workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_compare_runs_times_both_and_counts_results_in_place(fast_sites, capsys):
    runs = ch08.compare_runs(threaded.download_all_sites, primitives.download_all_sites,
                             copies=40, demo=fast_sites)  # fmt: skip
    pool, hand = runs.values()
    assert pool.done == hand.done == 80
    out = capsys.readouterr().out
    assert "the pool:  80 of 80" in out  # map keeps the order of sites
    assert "times as long as the pool" in out and "the pool:  Downloaded 80 in" in out
    assert ch08.in_place(pool) == 80 and ch08.returned_order(pool) == list(range(80))
    assert sorted(ch08.returned_order(hand)) == list(range(80))
    assert ch08.plot_order(runs).data.startswith(b"\x89PNG")


def test_compare_failures_the_pool_raises_by_hand_loses(fast_sites, capsys):
    hook, before = threading.excepthook, threading.enumerate()
    outcomes = ch08.compare_failures(
        threaded.download_all_sites, primitives.download_all_sites, demo=fast_sites
    )
    pool, hand = outcomes.values()
    assert isinstance(pool.raised, requests.HTTPError) and pool.in_hook == []
    assert hand.raised is None and len(hand.in_hook) == ch08.WORKERS  # each worker died once
    assert hand.tried < hand.pages and len(hand.returned) < hand.pages - 10
    assert threading.excepthook is hook
    assert fast_sites.sites["Jython"].profile.error_rate == 0.0
    out = capsys.readouterr()
    assert "HTTPError (HTTP 500)" in out.out and "without a word" in out.out
    assert "Traceback" not in out.err
    assert not new_threads_end(before, seconds=2)


def test_compare_stops(fast_sites, capsys, monkeypatch):
    runs = ch08.compare_stops(primitives.download_all_sites, download_with_shutdown,
                              demo=fast_sites)  # fmt: skip
    out = capsys.readouterr().out
    assert all(run.done == 40 for run in runs.values())
    assert out.count("threads still alive after: 0") == len(runs)
    if ch08.HAS_SHUTDOWN:
        assert list(runs) == ["stop markers", "Queue.shutdown()"]
    else:
        assert list(runs) == ["stop markers"] and "new in Python 3.13" in out
    monkeypatch.setattr(ch08, "HAS_SHUTDOWN", False)  # what a 3.11 kernel prints
    ch08.compare_stops(primitives.download_all_sites, None, copies=2, demo=fast_sites)
    assert capsys.readouterr().out.count("\n") == 2  # one line, and the markers' row


def test_a_call_that_hangs_is_left_after_the_limit(monkeypatch):
    monkeypatch.setattr(ch08, "LIMIT", 0.3)
    release = threading.Event()

    def stuck(sites, max_workers=5):
        release.wait(5)

    try:
        outcome = ch08.call_failing(stuck, ["http://127.0.0.1:9/"])
        assert outcome.hung and "no return within" in outcome.caller_saw
    finally:
        release.set()


def test_check_raises_when_only_a_failure_hangs(monkeypatch):
    """A worker that waits for ever once a page failed: one clear line, the kernel free."""
    monkeypatch.setattr(ch08, "LIMIT", 1.0)
    release = threading.Event()
    namespace = {"__name__": "__main__", "release": release,
                 "download_site": primitives.download_site}  # fmt: skip
    exec(
        "def download_or_raise(sites, max_workers=5):\n"
        "    results = []\n"
        "    for url in sites:\n"
        "        try:\n"
        "            results.append(download_site(url))\n"
        "        except Exception:\n"
        "            release.wait(5)\n"
        "            raise\n"
        "    return results\n",
        namespace,
    )
    try:
        verdict = ch08.check_raises(namespace["download_or_raise"])
    finally:
        release.set()
    assert verdict.startswith("Not yet, because") and "had not returned after 1 s" in verdict
