"""A demo site that refuses, and the counts of concurrency: requests under way, busiest, refused.

Requests sent "at once" by threads reach a site a fraction of a millisecond apart, and a refusal
is written within about a millisecond: whether they overlap at the site is up to the scheduler.
So these tests hold the sites still (their loop in the thread face, their process stopped in
the process face) while the clients send: on release, the site finds every request at once.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import threading
import time

import pytest
import requests

from lessons.course.demo_process import DemoSitesProcess
from lessons.course.demo_server import SiteProfile
from lessons.course.demo_sites import DemoSites
from lessons.course.sites import sites_changed

LATENCY = 0.3
FACES = {"thread": DemoSites, "process": DemoSitesProcess}


@pytest.fixture(params=list(FACES))
def demo(request):
    with FACES[request.param]((SiteProfile("Jython", LATENCY, page_kb=4),)) as sites:
        yield sites


@contextlib.contextmanager
def held(demo):
    """Inside the block the sites read nothing; on leaving it they find every request at once."""
    if isinstance(demo, DemoSitesProcess):
        os.kill(demo.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(demo.pid, signal.SIGCONT)
    else:
        holding, release = threading.Event(), threading.Event()
        demo._loop.call_soon_threadsafe(lambda: holding.set() or release.wait(5))
        assert holding.wait(5)
        try:
            yield
        finally:
            release.set()


def wait_for(condition, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the demo sites did not get there in time"
        time.sleep(0.01)


def burst(demo, n: int, method: str = "GET") -> list[dict]:
    """n requests on n open connections, arriving together; each answer, fastest first.

    Each answer: status, Retry-After, Connection, body, seconds from the release, and the
    connection (still open, for a next request).
    """
    before = demo.counts()["Jython"]["connections"]
    port = demo.sites["Jython"].port
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(n)]
    for connection in connections:
        connection.connect()
    wait_for(lambda: demo.counts()["Jython"]["connections"] == before + n)
    time.sleep(0.05)  # each accepted connection is being read
    answers: list[dict] = []
    sent = threading.Semaphore(0)
    released = [0.0]

    def one(connection: http.client.HTTPConnection) -> None:
        connection.request(method, "/")
        sent.release()
        response = connection.getresponse()
        body = response.read()
        answers.append(
            {
                "status": response.status,
                "retry_after": response.getheader("Retry-After"),
                "connection_header": response.getheader("Connection"),
                "body": body,
                "seconds": time.perf_counter() - released[0],
                "connection": connection,
            }
        )

    threads = [threading.Thread(target=one, args=(c,), daemon=True) for c in connections]
    with held(demo):
        for thread in threads:
            thread.start()
        for _ in threads:
            assert sent.acquire(timeout=5), "a client could not send its request"
        released[0] = time.perf_counter()
    for thread in threads:
        thread.join(timeout=10)
    assert len(answers) == n, "not every request was answered within 10 s"
    return sorted(answers, key=lambda answer: answer["seconds"])


def close_all(answers: list[dict]) -> None:
    for answer in answers:
        answer["connection"].close()


def test_over_the_limit_the_site_refuses_at_once_and_counts_it(demo):
    demo.configure("Jython", refuse_over=2)
    answers = burst(demo, 5)
    refused, served = answers[:3], answers[3:]
    assert [a["status"] for a in refused] == [429, 429, 429]
    assert [a["status"] for a in served] == [200, 200]
    assert all(a["retry_after"] == "1" for a in refused)
    assert all(a["retry_after"] is None for a in served)
    assert all(b"429 Too Many Requests" in a["body"] and len(a["body"]) < 200 for a in refused)
    assert all(a["seconds"] < LATENCY / 2 for a in refused)  # no latency for a refusal
    assert all(a["seconds"] >= LATENCY * 0.95 for a in served)
    counts = demo.counts()["Jython"]
    assert counts == {"requests": 5, "connections": 5, "refused": 3, "busiest": 5}

    # The connection stays open after a 429: the same one asks again and is served.
    assert all(a["connection_header"] == "keep-alive" for a in refused)
    again = refused[0]["connection"]
    again.request("GET", "/")
    assert again.getresponse().status == 200
    close_all(answers)
    assert demo.counts()["Jython"]["connections"] == 5  # no new connection was needed
    assert demo.counts()["Jython"]["requests"] == 6


def test_reset_busiest_starts_a_new_measure(demo):
    demo.configure("Jython", refuse_over=2)
    close_all(burst(demo, 4))
    assert demo.counts()["Jython"]["busiest"] == 4
    demo.reset_busiest()  # nothing under way now
    assert demo.counts()["Jython"]["busiest"] == 0
    with requests.Session() as session:
        for _ in range(3):
            assert session.get(demo.urls["Jython"], timeout=5).status_code == 200
    assert requests.get(demo.urls["Jython"], timeout=5).status_code == 200  # a new connection
    counts = demo.counts()["Jython"]
    assert counts["busiest"] == 1 and counts["refused"] == 2 and counts["requests"] == 8
    assert demo.sites["Jython"].busiest == 1 and demo.sites["Jython"].refused == 2


def test_reset_busiest_keeps_what_is_under_way_now(demo):
    done = threading.Event()

    def slow() -> None:
        requests.get(demo.urls["Jython"], timeout=5)
        done.set()

    demo.configure("Jython", latency=1.0)
    threading.Thread(target=slow, daemon=True).start()
    wait_for(lambda: demo.counts()["Jython"]["requests"] == 1)
    demo.reset_busiest()
    assert demo.counts()["Jython"]["busiest"] == 1  # the slow one is still under way
    assert done.wait(5)


def test_refuse_over_none_never_refuses(demo):
    demo.configure("Jython", refuse_over=2)
    demo.configure("Jython", refuse_over=None)
    answers = burst(demo, 5)
    close_all(answers)
    assert [a["status"] for a in answers] == [200] * 5
    assert demo.counts()["Jython"] == {
        "requests": 5,
        "connections": 5,
        "refused": 0,
        "busiest": 5,
    }


def test_a_refusal_never_waits_for_a_slot(demo):
    """With one slot, requests waiting for it are under way too: the third is refused at once."""
    demo.configure("Jython", max_concurrent=1, refuse_over=2)
    answers = burst(demo, 3)
    close_all(answers)
    assert [a["status"] for a in answers] == [429, 200, 200]
    assert answers[0]["seconds"] < LATENCY / 2
    assert answers[-1]["seconds"] >= 2 * LATENCY * 0.95  # the second waited for the slot
    assert demo.counts()["Jython"]["busiest"] == 3


def test_every_method_is_refused_alike_and_head_gets_no_body(demo):
    demo.configure("Jython", refuse_over=0)  # 0: every request is one too many
    url = demo.urls["Jython"]
    head = requests.head(url, timeout=5)
    assert head.status_code == 429 and head.content == b"" and head.headers["Retry-After"] == "1"
    assert requests.post(url, timeout=5).status_code == 429  # refused before anything else
    assert demo.counts()["Jython"]["refused"] == 2


def test_sites_changed_and_profile_sets_restore_refuse_over(demo):
    url = demo.urls["Jython"]
    with sites_changed(demo, refuse_over=0):
        assert demo.sites["Jython"].profile.refuse_over == 0
        assert requests.get(url, timeout=5).status_code == 429
    assert demo.sites["Jython"].profile.refuse_over is None
    assert requests.get(url, timeout=5).status_code == 200  # the site itself forgot it too

    demo.configure(refuse_over=0)
    with sites_changed(demo, name="Jython", latency=0.0):
        assert requests.get(url, timeout=5).status_code == 429
    assert demo.sites["Jython"].profile.refuse_over == 0  # as it was before the block

    for which in ("steady", "internet"):
        demo.configure(refuse_over=0)
        demo.use(which)
        assert demo.sites["Jython"].profile.refuse_over is None


def test_the_profile_sets_never_refuse():
    with DemoSites() as demo:
        for which in ("steady", "internet"):
            demo.use(which)
            assert all(site.profile.refuse_over is None for site in demo.sites.values())
