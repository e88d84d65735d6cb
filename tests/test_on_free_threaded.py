"""The tests that measure threads, processes and the command line, run again by the free-threaded
kernel's interpreter (no GIL), each file in a pytest of that interpreter's own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from two_builds import free_threaded_python

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# Races, CPU-bound work and a thread's costs; the lesson's programs and primitives; process
# pools started by a free-threaded parent; the demo sites' child on that interpreter; Ctrl-C.
FILES = [
    "test_races.py",
    "test_cpu.py",
    "test_cpu_builds.py",
    "test_how_many.py",
    "test_cpu_bound.py",
    "test_programs.py",
    "test_primitives.py",
    "test_processes.py",
    "test_demo_process.py",
    "test_cli.py",
    "test_answers.py",
]
# Of the answer key, the chapters whose answers depend on the build: the rest measure I/O
# timings, already proven on both builds by the notebooks and the files above.
SELECT = {"test_answers.py": "ch04 or ch05 or ch08"}
TOOLS = ["pytest", "pytest-timeout"]  # pure Python: the same versions as constraints.txt
FILE_SECONDS = 400

pytestmark = pytest.mark.timeout(FILE_SECONDS + 120)


@pytest.fixture(scope="module")
def test_tools(tmp_path_factory) -> Path:
    """pytest for the free-threaded interpreter, in a folder of its own, never in its kernel's
    environment (a learner's kernel gets no test tools)."""
    python = free_threaded_python()
    folder = tmp_path_factory.mktemp("free-threaded-pytest")
    command = [python, "-m", "pip", "install", "--quiet", "--target", str(folder)]
    command += ["-c", str(ROOT / "constraints.txt"), *TOOLS]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


@pytest.mark.parametrize("name", FILES)
def test_passes_on_the_free_threaded_build(name, test_tools):
    python = free_threaded_python()
    command = [python, "-m", "pytest", str(TESTS / name), "-q", "-p", "no:cacheprovider"]
    command += ["-o", "addopts=-ra"]  # one file, in order: no pytest-xdist there
    command += ["-k", SELECT[name]] if name in SELECT else []
    env = {**_environment(), "PYTHONPATH": str(test_tools)}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=FILE_SECONDS
    )
    said = (done.stdout + done.stderr)[-6000:]
    assert done.returncode == 0, f"{name} on {python}:\n{said}"
    build = subprocess.run(
        [python, "-c", "import sys; print(sys._is_gil_enabled())"], capture_output=True, text=True
    )
    assert build.stdout.strip() == "False", f"{python} ran with the GIL on: {build.stdout}"


def _environment() -> dict[str, str]:
    """This process's environment, without what points at its own Python's packages."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
