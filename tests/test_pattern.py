"""Chapter 03: the N-workers pattern, a consumer in the collecting thread, the self-checks."""

import inspect
import threading
import time

import pytest

from lessons import consumer, threaded
from lessons.course import pattern
from lessons.course.program import rebound

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def map_run(fast_pages):
    return pattern.record(threaded, fast_pages, max_workers=5)


@pytest.fixture
def consumer_run(fast_pages):
    return pattern.record(consumer, fast_pages, max_workers=5)


def test_the_consumer_counts_the_words_of_every_page(fast_pages, capsys):
    words = consumer.download_all_sites(fast_pages, max_workers=4)
    counts = [len(threaded.get_session().get(url).text.split()) for url in fast_pages[:2]]
    assert sorted(words) == sorted(counts * 80) and min(counts) > 0
    assert sorted(capsys.readouterr().out) == sorted("JR" * 80)  # the marks, as each arrives


def test_the_consumer_runs_in_the_collecting_thread(consumer_run):
    assert consumer_run.run.done == 160 and len(consumer_run.consumed) == 160
    assert {c.thread for c in consumer_run.consumed} == {threading.current_thread().name}
    workers = {d.thread for d in consumer_run.run.downloads}
    assert 1 < len(workers) <= 5 and threading.current_thread().name not in workers
    assert sorted(c.page for c in consumer_run.consumed) == list(range(160))


def test_map_returns_input_order_while_arrival_order_differs(map_run):
    assert map_run.returned == list(range(160))
    assert sorted(map_run.arrived) == list(range(160))
    assert map_run.arrived != map_run.returned  # 5 workers at once: not one after another
    assert all(wait >= 0 for wait in pattern.waits_for_order(map_run))


def test_queue_lengths_fall_by_one_at_each_hand_out(map_run):
    times, lengths = pattern.queue_lengths(map_run.run)
    assert lengths[0] == 160 and lengths[-1] == 0
    assert times == sorted(times) and len(times) == len(lengths) == 161


def test_the_drawings_are_pngs(map_run, consumer_run):
    assert pattern.pattern_png(map_run).startswith(PNG)
    assert pattern.consumer_png(consumer_run).startswith(PNG)
    assert pattern.plot(map_run).data.startswith(PNG)


def test_the_printed_tables_name_orders_threads_and_words(map_run, consumer_run, capsys):
    pattern.show_orders(map_run)
    pattern.show_handouts(map_run, pages=6)
    pattern.where_consumed(consumer_run)
    out = capsys.readouterr().out
    assert "Returned in input order: True." in out
    assert f"count_words ran 160 times in {threading.current_thread().name}." in out


def test_check_queue(map_run):
    assert pattern.check_queue(155, map_run).correct
    wrong = pattern.check_queue(160, map_run)
    assert not wrong.correct and wrong.startswith("Not yet, because 155 pages waited")
    assert not pattern.check_queue(None, map_run).correct


def test_check_next_worker(fast_sites):
    fast_sites.configure(latency=0.03)  # pages far slower than starting a thread, as in the demo
    run = pattern.record(threaded, list(fast_sites.urls.values()) * 10, max_workers=5)
    target = run.page(5)
    first = [n for n in range(5) if run.page(n).thread == target.thread]
    assert first and pattern.check_next_worker(first[0], run).correct
    others = [n for n in range(5) if n not in first]
    verdict = pattern.check_next_worker(others[0], run)
    assert not verdict.correct and verdict.startswith("Not yet, because page")
    assert not pattern.check_next_worker(7, run).correct
    assert not pattern.check_next_worker(None, run).correct


def test_check_consumer_thread(consumer_run):
    assert pattern.check_consumer_thread(threading.current_thread().name, consumer_run).correct
    worker = consumer_run.run.downloads[0].thread
    verdict = pattern.check_consumer_thread(worker, consumer_run)
    assert not verdict.correct and verdict.startswith("Not yet, because count_words ran in")
    assert not pattern.check_consumer_thread(None, consumer_run).correct


def test_an_interrupt_drops_the_queue_at_once():
    calls = []

    def slow_download(url):
        calls.append(url)
        if len(calls) == 10:
            raise KeyboardInterrupt
        time.sleep(0.05)
        return "a page"

    download_all_sites = rebound(consumer.download_all_sites, download_site=slow_download)
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        download_all_sites(["http://127.0.0.1:9/"] * 160, max_workers=5)
    elapsed = time.perf_counter() - started
    # The whole queue would take 160 * 0.05 / 5 = 1.6 s; the pages in flight, 0.05 s.
    assert elapsed < 0.5 and len(calls) < 20, (elapsed, len(calls))


def test_an_interrupt_in_a_recorded_run_ends_it_promptly(fast_sites):
    pages = list(fast_sites.urls.values()) * 400  # 800 pages: about 1 s at 5 ms and 5 workers
    fast_sites.configure(latency=0.01)
    program = type(consumer)("interrupting")
    program.__dict__.update(vars(consumer))
    done = []

    def download_site(url):
        done.append(url)
        if len(done) == 30:
            raise KeyboardInterrupt
        return consumer.download_site(url)

    program.download_site = download_site
    started = time.perf_counter()
    result = pattern.record(program, pages, max_workers=5)
    assert time.perf_counter() - started < 1.5
    assert result.run.interrupted and 25 <= result.run.done < 60
    assert result.run.summary()[0].startswith("Interrupted after")


def test_the_consumer_program_is_short_and_in_the_lessons_shape():
    source = inspect.getsource(consumer)
    assert 25 <= len(source.splitlines()) <= 45
    for name in ("thread_local", "get_session", "download_site", "count_words", "as_completed"):
        assert name in source
    assert inspect.signature(consumer.download_all_sites).parameters["max_workers"].default == 5
