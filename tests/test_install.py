"""The package as `pip install .` or a wheel installs it, not as the editable install finds it.

The editable install reads lessons/ in the checkout, so it finds every subpackage and data file
whatever pyproject.toml lists. Here a real wheel is built from a copy of the checkout and must
hold every module under lessons/ and the website's template; then a fresh venv (without this
venv's packages, whose `lessons` is the editable one) installs it with its dependencies, pinned
by constraints.txt, and runs the threaded program away from the checkout.

Building and installing ask the package index (pip's cache makes it quick): without it these
tests skip with a message, and under CI (CI=true) they fail instead.
"""

import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from command_line import run_lessons

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI") == "true"
TEMPLATE = [
    "lessons/course/site_template/lessons_site/conf.json",
    "lessons/course/site_template/lessons_site/index.html.j2",
    "lessons/course/site_template/lessons_site/site.css",
]
NOT_PACKAGED = ["answers", "tests", "benchmarks", "tools", "notebooks"]
# Top-level entries the build never needs: the copy leaves them out (node_modules is 140 MB;
# build/ is where an earlier build's stale files would slip into the wheel).
LEFT_OUT = {".git", "node_modules", "build", "dist", "_site", ".venv"}
CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".*_cache")
# What pip prints when it cannot reach the index, not when the package is wrong.
OFFLINE = re.compile(
    r"NewConnectionError|Max retries exceeded|Temporary failure in name resolution|"
    r"Network is unreachable|No matching distribution found"
)

pytestmark = pytest.mark.timeout(90)


def pip(*args: str, timeout: float) -> subprocess.CompletedProcess:
    """This venv's pip, its output captured; skip (fail under CI) if the index is out of reach."""
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    command = [sys.executable, "-m", "pip", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    output = done.stdout + done.stderr
    if done.returncode != 0 and OFFLINE.search(output):
        reason = f"pip could not reach the package index: {OFFLINE.search(output).group()}"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true, so this fails instead of skipping)", pytrace=False)
        pytest.skip(reason)
    assert done.returncode == 0, f"{' '.join(command)}\n{output}"
    return done


def _left_out(directory: str, names: list[str]) -> set[str]:
    top = Path(directory) == ROOT
    return set(CACHES(directory, names)) | (LEFT_OUT & set(names) if top else set())


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A copy of the checkout as it is now (uncommitted files too), to build from."""
    copy = tmp_path_factory.mktemp("source") / "lessons-source"
    shutil.copytree(ROOT, copy, ignore=_left_out)
    return copy


@pytest.fixture(scope="module")
def wheel(source, tmp_path_factory) -> Path:
    """The wheel that `pip install .` builds, with pyproject.toml's own build requirements.

    Built in an isolated environment: the setuptools of this venv (65, from Python 3.11) cannot
    make a wheel without the `wheel` package, which the requirements do not install.
    """
    out = tmp_path_factory.mktemp("wheel")
    pip("wheel", "--no-deps", "--wheel-dir", str(out), str(source), timeout=60)
    (built,) = out.glob("lessons-*.whl")
    return built


def test_the_wheel_holds_every_module_and_the_template(source, wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {
        path.relative_to(source).as_posix()
        for path in (source / "lessons").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert "lessons/course/runs.py" in modules  # the copy is the checkout
    missing = sorted(modules - names)
    assert not missing, f"modules under lessons/ that the wheel lacks: {missing}"
    assert not sorted(set(TEMPLATE) - names), "the website's template is not in the wheel"
    on_disk = {
        path.relative_to(source).as_posix()
        for path in (source / "lessons" / "course" / "site_template").rglob("*")
        if path.is_file()
    }
    assert not sorted(on_disk - names), "package-data does not cover every template file"
    tops = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert tops == {"lessons"}, f"the wheel installs more than lessons/: {sorted(tops)}"
    assert not tops & set(NOT_PACKAGED)


def test_a_fresh_venv_runs_the_installed_package(wheel, tmp_path):
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=False)  # this venv's pip installs into it, quicker than ensurepip
    python = fresh / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    constraints = ROOT / "constraints.txt"
    pip("--python", str(python), "install", str(wheel), "-c", str(constraints), timeout=75)

    # Away from the checkout: its lessons/ is neither the working directory nor on PYTHONPATH.
    away = {"PYTHONPATH": "", "PYTHONNOUSERSITE": "1"}
    done = run_lessons("threads", "--copies", "2", python=str(python), env=away, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("Downloaded 4 in"), done.stdout

    # The template where lessons/course/site_pages.py looks for it (TEMPLATES, beside the
    # module), found without importing it: site_pages needs nbconvert, which only the course's
    # requirements install, not the package's own dependencies.
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.resources, importlib.util, pathlib, lessons\n"
            "spec = importlib.util.find_spec('lessons.course.site_pages')\n"
            "templates = pathlib.Path(spec.origin).resolve().parent / 'site_template'\n"
            "resources = importlib.resources.files('lessons.course') / 'site_template'\n"
            "print(lessons.__file__)\n"
            "for name in ('conf.json', 'index.html.j2', 'site.css'):\n"
            "    assert (resources / 'lessons_site' / name).is_file(), name\n"
            "    print(templates / 'lessons_site' / name)\n",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env={**os.environ, **away},
    )
    assert where.returncode == 0, where.stderr
    installed, *templates = (Path(line) for line in where.stdout.splitlines())
    assert installed.resolve().is_relative_to(fresh.resolve()), f"imported {installed}"
    assert len(templates) == 3
    for template in templates:
        assert template.resolve().is_relative_to(fresh.resolve()), template
        assert template.is_file() and template.stat().st_size > 0, template
