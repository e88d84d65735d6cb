"""The demo sites in a process of their own: the learner's kernel holds only a handle.

The sites' event loop then never takes the GIL of the process whose threads a learner measures.
The child is started with `subprocess` (not `multiprocessing`): a kernel has threads, so it must
not fork, and a spawned `multiprocessing` child would import the kernel's main module and the
whole `lessons` package first. `demo_server.py` runs as a plain script that needs only the
standard library, and answers within a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time

from . import demo_server
from .demo_server import DEFAULT_PROFILES, DEFAULT_SEED, HOST, check_settings
from .demo_sites import SitesFace

START_SECONDS = 10  # the child must say where its sites listen within this long
ANSWER_SECONDS = 5  # and answer each later command within this long


class DemoSitesFailed(RuntimeError):
    """The demo sites' process could not start or stopped answering; the message says why."""


@dataclasses.dataclass
class SiteView:
    """One demo site as the parent sees it: its profile, address and what it has served."""

    handle: DemoSitesProcess
    profile: demo_server.SiteProfile
    url: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].strip("/"))

    def counts(self) -> dict[str, int]:
        """This site's counts, asked of the child: see DemoSitesProcess.counts()."""
        return self.handle.counts()[self.profile.name]

    @property
    def requests_served(self) -> int:
        return self.counts()["requests"]

    @property
    def connections_accepted(self) -> int:
        return self.counts()["connections"]

    @property
    def refused(self) -> int:
        return self.counts()["refused"]

    @property
    def busiest(self) -> int:
        return self.counts()["busiest"]


class DemoSitesProcess(SitesFace):
    """The two demo sites, served by a child process; stop() (or the end of this one) ends it."""

    def __init__(self, profiles=DEFAULT_PROFILES, seed: int = DEFAULT_SEED) -> None:
        self._running = False
        self.sites: dict[str, SiteView] = {}
        self._lock = threading.Lock()  # one command and its answer at a time
        self._buffer = b""
        token = secrets.token_hex(16)
        # The child's stderr, read if it fails; it lives as long as the handle, so no `with`.
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        with socket.create_server((HOST, 0)) as listener:
            listener.settimeout(0.05)
            started = time.monotonic()
            try:
                self.process = self._spawn(listener, seed, profiles, token)
            except OSError as error:
                self._errors.close()
                raise DemoSitesFailed(f"The demo sites could not start: {error}") from error
            try:
                self._control = self._accept(listener, started)
                hello = self._read(started + START_SECONDS)
            except BaseException:
                self._end()
                raise
        if hello.get("token") != token or "urls" not in hello:
            self._end()
            raise DemoSitesFailed(f"The demo sites could not start: {hello.get('error', hello)}")
        self.startup_seconds = time.monotonic() - started
        by_name = {p.name: p for p in profiles}
        self.sites = {
            name: SiteView(self, dataclasses.replace(by_name[name]), url)
            for name, url in hello["urls"].items()
        }
        self._running = True

    @property
    def running(self) -> bool:
        """True while the sites serve: not stopped, and their process alive."""
        return self._running and self.process.poll() is None

    @property
    def pid(self) -> int:
        return self.process.pid

    def _spawn(self, listener: socket.socket, seed: int, profiles, token: str) -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable,
                "-I",  # the standard library only: quick, and no stray module shadows it
                demo_server.__file__,
                str(listener.getsockname()[1]),
                str(seed),
                json.dumps([dataclasses.asdict(p) for p in profiles]),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._errors,
            env={**os.environ, "LESSONS_DEMO_TOKEN": token},
            start_new_session=True,  # an interrupt of the kernel's group is not for it
        )

    def _accept(self, listener: socket.socket, started: float) -> socket.socket:
        while time.monotonic() < started + START_SECONDS:
            try:
                control, _ = listener.accept()
                control.settimeout(0.05)
                return control
            except TimeoutError:
                if self.process.poll() is not None:
                    raise DemoSitesFailed(
                        f"The demo sites could not start: their process ended with code "
                        f"{self.process.returncode}{self._child_said()}"
                    ) from None
        raise DemoSitesFailed(
            f"The demo sites could not start: no answer within {START_SECONDS} s"
            f"{self._child_said()}"
        )

    def _child_said(self) -> str:
        self._errors.seek(0)
        lines = self._errors.read().decode(errors="replace").strip().splitlines()
        return f": {lines[-1]}" if lines else ""

    def _read(self, deadline: float) -> dict:
        """The child's next line, within the deadline, in short waits."""
        while b"\n" not in self._buffer:
            if time.monotonic() > deadline:
                raise DemoSitesFailed(
                    "The demo sites stopped answering. Run the setup cell again "
                    "(lessons.start_demo_sites() starts new ones)."
                )
            try:
                chunk = self._control.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self._running = False
                raise DemoSitesFailed(
                    f"The demo sites' process has ended{self._child_said()}. Run the setup cell "
                    "again (lessons.start_demo_sites() starts new ones)."
                )
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def _command(self, **message) -> dict:
        with self._lock:
            if not self._running:
                raise DemoSitesFailed(
                    "These demo sites are stopped: lessons.start_demo_sites() starts new ones."
                )
            if self.process.poll() is not None:
                self._running = False
                raise DemoSitesFailed(
                    f"The demo sites' process has ended (exit code {self.process.returncode})"
                    f"{self._child_said()}. Run the setup cell again "
                    "(lessons.start_demo_sites() starts new ones)."
                )
            self._control.sendall(json.dumps(message).encode() + b"\n")
            return self._read(time.monotonic() + ANSWER_SECONDS)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per site, since the start (one question to the child): requests, connections,
        refused (the 429s sent), busiest (the most requests under way at once)."""
        return self._command(op="counts")

    def reset_busiest(self) -> None:
        """Each site's busiest becomes the number of requests under way now."""
        self._command(op="reset_busiest")

    def configure(self, name: str | None = None, **settings) -> None:
        """Change a profile while running: configure("Jython", latency=0.2, error_rate=0.1).

        Without a name, the settings apply to every site. In force for the next request.
        """
        names = check_settings(list(self.sites), name, settings)
        answer = self._command(op="configure", name=name, settings=settings)
        if "error" in answer:
            raise ValueError(answer["error"])
        for each in names:
            for key, value in settings.items():
                setattr(self.sites[each].profile, key, value)

    def stop(self) -> None:
        """Stop the sites and end their process (at once if it does not answer)."""
        with self._lock:
            if self._running:
                self._running = False
                try:
                    self._control.sendall(b'{"op": "stop"}\n')
                    self._read(time.monotonic() + 2)
                except (OSError, DemoSitesFailed):
                    pass  # already gone: ending it below is all there is to do
            self._end(patience=2)

    def _end(self, patience: float = 0.0) -> None:
        """Close the control connection (the child's sign to end); kill it after `patience` s."""
        control = getattr(self, "_control", None)
        if control is not None:
            control.close()
        try:
            self.process.wait(timeout=patience)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=2)
        self._errors.close()

    def _where(self) -> str:
        return f" (process {self.pid})"
