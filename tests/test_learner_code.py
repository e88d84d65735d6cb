"""The course runs the learner's own cells: whatever they define is timed and recorded, and
their mistakes (no max_workers, a helper, an odd result, a raise, a hang) get one clear line."""

import pathlib
import threading
import time

import pytest

import lessons
from lessons import threaded
from lessons.course.program import GRACE

THREADED = pathlib.Path(threaded.__file__).read_text()


def cell(*sources: str) -> dict:
    """A fresh notebook namespace: the lesson's threaded program run as its cell, then
    `sources`, each as a cell run after it."""
    namespace = {"__name__": "__main__"}
    exec(compile(THREADED, "<cell threaded>", "exec"), namespace)
    for number, source in enumerate(sources):
        exec(compile(source, f"<cell {number}>", "exec"), namespace)
    return namespace


def quiet_run(function, *args, **options):
    return lessons.run(function, *args, quiet=True, show=False, caution=False, **options)


def test_the_learners_program_is_timed_and_recorded_with_its_own_worker_count(fast_pages):
    result = quiet_run(cell()["download_all_sites"], 3, sites=fast_pages)
    assert result.done == 160 and result.max_workers == 3 and len(result.threads) == 3
    result = quiet_run(cell()["download_all_sites"], sites=fast_pages)
    assert result.max_workers == 5 and len(result.threads) == 5  # the function's own default


def test_a_plain_loop_runs_in_one_thread_and_says_it_has_no_max_workers(fast_pages, capsys):
    loop = cell("def download_all_sites(sites):\n    return [download_site(u) for u in sites]")
    result = lessons.run(loop["download_all_sites"], 5, sites=fast_pages, caution=False)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "JR" * 80  # the program's own marks, in its own order
    assert lines[1] == "download_all_sites(sites) has no max_workers: it ran as written."
    assert lines[-1].startswith("Downloaded 160 in")
    assert result.threads == [threading.current_thread().name] and result.mode == "sync"


def test_the_marks_are_the_programs_own_print(fast_pages, capsys):
    edited = cell(
        "def download_site(url):\n"
        "    with get_session().get(url, timeout=TIMEOUT) as response:\n"
        "        print(site_letter(url).lower(), end='', flush=True)\n"
        "        return len(response.content)\n"
    )
    lessons.run(edited["download_all_sites"], sites=fast_pages[:10], caution=False)
    assert sorted(capsys.readouterr().out.splitlines()[0]) == sorted("jr" * 5)
    quiet_run(edited["download_all_sites"], sites=fast_pages[:10])
    assert capsys.readouterr().out == ""


def test_a_helper_the_recording_cannot_see_is_named(fast_pages):
    helper = cell(
        "def fetch(url):\n    return download_site(url)\n\n"
        "def download_all_sites(sites):\n    return [fetch(url) for url in sites]\n"
    )
    result = quiet_run(helper["download_all_sites"], sites=fast_pages[:6])
    assert result.done == 0
    assert result.notes == [
        "6 results came back, but none through download_site: call it from "
        "download_all_sites, and the course sees each page."
    ]


def test_a_result_that_is_not_a_size_is_counted_and_said(fast_pages):
    odd = cell(
        "def download_site(url):\n"
        "    with get_session().get(url, timeout=TIMEOUT) as response:\n"
        "        return response\n"
    )
    result = quiet_run(odd["download_all_sites"], sites=fast_pages[:8])
    assert result.done == 8 and result.failed == 0
    assert "8 pages returned a Response, not a size: the course counts 0 bytes." in result.summary()


def test_a_cell_that_raises_gets_one_line_and_the_next_run_works(fast_pages, capsys):
    broken = cell(
        "def download_all_sites(sites, max_workers=5):\n    return [sesion for url in sites]\n"
    )
    result = lessons.run(broken["download_all_sites"], sites=fast_pages[:4], caution=False)
    out = capsys.readouterr().out
    assert "your download_all_sites raised NameError: name 'sesion' is not defined" in out
    assert "Traceback" not in out and result.done == 0
    assert quiet_run(cell()["download_all_sites"], sites=fast_pages).done == 160


def test_the_wait_follows_the_cells_timeout(fast_sites):
    pages = list(fast_sites.urls.values()) * 2
    fast_sites.configure(latency=0.6)
    slow = cell("TIMEOUT = (3, 0.2)")
    started = time.perf_counter()
    result = quiet_run(slow["download_all_sites"], sites=pages)
    assert time.perf_counter() - started < 2, "the cell's 0.2 s read timeout was not used"
    assert result.failed == 4 and "no answer within" in result.summary()[0]


@pytest.mark.timeout(60)
def test_a_hung_cell_is_abandoned_said_and_does_not_slow_the_next_run(fast_pages):
    hung = cell(
        "import threading\nTIMEOUT = (0.5, 0.5)\nrelease = threading.Event()\n"
        "def download_site(url):\n    release.wait(300)\n"
    )
    started = time.perf_counter()
    try:
        result = quiet_run(hung["download_all_sites"], sites=fast_pages[:10])
        waited = time.perf_counter() - started
    finally:  # the hung threads end, or this process would wait for them at its exit
        hung["release"].set()
    limit = 1 + GRACE
    assert limit < waited < limit + 3, waited
    assert result.abandoned and result.summary()[0] == (
        f"Abandoned after 0 of 10 pages: no page began or ended for {limit:.0f} s."
    )
    started = time.perf_counter()
    assert quiet_run(cell()["download_all_sites"], sites=fast_pages).done == 160
    assert time.perf_counter() - started < 3


def test_a_thread_that_prints_after_its_run_prints_nowhere(fast_pages, capsys):
    late = cell(
        "import time\n"
        "def download_all_sites(sites):\n"
        "    def later():\n"
        "        time.sleep(0.3)\n"
        "        print('late')\n"
        "        download_site(sites[0])\n"
        "    threading.Thread(target=later, daemon=True).start()\n"
        "    return [download_site(url) for url in sites]\n"
    )
    lessons.run(late["download_all_sites"], sites=fast_pages[:4], caution=False)
    time.sleep(0.6)
    out = capsys.readouterr().out
    assert "late" not in out and out.splitlines()[0] == "JRJR"


def test_a_function_that_is_not_one_gets_a_clear_error():
    with pytest.raises(ValueError, match="expected download_all_sites"):
        lessons.run(42)
