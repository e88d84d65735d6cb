"""python -m lessons free-threaded: the kernel added, kept, refused and removed; the GIL watched."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from command_line import run_lessons
from two_builds import free_threaded_python

from lessons import doctor, doctor_kernels, kernel
from lessons import free_threaded as command
from lessons.course import builds

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(300)
STEPS = ["interpreter", "environment", "packages", "kernelspec", "kernel"]


def steps(out: str) -> dict[str, str]:
    """The lines of the steps by name: 'packages    3.92 s  ...' -> {'packages': '...'}."""
    found = {}
    for line in out.splitlines():
        name, _, rest = line.partition(" ")
        if name in STEPS:
            found[name] = rest.strip()
    return found


def isolated(tmp_path: Path, home: Path | None = None) -> dict[str, str]:
    """An environment whose kernelspecs go to (and are found in) tmp_path, not this venv's."""
    return {
        "LESSONS_HOME": str(home or command.course_home()),
        "JUPYTER_PATH": str(tmp_path / "share" / "jupyter"),
    }


def test_a_standard_python_is_refused_in_one_line(tmp_path):
    done = run_lessons("free-threaded", "--python", sys.executable, "--prefix", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: {sys.executable} is a standard build, with a GIL: give a free-threaded Python "
        "(python3.13t, python3.14t)"
    )
    assert not (tmp_path / "share").exists()


def test_a_python_that_does_not_run_is_refused(tmp_path):
    done = run_lessons("free-threaded", "--python", str(tmp_path / "python3.13t"))
    assert done.returncode == 1 and "does not run" in done.stderr, done.stderr


def test_none_found_says_where_to_get_one(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "LESSONS_FREE_THREADED_HOME": str(tmp_path)}
    done = run_lessons("free-threaded", "--prefix", str(tmp_path), env=env)
    if done.returncode == 0:
        pytest.skip("this machine has a free-threaded Python in /usr/bin")
    said = done.stderr.strip()
    assert said.startswith("error: no free-threaded Python found"), said
    assert "uv python install 3.14t" in said and "bash tools/free_threaded_python.sh" in said
    assert len(said.splitlines()) == 1


def test_run_again_it_keeps_what_is_there(tmp_path):
    python = free_threaded_python()
    env = isolated(tmp_path)
    first = run_lessons("free-threaded", "--python", python, "--prefix", str(tmp_path), env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    again = run_lessons("free-threaded", "--python", python, "--prefix", str(tmp_path), env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    said = steps(again.stdout)
    assert list(said) == STEPS
    assert "kept" in said["environment"] and "already installed" in said["packages"]
    assert "after the chapters' imports the GIL is off" in said["kernel"]
    assert again.stdout.splitlines()[-1].startswith("Kernel ready: free-threaded (Python 3.1")
    spec = json.loads((tmp_path / "share/jupyter/kernels/free-threaded/kernel.json").read_text())
    minor = ".".join(spec["metadata"]["lessons"]["version"].split(".")[:2])
    assert spec["display_name"] == f"Python {minor}t (free-threaded)"
    assert spec["argv"][0] == str(command.course_home() / "free-threaded-kernel/bin/python")
    assert spec["argv"][1:3] == ["-m", "ipykernel_launcher"]


def test_added_from_nothing_then_removed(tmp_path):
    """A first run makes the environment and installs; --remove takes both away."""
    python, home = free_threaded_python(), tmp_path / "home"
    env = isolated(tmp_path, home)
    argv = ["free-threaded", "--python", python, "--prefix", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "lessons", *argv],
        capture_output=True,
        text=True,
        timeout=240,
        env={**_environ(), **env},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    said = steps(done.stdout)
    assert said["environment"].endswith(f"made {home / 'free-threaded-kernel'}")
    assert "constraints-free-threaded.txt" in said["packages"] or "newest for" in said["packages"]
    spec = tmp_path / "share/jupyter/kernels/free-threaded"
    assert (spec / "kernel.json").is_file()
    gone = run_lessons("free-threaded", "--remove", "--prefix", str(tmp_path), env=env)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert "removed the kernelspec 'free-threaded'" in gone.stdout
    assert not spec.exists() and not (home / "free-threaded-kernel").exists()
    again = run_lessons("free-threaded", "--remove", "--prefix", str(tmp_path), env=env)
    assert again.returncode == 0 and "no kernelspec 'free-threaded' to remove" in again.stdout


def _environ() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "LESSONS_SITES"}


def test_a_gil_that_comes_back_is_refused_naming_the_module(tmp_path, monkeypatch, capsys):
    python = free_threaded_python()
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    facts = {"version": "3.13.15", "free_threaded": True, "gil_enabled": True}
    facts |= {"turned_on_by": "oldext", "failed": {}, "executable": python}
    monkeypatch.setattr(kernel, "check", lambda name, seconds=30: facts)
    assert command.main(["--python", python, "--prefix", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "the GIL came back on in the kernel: oldext turned it on at import" in err, err


# ---- the GIL watched: a real extension that does not declare itself free-threading-safe ----------

EXTENSION = """
#include <Python.h>
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "oldext", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_oldext(void) { return PyModule_Create(&module); }
"""


@pytest.fixture(scope="module")
def old_extension(tmp_path_factory) -> tuple[str, Path]:
    """The free-threaded interpreter, and a folder with a C extension built for it the old way:
    without the Py_mod_gil slot, so importing it turns the GIL back on."""
    python = free_threaded_python()
    folder = tmp_path_factory.mktemp("oldext")
    where = subprocess.run(
        [
            python,
            "-c",
            "import sysconfig as s; print(s.get_paths()['include']); "
            "print(s.get_config_var('EXT_SUFFIX'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    (folder / "oldext.c").write_text(textwrap.dedent(EXTENSION))
    subprocess.run(
        [
            "cc",
            "-shared",
            "-fPIC",
            f"-I{where[0]}",
            "-o",
            str(folder / f"oldext{where[1]}"),
            str(folder / "oldext.c"),
        ],
        check=True,
        timeout=60,
    )
    return python, folder


def test_the_probe_names_the_module_that_turned_the_gil_on(old_extension):
    python, folder = old_extension
    env = {**_environ(), "PYTHONPATH": str(folder)}
    clean = builds.probe(python, ["json", "threading"], env=env)
    assert clean["free_threaded"] and not clean["gil_enabled"] and clean["turned_on_by"] is None
    facts = builds.probe(python, ["json", "oldext", "threading"], env=env)
    assert facts["gil_enabled"] is True and facts["turned_on_by"] == "oldext", facts


def test_the_probe_names_it_when_another_module_imports_it(old_extension, tmp_path):
    python, folder = old_extension
    (tmp_path / "uses_old.py").write_text("import oldext\n")
    env = {**_environ(), "PYTHONPATH": f"{folder}:{tmp_path}"}
    facts = builds.probe(python, ["uses_old"], env=env)
    assert facts["turned_on_by"] == "oldext" and facts["imported_with"] == "uses_old", facts


# ---- the doctor ---------------------------------------------------------------------------------


def test_the_doctor_fails_a_free_threaded_kernel_whose_gil_came_back(monkeypatch):
    facts = {"version": "3.13.15", "free_threaded": True, "gil_enabled": True, "failed": {}}
    facts |= {"turned_on_by": "oldext", "executable": "/x/python", "ipywidgets": "8.1.9"}
    monkeypatch.setattr(doctor_kernels, "_kernel_facts", lambda name: (facts, 0.5))
    monkeypatch.setattr(
        "lessons.course.kernels.python_kernels", lambda: {"python3": {}, "ft": {"argv": ["p"]}}
    )
    rows = doctor.check_other_kernels()
    assert [row.check for row in rows] == ["kernel ft", "free-threaded"]
    assert rows[0].result == "fail" and "oldext turned it on" in rows[0].found, rows[0]
    assert "upgrade oldext" in rows[0].fix
    assert rows[1].result == "note" and "python -m lessons free-threaded" in rows[1].fix


def test_the_doctor_notes_when_no_kernel_is_free_threaded(monkeypatch):
    monkeypatch.setattr("lessons.course.kernels.python_kernels", lambda: {"python3": {}})
    rows = doctor.check_other_kernels()
    assert [(row.check, row.result) for row in rows] == [("free-threaded", "note")]
    assert rows[0].fix == "python -m lessons free-threaded adds one"


def test_the_doctor_reports_the_free_threaded_kernel_with_its_gil():
    free_threaded_python()  # skip (fail under CI) without the kernel
    rows = {row.check: row for row in doctor.check_other_kernels()}
    row = rows["kernel free-threaded"]
    assert row.result == "ok", row
    assert "free-threaded, GIL off after the course's imports" in row.found
    assert "free-threaded" not in rows  # no note: a kernel without a GIL is there


def test_this_build_says_what_runs_here():
    build = builds.this_build()
    assert build.free_threaded == bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    assert build.parallel_cpus == (1 if build.gil_enabled else build.usable_cpus)
    assert build.describe().startswith(f"Python {build.version}, ")
