"""A real IPython kernel driven over jupyter_client, as a notebook front end drives it.

Every wait is made of short slices (FIELD-NOTES: one long `get_msg` can stall), and every loop
ends at a deadline: nothing here can hang a test.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from queue import Empty

from loopback import count_sockets, kernel_manager

SLICE = 0.05  # seconds: the longest single wait for a message
STARTUP_SECONDS = 60


@dataclasses.dataclass
class Result:
    """What one execute request brought back."""

    msg_id: str
    sent: float  # time.monotonic() when the request was sent
    reply: dict | None = None  # the shell channel's execute_reply
    replied: float | None = None  # time.monotonic() when the reply arrived
    idle: bool = False  # the iopub "status: idle" for this request was seen
    stdout: str = ""
    stderr: str = ""
    errors: list[dict] = dataclasses.field(default_factory=list)  # iopub "error" contents
    displays: list[dict] = dataclasses.field(default_factory=list)  # display_data contents

    @property
    def status(self) -> str | None:
        return None if self.reply is None else self.reply["content"]["status"]

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        tracebacks = "\n".join("\n".join(e.get("traceback", [])) for e in self.errors)
        return (
            f"status={self.status} idle={self.idle}\n--- stdout:\n{self.stdout}"
            f"\n--- stderr:\n{self.stderr}\n--- errors:\n{tracebacks}"
        )


class Kernel:
    """One kernel and its blocking client, with short-sliced, bounded waits."""

    def __init__(self, env: dict[str, str] | None = None, kernel_name: str = "python3") -> None:
        self.env = env if env is not None else kernel_env()
        # Over Unix sockets: no port to lose to another program.
        self.km = kernel_manager(kernel_name=kernel_name)
        self.km.start_kernel(env=self.env)
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=STARTUP_SECONDS)
        except RuntimeError:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
            raise
        self.stray: list[dict] = []  # iopub messages for requests no longer waited for

    # ---- lifetime ------------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        provisioner = getattr(self.km, "provisioner", None)
        pid = getattr(provisioner, "pid", None) if provisioner is not None else None
        if pid is None:
            pid = self.km.kernel.pid
        return pid

    def restart(self, timeout: float = 30) -> None:
        self.km.restart_kernel(now=True)
        self.kc.wait_for_ready(timeout=timeout)
        self.drain_iopub()

    def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            self.kc.stop_channels()
        with contextlib.suppress(Exception):
            self.km.shutdown_kernel(now=True)

    def interrupt(self) -> float:
        """Interrupt the kernel (SIGINT); returns the time it was sent."""
        sent = time.monotonic()
        self.km.interrupt_kernel()
        return sent

    # ---- execution -----------------------------------------------------------------------------

    def start(self, code: str) -> Result:
        """Send an execute request and return at once; `finish` collects what it brings."""
        self.drain_iopub()
        msg_id = self.kc.execute(code, store_history=False)
        return Result(msg_id=msg_id, sent=time.monotonic())

    def finish(self, result: Result, timeout: float) -> Result:
        """Wait (at most `timeout` s) for the reply and the idle status of a started request."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (result.reply is not None and result.idle):
            if result.reply is None:
                try:
                    msg = self.kc.get_shell_msg(timeout=SLICE)
                except Empty:
                    msg = None
                if msg is not None and msg["parent_header"].get("msg_id") == result.msg_id:
                    result.reply, result.replied = msg, time.monotonic()
            self._read_iopub(result, SLICE if result.reply is not None else 0)
        if result.reply is None or not result.idle:
            raise TimeoutError(
                f"no complete answer within {timeout} s to {result.msg_id}\n{result.describe()}"
            )
        return result

    def execute(self, code: str, timeout: float = 30) -> Result:
        return self.finish(self.start(code), timeout)

    def ok(self, code: str, timeout: float = 30) -> Result:
        """Execute, and fail unless the cell ran without an error."""
        result = self.execute(code, timeout)
        assert result.status == "ok" and not result.errors, result.describe()
        return result

    def value(self, expression: str, timeout: float = 30):
        """The value of a JSON-able expression evaluated in the kernel."""
        marker = "KERNEL-VALUE "
        result = self.ok(f"print({marker!r} + __import__('json').dumps({expression}))", timeout)
        line = next(line for line in result.stdout.splitlines() if line.startswith(marker))
        return json.loads(line[len(marker) :])

    def _read_iopub(self, result: Result, wait: float) -> None:
        """Read the iopub messages that are there (waiting up to `wait` s for the first)."""
        for _ in range(10_000):
            try:
                msg = self.kc.get_iopub_msg(timeout=wait)
            except Empty:
                return
            wait = 0
            if msg["parent_header"].get("msg_id") != result.msg_id:
                self.stray.append(msg)
                continue
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "stream":
                if content["name"] == "stdout":
                    result.stdout += content["text"]
                else:
                    result.stderr += content["text"]
            elif kind == "error":
                result.errors.append(content)
            elif kind in ("display_data", "execute_result"):
                result.displays.append(content)
            elif kind == "status" and content["execution_state"] == "idle":
                result.idle = True
                return

    def drain_iopub(self) -> None:
        for _ in range(10_000):
            try:
                self.stray.append(self.kc.get_iopub_msg(timeout=0))
            except Empty:
                return

    # ---- what the process holds ----------------------------------------------------------------

    def open_sockets(self) -> int:
        """Sockets open in the kernel process, counted from outside it (/proc/<pid>/fd)."""
        return count_sockets(self.pid)

    def threads(self) -> list[str]:
        """Names of the kernel's live Python threads."""
        return self.value("[t.name for t in __import__('threading').enumerate()]")


def kernel_env() -> dict[str, str]:
    """This process's environment without LESSONS_SITES: the kernel uses the demo sites."""
    env = dict(os.environ)
    env.pop("LESSONS_SITES", None)
    return env


def settle(measure, target: int, seconds: float, step: float = 0.1) -> tuple[int, float]:
    """Poll `measure()` until it is at most `target` or `seconds` pass: (last value, waited)."""
    start = time.monotonic()
    value = measure()
    for _ in range(int(seconds / step) + 1):
        if value <= target or time.monotonic() - start >= seconds:
            break
        time.sleep(step)
        value = measure()
    return value, time.monotonic() - start
