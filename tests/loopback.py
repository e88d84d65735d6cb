"""Small loopback facts the tests share: a port nobody listens on, a process's open sockets,
and kernels that need no port."""

from __future__ import annotations

import contextlib
import os
import socket


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


# Kernels that the tests start talk over Unix sockets (lessons.course.kernels says why).
from lessons.course.kernels import KERNEL_TRANSPORT, kernel_manager, kernel_socket_dir  # noqa: E402

__all__ = ["KERNEL_TRANSPORT", "kernel_manager", "kernel_socket_dir"]
