"""python -m lessons free-threaded: a second kernel, on a free-threaded Python, beside python3.

Run in the course's own environment (the one that runs JupyterLab). JupyterLab itself stays on
the standard build; the new kernel runs the chapters on an interpreter without a GIL.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import kernel
from .course import builds, kernels
from .kernel import Refused, course_home, make_environment
from .preflight import stepper

NAME = "free-threaded"
CONSTRAINTS = kernel.ROOT / "constraints-free-threaded.txt"
TOOLS_SCRIPT = "bash tools/free_threaded_python.sh"
ON_PATH = ("python3.15t", "python3.14t", "python3.13t")  # the newest first


def built_here() -> list[Path]:
    """Interpreters that tools/free_threaded_python.sh built and keeps, the newest first."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    home = Path(os.environ.get("LESSONS_FREE_THREADED_HOME") or default / "lessons/free-threaded")
    found = home.glob("python-3.*t/bin/python3.*t")
    return sorted(found, key=lambda path: _numbers(path.parent.parent.name), reverse=True)


def _numbers(folder: str) -> list[int]:
    """python-3.13.15t -> [3, 13, 15], to sort versions as numbers."""
    return [int(part) for part in folder.removeprefix("python-").rstrip("t").split(".")]


def find_python(given: str | None) -> tuple[str, str]:
    """The interpreter to use and where it came from; Refused when none is free-threaded."""
    if given:
        path = shutil.which(given) or given
        where = "--python"
        candidates = [(path, where)]
    else:
        candidates = [(shutil.which(name), f"{name} on PATH") for name in ON_PATH]
        candidates += [(str(path), f"built by {TOOLS_SCRIPT}") for path in built_here()]
        candidates = [(path, where) for path, where in candidates if path]
    for path, where in candidates:
        verdict = builds.is_free_threaded(path)
        if verdict:
            return path, where
        if given:
            why = "does not run" if verdict is None else "is a standard build, with a GIL"
            raise Refused(f"{given} {why}: give a free-threaded Python (python3.13t, python3.14t)")
    raise Refused(
        "no free-threaded Python found (python3.14t or python3.13t on PATH): install one "
        "(python.org's installer, `uv python install 3.14t`, or on Linux without one: "
        f"{TOOLS_SCRIPT}), then run this again, or give it with --python PATH"
    )


def _resolved_on(minor: str) -> bool:
    """Whether constraints-free-threaded.txt was resolved on this minor version."""
    head = "".join(line for line in CONSTRAINTS.read_text().splitlines() if line.startswith("#"))
    return f"Python {minor}." in head  # "Python 3.13.15t Linux x86_64."


def register(venv: Path, prefix: str, version: str) -> str:
    """The kernelspec 'free-threaded' in `prefix`, where this JupyterLab and nbclient look."""
    minor = ".".join(version.split(".")[:2])
    facts = {"build": "free-threaded", "version": version}
    # The course environment's standard Python: chapters run on this kernel compare with it.
    env = {builds.STANDARD_PYTHON: sys.executable}
    return kernel.register(NAME, venv, prefix, f"Python {minor}t (free-threaded)", facts, env)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m lessons free-threaded",
        description="Add a kernel on a free-threaded Python (no GIL) beside python3.",
    )
    parser.add_argument("--python", help="the free-threaded interpreter (else found on PATH)")
    parser.add_argument(
        "--prefix", default=sys.prefix, help="where the kernelspec goes (this environment's)"
    )
    parser.add_argument("--remove", action="store_true", help="take the kernel away")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    venv = course_home() / "free-threaded-kernel"
    if args.remove:
        return kernel.remove(NAME, args.prefix, venv)
    started = time.perf_counter()

    step = stepper(width=11, digits=2)

    try:
        python, where = step("interpreter", lambda: _found(args.python))[0]
        version = builds.interpreter_facts(python)[0]  # asked once already, by find_python
        minor = ".".join(version.split(".")[:2])
        step("environment", lambda: make_environment(python, venv))
        constraints = CONSTRAINTS if CONSTRAINTS.is_file() and _resolved_on(minor) else None
        step("packages", lambda: kernel.install(venv, constraints, f"{minor}t"))
        step("kernelspec", lambda: register(venv, args.prefix, version))
        facts = step("kernel", _checked)[0]
    except (Refused, kernels.KernelFailed, subprocess.SubprocessError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"Kernel ready: {NAME} (Python {facts['version']}, GIL off), "
        f"in {time.perf_counter() - started:.1f} s. Choose it in JupyterLab's kernel menu."
    )
    return 0


def _found(given: str | None):
    python, where = find_python(given)
    return (python, where), f"{python} ({where}): a free-threaded build"


def _checked():
    facts = kernel.check(NAME)
    if facts["failed"]:
        module, why = next(iter(facts["failed"].items()))
        raise Refused(f"the kernel cannot import {module}: {why}")
    if facts["gil_enabled"]:
        culprit = builds.culprit(
            facts, str(course_home() / "free-threaded-kernel" / "bin" / "python")
        )
        raise Refused(
            f"the GIL came back on in the kernel: {culprit} turned it on at import (it does "
            "not declare itself free-threading-safe); upgrade it in "
            f"{course_home() / 'free-threaded-kernel'}, or pin a release that does"
        )
    text = f"started; after the chapters' imports the GIL is off ({facts['executable']})"
    return facts, text
