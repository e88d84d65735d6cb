"""python -m lessons free-threaded: a second kernel, on a free-threaded Python, beside python3.

Run in the course's own environment (the one that runs JupyterLab). JupyterLab itself stays on
the standard build; the new kernel runs the chapters on an interpreter without a GIL.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .course import builds, kernels
from .preflight import stepper

NAME = "free-threaded"
ROOT = Path(__file__).resolve().parents[1]  # the checkout: lessons/ and the requirements files
REQUIREMENTS = ROOT / "requirements-free-threaded.txt"
CONSTRAINTS = ROOT / "constraints-free-threaded.txt"
TOOLS_SCRIPT = "bash tools/free_threaded_python.sh"
ON_PATH = ("python3.15t", "python3.14t", "python3.13t")  # the newest first
PIP_SECONDS = 600
CHECK_CELL = (
    "import json\nfrom lessons.course import builds\n"
    "json.dumps(builds.import_and_watch(builds.CHAPTER_MODULES))"
)


class Refused(RuntimeError):
    """A step cannot go on; the message says why, in one line."""


def course_home() -> Path:
    """Where the course keeps what is not in the checkout (LESSONS_HOME, else the user's data)."""
    if os.environ.get("LESSONS_HOME"):
        return Path(os.environ["LESSONS_HOME"])
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "lessons"


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


def make_environment(python: str, venv: Path) -> str:
    """A virtual environment from `python` at `venv`; kept if it is already from that Python."""
    config = venv / "pyvenv.cfg"
    real = Path(python).resolve()
    if config.is_file() and (venv / "bin" / "python").exists():
        lines = dict(
            line.split(" = ", 1) for line in config.read_text().splitlines() if " = " in line
        )
        if Path(lines.get("executable", "")).resolve() == real or (
            Path(lines.get("home", "")) == real.parent and (venv / "bin" / real.name).exists()
        ):
            return f"kept {venv}"
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(real), "-m", "venv", str(venv)], check=True, timeout=120)
    return f"made {venv}"


def install(venv: Path, minor: str) -> str:
    """The kernel's packages and `lessons` (editable); skipped when nothing changed since."""
    constrained = CONSTRAINTS.is_file() and _resolved_on(minor)
    wanted = {
        "requirements": REQUIREMENTS.read_text(),
        "constraints": CONSTRAINTS.read_text() if constrained else None,
        "lessons": str(ROOT),
    }
    stamp = venv / "lessons-installed.json"
    digest = hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return "already installed, nothing changed"
    command = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--prefer-binary"]
    if constrained:
        command += ["-r", str(REQUIREMENTS)]  # its -c line names the constraints beside it
    else:  # another minor version: the newest releases with wheels for it
        command += [line.split("#")[0].strip() for line in REQUIREMENTS.read_text().splitlines()]
        command = [part for part in command if part and not part.startswith("-c")] + ["pip"]
    command += ["-e", str(ROOT)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_SECONDS)
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.strip()][-3:]
        raise Refused("pip could not install the kernel's packages: " + " | ".join(said))
    stamp.write_text(digest)
    pins = "constraints-free-threaded.txt" if constrained else f"newest for {minor}t"
    return f"ipykernel, ipywidgets, matplotlib, requests, aiohttp and lessons ({pins})"


def _resolved_on(minor: str) -> bool:
    """Whether constraints-free-threaded.txt was resolved on this minor version."""
    head = "".join(line for line in CONSTRAINTS.read_text().splitlines() if line.startswith("#"))
    return f"Python {minor}." in head  # "Python 3.13.15t Linux x86_64."


def register(venv: Path, prefix: str, version: str) -> str:
    """The kernelspec 'free-threaded' in `prefix`, where this JupyterLab and nbclient look."""
    from ipykernel.kernelspec import make_ipkernel_cmd, write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager

    minor = ".".join(version.split(".")[:2])
    display = f"Python {minor}t (free-threaded)"
    overrides = {
        "argv": make_ipkernel_cmd(executable=str(venv / "bin" / "python")),
        "display_name": display,
        "metadata": {"debugger": True, "lessons": {"build": "free-threaded", "version": version}},
        # The course environment's standard Python: chapters run on this kernel compare with it.
        "env": {builds.STANDARD_PYTHON: sys.executable},
    }
    with tempfile.TemporaryDirectory() as folder:
        spec = write_kernel_spec(Path(folder, NAME), overrides=overrides)
        where = KernelSpecManager().install_kernel_spec(spec, NAME, prefix=prefix)
    return f'"{display}" in {where}'


def check(seconds: float = kernels.KERNEL_SECONDS) -> dict:
    """Start the kernel, import what the chapters import, and read the GIL's state."""
    facts, _ = kernels.run_in_kernel(NAME, CHECK_CELL, seconds)
    return json.loads(facts)


def remove(prefix: str, venv: Path) -> int:
    """The kernelspec that `register` wrote in `prefix`, and the kernel's environment."""
    started = time.perf_counter()
    spec = Path(prefix, "share", "jupyter", "kernels", NAME)
    if spec.is_dir():
        shutil.rmtree(spec)
        said = f"removed the kernelspec {NAME!r} from {spec}"
    else:
        said = f"no kernelspec {NAME!r} to remove in {spec.parent}"
    if venv.exists():
        shutil.rmtree(venv)
        said += f", and its environment {venv}"
    print(f"{'remove':<11} {time.perf_counter() - started:6.2f} s  {said}")
    return 0


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
        return remove(args.prefix, venv)
    started = time.perf_counter()

    step = stepper(width=11, digits=2)

    try:
        python, where = step("interpreter", lambda: _found(args.python))[0]
        version = builds.interpreter_facts(python)[0]  # asked once already, by find_python
        minor = ".".join(version.split(".")[:2])
        step("environment", lambda: make_environment(python, venv))
        step("packages", lambda: install(venv, minor))
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
    facts = check()
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
