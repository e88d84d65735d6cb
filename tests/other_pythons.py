"""Test files run again by another kernel's interpreter (the free-threaded build, Python 3.14,
Python 3.15), each file in a pytest of that interpreter's own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# Races, CPU-bound work and a thread's costs; the lesson's programs and primitives; process
# pools started by that interpreter; the demo sites' child on it; Ctrl-C; the answer key.
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
# On the newer Pythons also asyncio (3.14 changed its loop and policies) and the harness that
# runs a learner's code (signals, interrupts, a copied function's globals), and what 3.14 adds.
NEWER_FILES = [*FILES, "test_asyncio.py", "test_learner_code.py", "test_newer.py"]
# Of the answer key, the chapters whose answers depend on the build: the rest measure I/O
# timings, already proven on every kernel by the notebooks and the files above.
SELECT = {"test_answers.py": "ch04 or ch05 or ch07 or ch11 or ch12"}
TOOLS = ["pytest", "pytest-timeout"]  # pure Python: the same versions as constraints.txt
FILE_SECONDS = 400


def install_test_tools(python: str, folder: Path) -> Path:
    """pytest for `python`, in a folder of its own, never in its kernel's environment (a
    learner's kernel gets no test tools)."""
    command = [python, "-m", "pip", "install", "--quiet", "--target", str(folder)]
    command += ["-c", str(ROOT / "constraints.txt"), *TOOLS]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


def run_file(python: str, name: str, tools: Path) -> str:
    """pytest of `python` on one test file; the assertion names what it said when it fails."""
    command = [python, "-m", "pytest", str(TESTS / name), "-q", "-p", "no:cacheprovider"]
    command += ["-o", "addopts=-ra"]  # one file, in order: no pytest-xdist there
    command += ["-k", SELECT[name]] if name in SELECT else []
    env = {**_environment(), "PYTHONPATH": str(tools)}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=FILE_SECONDS
    )
    said = (done.stdout + done.stderr)[-6000:]
    assert done.returncode == 0, f"{name} on {python}:\n{said}"
    return said


def files_run_by(kernel: str):
    """A module's `test_tools` fixture and its test: NEWER_FILES, each run by the interpreter of
    `kernel` (python3.14, python3.15), which must be that version. One module each, so that
    pytest-xdist runs them side by side."""
    from two_builds import kernel_python

    minor = kernel.removeprefix("python")

    @pytest.fixture(scope="module")
    def test_tools(tmp_path_factory) -> Path:
        return install_test_tools(kernel_python(kernel), tmp_path_factory.mktemp("pytest"))

    @pytest.mark.timeout(FILE_SECONDS + 120)
    @pytest.mark.parametrize("name", NEWER_FILES)
    def test_passes(name, test_tools):
        python = kernel_python(kernel)
        run_file(python, name, test_tools)
        version = ask(python, "import sys; print('%d.%d' % sys.version_info[:2])")
        assert version == minor, f"{python} is Python {version}, not {minor}"

    return test_tools, test_passes


def ask(python: str, code: str) -> str:
    """What `python -c CODE` prints."""
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    return done.stdout.strip()


def _environment() -> dict[str, str]:
    """This process's environment, without what points at its own Python's packages."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
