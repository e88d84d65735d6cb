"""What a caller holds on demo sites: the face both kinds share, and DemoSites in a thread."""

from __future__ import annotations

import asyncio
import dataclasses
import threading

from .demo_server import (
    DEFAULT_PROFILES,
    DEFAULT_SEED,
    PROFILE_SETS,
    DemoSite,
    check_settings,
    close_sites,
    configure_sites,
    reset_busiest,
    start_sites,
)


class SitesFace:
    """What both kinds of demo sites show: urls, configure, a repr, use in a `with` block."""

    sites: dict
    running: bool

    @property
    def urls(self) -> dict[str, str]:
        """Each site's name and address."""
        return {name: site.url for name, site in self.sites.items()}

    def use(self, which: str) -> None:
        """Give every site the profile of a named set: "steady" (the default) or "internet"."""
        if which not in PROFILE_SETS:
            raise ValueError(f"the profile sets are {list(PROFILE_SETS)}; got {which!r}")
        for profile in PROFILE_SETS[which]:
            if profile.name in self.sites:
                settings = dataclasses.asdict(profile)
                del settings["name"]
                self.configure(profile.name, **settings)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per site, since the start: requests, connections, refused (the 429s sent), and
        busiest (the most requests under way at once; reset_busiest() starts a new measure)."""
        return {name: site.counts() for name, site in self.sites.items()}

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if getattr(self, "running", False) else "stopped"
        listing = ", ".join(f"{name} at {url}" for name, url in self.urls.items())
        return f"<demo sites{self._where()}, {state}: {listing}>"

    def _where(self) -> str:
        return ""


class DemoSites(SitesFace):
    """The demo sites served by one thread of this process: for tests and benchmarks.

    A learner's kernel uses `start_demo_sites()`, which serves them from a process of their own.
    """

    def __init__(self, profiles=DEFAULT_PROFILES, seed: int = DEFAULT_SEED) -> None:
        self.running = False
        self.sites: dict[str, DemoSite] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="demo-sites loop", daemon=True
        )
        self._thread.start()
        try:
            self.sites = self._call(start_sites(profiles, seed))
        except BaseException:
            self._end_loop()
            raise
        self.running = True

    def _call(self, coroutine, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _end_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=2)
        if not self._thread.is_alive():
            self._loop.close()

    def configure(self, name: str | None = None, **settings) -> None:
        """Change a profile while running: configure("Jython", latency=0.2, error_rate=0.1).

        Without a name, the settings apply to every site.
        """
        check_settings(list(self.sites), name, settings)
        self._loop.call_soon_threadsafe(configure_sites, self.sites, name, settings)
        self._call(asyncio.sleep(0))  # the loop has applied them: the next request sees them

    def reset_busiest(self) -> None:
        """Each site's busiest becomes the number of requests under way now."""

        async def reset() -> None:
            # An answer the caller has read may have left the count only in the loop's next
            # step (see _Connection._answered): one step more, and it has.
            await asyncio.sleep(0)
            reset_busiest(self.sites)

        self._call(reset())

    def stop(self) -> None:
        """Stop serving, close every open connection, and free the ports."""
        if self.running:
            self.running = False
            self._call(close_sites(self.sites))
            self._end_loop()
