"""The site sets: the demo sites on loopback (the default) or the lesson's two real sites."""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import math
import os
import statistics
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests

from .demo_process import DemoSitesProcess
from .demo_server import PROFILE_SETS

# Seconds to connect, and to wait for the answer. Short, so that a slow server, Stop, or the
# kernel's interrupt never leaves a request hanging for long: a page that takes longer fails.
TIMEOUT = (3, 2)
COPIES = 80  # the lesson downloads 80 copies of each site: 160 pages
REAL_SITES = {"Jython": "https://www.jython.org", "Real Python": "https://realpython.com"}
REAL_CHECK_SECONDS = 4

_lock = threading.Lock()
_demo: DemoSitesProcess | None = None
_letters: dict[str, str] = {}  # origin -> letter of the demo sites started here


class SitesUnreachable(RuntimeError):
    """The real sites did not answer; the message says how to go back to the demo sites."""


def start_demo_sites() -> DemoSitesProcess:
    """Start the demo sites in a process of their own, or return them if they already run.

    Each process (a notebook's kernel, the command line) has its own pair, on free ports.
    """
    global _demo
    with _lock:
        if _demo is None or not _demo.running:
            if _demo is not None:
                _demo.stop()  # its process ended: collect what is left of it
            _demo = DemoSitesProcess()
            register_letters(_demo.urls)
            said = reach_directly(_demo.urls.values())
            if said:  # news, not an error: in a notebook it reads as the setup cell's other lines
                print(said)
        return _demo


def reach_directly(urls) -> str | None:
    """Let requests reach these loopback addresses directly, whatever proxy the environment sets.

    requests sends every address, 127.0.0.1 too, to HTTP_PROXY (or ALL_PROXY) unless NO_PROXY
    names its host, and a proxy cannot reach this machine's loopback: behind one, the demo sites
    would never answer. This adds their host to NO_PROXY in this process (requests reads it at
    every request); the real sites still go through the proxy. Says what it did, or None.
    """
    hosts = {urlsplit(url).hostname for url in urls}
    proxied = sorted(h for h in hosts if requests.utils.get_environ_proxies(f"http://{h}/"))
    if not proxied:
        return None
    # requests reads no_proxy first, then NO_PROXY: keep what it reads now, and add ours.
    current = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    entries = [entry.strip() for entry in current.split(",") if entry.strip()]
    value = ",".join(entries + [host for host in proxied if host not in entries])
    os.environ["no_proxy"] = os.environ["NO_PROXY"] = value
    # One line: the real sites still go through the proxy (README and INSTRUCTOR.md say so).
    return (
        f"A proxy is set for this process: {', '.join(proxied)} added to NO_PROXY, so the "
        "demo sites answer directly."
    )


def stop_demo_sites() -> None:
    """Stop the demo sites of this process (and their process), if they run."""
    global _demo
    with _lock:
        if _demo is not None:
            _demo.stop()
            _demo = None


atexit.register(stop_demo_sites)


def demo_latency(demo=None) -> float:
    """The mean latency of the demo sites, as their profiles say (the sites alternate)."""
    demo = demo if demo is not None else start_demo_sites()
    return statistics.mean(site.profile.latency for site in demo.sites.values())


def latency_floor(pages: int, workers: int, latency: float, slots: int | None = None) -> float:
    """The least time: each worker (or each of the server's `slots`) waits page after page."""
    return math.ceil(pages / min(workers, slots or workers)) * latency


@contextlib.contextmanager
def sites_changed(
    demo=None, use: str | None = None, name: str | None = None, **settings
) -> Iterator:
    """The demo sites with profile set `use` and/or `settings` (for site `name`, or every site)
    inside the block; as before after.

    What each site was is restored on leaving the block, even on an error or an interrupt, so
    the next cell (and a rerun) starts from the sites as they were: `steady` unless you changed
    them yourself.
    """
    demo = demo if demo is not None else start_demo_sites()
    if use is not None and use not in PROFILE_SETS:
        raise ValueError(f"the profile sets are {list(PROFILE_SETS)}; got {use!r}")
    kept = {each: dataclasses.replace(site.profile) for each, site in demo.sites.items()}
    try:
        if use is not None:
            demo.use(use)
        if settings:
            demo.configure(name, **settings)
        yield demo
    finally:
        if demo.running:  # sites stopped meanwhile have nothing to restore
            for each, profile in kept.items():
                fields = dataclasses.asdict(profile)
                del fields["name"]
                demo.configure(each, **fields)


def origin(url: str) -> str:
    """scheme://host:port of a URL: which site it belongs to."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def register_letters(urls: dict[str, str]) -> None:
    """Name the letter shown for each site of a server started elsewhere ({name: url})."""
    for name, url in urls.items():
        _letters[origin(url)] = name[0]


def site_letter(url: str) -> str:
    """J for the Jython site, R for Real Python: the mark the lesson prints for a page."""
    letter = _letters.get(origin(url))
    if letter:
        return letter
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return next((c.upper() for c in host if c.isalpha()), "*")


def real_sites_reachable(seconds: float = REAL_CHECK_SECONDS) -> None:
    """Raise SitesUnreachable unless both real sites answer within a few seconds."""
    problems: dict[str, str] = {}

    def probe(name: str, url: str) -> None:
        try:
            requests.head(url, timeout=(seconds / 2, seconds / 2), allow_redirects=True)
        except requests.RequestException as error:
            problems[name] = type(error).__name__

    threads = {
        name: threading.Thread(target=probe, args=(name, url), daemon=True)
        for name, url in REAL_SITES.items()
    }
    for thread in threads.values():
        thread.start()
    deadline = time.monotonic() + seconds
    for name, thread in threads.items():
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            problems.setdefault(name, "no answer")
    if problems:
        which = ", ".join(f"{name} ({why})" for name, why in problems.items())
        raise SitesUnreachable(
            f"The real sites cannot be reached: {which}. Is this machine online? "
            "Use the demo sites instead: sites='demo', or unset LESSONS_SITES, "
            "or leave out --real."
        )


def get_sites(which: str | None = None, copies: int = COPIES) -> list[str]:
    """The lesson's list of pages: the two sites, `copies` times each, alternating.

    `which` is "demo" (start the loopback demo sites) or "real"; by default the environment
    variable LESSONS_SITES decides, and without it the demo sites are used.
    """
    which = (which or os.environ.get("LESSONS_SITES") or "demo").strip().lower()
    if not isinstance(copies, int) or isinstance(copies, bool) or copies < 1:
        raise ValueError(f"copies must be a whole number of 1 or more; got {copies!r}")
    if which == "demo":
        return demo_pages(copies=copies)
    if which == "real":
        real_sites_reachable()
        return list(REAL_SITES.values()) * copies
    raise ValueError(f"sites must be 'demo' or 'real' (or a list of URLs); got {which!r}")


def demo_pages(demo=None, copies: int = COPIES) -> list[str]:
    """The lesson's pages (J R J R ...) on `demo`, or on the session's demo sites."""
    demo = demo if demo is not None else start_demo_sites()
    return list(demo.urls.values()) * copies
