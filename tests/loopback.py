"""Small loopback facts the tests share: a port nobody listens on, a process's open sockets,
and kernels that need no port."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

from jupyter_client import KernelManager


def closed_port_url() -> str:
    """An http:// address on 127.0.0.1 where nothing listens: connecting is refused."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{closed.getsockname()[1]}/"


def count_sockets(pid: int) -> int:
    """Sockets open in process `pid`, from /proc/<pid>/fd."""
    count = 0
    fd_dir = f"/proc/{pid}/fd"
    for name in os.listdir(fd_dir):
        with contextlib.suppress(OSError):  # closed between listdir and readlink
            if os.readlink(os.path.join(fd_dir, name)).startswith("socket:"):
                count += 1
    return count


def children_running(pid: int, program: bytes) -> list[int]:
    """Live child processes of `pid` whose command line holds `program`."""
    children = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as listing:
            children += [int(child) for child in listing.read().split()]
    found = []
    for child in children:
        with contextlib.suppress(OSError), open(f"/proc/{child}/cmdline", "rb") as cmdline:
            if program in cmdline.read() and not process_gone(child):
                found.append(child)
    return found


def demo_children(pid: int) -> list[int]:
    """Child processes of `pid` that serve the demo sites (lessons/course/demo_server.py)."""
    return children_running(pid, b"demo_server.py")


def process_gone(pid: int) -> bool:
    """True once `pid` has ended: no such process, or a zombie waiting to be collected."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


# Kernels that the tests start talk to their client over Unix sockets, not TCP. Over TCP,
# jupyter_client picks five free ports and the kernel binds them a moment later; any outgoing
# connection may take one meanwhile ("ZMQError: Address already in use", then "Kernel died
# before replying to kernel_info": the race jupyter_client#154 describes). Chapter 08's 2,000
# requests hold up to 18% of the range of such ports for a minute, while the other test worker
# starts kernels. A Unix socket has no port to lose. The sockets' path must stay under 108
# bytes, so they live in a short folder of this process's own.
KERNEL_TRANSPORT = "ipc"


def kernel_socket_dir() -> Path:
    """A short folder for the Unix sockets of this process's kernels, removed at exit."""
    global _socket_dir
    if _socket_dir is None:
        base = "/tmp" if os.path.isdir("/tmp") else None  # not TMPDIR, which may be long
        _socket_dir = Path(tempfile.mkdtemp(prefix="kernels-", dir=base))
        atexit.register(shutil.rmtree, _socket_dir, ignore_errors=True)
    return _socket_dir


_socket_dir: Path | None = None


def kernel_manager(
    manager_class: type[KernelManager] = KernelManager, kernel_name: str = "python3"
) -> KernelManager:
    """A manager for one kernel that talks over Unix sockets (see KERNEL_TRANSPORT)."""
    connection_file = kernel_socket_dir() / f"kernel-{uuid.uuid4()}.json"
    # The sockets are named after the connection file: an absolute path, whatever the cwd.
    return manager_class(
        kernel_name=kernel_name, transport=KERNEL_TRANSPORT, connection_file=str(connection_file)
    )
