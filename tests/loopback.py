"""Small loopback facts the tests share: a port nobody listens on, and a process's open sockets."""

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
