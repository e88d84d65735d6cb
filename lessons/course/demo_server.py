"""The demo sites: two loopback web servers that stand in for the lesson's two sites, offline.

One asyncio event loop serves both sites: it waits on a thousand connections without a thread
for each. The loop runs in a process of its own for a learner (this file run as a script, by
`demo_process.py`), or in one thread of the caller's process where a test needs it
(`demo_sites.DemoSites`). It uses the standard library only, so that the child starts fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import random
import signal
import sys

HOST = "127.0.0.1"
IDLE_SECONDS = 30  # an idle keep-alive connection is closed after this long
MAX_HEAD = 16 * 1024  # a request line and headers longer than this are refused
BACKLOG = 2048  # connections waiting to be accepted; a small backlog drops SYNs under load
REFUSED_PAGE = b"<html><body><h1>429 Too Many Requests</h1><p>Try again later.</p></body></html>\n"


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
    tail: float = 0.0  # a heavy tail: latency times a log-normal factor of this sigma (0: none)
    slow_rate: float = 0.0  # share of answers that take slow_latency more, as a busy server does
    slow_latency: float = 1.0
    refuse_over: int | None = None  # more requests than this at once: "429 Too Many Requests"


# Modelled on the real sites: the Jython site answers more slowly than Real Python.
# Together a synchronous run of 160 pages waits about 160 * 50 ms = 8 s.
DEFAULT_PROFILES = (
    SiteProfile("Jython", latency=0.060, jitter=0.010, page_kb=24),
    SiteProfile("Real Python", latency=0.040, jitter=0.008, page_kb=48),
)
# The internet the lesson ran on: answers that vary a lot, now and then a very slow one, and a
# site that serves only a few requests at a time. The same seed gives the same sequence of delays.
INTERNET_PROFILES = (
    SiteProfile("Jython", latency=0.060, tail=0.6, slow_rate=0.02, slow_latency=1.0, page_kb=24),
    SiteProfile(
        "Real Python", latency=0.040, tail=0.5, slow_rate=0.01, max_concurrent=8, page_kb=48
    ),
)
PROFILE_SETS = {"steady": DEFAULT_PROFILES, "internet": INTERNET_PROFILES}
DEFAULT_SEED = 2024
SETTINGS = [field.name for field in dataclasses.fields(SiteProfile)][1:]


def make_page(name: str, size_kb: int) -> bytes:
    """A page of realistic size that names its site; the same bytes every time."""
    head = f"<!DOCTYPE html><html><head><title>{name} (demo)</title></head><body>\n"
    head += f"<h1>{name}</h1><p>This is the offline demo of the {name} home page.</p>\n"
    paragraph = f"<p>{name}: a paragraph of text to give the page a realistic size.</p>\n"
    tail = "</body></html>\n"
    count = max(0, (size_kb * 1024 - len(head) - len(tail)) // len(paragraph))
    return (head + paragraph * count + tail).encode()


def check_settings(names: list[str], name: str | None, settings: dict) -> list[str]:
    """The sites that configure(name, **settings) changes; ValueError for an unknown name."""
    if name is not None and name not in names:
        raise ValueError(f"no demo site named {name!r}; the sites are {names}")
    for key in settings:
        if key not in SETTINGS:
            raise ValueError(f"unknown setting {key!r}; the settings are {SETTINGS}")
    return [name] if name is not None else list(names)


def _response(status: str, headers: dict[str, str | int], body: bytes, with_body: bool) -> bytes:
    """Status line, headers and body in one piece: two writes meet Nagle and delayed ACK."""
    head = "".join(f"{key}: {value}\r\n" for key, value in headers.items())
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode() + (body if with_body else b"")


class _Connection(asyncio.Protocol):
    """One client connection: requests parsed one after another, each answered by its site."""

    def __init__(self, site: DemoSite) -> None:
        self.site = site
        self.buffer = bytearray()
        self.answering: asyncio.Task | None = None
        self.transport: asyncio.Transport | None = None
        self.idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.site.connections_accepted += 1
        self.site.open_connections.add(self)
        self._wait_for_next()

    def connection_lost(self, exc) -> None:
        self.site.open_connections.discard(self)
        if self.idle is not None:
            self.idle.cancel()
        if self.answering is not None:
            self.answering.cancel()  # the client gave up (timeout, Stop): stop waiting for it

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.answering is None:
            self._next_request()

    def _wait_for_next(self) -> None:
        loop = asyncio.get_running_loop()
        self.idle = loop.call_later(IDLE_SECONDS, self.transport.close)

    def _refuse(self, status: str) -> None:
        body = f"<html><body><h1>{status}</h1></body></html>\n".encode()
        headers = {"Content-Length": len(body), "Connection": "close"}
        self.transport.write(_response(status, headers, body, True))
        self.transport.close()

    def _next_request(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                self._refuse("431 Request Header Fields Too Large")
            return
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        del self.buffer[: end + 4]
        request = lines[0].split(" ")
        if len(request) != 3 or not request[2].startswith("HTTP/1."):
            return self._refuse("400 Bad Request")
        method, _, version = request
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip().lower()
        if "transfer-encoding" in headers or not headers.get("content-length", "0").isdigit():
            return self._refuse("400 Bad Request")
        body_length = int(headers.get("content-length", "0"))
        if body_length > len(self.buffer):
            return self._refuse("413 Content Too Large")  # a GET has no body; we read none
        del self.buffer[:body_length]
        tokens = {token.strip() for token in headers.get("connection", "").split(",")}
        # HTTP/1.1 keeps a connection open unless told not to; HTTP/1.0 only when asked to.
        keep_alive = "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens
        if self.idle is not None:
            self.idle.cancel()
        refuse = self.site.arrive()
        self.answering = asyncio.ensure_future(self.site.answer(self, method, keep_alive, refuse))
        self.answering.add_done_callback(self._answered)

    def _answered(self, task: asyncio.Task) -> None:
        """The answer is written, or the connection dropped (the task cancelled): next one."""
        self.site.under_way -= 1
        self.answering = None
        if not self.transport.is_closing():
            self._wait_for_next()
            if self.buffer:
                self._next_request()


class DemoSite:
    """One demo site: its profile, its seeded random source, and what it has served.

    A request is under way from the moment it is parsed until its answer is written or its
    connection drops; `busiest` is the most under way at once, `refused` the 429s sent.
    """

    def __init__(self, profile: SiteProfile, seed: int = DEFAULT_SEED) -> None:
        self.profile = profile
        self._random = random.Random(f"{seed}-{profile.name}")
        self._slots: asyncio.Semaphore | None = None
        self._slots_for: int | None = None
        self._page_for: tuple[str, int] | None = None
        self._page = b""
        self.requests_served = 0
        self.connections_accepted = 0
        self.refused = 0
        self.under_way = 0
        self.busiest = 0
        self.open_connections: set[_Connection] = set()
        self.server: asyncio.Server | None = None
        self.port = 0
        self.url = ""

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: _Connection(self), HOST, 0, backlog=BACKLOG, reuse_address=True
        )
        self.port = self.server.sockets[0].getsockname()[1]
        self.url = f"http://{HOST}:{self.port}/"

    async def close(self) -> None:
        """Stop listening and close every open connection (an answer being sent is finished)."""
        self.server.close()
        for connection in list(self.open_connections):
            connection.transport.close()
        await self.server.wait_closed()

    def _draw(self) -> tuple[float, bool, bool, bytes]:
        """Latency, error and drop for the next request, from the seeded random source."""
        p = self.profile
        delay = max(0.0, p.latency + self._random.uniform(-p.jitter, p.jitter))
        if p.tail:
            delay *= self._random.lognormvariate(0.0, p.tail)
        if p.slow_rate and self._random.random() < p.slow_rate:
            delay += p.slow_latency
        error = self._random.random() < p.error_rate
        drop = self._random.random() < p.drop_rate
        if self._page_for != (p.name, p.page_kb):
            self._page_for, self._page = (p.name, p.page_kb), make_page(p.name, p.page_kb)
        if self._slots_for != p.max_concurrent:
            self._slots_for = p.max_concurrent
            self._slots = asyncio.Semaphore(p.max_concurrent) if p.max_concurrent else None
        return delay, error, drop, self._page

    def arrive(self) -> bool:
        """Count a request just parsed; True if the site refuses it: too many under way."""
        self.requests_served += 1
        self.under_way += 1
        self.busiest = max(self.busiest, self.under_way)
        return self.profile.refuse_over is not None and self.under_way > self.profile.refuse_over

    def counts(self) -> dict[str, int]:
        """Requests, connections, 429s sent, and the most requests under way at once."""
        return {
            "requests": self.requests_served,
            "connections": self.connections_accepted,
            "refused": self.refused,
            "busiest": self.busiest,
        }

    async def _think(self, method: str) -> tuple[str, bytes, dict] | None:
        """Wait as the profile says (for a slot, then the latency): the answer, or None to drop."""
        delay, error, drop, page = self._draw()
        if self._slots is None:
            await asyncio.sleep(delay)
        else:
            async with self._slots:  # a throttling site: wait for a free slot, then think
                await asyncio.sleep(delay)
        if drop:
            return None
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", b"", {"Allow": "GET, HEAD"}
        if error:
            return "500 Internal Server Error", b"<html><body><h1>500</h1></body></html>\n", {}
        return "200 OK", page, {}

    async def answer(
        self, connection: _Connection, method: str, keep_alive: bool, refuse: bool = False
    ) -> None:
        if refuse:  # too many at once: said at once, with no latency and no wait for a slot
            self.refused += 1
            answer = "429 Too Many Requests", REFUSED_PAGE, {"Retry-After": 1}
        else:
            answer = await self._think(method)
        transport = connection.transport
        if answer is None:
            transport.close()  # no answer at all: the client sees the connection dropped
            return
        status, body, extra = answer
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Length": len(body),
            "X-Demo-Site": self.profile.name,
            "Connection": "keep-alive" if keep_alive else "close",
            **extra,
        }
        transport.write(_response(status, headers, body, with_body=method != "HEAD"))
        if not keep_alive:
            transport.close()


async def start_sites(profiles, seed: int = DEFAULT_SEED) -> dict[str, DemoSite]:
    """Start one DemoSite per profile on the running loop; closes those started on failure."""
    sites: dict[str, DemoSite] = {}
    try:
        for profile in profiles:
            site = DemoSite(dataclasses.replace(profile), seed)
            await site.start()
            sites[profile.name] = site
    except BaseException:
        await close_sites(sites)
        raise
    return sites


async def close_sites(sites: dict[str, DemoSite]) -> None:
    for site in sites.values():
        if site.server is not None:
            await site.close()


def configure_sites(sites: dict[str, DemoSite], name: str | None, settings: dict) -> None:
    """Change the named site's profile, or every site's: in force for the next request."""
    for each in check_settings(list(sites), name, settings):
        for key, value in settings.items():
            setattr(sites[each].profile, key, value)


def reset_busiest(sites: dict[str, DemoSite]) -> None:
    """Each site's busiest becomes the number under way now: the start of a new measure."""
    for site in sites.values():
        site.busiest = site.under_way


# ---- the child process: serve the sites, obey the parent, end when the parent is gone ----------


async def serve_for_parent(control_port: int, token: str, profiles, seed: int) -> None:
    """Serve the sites; take commands (JSON lines) over a loopback connection to the parent.

    The parent listens, the child connects. When the parent ends, however it ends (even killed
    with SIGKILL), its side of the connection closes: the child reads end-of-file and stops.
    """
    reader, writer = await asyncio.open_connection(HOST, control_port)

    def send(message: dict) -> None:
        writer.write(json.dumps(message).encode() + b"\n")

    try:
        sites = await start_sites(profiles, seed)
    except OSError as error:
        send({"token": token, "error": f"{type(error).__name__}: {error}"})
        await writer.drain()
        return
    send({"token": token, "urls": {name: site.url for name, site in sites.items()}})
    try:
        while line := await reader.readline():  # b"": the parent is gone
            command = json.loads(line)
            if command["op"] == "configure":
                try:
                    configure_sites(sites, command["name"], command["settings"])
                    send({"ok": True})
                except ValueError as error:
                    send({"error": str(error)})
            elif command["op"] == "counts":
                send({name: site.counts() for name, site in sites.items()})
            elif command["op"] == "reset_busiest":
                reset_busiest(sites)
                send({"ok": True})
            elif command["op"] == "stop":
                break
    finally:
        await close_sites(sites)
        send({"stopped": True})
        writer.close()


if __name__ == "__main__":
    port, seed, profiles = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
    # A kernel's interrupt (or Ctrl-C) is meant for the learner's code, not for the sites.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(ImportError, ValueError, OSError):  # not on Windows; or capped
        import resource  # a thousand connections need more than the usual 1,024 open files

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    token = os.environ.pop("LESSONS_DEMO_TOKEN", "")
    with contextlib.suppress(ConnectionError):  # the parent left before the child connected
        asyncio.run(serve_for_parent(port, token, [SiteProfile(**p) for p in profiles], seed))
