"""The lesson's two programs against the demo sites: 160 pages, J and R marks, the record."""

import gc
import inspect
import signal
import threading
import time
import types

import pytest

import lessons
from lessons import synchronous, threaded
from lessons.course.program import record_run
from lessons.course.record import Recorder
from lessons.course.sites import TIMEOUT


def without_caution(out: str) -> list[str]:
    """The lines a run printed, less the caution a shared machine adds under it (the suite's
    other worker may be busy: tests/test_contention.py tests that line)."""
    return [line for line in out.splitlines() if not line.startswith("Caution: the machine")]


def test_sync_downloads_160_pages_in_regular_order(fast_pages, capsys):
    result = lessons.run_sync(sites=fast_pages)
    lines = without_caution(capsys.readouterr().out)
    marks, last = lines[0], lines[-1]
    assert marks == "JR" * 80
    assert last.startswith("Downloaded 160 in ") and last.endswith(" seconds")
    assert result.done == 160 and result.failed == 0
    assert result.threads == [threading.current_thread().name]


def test_threads_download_160_pages_with_j_and_r(fast_pages, capsys):
    result = lessons.run_threads(5, sites=fast_pages)
    marks = capsys.readouterr().out.splitlines()[0]
    assert sorted(marks) == sorted("JR" * 80)
    assert result.done == 160
    assert 1 < len(result.threads) <= 5
    assert all(d.bytes > 1000 and d.ok for d in result.downloads)


def test_the_default_sites_are_the_demo_sites(capsys):
    result = lessons.run_threads(20)
    assert result.done == 160
    assert set(capsys.readouterr().out.splitlines()[0]) == {"J", "R"}
    demo_urls = set(lessons.start_demo_sites().urls.values())
    assert {d.url for d in result.downloads} == demo_urls


def test_quiet_prints_no_marks_but_the_last_line(fast_pages, capsys):
    lessons.run_threads(5, sites=fast_pages, quiet=True)
    out = capsys.readouterr().out
    assert out.startswith("Downloaded 160 in ")
    # No line of marks (a caution line may follow, on a shared machine: tests/test_contention.py)
    assert not any(set(line) <= {"J", "R"} for line in out.splitlines() if line), out


def test_each_download_is_recorded_with_thread_and_times(fast_pages):
    result = lessons.run_threads(4, sites=fast_pages, quiet=True, show=False)
    assert len(result.downloads) == 160
    for d in result.downloads:
        assert 0 <= d.start < d.end <= result.elapsed + 0.01
        assert d.letter in "JR" and d.thread.startswith("ThreadPoolExecutor")
    assert [d.end for d in result.downloads] == sorted(d.end for d in result.downloads)


def test_the_lesson_code_stays_short_and_free_of_bookkeeping():
    for module in (synchronous, threaded):
        source = inspect.getsource(module)
        code = [line for line in source.splitlines() if line.strip()]
        assert len(code) <= 25, module.__name__
        for word in ("perf_counter", "Recorder", "append", "time."):
            assert word not in source, (module.__name__, word)
    assert "thread_local = threading.local()" in inspect.getsource(threaded)
    assert "ThreadPoolExecutor(max_workers=max_workers)" in inspect.getsource(threaded)


def test_recording_does_not_change_the_modules_a_learner_reads(fast_pages):
    before = threaded.download_site
    record_run(threaded, fast_pages[:10], Recorder(), "threads", 2)
    assert threaded.download_site is before


def test_the_lesson_code_runs_plainly_too(fast_pages, capsys):
    """Called directly, as a learner may, it prints its marks and returns the sizes."""
    sizes = threaded.download_all_sites(fast_pages[:10], max_workers=3)
    assert len(sizes) == 10 and all(size > 1000 for size in sizes)
    assert sorted(capsys.readouterr().out) == sorted("JR" * 5)


def test_a_failing_page_is_summarised_not_raised(fast_sites, capsys):
    fast_sites.configure("Jython", error_rate=1.0)
    result = lessons.run_threads(5, sites=list(fast_sites.urls.values()) * 5)
    lines = without_caution(capsys.readouterr().out)
    assert result.done == 5 and result.failed == 5
    assert lines[0].count("x") == 5 and lines[0].count("R") == 5
    assert lines[-2] == "Failed 5 of 10 pages: 5 x HTTP 500."
    assert lines[-1].startswith("Downloaded 5 in ")


def test_stop_skips_the_remaining_pages(fast_pages):
    recorder = Recorder()
    recorder.on_download = lambda d: recorder.stop() if len(recorder.downloads) >= 20 else None
    result = lessons.run_threads(2, sites=fast_pages, recorder=recorder, show=False, quiet=True)
    assert result.stopped and 20 <= result.done < 30
    assert result.summary()[0] == f"Stopped after {result.done} of 160 pages."


@pytest.mark.parametrize(
    "value, message",
    [
        (0, "max_workers must be at least 1"),
        (-3, "max_workers must be at least 1"),
        (2.5, "max_workers must be a whole number from 1 to 1000; got 2.5"),
        ("5", "max_workers must be a whole number from 1 to 1000; got '5'"),
        (True, "max_workers must be a whole number"),
        (10_000, "max_workers=10000 is too many and more than the 160 pages: use 1 to 1000"),
    ],
)
def test_bad_worker_counts_get_a_clear_error(fast_pages, value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        lessons.run_threads(value, sites=fast_pages)


def test_bad_mode_and_sites_get_a_clear_error():
    modes = r"\['sync', 'threads', 'primitives', 'asyncio', 'processes'\]"
    with pytest.raises(ValueError, match=f"mode must be one of {modes}"):
        lessons.run("fast")
    with pytest.raises(
        ValueError, match="sites must be 'demo', 'real' or a list of URLs; got 'mars'"
    ):
        lessons.run("threads", sites="mars")
    with pytest.raises(ValueError, match="copies must be a whole number of 1 or more"):
        lessons.run("threads", copies=0)


def _instant_page(url):
    return b"<html>" * 10


def _every_page(sites):
    for url in sites:
        download_site(url)  # noqa: F821 - the recorded download_site, given by rebound


def _free(lock) -> bool:
    """Whether another thread can take `lock` (an RLock, which has no locked() before 3.14)."""
    took = []

    def take():
        if lock.acquire(timeout=1):
            took.append(True)
            lock.release()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join()
    return bool(took)


def test_an_interrupt_at_any_moment_leaves_the_record_usable():
    # The main thread records every page of a synchronous run (and of the process pool's):
    # a Ctrl-C landing inside the recorder's own bookkeeping must not leave its lock held,
    # or the run's end would wait on it forever (python/cpython#74174: a Condition's
    # __enter__ is Python code; python/cpython#148874: from 3.14 even a lock's C __enter__
    # is followed by a check for signals, so the recorder releases what the interrupt left).
    program = types.SimpleNamespace(download_site=_instant_page, download_all_sites=_every_page)
    sites = ["http://127.0.0.1:9/", "http://127.0.0.2:9/"] * 20_000
    main, interrupted, late = threading.main_thread().ident, 0, 0
    gc.collect()  # no old garbage's __del__ to take the KeyboardInterrupt in the middle of a run
    for trial in range(60):
        recorder = Recorder()
        timer = threading.Timer(0.005 + trial * 0.0005, signal.pthread_kill, (main, signal.SIGINT))
        try:
            timer.start()  # waits for the timer's thread: on a busy machine, longer than 5 ms
        except KeyboardInterrupt:  # the signal came before the run began: not the run's to catch
            timer.join()
            late += 1
            continue
        started, result = time.monotonic(), None
        try:
            try:
                result = record_run(program, sites, recorder, "sync")
            finally:
                timer.join()
        except KeyboardInterrupt:
            # Only after the run had returned (a late timer on a busy machine) is it not the
            # run's to catch.
            assert result is not None, f"the interrupt escaped the run (trial {trial})"
            late += 1
            continue
        # ...nor its count of calls under way up, or the run's end would wait out the timeouts
        assert time.monotonic() - started < sum(TIMEOUT) / 2, f"waited (trial {trial})"
        assert _free(recorder._lock), f"the lock was left held (trial {trial})"
        interrupted += result.interrupted
        assert result.done == len(sites) or result.interrupted
    assert interrupted >= 50 and late <= 5, (interrupted, late)
