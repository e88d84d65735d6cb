"""What Python 3.14 adds to threads, measured in the learner's kernel: how far `map` runs ahead
(and its `buffersize=`), a thread's name as the operating system sees it, and whether a thread
starts with its starter's context variables (`thread_inherit_context`).

On an older kernel each says in one line what 3.14 adds, and measures the rest.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import platform
import subprocess
import sys
import threading
import time

from . import builds


def newer_here() -> bool:
    return builds.is_newer(platform.python_version())


def ahead(function, sites: list[str], max_workers: int = 5, buffersize: int | None = None,
          take_seconds: float = 0.01) -> int:  # fmt: skip
    """The most pages that `map` had submitted and the consumer had not yet taken, while the
    consumer took each result `take_seconds` after the one before."""
    submitted = taken = most = 0
    lock = threading.Lock()
    options = {} if buffersize is None else {"buffersize": buffersize}
    with concurrent.futures.ThreadPoolExecutor(max_workers) as executor:
        submit = executor.submit

        def counted(*args, **kwargs):
            nonlocal submitted
            with lock:
                submitted += 1
            return submit(*args, **kwargs)

        executor.submit = counted  # map submits through it
        for _ in executor.map(function, sites, **options):
            with lock:
                most = max(most, submitted - taken)
            taken += 1
            time.sleep(take_seconds)
    return most


def show_ahead(function, sites: list[str], max_workers: int = 5, buffersize: int = 10) -> dict:
    """`map` without and with `buffersize=`, over the same pages: how many it held ahead."""
    held = {"map": ahead(function, sites, max_workers)}
    print(f"map(download_site, sites): up to {held['map']} pages submitted ahead of the loop.")
    if not newer_here():
        print(
            f"map(..., buffersize={buffersize}) is new in Python 3.14. "
            f"This kernel runs {platform.python_version()}, so that half is skipped."
        )
        return held
    held["buffersize"] = ahead(function, sites, max_workers, buffersize)
    print(
        f"map(download_site, sites, buffersize={buffersize}): up to {held['buffersize']} pages "
        "submitted ahead."
    )
    return held


def os_thread_names(max_workers: int = 3) -> list[tuple[str, str]]:
    """(Python's name, the operating system's name) of each worker of a pool, read from Linux's
    /proc while they run. Python 3.14 and newer pass the name to the OS at start()."""
    ready, release = threading.Barrier(max_workers + 1), threading.Event()
    workers, names = set(), []

    def wait_in_pool(_):
        workers.add(threading.current_thread())  # this pool's threads only, whatever else runs
        ready.wait(5)
        release.wait(5)

    with concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="worker") as pool:
        futures = [pool.submit(wait_in_pool, n) for n in range(max_workers)]
        ready.wait(5)
        for thread in workers:
            names.append((thread.name, _os_name(thread.native_id)))
        release.set()
        concurrent.futures.wait(futures, 10)
    return sorted(names)


def _os_name(native_id: int | None) -> str:
    try:
        with open(f"/proc/self/task/{native_id}/comm") as comm:
            return comm.read().strip()
    except OSError:  # not Linux, or the thread has ended
        return "?"


def show_os_thread_names(max_workers: int = 3) -> list[tuple[str, str]]:
    names = os_thread_names(max_workers)
    print(f"{'Python calls it':<18} the operating system calls it")
    for python_name, os_name in names:
        print(f"{python_name:<18} {os_name}")
    if not newer_here():
        print(
            f"Python 3.14 and newer give the OS each thread's name (seen in top -H). "
            f"This kernel runs {platform.python_version()}."
        )
    return names


INHERIT = """
import contextvars, json, sys, threading
user = contextvars.ContextVar("user", default="nobody")
user.set("learner")
seen = []
thread = threading.Thread(target=lambda: seen.append(user.get()))
thread.start()
thread.join()
flag = getattr(sys.flags, "thread_inherit_context", None)
print(json.dumps({"seen": seen[0], "flag": flag, "version": sys.version.split()[0]}))
"""


def inherits_context(python: str | None = None, inherit: bool | None = None) -> dict:
    """In a fresh `python` (-X thread_inherit_context=1 or =0 when `inherit` says): does a new
    thread see a ContextVar that its starter set? {"seen": "learner" or "nobody", "flag": ...}"""
    command = [python or sys.executable]
    if inherit is not None:
        command += ["-X", f"thread_inherit_context={int(inherit)}"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_THREAD_INHERIT_CONTEXT"}
    done = subprocess.run(
        [*command, "-c", INHERIT], capture_output=True, text=True, timeout=60, env=env
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["no message"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])
