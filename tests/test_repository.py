"""The repository keeps its promises: lint-clean code, and CI running the README's own commands."""

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CODE = ["lessons", "tests", "benchmarks", "answers"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ruff", *args]
    if shutil.which("ruff") and not _module_available("ruff"):
        command = ["ruff", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def _module_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


@pytest.mark.parametrize("check", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_is_clean(check):
    done = ruff(*check, *CODE, "notebooks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_runs_the_readme_commands():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pip install -r requirements.txt && jupyter lab" in readme
    assert "<!-- test-command" in readme
    assert "python -m pip install -r requirements-dev.txt && python -m pytest" in readme
    test_command = "python -m pip install -r requirements-dev.txt && python -m pytest"
    assert f"\n{test_command}\n" in ci, ".ci/run must run the README's test command as it is"
    assert "\npython -m pip install -r requirements.txt\n" in ci


def test_requirements_install_the_package_itself():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    assert "-e ." in lines
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text().splitlines()
