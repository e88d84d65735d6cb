"""The course's website, as a reader opens it: `python -m lessons site` builds every chapter, and
each page, opened from disk in Chromium, shows its figures, tables and saved widgets, with no
error, no placeholder, no request outside the site, and links that lead somewhere."""

from __future__ import annotations

import functools
import html
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from lessons import site
from lessons.course import site_pages

from .conftest import SCREENSHOTS, unavailable

BUILD_SECONDS = 900  # the whole site: eight chapters one after another (about 2 minutes)
RENDER_MS = 30_000  # every saved widget drawn within this long of the page's load
REPOSITORY = "https://github.com/example-owner/threads-course"
CHAPTERS = site_pages.chapters()
PAGES = [chapter.href for chapter in CHAPTERS] + ["index.html", "instructor.html"]
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'
CHECK = re.compile(r"\bcheck_\w+\(")  # an exercise's self-check


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The site, built by the command a maintainer types, with a repository address set."""
    if not (site.WIDGET_MANAGER / "embed-amd.js").exists() and shutil.which("npm") is None:
        unavailable("The site needs npm for its widget manager: sudo apt-get install npm")
    out = tmp_path_factory.mktemp("site") / "_site"
    command = [sys.executable, "-m", "lessons", "site", "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "LESSONS_SITES"}
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "--repository", REPOSITORY],
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
        env=env,
        cwd=site_pages.ROOT,
    )
    assert done.returncode == 0, f"the build failed:\n{done.stdout}\n{done.stderr[-3000:]}"
    print(f"site built in {time.perf_counter() - started:.0f} s:\n{done.stdout}")
    return out, done.stdout


def test_the_command_reports_each_chapter_and_the_site(built):
    out, printed = built
    for chapter in CHAPTERS:
        assert re.search(
            rf"^chapter {chapter.path.name[:2]} .*{chapter.path.name}: Run All", printed, re.M
        )
    assert re.search(r"^Site ready: \d+ chapters, [\d.]+ MB", printed, re.M)
    assert sorted(p.name for p in out.glob("*.html")) == sorted(PAGES)


@pytest.fixture
def page(browser, built):
    """A fresh page that records every request it makes and every error it meets."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    opened.requests, opened.failed, opened.errors = [], [], []
    opened.on("request", lambda request: opened.requests.append(request.url))
    opened.on("requestfailed", lambda request: opened.failed.append(request.url))
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()


def _open(page, url: str) -> float:
    """Load a page and wait for every saved widget to be drawn; the seconds taken."""
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    views = page.locator(WIDGET_VIEW).count()
    if views:
        # The manager draws each view in a new element right after its script tag.
        page.wait_for_function(
            f"""() => Array.from(document.querySelectorAll('{WIDGET_VIEW}')).every(
                s => s.parentElement.querySelector('.jupyter-widgets'))""",
            timeout=RENDER_MS,
        )
    return time.perf_counter() - started


@pytest.mark.parametrize("name", PAGES)
def test_every_page_shows_everything_from_the_site_alone(built, page, name):
    out, _ = built
    seconds = _open(page, (out / name).as_uri())
    page.wait_for_timeout(300)  # fonts and late images
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"site-{Path(name).stem}.png"), full_page=True)
    print(f"{name}: loaded and drawn in {seconds:.2f} s")

    site_root = out.as_uri() + "/"
    outside = [u for u in page.requests if not u.startswith((site_root, "data:", "blob:"))]
    assert not outside, f"{name} asked for something outside the site: {outside}"
    assert not page.failed, f"{name}: these did not load: {page.failed}"
    assert not page.errors, f"{name}: script errors: {page.errors}"

    images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
    assert all(done and width > 0 for done, width in images), f"{name}: an image is broken"
    outputs = page.locator(".jp-OutputArea")
    text = " ".join(outputs.all_inner_texts())
    for bad in ("Error displaying widget", "kernel connection", "Traceback", "Loading widget"):
        assert bad not in text, f"{name}: an output reads {bad!r}"

    if name in ("index.html", "instructor.html"):
        assert page.locator("table").count() >= 1  # the README's chapters, the guide's timings
        return
    chapter = next(c for c in CHAPTERS if c.href == name)
    notebook_images = sum(
        "image/png" in output.get("data", {})
        for cell in nbformat.read(chapter.path, 4).cells
        for output in cell.get("outputs", [])
    )
    assert notebook_images == 0  # the committed notebook has no outputs: the site ran it
    assert len(images) >= 1, f"{name} shows no figure"
    views = page.locator(WIDGET_VIEW).count()
    drawn = page.locator(f"{WIDGET_VIEW} + .jupyter-widgets, .jp-OutputArea .jupyter-widgets")
    assert views >= 1 and drawn.count() >= views

    banner = page.locator(".lessons-banner").inner_text()
    assert re.search(r"Executed \d{4}-\d\d-\d\d \d\d:\d\d UTC", banner)
    assert re.search(r"Python 3\.\d+\.\d+.*\d+ CPUs?", banner) and "yours will differ" in banner


@pytest.mark.parametrize("name", [c.href for c in CHAPTERS])
def test_exercises_show_their_first_not_yet(built, page, name):
    """An exercise's check, as the learner first runs it: "Not yet", never an answer."""
    out, _ = built
    _open(page, (out / name).as_uri())
    checks = 0
    for cell in page.locator(".jp-CodeCell").all():
        source = cell.locator(".jp-InputArea").inner_text()
        if CHECK.search(source):
            checks += 1
            said = [t.strip() for t in cell.locator(".jp-OutputArea-output").all_inner_texts()]
            verdicts = [t for t in said if t.startswith(("Not yet", "Correct"))]
            assert verdicts and all(t.startswith("Not yet") for t in verdicts), (
                f"{name}: an exercise reads {said}"
            )
    assert checks >= 1 or "check_" not in chapter_source(name)


def chapter_source(name: str) -> str:
    chapter = next(c for c in CHAPTERS if c.href == name)
    return chapter.path.read_text()


def test_links_between_pages_lead_somewhere(built):
    """Every link inside the site names a page of it, and an anchor that page has."""
    out, _ = built
    ids = {
        p.name: {unquote(html.unescape(i)) for i in re.findall(r'\bid="([^"]+)"', p.read_text())}
        for p in out.glob("*.html")
    }
    for page_file in out.glob("*.html"):
        for href in re.findall(r'<a[^>]+href="([^"]+)"', page_file.read_text()):
            href = html.unescape(href)
            if urlsplit(href).scheme:
                continue
            target, _, anchor = href.partition("#")
            target = target or page_file.name
            assert target in ids, f"{page_file.name} links to {href}, which is not in the site"
            if anchor:
                assert unquote(anchor) in ids[target], f"{page_file.name}: no #{anchor} in {target}"


def test_each_chapter_runs_for_real_on_binder_and_a_hub(built, page):
    out, _ = built
    chapter = CHAPTERS[1]
    _open(page, (out / chapter.href).as_uri())
    binder = page.locator("a.lessons-binder").get_attribute("href")
    assert binder == site_pages.run_links(chapter.path.name, REPOSITORY)["binder"]
    # The hub's address typed in the form opens the chapter there (nbgitpuller).
    page.route("https://hub.example.org/**", lambda route: route.fulfill(body="the hub"))
    page.locator("form.lessons-hub input").fill("hub.example.org/")
    with page.expect_navigation():
        page.locator("form.lessons-hub button").click()
    expected = site_pages.run_links(chapter.path.name, REPOSITORY, "https://hub.example.org")
    assert page.url == expected["hub"]
    # Each chapter's navigation reaches the next one, and the first the index.
    page.goto((out / CHAPTERS[0].href).as_uri())
    assert page.locator(".lessons-nav-top a[rel=next]").get_attribute("href") == CHAPTERS[1].href


def test_a_static_host_serves_it_as_it_is(built, page):
    """The same folder served over HTTP (the standard library's server, on 127.0.0.1), as GitHub
    Pages or any static host would: the explorer's chapter draws every widget, asks nothing
    outside the site, and every request is answered."""
    out, _ = built
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        root = f"http://127.0.0.1:{server.server_address[1]}/"
        responses = []
        page.on("response", lambda response: responses.append(response.status))
        _open(page, root + CHAPTERS[1].href)
        outside = [u for u in page.requests if not u.startswith((root, "data:", "blob:"))]
        assert not outside and not page.failed and not page.errors
        assert responses and all(status == 200 for status in responses), responses
        assert page.locator(".jp-OutputArea img").count() >= 1
    finally:
        server.shutdown()
        server.server_close()
        serving.join(timeout=10)
