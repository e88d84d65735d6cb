"""python -m lessons kernel: a kernel on another standard Python (3.14, 3.15) beside python3.

Run in the course's own environment (the one that runs JupyterLab). The new kernel gets an
environment of its own with what the chapters import; JupyterLab stays where it is. The
free-threaded command (`python -m lessons free-threaded`) shares these steps.
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

ROOT = Path(__file__).resolve().parents[1]  # the checkout: lessons/ and the requirements files
# The kernel side's packages, one list for every kernel the course adds (its -c line pins them
# for the free-threaded 3.13t; another version takes the newest releases with wheels for it).
REQUIREMENTS = ROOT / "requirements-free-threaded.txt"
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


def kernel_name(version: str) -> str:
    """The kernel of a standard Python: '3.14.10' -> 'python3.14'."""
    return "python" + ".".join(version.split(".")[:2])


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
    made = subprocess.run([str(real), "-m", "venv", str(venv)], capture_output=True, timeout=120)
    if made.returncode == 0:
        return f"made {venv}"
    # Debian's Pythons keep ensurepip's wheels in another package: a venv without pip, then
    # this environment's pip installs pip into it.
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([str(real), "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    command = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    pip = subprocess.run([*command, "install", "--quiet", "pip"], capture_output=True, text=True)
    if pip.returncode != 0:
        raise Refused(f"pip could not be put into {venv}: {pip.stderr.strip()[-200:]}")
    return f"made {venv} (no ensurepip there: pip installed from this environment)"


def install(venv: Path, constraints: Path | None = None, label: str = "") -> str:
    """The kernel's packages and `lessons` (editable); skipped when nothing changed since.

    With `constraints`, their exact versions; without, the newest releases with wheels."""
    wanted = {
        "requirements": REQUIREMENTS.read_text(),
        "constraints": constraints.read_text() if constraints else None,
        "lessons": str(ROOT),
    }
    stamp = venv / "lessons-installed.json"
    digest = hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return "already installed, nothing changed"
    command = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--prefer-binary"]
    if constraints:
        command += ["-r", str(REQUIREMENTS)]  # its -c line names the constraints beside it
    else:
        command += [line.split("#")[0].strip() for line in REQUIREMENTS.read_text().splitlines()]
        command = [part for part in command if part and not part.startswith("-c")] + ["pip"]
    command += ["-e", str(ROOT)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_SECONDS)
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.strip()][-3:]
        raise Refused("pip could not install the kernel's packages: " + " | ".join(said))
    stamp.write_text(digest)
    pins = constraints.name if constraints else f"newest for {label}"
    return f"ipykernel, ipywidgets, matplotlib, requests, aiohttp and lessons ({pins})"


def register(
    name: str, venv: Path, prefix: str, display: str, facts: dict, env: dict | None = None
) -> str:
    """The kernelspec `name` in `prefix`, where this JupyterLab and nbclient look."""
    from ipykernel.kernelspec import make_ipkernel_cmd, write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager

    overrides = {
        "argv": make_ipkernel_cmd(executable=str(venv / "bin" / "python")),
        "display_name": display,
        "metadata": {"debugger": True, "lessons": facts},
    }
    if env:
        overrides["env"] = env
    with tempfile.TemporaryDirectory() as folder:
        spec = write_kernel_spec(Path(folder, name), overrides=overrides)
        where = KernelSpecManager().install_kernel_spec(spec, name, prefix=prefix)
    return f'"{display}" in {where}'


def check(name: str, seconds: float = kernels.KERNEL_SECONDS) -> dict:
    """Start the kernel, import what the chapters import, and read the GIL's state."""
    facts, _ = kernels.run_in_kernel(name, CHECK_CELL, seconds)
    return json.loads(facts)


def remove(name: str, prefix: str, venv: Path) -> int:
    """The kernelspec that `register` wrote in `prefix`, and the kernel's environment."""
    started = time.perf_counter()
    spec = Path(prefix, "share", "jupyter", "kernels", name)
    if spec.is_dir():
        shutil.rmtree(spec)
        said = f"removed the kernelspec {name!r} from {spec}"
    else:
        said = f"no kernelspec {name!r} to remove in {spec.parent}"
    if venv.exists():
        shutil.rmtree(venv)
        said += f", and its environment {venv}"
    print(f"{'remove':<11} {time.perf_counter() - started:6.2f} s  {said}")
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m lessons kernel",
        description="Add a kernel on another standard Python (python3.14, python3.15).",
    )
    parser.add_argument("--python", required=True, help="the interpreter, e.g. python3.14")
    parser.add_argument(
        "--prefix", default=sys.prefix, help="where the kernelspec goes (this environment's)"
    )
    parser.add_argument("--remove", action="store_true", help="take the kernel away")
    return parser.parse_args(argv)


def find_python(given: str) -> tuple[str, str]:
    """The interpreter at `given` (a path or a name on PATH) and its version; Refused if it
    does not run, is free-threaded or is older than the course."""
    path = shutil.which(given) or given
    facts = builds.interpreter_facts(path)
    if facts is None:
        raise Refused(f"{given} does not run: give a Python 3.10 or newer (python3.14)")
    version, free = facts
    if free:
        raise Refused(f"{given} is free-threaded: python -m lessons free-threaded adds that one")
    if tuple(int(part) for part in version.split(".")[:2]) < (3, 10):
        raise Refused(f"{given} is Python {version}: the course needs 3.10 or newer")
    return path, version


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    step = stepper(width=11, digits=2)
    started = time.perf_counter()
    try:
        python, version = step("interpreter", lambda: _found(args.python))[0]
        name = kernel_name(version)
        venv = course_home() / f"{name}-kernel"
        if args.remove:
            return remove(name, args.prefix, venv)
        minor = version.rsplit(".", 1)[0]
        step("environment", lambda: make_environment(python, venv))
        step("packages", lambda: install(venv, label=minor))
        display = f"Python {minor}"
        facts = {"build": "standard", "version": version}
        step("kernelspec", lambda: register(name, venv, args.prefix, display, facts))
        step("kernel", lambda: _checked(name))
    except (Refused, kernels.KernelFailed, subprocess.SubprocessError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"Kernel ready: {name} (Python {version}), in {time.perf_counter() - started:.1f} s. "
        "Choose it in JupyterLab's kernel menu."
    )
    return 0


def _found(given: str):
    python, version = find_python(given)
    return (python, version), f"{python}: Python {version}, a standard build"


def _checked(name: str):
    facts = check(name)
    if facts["failed"]:
        module, why = next(iter(facts["failed"].items()))
        raise Refused(f"the kernel cannot import {module}: {why}")
    return facts, f"started; it imports what the chapters import ({facts['executable']})"
