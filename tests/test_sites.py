"""Choosing the sites: demo by default, real by keyword or LESSONS_SITES; offline, one message."""

import time

import pytest

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
