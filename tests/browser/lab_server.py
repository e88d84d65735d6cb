"""A throwaway JupyterLab on loopback for the browser tests: started, waited for, always stopped."""

import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loopback import KERNEL_TRANSPORT, kernel_socket_dir

START_TIMEOUT = 60  # JupyterLab answers in about 2 s; a cold first start compiles nothing more
STOP_TIMEOUT = 15

# Written as the learner's own settings, in a settings dir that lives only for this run.
SETTINGS = {
    # The "news" notification would cover part of the page and ask to go online.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # Windowing leaves cells out of the DOM until scrolled to; the tests must see every output.
    # Scrolling past the end would pad the screenshots with an empty screen.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "scrollPastEnd": False},
}


def call_api(url: str, token: str, method: str, timeout: float = 5, body: Any = None) -> Any:
    """A Jupyter REST call with a token (and a JSON `body`, if given); the decoded JSON answer,
    or None for an empty one."""
    headers = {"Authorization": f"token {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return json.loads(body) if body else None


@dataclass
class LabServer:
    url: str
    token: str
    root_dir: Path
    log_path: Path
    process: subprocess.Popen

    def api(self, method: str, path: str, timeout: float = 5) -> Any:
        """Call the server's REST API; returns the decoded JSON answer, or None for an empty one."""
        return call_api(f"{self.url}{path}", self.token, method, timeout)

    def shut_down_sessions(self, path: str | None = None) -> None:
        """End the sessions (and so the kernels) of one notebook, or of all when path is None."""
        for session in self.api("GET", "/api/sessions"):
            if path is None or session.get("path") == path:
                self.api("DELETE", f"/api/sessions/{session['id']}", timeout=15)
        if path is None:
            for kernel in self.api("GET", "/api/kernels"):
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=15)

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)


def log_tail(log_path: Path, lines: int = 40) -> str:
    """The last lines of a server's log, for an error message."""
    return _from_log(log_path, lambda text: text[-lines:])


def log_problems(log_path: Path, lines: int = 40) -> str:
    """The log's errors and warnings from its start (a tail may hold only the other learner)."""
    problem = re.compile(r"\[[CEW] |Traceback|\w+Error")
    found = _from_log(log_path, lambda text: [line for line in text if problem.match(line)][:lines])
    return found or "(none)"


def _from_log(log_path: Path, choose) -> str:
    """The lines `choose` picks from a log's lines, or why there are none."""
    try:
        text = log_path.read_text(errors="replace").splitlines()
    except OSError as error:
        return f"(no log: {error})"
    return "\n".join(choose(text))


# The kernels talk to the server over Unix sockets, as the tests' own kernels do (see loopback).
KERNEL_ARGS = [f"--KernelManager.transport={KERNEL_TRANSPORT}"]

# Ports are chosen below the range the kernel hands to outgoing connections. A port chosen here
# is bound seconds later by another process (JupyterLab, the hub, a learner's server, after their
# imports); a port from that range may meanwhile become the local end of any connection. Measured
# here while chapter 11's scale question (2,000 requests, 1,000 at once) ran: 10 to 18% of the
# range could not be bound, and a learner's server on the hub once never started in CI.
LOWEST_PORT = 10_000
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port(tries: int = 200) -> int:
    """A port on 127.0.0.1 that nothing holds, outside the range of outgoing connections."""
    first, end = LOWEST_PORT, ephemeral_low()
    # Each pytest-xdist worker takes its own share, so two workers never pick the same port.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if worker.isdigit() and workers > 1:
        share = (end - first) // workers
        first += int(worker) % workers * share
        end = first + share
    for _ in range(tries):
        port = random.randrange(first, end)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port on 127.0.0.1 in {first}-{end - 1} after {tries} tries")


def ephemeral_low() -> int:
    """The first port of the kernel's range for outgoing connections (Linux; else IANA's)."""
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 49152


def write_settings(settings_dir: Path) -> None:
    for plugin, values in SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))


def lab_command(port: int, token: str, root_dir: Path, workdir: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        # Another program taking the port between probe and start must fail loudly, not move us.
        "--ServerApp.port_retries=0",
        *KERNEL_ARGS,
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        f"--LabApp.user_settings_dir={workdir / 'settings'}",
        f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def runtime_dir(name: str) -> Path:
    """A folder for a server's runtime files, short enough for its kernels' Unix sockets."""
    path = kernel_socket_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def lab_environment(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The learner's own Jupyter and IPython config (a password, a startup file) stays out.
    for name, sub in [("JUPYTER_CONFIG_DIR", "config"), ("IPYTHONDIR", "ipython")]:
        env[name] = str(workdir / sub)
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    # Kernels' connection files, and their Unix sockets beside them: a short path (see loopback).
    env["JUPYTER_RUNTIME_DIR"] = str(runtime_dir(workdir.name))
    # The notebooks must use the demo sites on loopback, whatever this shell chose.
    env.pop("LESSONS_SITES", None)
    return env


@contextmanager
def running_lab(notebooks: list[Path], workdir: Path) -> Iterator[LabServer]:
    """JupyterLab serving copies of the notebooks, so the browser never writes into the repo."""
    root_dir = workdir / "root"
    root_dir.mkdir(parents=True, exist_ok=True)
    for notebook in notebooks:
        shutil.copy2(notebook, root_dir / notebook.name)
    env = lab_environment(workdir)
    write_settings(workdir / "settings")
    # Fresh and empty: a reused workspace reopens the tabs of an earlier run.
    (workdir / "workspaces").mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    log_path = workdir / "jupyterlab.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            lab_command(port, token, root_dir, workdir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root_dir,
            env=env,
            start_new_session=True,  # one group to kill if it will not stop
        )
        server = LabServer(f"http://127.0.0.1:{port}", token, root_dir, log_path, process)
        try:
            wait_until_ready(server)
            yield server
        finally:
            stop(server)


def wait_until_ready(
    server, timeout: float = START_TIMEOUT, path: str = "/api/status", name: str = "jupyter lab"
) -> None:
    """Wait until `server` (a LabServer, or anything with .api, .process, .log_path and
    .log_tail(): the hub too) answers `path`; say why, with its log, if it ends or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{name} exited with code {server.process.returncode} before answering; "
                f"last lines of {server.log_path}:\n{server.log_tail()}"
            )
        try:
            server.api("GET", path, timeout=2)
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    raise RuntimeError(
        f"{name} did not answer {path} within {timeout} s; "
        f"last lines of {server.log_path}:\n{server.log_tail()}"
    )


def stop(server: LabServer) -> None:
    """Kernels first (they are in their own sessions), then the server, killed if it lingers."""
    if server.process.poll() is None:
        # The server may be the thing that broke; terminating it ends its kernels too.
        with contextlib.suppress(urllib.error.URLError, OSError, ValueError):
            server.shut_down_sessions()
        end_process(server.process, STOP_TIMEOUT)


def end_process(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM to a server started in a session of its own; its whole group killed if it lingers."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)
