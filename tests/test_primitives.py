"""Chapter 08: the Queue and the sliced programs, the lost exception, the self-checks."""

import os
import signal
import threading
import time

import pytest

from lessons import primitives
from lessons.course import primitives_lab
from lessons.course.program import record_run
from lessons.course.record import Recorder

pytestmark = pytest.mark.timeout(60)


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


@pytest.mark.parametrize("max_workers", [2, 5])
def test_sliced_lanes_hold_exactly_their_slices(fast_pages, max_workers):
    pages = numbered(fast_pages)
    program = primitives_lab.VERSIONS["Thread + slices"]
    run = record_run(program, pages, Recorder(), "sliced", max_workers=max_workers)
    lanes = {thread: sorted(d.url for d in run.downloads if d.thread == thread)
             for thread in run.threads}  # fmt: skip
    slices = [sorted(pages[i::max_workers]) for i in range(max_workers)]
    assert sorted(lanes.values()) == sorted(slices)


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


def test_versions_and_slicing_on_fast_sites(fast_sites, capsys):
    runs = primitives_lab.compare_versions(max_workers=5, demo=fast_sites)
    assert [run.done for run in runs.values()] == [160, 160, 160]
    assert capsys.readouterr().out.count("x the floor") == 3
    sliced = primitives_lab.compare_slicing(max_workers=2, demo=fast_sites)
    lanes = sliced["Thread + slices"]
    letters = {frozenset(d.letter for d in lanes.downloads if d.thread == t) for t in lanes.threads}
    assert letters == {frozenset("J"), frozenset("R")}  # one lane every J page, one every R page
    assert set(primitives_lab.lane_ends(lanes)) == set(lanes.threads)
    assert "finished at" in capsys.readouterr().out
    for image in (
        primitives_lab.plot_versions(runs, fast_sites),
        primitives_lab.plot_lanes(sliced),
    ):
        assert image.data.startswith(b"\x89PNG")


def test_exception_demo_threads_lose_results_the_executor_raises(fast_sites, capsys):
    hook, before = threading.excepthook, threading.enumerate()
    by_threads, by_executor = primitives_lab.exception_demo("Jython", copies=5, demo=fast_sites)
    assert by_threads.raised is None
    assert by_threads.returned is not None and by_threads.returned < by_threads.pages
    assert by_threads.in_hook == ["HTTP 500"] * 5  # each J page ended a worker: 5 J, 5 workers
    assert by_executor.raised.startswith("HTTPError") and by_executor.in_hook == []
    assert by_threads.alive == by_executor.alive == 0
    assert threading.excepthook is hook
    assert fast_sites.sites["Jython"].profile.error_rate == 0.0
    out = capsys.readouterr()
    assert "missing" in out.out and "raised HTTPError" in out.out
    assert "Traceback" not in out.err
    assert not new_threads_end(before, seconds=0.5)


def test_the_failing_site_is_restored_after_an_error(fast_sites):
    fast_sites.configure("Jython", error_rate=0.25)
    with pytest.raises(RuntimeError), primitives_lab.failing("Jython", fast_sites):
        assert fast_sites.sites["Jython"].profile.error_rate == 1.0
        raise RuntimeError("in the block")
    assert fast_sites.sites["Jython"].profile.error_rate == 0.25


def test_check_markers():
    assert primitives_lab.check_markers(5, max_workers=5).correct
    assert "forever" in primitives_lab.check_markers(4, max_workers=5)
    assert not primitives_lab.check_markers(6, max_workers=5).correct
    assert not primitives_lab.check_markers(None).correct


def test_check_slices(fast_sites):
    fast_sites.configure("Jython", latency=0.015)  # read by the check only: no request is sent

    def halves(sites, n):
        size = len(sites) // n
        return [sites[i * size : (i + 1) * size] for i in range(n)]

    assert primitives_lab.check_slices(halves, demo=fast_sites).correct
    lessons_slices = primitives_lab.check_slices(
        lambda s, n: [s[i::n] for i in range(n)], 2, fast_sites
    )
    assert not lessons_slices.correct and "the longest sets the time" in lessons_slices
    assert "each of the 160" in primitives_lab.check_slices(
        lambda s, n: [s[:10]] * n, 2, fast_sites
    )
    assert "raised" in primitives_lab.check_slices(lambda s, n: 1 / 0, 2, fast_sites)


def test_check_caller_saw(fast_sites):
    hook = threading.excepthook
    assert primitives_lab.check_caller_saw(0, demo=fast_sites).correct
    assert not primitives_lab.check_caller_saw(5, demo=fast_sites).correct
    assert not primitives_lab.check_caller_saw(None, demo=fast_sites).correct
    assert threading.excepthook is hook
    assert fast_sites.sites["Jython"].profile.error_rate == 0.0
