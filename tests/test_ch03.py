"""Chapter 03: the N-workers pattern, a consumer in the collecting thread."""

import inspect
import signal
import threading
import time

import pytest

from lessons import consumer, threaded
from lessons.chapters import ch03 as pattern

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


def test_an_interrupt_in_a_recorded_run_ends_it_promptly(fast_sites):
    # The stop button (SIGINT) lands in the main thread, inside the consumer's loop: the run
    # stops at once, and the pool's `with` block finds the pages not yet begun skipped.
    pages = list(fast_sites.urls.values()) * 400  # 800 pages: about 2 s at 10 ms and 5 workers
    fast_sites.configure(latency=0.01)
    main = threading.main_thread().ident
    fired = []

    def interrupt():
        fired.append(time.perf_counter())
        signal.pthread_kill(main, signal.SIGINT)

    timer = threading.Timer(0.4, interrupt)
    timer.start()
    try:
        result = pattern.record(consumer, pages, max_workers=5)
    finally:
        timer.join()
    # How many pages came back by then depends on the machine (15 on a loaded CI runner, 40
    # here); what matters is that the run ends soon after the signal, long before the last page.
    assert fired and time.perf_counter() - fired[0] < 0.8
    assert result.run.interrupted and result.run.done < 400
    assert result.run.summary()[0].startswith("Interrupted after")


def test_a_learners_function_is_recorded_like_a_module(fast_pages):
    result = pattern.record(threaded.download_all_sites, fast_pages, max_workers=3)
    assert result.returned == list(range(160)) and len(result.run.threads) == 3


def test_the_consumer_program_is_short_and_in_the_lessons_shape():
    source = inspect.getsource(consumer)
    assert 20 <= len(source.splitlines()) <= 45
    for name in ("get_session", "download_site", "count_words", "submit", "as_completed"):
        assert name in source
    assert inspect.signature(consumer.download_all_sites).parameters["max_workers"].default == 5
