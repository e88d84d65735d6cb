"""Shared fixtures: fast demo sites on loopback, started and stopped by each test that asks."""

import socket

import pytest
from loopback import closed_port_url

from lessons.course import sites as site_sets
from lessons.course.demo_server import SiteProfile
from lessons.course.demo_sites import DemoSites
from lessons.course.sites import register_letters

FAST = (
    SiteProfile("Jython", latency=0.005, page_kb=4),
    SiteProfile("Real Python", latency=0.005, page_kb=4),
)


@pytest.fixture
def fast_sites():
    """Two demo sites that answer in 5 ms, so a whole lesson run takes about a second."""
    with DemoSites(FAST) as sites:
        register_letters(sites.urls)
        yield sites


@pytest.fixture
def fast_pages(fast_sites):
    """The lesson's 160 pages, on the fast demo sites."""
    return list(fast_sites.urls.values()) * 80


@pytest.fixture
def unreachable_real_sites(monkeypatch):
    """Stand-ins for the real sites on loopback: one refuses, one accepts but never answers."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    monkeypatch.setattr(
        site_sets,
        "REAL_SITES",
        {
            "Jython": closed_port_url(),
            "Real Python": f"http://127.0.0.1:{silent.getsockname()[1]}/",
        },
    )
    yield
    silent.close()


@pytest.fixture
def behind_a_proxy(monkeypatch):
    """A classroom whose environment sends everything to a proxy, here one that is down."""
    proxy = closed_port_url()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "")  # set, so that the test's end restores what was there
    return proxy
