"""The demo sites in a process of their own: start, the knobs across the boundary, and the end.

Whatever way the learner's process ends (stop, shutdown, SIGKILL), no server is left behind.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time

import pytest
import requests
from kernel_helpers import Kernel
from loopback import demo_children, process_gone

from lessons.course import sites as site_sets
from lessons.course.demo_process import DemoSitesFailed, DemoSitesProcess
from lessons.course.demo_server import SiteProfile

GONE_WITHIN = 3.0  # seconds for the child to notice that its parent has ended


def wait_gone(pid: int, seconds: float = GONE_WITHIN) -> float | None:
    """Seconds until `pid` ended, or None if it still runs after `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if process_gone(pid):
            return time.monotonic() - start
        time.sleep(0.02)
    return None


@pytest.fixture
def sites():
    with DemoSitesProcess((SiteProfile("Jython", 0.0, page_kb=4),)) as demo:
        yield demo


def test_the_sites_answer_within_a_second_and_no_thread_serves_here():
    site_sets.stop_demo_sites()
    threads = set(threading.enumerate())
    try:
        start = time.perf_counter()
        demo = site_sets.start_demo_sites()
        for url in demo.urls.values():
            assert requests.get(url, timeout=5).status_code == 200
        answered = time.perf_counter() - start
        print(
            f"started in {demo.startup_seconds:.3f} s, both sites answered after {answered:.3f} s"
        )
        assert answered < 1.0
        assert site_sets.start_demo_sites() is demo  # a second call: the running sites
        assert set(threading.enumerate()) == threads  # nothing of ours serves in this process
        assert demo_children(os.getpid()) == [demo.pid]
        assert "running" in repr(demo) and str(demo.pid) in repr(demo)
    finally:
        site_sets.stop_demo_sites()
    assert wait_gone(demo.pid) is not None
    assert not demo.running and "stopped" in repr(demo)
    with pytest.raises(requests.ConnectionError):
        requests.get(demo.urls["Jython"], timeout=2)


def test_every_knob_works_across_the_process_boundary(sites):
    url = sites.urls["Jython"]
    sites.configure(latency=0.2)
    start = time.perf_counter()
    assert requests.get(url, timeout=5).status_code == 200
    assert 0.2 <= time.perf_counter() - start < 0.4
    assert sites.sites["Jython"].profile.latency == 0.2  # the handle shows what the child uses

    sites.configure(latency=0.05, jitter=0.04)
    spread = []
    with requests.Session() as session:
        for _ in range(12):
            start = time.perf_counter()
            session.get(url, timeout=5)
            spread.append(time.perf_counter() - start)
    assert min(spread) >= 0.01 and max(spread) < 0.15 and statistics.pstdev(spread) > 0.005

    sites.configure(latency=0.1, jitter=0, max_concurrent=2)
    times = []

    def one() -> None:
        start = time.perf_counter()
        requests.get(url, timeout=5)
        times.append(time.perf_counter() - start)

    workers = [threading.Thread(target=one) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=5)
    assert sorted(times)[-1] >= 0.19  # two of the four waited for a free slot

    sites.configure(latency=0, max_concurrent=None, error_rate=1.0)
    assert requests.get(url, timeout=5).status_code == 500
    sites.configure(error_rate=0, drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)
    sites.configure(drop_rate=0)
    assert requests.get(url, timeout=5).status_code == 200


def test_counts_tell_requests_from_connections(sites):
    url = sites.urls["Jython"]
    with requests.Session() as session:
        for _ in range(3):
            session.get(url, timeout=5)  # one connection, kept alive
    for _ in range(2):
        requests.get(url, timeout=5)  # a connection each
    counts = {"Jython": {"requests": 5, "connections": 3, "refused": 0, "busiest": 1}}
    assert sites.counts() == counts  # one at a time: busiest 1, and no site refuses by default
    assert sites.sites["Jython"].requests_served == 5
    assert sites.sites["Jython"].connections_accepted == 3


def test_bad_settings_are_refused_before_they_reach_the_child(sites):
    with pytest.raises(ValueError, match="no demo site named 'Python'"):
        sites.configure("Python", latency=1)
    with pytest.raises(ValueError, match="unknown setting 'speed'"):
        sites.configure(speed=1)
    assert requests.get(sites.urls["Jython"], timeout=5).status_code == 200


def test_a_child_that_dies_is_reported_and_replaced():
    site_sets.stop_demo_sites()
    try:
        first = site_sets.start_demo_sites()
        os.kill(first.pid, signal.SIGKILL)
        assert wait_gone(first.pid) is not None
        with pytest.raises(DemoSitesFailed, match="process has ended.*setup cell again"):
            first.configure(latency=0.1)
        second = site_sets.start_demo_sites()
        assert second is not first and second.running
        assert requests.get(second.urls["Jython"], timeout=5).status_code == 200
    finally:
        site_sets.stop_demo_sites()


@pytest.mark.parametrize(
    "script, reason",
    [
        ("raise SystemExit(3)", "their process ended with code 3"),
        ("raise OSError('no ports left')", "OSError: no ports left"),
        ("import time; time.sleep(30)", "no answer within 1 s"),
    ],
    ids=["exits", "raises", "silent"],
)
def test_a_child_that_cannot_start_gives_a_clear_message(monkeypatch, tmp_path, script, reason):
    child = tmp_path / "demo_server.py"
    child.write_text(script + "\n")
    monkeypatch.setattr("lessons.course.demo_server.__file__", str(child))
    monkeypatch.setattr("lessons.course.demo_process.START_SECONDS", 1)
    before = set(demo_children(os.getpid()))
    start = time.monotonic()
    with pytest.raises(DemoSitesFailed) as failed:
        DemoSitesProcess()
    print(f"{time.monotonic() - start:.2f} s: {failed.value}")
    assert str(failed.value).startswith("The demo sites could not start: ")
    assert reason in str(failed.value)
    assert time.monotonic() - start < 4
    assert set(demo_children(os.getpid())) <= before  # nothing left running


PARENT = """
import sys, lessons
demo = lessons.start_demo_sites()
print(demo.pid, flush=True)
lessons.run_threads(5, quiet=True)
sys.stdin.read()
"""


def test_a_parent_killed_hard_leaves_no_server_behind():
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        child = int(parent.stdout.readline())
        assert not process_gone(child)
        parent.kill()
        parent.wait(timeout=5)
        gone_after = wait_gone(child)
        print(f"the demo sites' process ended {gone_after} s after its parent was killed")
        assert gone_after is not None
    finally:
        parent.kill()
        parent.stdin.close()
        parent.stdout.close()


@pytest.mark.timeout(90)
@pytest.mark.parametrize("how", ["shutdown", "SIGKILL"])
def test_a_kernel_that_ends_takes_its_demo_sites_with_it(how):
    kernel = Kernel()
    try:
        kernel.ok("import lessons\ndemo = lessons.start_demo_sites()")
        kernel.ok("lessons.run_threads(5, quiet=True)")
        child = kernel.value("demo.pid")
        assert demo_children(kernel.pid) == [child]
        if how == "SIGKILL":
            os.kill(kernel.pid, signal.SIGKILL)
        else:
            kernel.km.shutdown_kernel(now=False)
        gone_after = wait_gone(child)
        print(f"[{how}] the demo sites' process ended {gone_after} s after the kernel")
        assert gone_after is not None
    finally:
        kernel.shutdown()


def test_a_python_that_cannot_be_run_gives_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    with pytest.raises(DemoSitesFailed, match="^The demo sites could not start: .*no-such-python"):
        DemoSitesProcess()


def test_a_profile_set_reaches_the_child(sites):
    sites.use("internet")
    assert sites.sites["Jython"].profile.tail > 0
    with requests.Session() as session:
        assert all(session.get(sites.urls["Jython"], timeout=5).ok for _ in range(5))
    sites.use("steady")
    assert sites.sites["Jython"].profile.tail == 0
