"""The classroom files: runtime.txt names the tested Python, constraints.txt the tested versions.

Thirty installs next month must get what passed CI today: requirements.txt applies
constraints.txt, which pins every package a fresh venv gets (tools/refresh_constraints.sh makes
it). Under CI (CI=true, a venv built from these very files) the installed versions must be the
pinned ones; on a machine whose venv was built otherwise, the differences are listed in a skip.
"""

import importlib.metadata
import os
import pathlib
import re
import sys

import pytest
from packaging.requirements import Requirement

ROOT = pathlib.Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
RUNTIME = re.compile(r"python-(\d+)\.(\d+)")  # what repo2docker (Binder) reads: python-3.11


def normalized(name: str) -> str:
    """A distribution's name as PyPI compares them (PEP 503): jupyter_client is jupyter-client."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(file: str) -> list[Requirement]:
    """The requirements of a requirements file, following its -r lines (not -c, not -e)."""
    found = []
    for line in (ROOT / file).read_text().splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            found += requirements(line.split(maxsplit=1)[1])
        elif not line.startswith("-"):
            found.append(Requirement(line))
    return found


def pins() -> dict[str, str]:
    """constraints.txt as {normalized name: version}; every line must be an exact pin."""
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and version and " " not in line, f"not an exact pin: {line!r}"
        pinned[normalized(name)] = version
    return pinned


def test_runtime_names_the_python_the_tests_run_on():
    text = (ROOT / "runtime.txt").read_text()
    match = RUNTIME.fullmatch(text.strip())
    assert match and text.count("\n") <= 1, f"one line, like python-3.11, not {text!r}"
    named, running = tuple(map(int, match.groups())), sys.version_info[:2]
    if named != running and not IN_CI:
        pytest.skip(f"runtime.txt names Python {named}, this is {running}: CI runs the former")
    assert named == running, f"runtime.txt names Python {named}, but CI runs {running}"


def test_requirements_apply_the_constraints():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert "-c constraints.txt" in lines  # read beside requirements.txt, wherever pip runs
    assert lines.index("-c constraints.txt") < lines.index("-e .")
    assert "constraints.txt" not in (ROOT / "requirements-dev.txt").read_text()  # once is enough


def test_the_constraints_say_how_to_refresh_them():
    header = (ROOT / "constraints.txt").read_text().split("\n\n")[0]
    assert "bash tools/refresh_constraints.sh" in header
    assert (ROOT / "tools" / "refresh_constraints.sh").exists()


@pytest.mark.parametrize("file", ["requirements.txt", "requirements-dev.txt", "pyproject.toml"])
def test_every_requirement_is_pinned_within_its_range(file):
    if file == "pyproject.toml":
        tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later; runtime.txt names 3.11
        project = tomllib.loads((ROOT / file).read_text())["project"]
        wanted = [Requirement(line) for line in project["dependencies"]]
    else:
        wanted = requirements(file)
    pinned = pins()
    assert wanted
    missing = [str(r) for r in wanted if normalized(r.name) not in pinned]
    assert not missing, f"{file}: not pinned: {missing}; run bash tools/refresh_constraints.sh"
    outside = [
        f"{r} (pinned {pinned[normalized(r.name)]})"
        for r in wanted
        if not r.specifier.contains(pinned[normalized(r.name)], prereleases=True)
    ]
    assert not outside, f"{file}: constraints.txt pins a version it does not allow: {outside}"


def test_the_installed_versions_are_the_pinned_ones():
    differences = []
    for name, version in sorted(pins().items()):
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != version:
            differences.append(f"{name} {installed} (pinned {version})")
    if differences and not IN_CI:
        pytest.skip(
            f"this venv was not built from constraints.txt ({len(differences)} differ): "
            + ", ".join(differences)
        )
    assert not differences, f"CI's venv differs from constraints.txt: {differences}"
