"""Notebooks run as Run All runs them, by nbclient: for the site's pages and for the tests."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client import KernelManager
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbformat import NotebookNode

POLL_SLICE = 0.2  # seconds: the longest single wait for a kernel reply (see SlicedPollClient)

# The kernels started here talk to their client over Unix sockets, not TCP. Over TCP,
# jupyter_client picks five free ports and the kernel binds them a moment later; any outgoing
# connection may take one meanwhile ("ZMQError: Address already in use", then "Kernel died
# before replying to kernel_info": the race jupyter_client#154 describes). Chapter 08's 2,000
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


def kernel_manager(
    manager_class: type[KernelManager] = KernelManager, kernel_name: str = "python3"
) -> KernelManager:
    """A manager for one kernel that talks over Unix sockets (see KERNEL_TRANSPORT)."""
    connection_file = kernel_socket_dir() / f"kernel-{uuid.uuid4()}.json"
    # The sockets are named after the connection file: an absolute path, whatever the cwd.
    return manager_class(
        kernel_name=kernel_name, transport=KERNEL_TRANSPORT, connection_file=str(connection_file)
    )


class SlicedPollClient(NotebookClient):
    """nbclient, except that it waits for each execute reply in short slices.

    nbclient waits for a cell's reply with one long `shell_channel.get_msg(timeout=...)`. With
    widgets that wait sometimes misses a reply that has already arrived and sleeps the whole
    timeout (nbclient issue #312; FIELD-NOTES: 3 stalls in 20 runs). Asking again every 0.2 s
    catches the reply; the cell's real deadline and every other behaviour stay nbclient's.
    """

    async def _async_poll_for_reply(self, msg_id: str, cell: NotebookNode, *args: Any) -> dict:
        assert self.kc is not None
        channel = self.kc.shell_channel
        channel.get_msg = _sliced(channel.get_msg)
        try:
            return await super()._async_poll_for_reply(msg_id, cell, *args)
        finally:
            del channel.get_msg  # back to the class's own method


def _sliced(get_msg: Callable[..., Any]) -> Callable[..., Any]:
    """get_msg(timeout=T) made of waits of at most POLL_SLICE, still raising Empty after T."""

    async def sliced_get_msg(timeout: float | None = None) -> dict:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await ensure_async(get_msg(timeout=min(POLL_SLICE, left)))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return sliced_get_msg


def learner_env() -> dict[str, str]:
    """This process's environment for a kernel, less a learner's LESSONS_SITES=real: a course
    run by a machine (the tests, the site) uses the demo sites, never the internet."""
    return {k: v for k, v in os.environ.items() if k != "LESSONS_SITES"}
