"""Kernels as JupyterLab offers them: their specs, and one cell run in a fresh one, bounded."""

from __future__ import annotations

import ast
import atexit
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from queue import Empty

KERNEL_SECONDS = 30  # a kernel must start, and run the cell, within this long each
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"  # where a class's kernels run


# The kernels started here talk to their client over Unix sockets, not TCP. Over TCP,
# jupyter_client picks five free ports and the kernel binds them a moment later; any outgoing
# connection may take one meanwhile ("ZMQError: Address already in use", then "Kernel died
# before replying to kernel_info": the race jupyter_client#154 describes). Chapter 11's 2,000
# requests hold up to 18% of the range of such ports for a minute, while another notebook's
# kernel starts. A Unix socket has no port to lose. The sockets' path must stay under 108
# bytes, so they live in a short folder of this process's own.
KERNEL_TRANSPORT = "ipc"
_socket_dir: Path | None = None


def kernel_socket_dir() -> Path:
    """A short folder for the Unix sockets of this process's kernels, removed at exit."""
    global _socket_dir
    if _socket_dir is None:
        base = "/tmp" if os.path.isdir("/tmp") else None  # not TMPDIR, which may be long
        _socket_dir = Path(tempfile.mkdtemp(prefix="kernels-", dir=base))
        atexit.register(shutil.rmtree, _socket_dir, ignore_errors=True)
    return _socket_dir


def kernel_manager(manager_class=None, kernel_name: str = "python3"):
    """A manager for one kernel (jupyter_client's KernelManager, or `manager_class`) that talks
    over Unix sockets (see KERNEL_TRANSPORT)."""
    if manager_class is None:
        from jupyter_client import KernelManager as manager_class
    connection_file = kernel_socket_dir() / f"kernel-{uuid.uuid4()}.json"
    # The sockets are named after the connection file: an absolute path, whatever the cwd.
    return manager_class(
        kernel_name=kernel_name, transport=KERNEL_TRANSPORT, connection_file=str(connection_file)
    )


class KernelFailed(RuntimeError):
    """The kernel did not start, or its cell failed; the message says what it said."""


def python_kernels() -> dict[str, dict]:
    """Every Python kernelspec JupyterLab would offer here: name -> its kernel.json."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().get_all_specs()
    found = {name: info["spec"] for name, info in specs.items()}
    return {name: spec for name, spec in sorted(found.items()) if spec.get("language") == "python"}


def _run_cell(client, code: str, seconds: float) -> str:
    """The cell's result as text, read in short waits; raise on an error or at the deadline."""
    msg_id = client.execute(code, store_history=False)
    deadline, result = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        try:
            message = client.get_iopub_msg(timeout=0.2)
        except Empty:
            continue
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "execute_result":
            result = content["data"]["text/plain"]
        elif kind == "error":
            raise RuntimeError(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            if result is None:
                raise RuntimeError("the cell gave no result")
            return result
    raise TimeoutError(f"the cell did not finish within {seconds} s")


def run_in_kernel(name: str, code: str, seconds: float = KERNEL_SECONDS):
    """Start kernel `name`, run `code` (its last line an expression), stop it: (value, seconds).

    A kernel binds five ports that its manager chose a moment before; another program may take
    one meanwhile (the race of jupyter_client#154, likelier on a busy machine). Then the kernel
    says "Address already in use". It is started once more, on new ports, as Jupyter's own
    kernel restarter does with a kernel that dies before it is ready.
    """
    try:
        return _start_and_run(name, code, seconds)
    except KernelFailed as error:
        if "Address already in use" not in str(error):
            raise
    return _start_and_run(name, code, seconds)


def _start_and_run(name: str, code: str, seconds: float):
    import jupyter_client  # looked up at each call, so a test can stand in for the manager

    manager, client = jupyter_client.KernelManager(kernel_name=name), None
    # The kernel's own messages (a warning about TCP at every start) are read only on failure.
    with tempfile.TemporaryFile() as errors:
        try:
            cwd = NOTEBOOKS if NOTEBOOKS.is_dir() else Path(tempfile.gettempdir())
            manager.start_kernel(cwd=str(cwd), stderr=errors)
            client = manager.client()
            client.start_channels()
            client.wait_for_ready(timeout=seconds)
            started = time.perf_counter()
            value = ast.literal_eval(_run_cell(client, code, seconds))
            return value, time.perf_counter() - started
        except Exception as error:  # any failure here is the finding, with what the kernel said
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip().splitlines()
            found = f"{name} kernel: {type(error).__name__}: {error}"
            found += f" (the kernel said: {said[-1]})" if said else ""
            raise KernelFailed(found) from error
        finally:
            if client is not None:
                client.stop_channels()
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)
