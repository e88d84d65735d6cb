"""A class on the hub as its browsers would drive it, without the browsers: each learner's server
spawned through the hub's REST API, and notebooks run cell by cell in kernels of that server,
over the Jupyter server's kernel websocket, as JupyterLab runs them. Also what each learner's
processes (server, kernels, demo sites, pools) hold in memory. Used by the classroom test and
by benchmarks/classroom.py."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import threading
import time
import urllib.error
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from lessons.course.contention import process_tree

from .hub_server import SPAWN_TIMEOUT, Hub, running_hub, server_pid
from .lab_server import call_api

CELL_SECONDS = 600  # one cell, however busy the machine (alone, none takes 30 s)
FIGURES_MARK = "CLASSROOM-FIGURES "
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
# Each chapter a class runs, with the cell run after it that prints what its learner measured.
CHAPTERS = {
    "02": (
        "02_threaded.ipynb",
        "explorer = lessons.explorer(runs=[sync_run, threads_run])\n"
        "explorer.run()\n"
        "ran = explorer.wait(600) and explorer.last is not None\n"
        "import json\n"
        f"print({FIGURES_MARK!r} + json.dumps({{'speedup': speedup, "
        "'explorer_speedup': sync_run.elapsed / explorer.last.elapsed if ran else None}))",
    ),
    "07": (
        "07_how_many_threads.ipynb",
        "import json\n"
        "best = result.best\n"
        f"print({FIGURES_MARK!r} + json.dumps({{'best_workers': best.workers, "
        "'best_elapsed': best.run.elapsed}))",
    ),
    "11": ("11_waiting.ipynb", f"print({FIGURES_MARK!r} + '{{}}')"),
    "12": (
        "12_computing.ipynb",
        "import json\n"
        "rows = table['builds'][table['this']]\n"
        "one = rows['one after another'].get('elapsed')\n"
        "speed = {name: one / r['elapsed'] for name, r in rows.items() if one and 'elapsed' in r}\n"
        f"print({FIGURES_MARK!r} + json.dumps({{'threads_2': speed.get('threads, 2 workers'), "
        "'processes_2': speed.get('processes, 2 workers'), "
        "'one_cpu_share': rows['one after another'].get('cpu', 0) / one if one else None}))",
    ),
}


@dataclasses.dataclass
class Ran:
    """One notebook run by one learner: its seconds, its errors, and the figures it measured."""

    notebook: str
    seconds: float
    errors: list[str]
    figures: dict[str, Any]


def spawn(hub: Hub, learner: str) -> None:
    """Ask the hub to start a learner's server (it answers before the server is up)."""
    hub.api("POST", f"/users/{learner}/server", timeout=SPAWN_TIMEOUT)


def wait_spawned(hub: Hub, learner: str, started: float, timeout: float = SPAWN_TIMEOUT) -> float:
    """Seconds from `started` until the learner's server is ready; RuntimeError if it fails."""
    deadline = started + timeout + 10  # the hub gives up at its own timeout, and says so
    while time.monotonic() < deadline:
        with contextlib.suppress(urllib.error.URLError, OSError, ValueError):
            server = hub.api("GET", f"/users/{learner}")["servers"].get("")
            if server and server.get("ready"):
                hub.pids[learner] = server_pid(hub, learner)
                return time.monotonic() - started
            if server is None and time.monotonic() - started > 5:
                raise RuntimeError(f"{learner}'s server stopped while starting (see the hub log)")
        time.sleep(0.5)
    raise RuntimeError(f"{learner}'s server was not ready within {timeout} s")


async def run_notebook(hub: Hub, learner: str, path: Path, after: str = "") -> Ran:
    """Run every code cell of `path` in a new kernel of the learner's server, then `after` (a
    cell that prints FIGURES_MARK + JSON of what the run measured); the kernel is shut down."""
    base = f"{hub.url}/user/{learner}"
    started = time.monotonic()
    kernel = await asyncio.to_thread(
        _api, hub, base, "POST", "/api/kernels", {"name": "python3", "path": "notebooks"}
    )
    errors: list[str] = []
    figures: dict[str, Any] = {}
    try:
        url = base.replace("http://", "ws://") + f"/api/kernels/{kernel['id']}/channels"
        request = HTTPRequest(
            f"{url}?session_id={uuid.uuid4().hex}", headers={"Authorization": f"token {hub.token}"}
        )
        socket = await websocket_connect(request, max_message_size=256 * 1024 * 1024)
        try:
            nb = nbformat.read(path, as_version=4)
            cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
            for number, code in enumerate([*cells, after] if after else cells, 1):
                printed, error = await _execute(socket, code)
                if error:
                    errors.append(f"{path.name} cell {number}: {error}")
                for line in printed.splitlines():
                    if line.startswith(FIGURES_MARK):
                        figures = json.loads(line.removeprefix(FIGURES_MARK))
        finally:
            socket.close()
    except (asyncio.TimeoutError, OSError) as failed:
        errors.append(f"{path.name}: {type(failed).__name__}: {failed}")
    finally:
        with contextlib.suppress(urllib.error.URLError, OSError):
            await asyncio.to_thread(_api, hub, base, "DELETE", f"/api/kernels/{kernel['id']}")
    return Ran(path.stem, time.monotonic() - started, errors, figures)


def _api(hub: Hub, base: str, method: str, path: str, body: dict | None = None) -> Any:
    """A call to a learner's server's REST API (kernels), with the hub's token."""
    return call_api(f"{base}{path}", hub.token, method, timeout=60, body=body)


async def _execute(socket, code: str) -> tuple[str, str | None]:
    """One cell, as JupyterLab sends it: what it printed, and its error (None if it ran)."""
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "msg_type": "execute_request", "username": "learner",
              "session": uuid.uuid4().hex, "date": "", "version": "5.3"}  # fmt: skip
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}  # fmt: skip
    message = {"header": header, "parent_header": {}, "metadata": {}, "content": content,
               "channel": "shell", "buffers": []}  # fmt: skip
    await socket.write_message(json.dumps(message))
    printed, error, replied, idle = [], None, False, False
    deadline = time.monotonic() + CELL_SECONDS
    while not (replied and idle):
        left = deadline - time.monotonic()
        if left <= 0:
            return "".join(printed), f"no answer within {CELL_SECONDS} s"
        raw = await asyncio.wait_for(socket.read_message(), timeout=left)
        if raw is None:
            return "".join(printed), "the kernel's websocket closed"
        if isinstance(raw, bytes):
            continue  # a message with binary buffers (widget images): not what we read
        reply = json.loads(raw)
        if reply.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, body = reply["msg_type"], reply["content"]
        if kind == "stream":
            printed.append(body["text"])
        elif kind == "error":
            error = f"{body['ename']}: {body['evalue']}"
        elif kind == "execute_reply":
            replied = True
            if body.get("status") != "ok" and error is None:
                error = f"{body.get('ename', 'error')}: {body.get('evalue', body.get('status'))}"
        elif kind == "status" and body["execution_state"] == "idle":
            idle = True
    return "".join(printed), error


class MemoryWatch:
    """Each learner's memory, sampled once a second: the server and every process under it.

    RSS counts shared pages in every process; PSS (Linux's smaps_rollup) shares them out, so
    the learners' PSS add up to what the class really holds.
    """

    def __init__(self, pids: dict[str, int], interval: float = 1.0):
        self.pids, self.interval = pids, interval
        self.peak_rss: dict[str, float] = {}
        self.peak_pss: dict[str, float] = {}
        self.peak_total_pss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="memory-watch", daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            total = 0.0
            for learner, pid in list(self.pids.items()):
                rss = pss = 0.0
                for process in process_tree(pid):
                    rss_mb, pss_mb = _memory(process)
                    rss, pss = rss + rss_mb, pss + pss_mb
                self.peak_rss[learner] = max(self.peak_rss.get(learner, 0.0), rss)
                self.peak_pss[learner] = max(self.peak_pss.get(learner, 0.0), pss)
                total += pss
            self.peak_total_pss = max(self.peak_total_pss, total)


def _memory(pid: int) -> tuple[float, float]:
    """A process's resident and proportional set sizes, in MB (0 if it has just ended)."""
    rss = pss = 0.0
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    return rss, pss


async def learner_runs(hub, learner: str, start_at: float, chapters: list) -> list:
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    runs = []
    for notebook, after in chapters:
        runs.append(await run_notebook(hub, learner, NOTEBOOKS / notebook, after))
    return runs


def run_class(
    count: int, workdir: Path, chapters: list[tuple[str, str]], spawn_timeout: float = SPAWN_TIMEOUT
) -> dict:
    """A class of `count` learners on a new hub: each runs `chapters` (a notebook's name and
    the cell that prints its figures), one after another, all learners at once. The hub gives
    each server `spawn_timeout` seconds to start (JupyterHub's own default is 60)."""
    learners = [f"learner{n:02}" for n in range(1, count + 1)]
    result: dict = {"learners": count, "spawn": {}, "spawn_errors": [], "runs": {}}
    result["spawn_timeout"] = spawn_timeout
    started = time.monotonic()
    with running_hub(NOTEBOOKS, learners, workdir, spawn_timeout) as hub:
        result["hub_up"] = time.monotonic() - started
        # Every learner's request at once, each from a thread of its own, as a room logs in: the
        # hub answers a spawn request only when the server is up or after its slow_spawn_timeout
        # (10 s), so requests sent one after another would start the servers one by one.
        requested: dict[str, float] = {}
        spawned_at = time.monotonic()

        def spawn_and_wait(learner: str) -> float:
            requested[learner] = time.monotonic() - spawned_at
            try:
                spawn(hub, learner)
            except (urllib.error.URLError, OSError) as error:
                raise RuntimeError(f"{learner}'s spawn request failed: {error}") from error
            return wait_spawned(hub, learner, spawned_at, spawn_timeout)

        with ThreadPoolExecutor(max_workers=count) as pool:
            waits = {learner: pool.submit(spawn_and_wait, learner) for learner in learners}
            for learner, wait in waits.items():
                try:
                    result["spawn"][learner] = wait.result()
                except RuntimeError as error:
                    result["spawn_errors"].append(str(error))
        result["requested"] = requested  # seconds after the first, when each request was sent
        ready = [learner for learner in learners if learner in result["spawn"]]
        with MemoryWatch({name: hub.pids[name] for name in ready}) as memory:
            start_at = time.monotonic() + 1.0  # all together, as the instructor says "Run"

            async def everyone():
                runs = (learner_runs(hub, name, start_at, chapters) for name in ready)
                return await asyncio.gather(*runs)

            for learner, runs in zip(ready, asyncio.run(everyone()), strict=True):
                result["runs"][learner] = [run.__dict__ for run in runs]
        result["peak_rss"] = memory.peak_rss
        result["peak_pss"] = memory.peak_pss
        result["peak_total_pss"] = memory.peak_total_pss
    result["whole"] = time.monotonic() - started
    return result
