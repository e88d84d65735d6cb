"""Chapter 09, "Futures that fail well": each section's call on the learner's cells, and the
self-check check_first_error with the template, right answers written differently, wrong ones."""

import dataclasses
import pathlib
import re

import pytest
from cases_ch09 import KEY_SOURCE

from lessons import threaded
from lessons.chapters import ch09_futures as futures
from lessons.course.sites import start_demo_sites

pytestmark = pytest.mark.timeout(120)

CELLS = """
def wait_briefly(executor, url):
    future = executor.submit(download_site, url)
    return future.result(timeout=0.5)


def cancel_all(executor, sites):
    futures = [executor.submit(download_site, url) for url in sites]
    return [future.cancel() for future in futures]


pages_done = 0
done_lock = threading.Lock()


def count_page(future):
    global pages_done
    with done_lock:
        pages_done += 1


def submit_counted(executor, sites):
    for url in sites:
        executor.submit(download_site, url).add_done_callback(count_page)


def map_pages(executor, sites):
    return list(executor.map(download_site, sites))


def wait_first_error(executor, sites):
    futures = [executor.submit(download_site, url) for url in sites]
    return concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_EXCEPTION)


def download_with_retries(url, tries=3):
    for attempt in range(tries):
        try:
            return download_site(url)
        except requests.RequestException:
            if attempt == tries - 1:
                raise
            time.sleep(0.1 * 2**attempt)
"""

TEMPLATE = """
def download_until_error(sites, max_workers=5):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        executor.map(download_site, sites)
    return None
"""

KEY = KEY_SOURCE  # exercise 3's key, as tests/cases_ch09.py keeps it for its wrong answers

RIGHT = {
    "as-completed-and-shutdown": """
def download_until_error(sites, max_workers=5):
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers)
    pages = {executor.submit(download_site, url): url for url in sites}
    for future in concurrent.futures.as_completed(pages):
        if future.exception() is not None:
            executor.shutdown(wait=False, cancel_futures=True)
            return pages[future]
    executor.shutdown()
    return None
""",
    "map-and-its-index": """
def download_until_error(sites, max_workers=5):
    arrived = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        try:
            for _ in executor.map(download_site, sites):
                arrived += 1
        except requests.RequestException:
            return sites[arrived]
    return None
""",
}

WRONG = {
    "no-cancel": (
        """
def download_until_error(sites, max_workers=5):
    first = None
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        pages = {executor.submit(download_site, url): url for url in sites}
        for future in concurrent.futures.as_completed(pages):
            if future.exception() is not None and first is None:
                first = pages[future]
    return first
""",
        ("the run went on after the error at page 31", "FIRST_EXCEPTION"),
    ),
    "returns-the-exception": (
        KEY.replace("return futures[future]", "return future.exception()"),
        ("returned the ConnectionError itself",),
    ),
    "raises": (
        """
def download_until_error(sites, max_workers=5):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        list(executor.map(download_site, sites))
""",
        ("raised ConnectionError", "instead of returning the URL of page 31"),
    ),
    "returns-none": (
        KEY.replace("return futures[future]", "return None"),
        ("returned None, yet page 31 failed",),
    ),
    "another-page": (
        KEY.replace("return futures[future]", "return sites[0]"),
        ("but the page that failed was",),
    ),
    "a-url-with-no-error": (
        KEY.replace("    return None\n", "    return sites[0]\n"),
        ("with every page arriving, it returned a str",),
    ),
}


def learner(extra: str = "") -> dict:
    """A namespace as a kernel's: the lesson's program run as a cell, then `extra`."""
    namespace = {"__name__": "__main__"}
    exec(pathlib.Path(threaded.__file__).read_text(), namespace)
    exec("import time\n" + CELLS + extra, namespace)
    return namespace


def profiles() -> dict:
    return {name: dataclasses.asdict(s.profile) for name, s in start_demo_sites().sites.items()}


def test_result_with_a_timeout_stops_the_wait_not_the_thread(capsys):
    before = profiles()
    futures.show_timeout(learner()["wait_briefly"])
    out = capsys.readouterr().out
    assert re.search(r"result\(\) raised TimeoutError after 0\.[45]\d s\.", out), out
    assert "The worker thread went on: the page arrived after 1." in out, out
    assert profiles() == before  # the slow site is as it was


def test_cancel_stops_the_pages_not_started(capsys):
    futures.show_cancel(learner()["cancel_all"])
    out = capsys.readouterr().out
    true = int(re.search(r"returned True for (\d+)", out)[1])
    false = int(re.search(r"returned False for (\d+)", out)[1])
    served = int(re.search(r"served (\d+) of the 40", out)[1])
    assert true + false == 40 and false <= 2 and served == false, out


def test_callbacks_run_in_the_worker_threads(capsys):
    names = learner()
    futures.count_progress(names["submit_counted"], copies=20)
    out = capsys.readouterr().out
    assert "40 pages submitted to 5 workers." in out
    assert "The callback ran 40 times in worker threads" in out and "0 times in this" in out
    assert names["pages_done"] == 40 and out.split("\n")[1].endswith(", 40"), out


def test_map_raises_at_the_failed_result_and_cancels_the_rest(capsys):
    futures.map_error(learner()["map_pages"])
    out = capsys.readouterr().out
    assert "ConnectionError (connection refused) at result 31," in out, out
    fetched, cancelled = map(int, re.search(r"fetched: (\d+) of 159\. .*: (\d+)\.", out).groups())
    assert fetched <= 30 + 3 * futures.WORKERS and fetched + cancelled == 159, out


def test_wait_returns_at_the_first_exception_and_the_pool_goes_on(capsys):
    futures.wait_error(learner()["wait_first_error"])
    out = capsys.readouterr().out
    assert "Done with an exception: 1." in out and "with-block: 159 of 159." in out, out


def test_retries_are_counted_page_by_page(capsys):
    before = profiles()
    futures.show_retries(learner()["download_with_retries"])
    out = capsys.readouterr().out
    first, retried = map(int, re.search(r"first try: (\d+)\. After retries: (\d+)", out).groups())
    given_up = int(re.search(r"Given up: (\d+)", out)[1])
    calls = int(re.search(r"called (\d+) times", out)[1])
    assert first + retried + given_up == 20 and calls >= 20 + retried + 2 * given_up, out
    assert profiles() == before  # the errors are gone again


def test_the_template_is_not_yet_and_twice_the_same():
    function = learner(TEMPLATE)["download_until_error"]
    verdicts = [futures.check_first_error(function) for _ in range(2)]
    for verdict in verdicts:
        assert not verdict.correct and "the run went on after the error at page 31" in verdict
    assert verdicts[0] == verdicts[1]


@pytest.mark.parametrize("source", [KEY, *RIGHT.values()], ids=["key", *RIGHT])
def test_right_answers_are_correct(source):
    verdict = futures.check_first_error(learner(source)["download_until_error"])
    assert verdict.correct, verdict
    assert "page 31 of 160 failed, and it returned that page's URL" in verdict


@pytest.mark.parametrize("name", WRONG)
def test_wrong_answers_say_why(name):
    source, said = WRONG[name]
    verdict = futures.check_first_error(learner(source)["download_until_error"])
    assert verdict.startswith("Not yet, because"), verdict
    for words in said:
        assert words in verdict, verdict


def test_what_is_not_a_function_or_hangs_gets_one_line(monkeypatch):
    assert "is not a function yet" in futures.check_first_error(None)
    monkeypatch.setattr(futures, "LIMIT", 1.0)
    hangs = learner("def download_until_error(sites, max_workers=5):\n    time.sleep(3)\n")
    verdict = futures.check_first_error(hangs["download_until_error"])
    assert "had not returned after 1 s" in verdict, verdict
