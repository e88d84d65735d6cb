"""The demo sites speak HTTP as real sites do: to requests, curl, ApacheBench, and raw sockets.

curl and ab (Debian's curl and apache2-utils) are installed by .ci/run; on a machine without
them these tests skip with a message, and under CI (CI=true) they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess

import pytest

from lessons.course.demo_process import DemoSitesProcess
from lessons.course.demo_server import SiteProfile

LATENCY = 0.06  # the demo Jython site's


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        reason = f"{tool} is not installed (Debian: apt-get install curl apache2-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true, so this fails instead of skipping)", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def site():
    """One demo site at the Jython site's 60 ms, in its own process, as a learner gets it."""
    with DemoSitesProcess((SiteProfile("Jython", LATENCY, page_kb=24),)) as demo:
        yield demo


def exchange(port: int, *requests: bytes) -> bytes:
    """Send requests one after another on one connection; all that comes back until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as connection:
        for request in requests:
            connection.sendall(request)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except TimeoutError:
            received += b"<still open>"
        return received


def test_http_10_closes_unless_asked_to_keep_alive(site):
    port = site.sites["Jython"].port
    closed = exchange(port, b"GET / HTTP/1.0\r\n\r\n")
    assert closed.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in closed
    assert not closed.endswith(b"<still open>")

    with socket.create_connection(("127.0.0.1", port), timeout=3) as kept:
        for _ in range(2):  # the same connection answers twice
            kept.sendall(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
            head = kept.recv(200)
            assert head.startswith(b"HTTP/1.1 200 OK") and b"Connection: keep-alive" in head
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
            body = head.split(b"\r\n\r\n", 1)[1]
            while len(body) < length:
                body += kept.recv(65536)


def test_http_11_keeps_alive_until_told_to_close(site):
    port = site.sites["Jython"].port
    get = b"GET / HTTP/1.1\r\nHost: demo\r\n\r\n"
    head_close = b"HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n"
    answers = exchange(port, get, get, head_close)
    assert answers.count(b"HTTP/1.1 200 OK") == 3
    assert answers.count(b"Connection: keep-alive") == 2 and answers.endswith(b"close\r\n\r\n")


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"POST / HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi", b"405"),
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"GET / HTTP/2.0\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nX: " + b"x" * 20000, b"431"),
    ],
    ids=["post", "garbage", "version", "huge-head"],
)
def test_what_is_not_a_page_request_gets_a_status_and_the_site_goes_on(site, request_bytes, status):
    port = site.sites["Jython"].port
    answer = exchange(port, request_bytes)
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:100]
    assert exchange(port, b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200 OK")


@pytest.mark.parametrize(
    "options, reused",
    [
        (["--http1.0"], False),
        (["--http1.1"], True),
        (["--http1.0", "-H", "Connection: keep-alive"], True),
    ],
    ids=["http1.0", "http1.1", "http1.0-keep-alive"],
)
def test_curl_gets_two_pages_and_reuses_the_connection_only_when_it_may(site, options, reused):
    url = site.urls["Jython"]
    done = subprocess.run(
        [need("curl"), "-sS", "-v", "-o", "/dev/null", "-o", "/dev/null", "--max-time", "5",
         *options, url, url],
        capture_output=True, text=True, timeout=15,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("< HTTP/1.1 200 OK") == 2
    assert ("Re-using existing connection" in done.stderr) is reused


def ab(site, *options: str) -> dict[str, str]:
    done = subprocess.run(
        [need("ab"), "-q", "-s", "10", *options, site.urls["Jython"]],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    return dict(re.findall(r"^([A-Za-z -]+?):\s+(\S+)", done.stdout, re.MULTILINE))


@pytest.mark.parametrize("keep_alive", [False, True], ids=["ab", "ab-k"])
def test_ab_gets_2000_pages_at_1000_at_once(site, keep_alive):
    report = ab(site, "-n", "2000", "-c", "1000", *(["-k"] if keep_alive else []))
    print(f"ab {'-k ' if keep_alive else ''}-n 2000 -c 1000: {report['Time taken for tests']} s")
    assert report["Complete requests"] == "2000"
    assert report["Failed requests"] == "0"
    assert report.get("Non-2xx responses") is None
    if keep_alive:
        assert report["Keep-Alive requests"] == "2000"
