"""Choosing the sites: demo by default, real by keyword or LESSONS_SITES; offline, one message."""

import os
import time

import pytest
from command_line import run_lessons

import lessons
from lessons.course import sites as site_sets


def test_demo_is_the_default_and_gives_the_lessons_160_pages(monkeypatch):
    monkeypatch.delenv("LESSONS_SITES", raising=False)
    pages = lessons.get_sites()
    assert len(pages) == 160 and len(set(pages)) == 2
    assert pages[:2] == list(lessons.start_demo_sites().urls.values())
    assert all(url.startswith("http://127.0.0.1:") for url in pages)


def test_site_letters_come_from_the_site():
    demo = lessons.start_demo_sites()
    assert site_sets.site_letter(demo.urls["Jython"] + "x") == "J"
    assert site_sets.site_letter(demo.urls["Real Python"]) == "R"
    assert site_sets.site_letter("https://www.jython.org/") == "J"
    assert site_sets.site_letter("https://realpython.com/") == "R"


@pytest.mark.parametrize("how", ["keyword", "environment"])
def test_unreachable_real_sites_give_one_short_message_fast(
    unreachable_real_sites, monkeypatch, how
):
    start = time.monotonic()
    with pytest.raises(lessons.SitesUnreachable) as caught:
        if how == "keyword":
            lessons.run_threads(sites="real")
        else:
            monkeypatch.setenv("LESSONS_SITES", "real")
            lessons.run_threads()
    assert time.monotonic() - start < 5.5
    message = str(caught.value)
    assert message.startswith("The real sites cannot be reached")
    assert "sites='demo'" in message and "LESSONS_SITES" in message
    assert len(message) < 300 and "\n" not in message


def test_behind_a_proxy_the_demo_sites_answer_directly(behind_a_proxy, monkeypatch):
    import requests

    monkeypatch.setenv("no_proxy", "example.org, .school.example")  # the classroom's own
    with lessons.DemoSitesProcess() as demo:
        url = demo.urls["Jython"]
        assert requests.utils.get_environ_proxies(url)  # requests would send it to the proxy
        said = site_sets.reach_directly(demo.urls.values())
        assert said.startswith("A proxy is set for this process: 127.0.0.1 added to NO_PROXY")
        with requests.Session() as session:  # as get_session() makes it: trust_env on
            assert session.get(url, timeout=site_sets.TIMEOUT).status_code == 200
        assert site_sets.reach_directly(demo.urls.values()) is None  # once is enough
    for name in ("no_proxy", "NO_PROXY"):
        assert os.environ[name] == "example.org,.school.example,127.0.0.1"
    for real in site_sets.REAL_SITES.values():  # the real sites still use the proxy
        assert requests.utils.get_environ_proxies(real + "/")


@pytest.mark.parametrize("mode", ["threads", "processes", "asyncio"])
def test_behind_a_proxy_the_command_line_downloads_from_the_demo_sites(behind_a_proxy, mode):
    done = run_lessons(mode, "--quiet")
    assert done.returncode == 0, done.stderr
    first, last = done.stdout.splitlines()  # --quiet: no marks
    assert first.startswith("A proxy is set for this process: 127.0.0.1 added to NO_PROXY")
    assert last.startswith("Downloaded 160 in ") and not done.stderr


@pytest.mark.parametrize("mode", ["sync", "threads", "primitives", "processes"])
def test_a_proxy_in_the_environment_carries_the_real_sites_in_the_requests_programs(mode):
    # Not asyncio: aiohttp reads the environment's proxy only with trust_env=True, and then
    # looks it up in a thread for every request, which would undo chapter 11's one thread.
    # A demo site stands in for the room's proxy: it answers whatever address it is asked for,
    # and counts the requests. Nothing here leaves the machine.
    with lessons.DemoSitesProcess() as proxy:
        env = {name: proxy.urls["Jython"] for name in ("HTTP_PROXY", "http_proxy")}
        env |= {name: "" for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy")}
        real = "http://www.jython.org/"  # plain http: the proxy sees the request itself
        done = run_lessons(mode, "--url", real, "--copies", "3", "--quiet", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.splitlines()[-1].startswith("Downloaded 3 in ")
        assert proxy.counts()["Jython"]["requests"] == 3
