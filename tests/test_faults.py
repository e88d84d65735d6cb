"""Faults in a run: dead, slow and failing servers, bad URLs; each ends soon, summed up, no leak."""

import os
import socket
import threading
import time

import pytest
from loopback import closed_port_url, count_sockets
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

import lessons
from lessons.course.plotting import FAILED, draw_timeline


def open_sockets() -> int:
    return count_sockets(os.getpid())


def settled(before: tuple[int, int], seconds: float = 3) -> tuple[int, int]:
    """Threads and sockets once they are back at their level before the run (or after `seconds`)."""
    deadline = time.monotonic() + seconds
    while True:
        now = (threading.active_count(), open_sockets())
        if now[0] <= before[0] and now[1] <= before[1] or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


@pytest.fixture
def no_leak(fast_sites):
    """The process's thread and socket counts return to their level before the test's run."""
    lessons.run_threads(5, sites=list(fast_sites.urls.values()), quiet=True, show=False)  # warm
    # The warm-up's workers, their connections and the server's handlers are on their way out:
    # count once the numbers have held still for 0.3 s.
    before, still_since, deadline = None, time.monotonic(), time.monotonic() + 3
    while time.monotonic() < deadline:
        now = (threading.active_count(), open_sockets())
        if now != before:
            before, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= 0.3:
            break
        time.sleep(0.02)
    yield
    after = settled(before)
    print(f"threads/sockets before {before}, after {after}")
    assert after == before, f"threads and sockets before/after: {before} -> {after}"


def run_timed(sites, workers=5):
    start = time.monotonic()
    result = lessons.run_threads(workers, sites=sites, quiet=True, show=False)
    return result, time.monotonic() - start


@pytest.mark.parametrize(
    "fault, reason",
    [
        ({"drop_rate": 1.0}, "connection dropped by the server"),
        ({"error_rate": 1.0}, "HTTP 500"),
        ({"latency": 5.0}, "no answer within 2 s"),
    ],
    ids=["drops", "errors", "slow"],
)
def test_a_failing_demo_site_ends_in_bounded_time_with_a_summary(
    fast_sites, no_leak, fault, reason
):
    fast_sites.configure(**fault)
    result, elapsed = run_timed(list(fast_sites.urls.values()) * 80)
    print(f"{fault}: {elapsed:.2f} s; {result.summary()}")
    # A server slower than the 2 s read timeout is given up on after one timeout, not three.
    assert elapsed < 3
    assert result.failed == 160 and result.done == 0
    assert set(result.failures) == {reason, "not tried after 5 failures in a row"}
    assert result.summary()[0].startswith("Failed 160 of 160 pages: ")
    assert reason in result.summary()[0]


def test_one_failing_page_in_ten_does_not_stop_the_site(fast_sites, no_leak):
    fast_sites.configure(error_rate=0.1)
    result, _ = run_timed(list(fast_sites.urls.values()) * 80)
    assert 0 < result.failed < 50 and result.done > 110
    assert "not tried after 5 failures in a row" not in result.failures


@pytest.mark.parametrize(
    "url, reason",
    [
        ("closed", "connection refused"),
        ("htp://127.0.0.1/", "not a web address (http:// or https://)"),
        ("127.0.0.1:8000", "not a web address (http:// or https://)"),
        ("http://", "not a valid web address"),
        ("http://no-such-host.invalid/", "host name not found"),
    ],
    ids=["closed-port", "bad-scheme", "no-scheme", "no-host", "unknown-host"],
)
def test_bad_urls_end_at_once_with_their_reason(no_leak, monkeypatch, url, reason):
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        # No name lookup may leave this machine: an unknown name fails as a resolver would.
        if host == "no-such-host.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    url = closed_port_url() if url == "closed" else url
    result, elapsed = run_timed([url] * 40)
    print(f"{url}: {elapsed:.2f} s; {result.summary()[0]}")
    assert elapsed < 2
    assert result.failed == 40
    assert reason in result.failures
    assert len(result.summary()) == 2  # one line of reasons, one line of the lesson's
    assert result.summary()[0].startswith("Failed 40 of 40 pages: ")
    assert result.summary()[0].index(reason) < result.summary()[0].index("not tried")


def test_failed_downloads_are_drawn_distinctly(fast_sites):
    fast_sites.configure("Jython", error_rate=1.0)
    result = lessons.run_sync(sites=list(fast_sites.urls.values()) * 3, quiet=True, show=False)
    ax = Figure().add_subplot()
    draw_timeline(ax, result)
    colours = [to_hex(bar.get_facecolor()[0]) for bar in ax.collections]
    assert colours.count(FAILED) == 3 and len(colours) == 6
    assert "failed" in [text.get_text() for text in ax.get_legend().get_texts()]
