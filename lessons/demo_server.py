"""The demo sites: two loopback web servers that stand in for the lesson's two sites, offline."""

from __future__ import annotations

import contextlib
import dataclasses
import random
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"


@dataclasses.dataclass
class SiteProfile:
    """How one demo site behaves. Every field can be changed while the site runs."""

    name: str
    latency: float  # seconds before the answer, like a distant server's think time
    jitter: float = 0.0  # each answer waits latency +/- up to this much
    page_kb: int = 32  # size of the HTML page
    max_concurrent: int | None = None  # a site that throttles: more requests wait their turn
    error_rate: float = 0.0  # share of answers that are "500 Internal Server Error"
    drop_rate: float = 0.0  # share of requests whose connection is closed without an answer


# Modelled on the real sites: the Jython site answers more slowly than Real Python.
# Together a synchronous run of 160 pages waits about 160 * 50 ms = 8 s.
DEFAULT_PROFILES = (
    SiteProfile("Jython", latency=0.060, jitter=0.010, page_kb=24),
    SiteProfile("Real Python", latency=0.040, jitter=0.008, page_kb=48),
)
DEFAULT_SEED = 2024


def make_page(name: str, size_kb: int) -> bytes:
    """A page of realistic size that names its site; the same bytes every time."""
    head = f"<!DOCTYPE html><html><head><title>{name} (demo)</title></head><body>\n"
    head += f"<h1>{name}</h1><p>This is the offline demo of the {name} home page.</p>\n"
    paragraph = f"<p>{name}: a paragraph of text to give the page a realistic size.</p>\n"
    tail = "</body></html>\n"
    count = max(0, (size_kb * 1024 - len(head) - len(tail)) // len(paragraph))
    return (head + paragraph * count + tail).encode()


def _wait_unless_gone(connection: socket.socket, delay: float) -> bool:
    """Wait `delay` seconds, as a distant server thinks; False at once if the client hangs up."""
    deadline = time.perf_counter() + delay
    while (left := deadline - time.perf_counter()) > 0:
        readable, _, _ = select.select([connection], [], [], left)
        if readable:
            try:
                if connection.recv(1, socket.MSG_PEEK) == b"":
                    return False  # the end of the stream: the client closed its side
            except OSError:
                return False
            time.sleep(max(0.0, deadline - time.perf_counter()))  # data waiting: not ours to read
            return True
    return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep connections alive, as a browser or a Session does
    disable_nagle_algorithm = True
    timeout = 30  # an idle keep-alive connection is closed after this many seconds

    def setup(self) -> None:
        super().setup()
        self.server.site._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.site._track(self.connection, add=False)

    def do_GET(self) -> None:
        self.server.site._answer(self, with_body=True)

    def do_HEAD(self) -> None:
        self.server.site._answer(self, with_body=False)

    def log_message(self, format: str, *args) -> None:
        pass  # a learner's notebook is not the place for an access log


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # the default of 5 drops connections when many open at once

    def handle_error(self, request, client_address) -> None:
        # A client that leaves mid-answer (Stop, an interrupt, a timeout) is normal here; a
        # traceback on stderr would land in whatever notebook cell runs at the time.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class DemoSite:
    """One demo site: a threaded HTTP server on its own free loopback port."""

    def __init__(self, profile: SiteProfile, seed: int = DEFAULT_SEED) -> None:
        self.profile = profile
        self._random = random.Random(f"{seed}-{profile.name}")
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._slots: threading.Semaphore | None = None
        self._slots_for: int | None = None
        self.requests_served = 0
        self._server = _Server((HOST, 0), _Handler)
        self._server.site = self
        self.port = self._server.server_address[1]
        self.url = f"http://{HOST}:{self.port}/"
        self._page_for: tuple[str, int] | None = None
        self._page = b""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"demo-site {profile.name}",
            daemon=True,
        )
        self._thread.start()

    def _track(self, connection: socket.socket, add: bool) -> None:
        with self._lock:
            (self._connections.add if add else self._connections.discard)(connection)

    def _draw(self) -> tuple[float, bool, bool, bytes]:
        """Latency, error and drop for the next request, from the seeded random source."""
        p = self.profile
        with self._lock:
            delay = max(0.0, p.latency + self._random.uniform(-p.jitter, p.jitter))
            error = self._random.random() < p.error_rate
            drop = self._random.random() < p.drop_rate
            if self._page_for != (p.name, p.page_kb):
                self._page_for, self._page = (p.name, p.page_kb), make_page(p.name, p.page_kb)
            if self._slots_for != p.max_concurrent:
                self._slots_for = p.max_concurrent
                self._slots = threading.Semaphore(p.max_concurrent) if p.max_concurrent else None
            self.requests_served += 1
            return delay, error, drop, self._page

    def _answer(self, handler: _Handler, with_body: bool) -> None:
        delay, error, drop, page = self._draw()
        slots = self._slots
        if slots is not None:
            slots.acquire()
        try:
            client_stayed = _wait_unless_gone(handler.connection, delay)
        finally:
            if slots is not None:
                slots.release()
        if not client_stayed:  # it gave up (timeout, Stop): no answer, and no thread left waiting
            handler.close_connection = True
            return
        if drop:
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        status, reason = (500, "Internal Server Error") if error else (200, "OK")
        body = b"<html><body><h1>500</h1></body></html>\n" if error else page
        head = (
            f"HTTP/1.1 {status} {reason}\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"X-Demo-Site: {self.profile.name}\r\n"
            "\r\n"
        ).encode()
        # One write for headers and body: two small writes meet Nagle and delayed ACK (~40 ms).
        handler.wfile.write(head + body if with_body else head)

    def stop(self) -> None:
        """Stop serving, close every open connection, and free the port."""
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=2)


class DemoSites:
    """The two demo sites together; a context manager that stops them on exit."""

    def __init__(self, profiles=DEFAULT_PROFILES, seed: int = DEFAULT_SEED) -> None:
        self.sites: dict[str, DemoSite] = {}
        try:
            for profile in profiles:
                self.sites[profile.name] = DemoSite(dataclasses.replace(profile), seed)
        except BaseException:
            self.stop()
            raise
        self.running = True

    @property
    def urls(self) -> dict[str, str]:
        """Each site's name and address."""
        return {name: site.url for name, site in self.sites.items()}

    def configure(self, name: str | None = None, **settings) -> None:
        """Change a profile while running: configure("Jython", latency=0.2, error_rate=0.1).

        Without a name, the settings apply to every site.
        """
        names = [name] if name is not None else list(self.sites)
        for each in names:
            if each not in self.sites:
                raise ValueError(f"no demo site named {each!r}; the sites are {list(self.sites)}")
            profile = self.sites[each].profile
            for key, value in settings.items():
                if not hasattr(profile, key) or key == "name":
                    fields = [f.name for f in dataclasses.fields(SiteProfile)][1:]
                    raise ValueError(f"unknown setting {key!r}; the settings are {fields}")
                setattr(profile, key, value)

    def stop(self) -> None:
        for site in self.sites.values():
            site.stop()
        self.running = False

    def __enter__(self) -> DemoSites:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if getattr(self, "running", False) else "stopped"
        listing = ", ".join(f"{name} at {url}" for name, url in self.urls.items())
        return f"<demo sites, {state}: {listing}>"
