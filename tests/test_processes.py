"""Chapter 11: the process-pool program downloads every page, is recorded by the parent,
leaves no process behind, and works from a notebook's kernel."""

import multiprocessing
import signal
import threading

import pytest
from kernel_helpers import Kernel

from lessons import processes
from lessons.chapters import ch11
from lessons.course import compare_lab
from lessons.course.record import Recorder
from lessons.course.record_processes import record_run_processes

pytestmark = pytest.mark.timeout(120)


def test_every_page_once_recorded_and_marked_by_the_parent(fast_pages, capsys):
    pages = [f"{url}#{i}" for i, url in enumerate(fast_pages)]
    recorder = Recorder(on_mark=lambda letter: print(letter, end=""))
    result = record_run_processes(processes, pages, recorder, max_workers=3)
    assert sorted(d.url for d in result.downloads) == sorted(pages)
    assert result.done == len(pages) and len(result.returned) == len(pages)
    assert 1 <= len(result.threads) <= 3 and all(t.startswith("process ") for t in result.threads)
    assert all(0 <= d.start <= d.end <= result.elapsed for d in result.downloads)
    assert sorted(capsys.readouterr().out) == sorted("JR" * 80)
    assert not multiprocessing.active_children()


def test_the_program_never_forks():
    assert compare_lab.processes_method() in ("spawn", "forkserver")


def test_an_interrupt_ends_the_run_and_its_processes(fast_sites, fast_pages):
    fast_sites.configure(latency=0.05)
    timer = threading.Timer(
        1.5, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT)
    )
    timer.start()
    try:
        result = record_run_processes(processes, fast_pages, Recorder(), max_workers=2)
    finally:
        timer.cancel()
    assert result.interrupted and result.done < len(fast_pages)
    assert not multiprocessing.active_children()


def test_the_process_pool_works_from_a_kernel():
    kernel = Kernel()
    try:
        kernel.ok("from lessons.course import compare_lab, runs", timeout=60)
        kernel.ok("result = runs.run('processes', 2, copies=5, show=False)", timeout=60)
        assert kernel.value("[result.done, result.pages, result.interrupted]") == [10, 10, False]
        assert kernel.value("len({d.thread for d in result.downloads}) <= 2")
        out = kernel.ok("compare_lab.try_asyncio_run()").text
        assert "cannot be called from a running event loop" in out
        kernel.ok("run = await compare_lab.run_asyncio(3, quiet=True)", timeout=60)
        assert kernel.value("run.done") == 160
        assert kernel.value("len(__import__('multiprocessing').active_children())") == 0
    finally:
        kernel.shutdown()


def test_a_cells_program_is_saved_reloaded_and_run_by_a_new_pool(fast_pages):
    from test_asyncio import a_cell, body

    source = body("processes")
    kept = ch11.keep(a_cell(source, 101)["download_all_sites"])
    assert kept.__name__ == "my_processes"
    pages = fast_pages[:6]
    first = record_run_processes(kept, pages, Recorder(), max_workers=2)
    assert first.done == 6, first.summary()
    edited = source.replace("return len(response.content)", "return -1")
    again = ch11.keep(a_cell(edited, 102)["download_all_sites"])
    assert again is kept  # the same module, reloaded
    second = record_run_processes(again, pages, Recorder(), max_workers=2)
    assert second.returned == [-1] * 6  # the new pool's children imported the edit
    assert not multiprocessing.active_children()
