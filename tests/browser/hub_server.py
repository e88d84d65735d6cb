"""A throwaway JupyterHub on loopback for the classroom test: a server for each learner."""

import contextlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import lab_server
from .lab_server import (
    KERNEL_ARGS,
    SETTINGS,
    LabServer,
    free_port,
    lab_environment,
    runtime_dir,
)

ROOT = Path(__file__).resolve().parents[2]
# Installed by `npm ci` from the repository's package.json, as JupyterHub's docs install it.
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
SINGLEUSER = Path(sys.executable).with_name("jupyterhub-singleuser")
# Measured on 2 busy cores (load 5 to 9): the hub answers 7 to 15 s after start (importing it
# takes most of that), a learner's server 15 to 25 s after its spawn, and stops in 2 to 7 s.
START_TIMEOUT = 60
SPAWN_TIMEOUT = 60
STOP_TIMEOUT = 30  # the servers stop together

# The hub's config: every value comes from the JSON written beside it, so nothing here is quoted
# by hand. A learner's home gets the course's notebooks and JupyterLab settings before the
# server starts, and the server keeps its Jupyter and IPython state inside that home.
CONFIG = """\
import json
import shutil
from pathlib import Path

v = json.loads(Path({values!r}).read_text())

c.JupyterHub.bind_url = v["url"]
c.JupyterHub.hub_bind_url = v["hub_url"]
c.ConfigurableHTTPProxy.api_url = v["proxy_api_url"]
c.ConfigurableHTTPProxy.command = [v["proxy"]]
c.ConfigurableHTTPProxy.pid_file = v["proxy_pid_file"]
c.JupyterHub.db_url = v["db_url"]
c.JupyterHub.cookie_secret_file = v["cookie_secret_file"]
c.JupyterHub.cleanup_servers = True  # on SIGTERM the hub stops every learner's server
c.JupyterHub.authenticator_class = "dummy"  # any password
c.Authenticator.allowed_users = set(v["learners"])
c.JupyterHub.spawner_class = "simple"  # SimpleLocalProcessSpawner: a home per learner, no accounts
c.SimpleLocalProcessSpawner.home_dir_template = v["homes"] + "/{{username}}"
c.Spawner.cmd = [v["singleuser"]]
c.Spawner.args = v["args"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = v["spawn_timeout"]
c.Spawner.http_timeout = v["spawn_timeout"]
c.JupyterHub.services = [{{"name": "classroom-test", "api_token": v["token"]}}]
c.JupyterHub.load_roles = [
    {{"name": "classroom-test", "services": ["classroom-test"], "scopes": v["scopes"]}}
]


def prepare_home(spawner):
    spawner.port = v["ports"][spawner.user.name]  # chosen by the test, away from client ports
    home = Path(spawner.home_dir)
    shutil.copytree(v["notebooks"], home / "notebooks", dirs_exist_ok=True)
    for plugin, values in v["settings"].items():
        path = home / "settings" / f"{{plugin}}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))
    spawner.environment = {{
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": v["runtime"] + "/" + spawner.user.name,  # short: Unix sockets
        "IPYTHONDIR": str(home / "ipython"),
    }}


c.Spawner.pre_spawn_hook = prepare_home
"""

# What the test's own token may do: look at and stop the learners' servers, and call their REST
# API; it never logs anyone in, the browser does that.
SCOPES = ["list:users", "read:users", "admin:servers", "admin:server_state", "access:servers"]


@dataclass
class Hub:
    url: str
    token: str
    homes: Path
    log_path: Path
    process: subprocess.Popen
    pids: dict[str, int] = field(default_factory=dict)  # each learner's server, once started

    def api(self, method: str, path: str, timeout: float = 5) -> Any:
        """Call the hub's REST API with the test's token; the decoded JSON answer, or None."""
        return lab_server.call_api(f"{self.url}/hub/api{path}", self.token, method, timeout)

    def server_of(self, learner: str) -> LabServer:
        """A learner's own JupyterLab, seen through the proxy, with the test's token for its API."""
        self.pids[learner] = server_pid(self, learner)  # killed at the end if still running
        return LabServer(
            f"{self.url}/user/{learner}",
            self.token,
            self.homes / learner,
            self.log_path,
            self.process,
        )

    def log_tail(self, lines: int = 40) -> str:
        return lab_server.log_tail(self.log_path, lines)

    def log_problems(self, lines: int = 40) -> str:
        return lab_server.log_problems(self.log_path, lines)


def server_pid(hub: Hub, learner: str) -> int:
    """The process id of a learner's running server, as its spawner keeps it."""
    return hub.api("GET", f"/users/{learner}")["servers"][""]["state"]["pid"]


def hub_values(
    workdir: Path, notebooks_dir: Path, learners: list[str], token: str, spawn_timeout: float
) -> dict:
    args = [
        "--ServerApp.port_retries=0",
        *KERNEL_ARGS,
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    return {
        "url": f"http://127.0.0.1:{free_port()}",
        "hub_url": f"http://127.0.0.1:{free_port()}",
        "proxy_api_url": f"http://127.0.0.1:{free_port()}",
        "proxy": str(PROXY),
        "proxy_pid_file": str(workdir / "proxy.pid"),
        "db_url": f"sqlite:///{workdir / 'jupyterhub.sqlite'}",
        "cookie_secret_file": str(workdir / "jupyterhub_cookie_secret"),
        "learners": learners,
        "ports": {learner: free_port() for learner in learners},
        "runtime": str(runtime_dir(workdir.name)),
        "homes": str(workdir / "homes"),
        "singleuser": str(SINGLEUSER),
        "args": args,
        "spawn_timeout": spawn_timeout,
        "token": token,
        "scopes": SCOPES,
        "notebooks": str(notebooks_dir),
        "settings": SETTINGS,
    }


def missing_tools() -> list[str]:
    """What the hub needs and this machine lacks, each with how to install it."""
    missing = []
    if importlib.util.find_spec("jupyterhub") is None or not SINGLEUSER.exists():
        missing.append("jupyterhub (python -m pip install -r requirements-dev.txt)")
    if not os.access(PROXY, os.X_OK):
        missing.append(f"configurable-http-proxy at {PROXY} (npm ci, in {ROOT})")
    elif shutil.which("node") is None:
        missing.append("node, which runs configurable-http-proxy")
    return missing


@contextmanager
def running_hub(
    notebooks_dir: Path, learners: list[str], workdir: Path, spawn_timeout: float = SPAWN_TIMEOUT
) -> Iterator[Hub]:
    """JupyterHub, its proxy and every learner's server, all stopped at the end whatever happens."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "homes").mkdir(exist_ok=True)
    token = secrets.token_hex(16)
    values = hub_values(workdir, notebooks_dir, learners, token, spawn_timeout)
    (workdir / "hub.json").write_text(json.dumps(values, indent=2))
    config = workdir / "jupyterhub_config.py"
    config.write_text(CONFIG.format(values=str(workdir / "hub.json")))
    # The runner's own Jupyter config stays out, as for the plain JupyterLab.
    env = lab_environment(workdir)
    log_path = workdir / "jupyterhub.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,  # the proxy's and the learners' servers' output come here too
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env,
            start_new_session=True,
        )
        hub = Hub(values["url"], token, workdir / "homes", log_path, process)
        try:
            wait_until_ready(hub)
            yield hub
        finally:
            stop(hub, learners)


def wait_until_ready(hub: Hub, timeout: float = START_TIMEOUT) -> None:
    """The hub answers through its proxy: both are up and the proxy routes to the hub."""
    lab_server.wait_until_ready(hub, timeout, path="/", name="jupyterhub")


def stop(hub: Hub, learners: list[str]) -> None:
    """The hub, which stops every learner's server (all at once) and its proxy; then force."""
    if hub.process.poll() is None:
        for learner in learners:  # for the forced end below, if the hub fails to stop them
            with contextlib.suppress(urllib.error.URLError, OSError, ValueError, KeyError):
                hub.pids.setdefault(learner, server_pid(hub, learner))
        # SIGTERM: the hub stops the servers together (each ends its kernels), then the proxy.
        lab_server.end_process(hub.process, STOP_TIMEOUT)
    # Each server runs in a session of its own, and the proxy outlives a killed hub on purpose
    # (a restarted hub reuses it): here nothing may outlive the test.
    for pid in hub.pids.values():
        if still_ours(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)  # the server and what it started in its session
    with contextlib.suppress(OSError, ValueError):
        pid = int((hub.log_path.parent / "proxy.pid").read_text())
        if still_ours(pid):
            os.kill(pid, signal.SIGKILL)


def still_ours(pid: int) -> bool:
    """The process still runs one of our commands (a pid may be reused once it has ended)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False  # gone (or no /proc: then the hub's own stop is all we do)
    return b"jupyterhub-singleuser" in command or b"configurable-http-proxy" in command
