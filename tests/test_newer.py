"""What Python 3.14 adds, measured (lessons/course/newer.py, interpreters_lab.py, the CPU table's
interpreters row); the kernel command for another standard Python; the Pythons tested."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from command_line import run_lessons

from lessons import free_threaded, kernel
from lessons.course import builds, cpu_builds, interpreters_lab, newer

ROOT = Path(__file__).resolve().parents[1]
NEWER_HERE = sys.version_info >= (3, 14)
pytestmark = pytest.mark.timeout(120)


def _slow(x):
    time.sleep(0.01)
    return x


def test_map_submits_every_item_ahead_of_a_slow_loop():
    assert newer.ahead(_slow, list(range(30)), max_workers=3) == 30


@pytest.mark.skipif(not NEWER_HERE, reason="map(buffersize=) is new in Python 3.14")
def test_map_with_buffersize_holds_only_that_many_ahead():
    # The one about to be handed to the loop is counted too: buffersize + 1 at most.
    assert newer.ahead(_slow, list(range(30)), max_workers=3, buffersize=5) <= 6


def test_show_ahead_says_what_this_python_does(capsys):
    held = newer.show_ahead(_slow, list(range(20)), max_workers=2, buffersize=4)
    out = capsys.readouterr().out
    assert "up to 20 pages submitted ahead of the loop" in out
    if NEWER_HERE:
        assert held["buffersize"] <= 5 and "buffersize=4): up to" in out
    else:
        assert "is new in Python 3.14" in out and "buffersize" not in held


def test_the_operating_system_sees_the_thread_names_from_3_14():
    names = newer.os_thread_names(max_workers=2)
    assert [python for python, _ in names] == ["worker_0", "worker_1"]
    if NEWER_HERE:
        assert [os_name for _, os_name in names] == ["worker_0", "worker_1"]
    else:
        assert all(os_name != python for python, os_name in names)


def test_thread_inherit_context_follows_the_flag():
    plain, on, off = (newer.inherits_context(inherit=flag) for flag in (None, True, False))
    assert off["seen"] == "nobody"
    if NEWER_HERE:
        assert on == {**on, "seen": "learner", "flag": 1}
        default = 1 if builds.this_build().free_threaded else 0
        assert plain["flag"] == default and plain["seen"] == ("learner" if default else "nobody")
    else:
        assert on["seen"] == plain["seen"] == "nobody" and on["flag"] is None


def test_an_unrunnable_python_is_one_line():
    said = newer.inherits_context(python=sys.executable, inherit=None) | {}
    assert "error" not in said
    broken = newer.inherits_context(python="/bin/false")
    assert set(broken) == {"error"}


# ---- the interpreters' rows -----------------------------------------------------------------


def test_without_a_newer_python_the_downloads_say_so_in_one_line(capsys):
    assert interpreters_lab.compare_downloads(newer=False) is None
    assert capsys.readouterr().out == interpreters_lab.NO_NEWER + "\n"


def test_the_interpreters_verdict_reads_its_own_numbers():
    threads = {"elapsed": 1.0, "cpu": 0.2, "startup": 0.0}
    slow = {"elapsed": 3.0, "cpu": 2.0, "startup": 1.5}
    said = interpreters_lab.verdict({"threads": threads, "interpreters": slow})
    assert said.startswith("The interpreters took 3.0 times as long as the threads.")
    assert "1.50 s" in said
    failed = interpreters_lab.verdict({"threads": threads, "interpreters": {"error": "exit 1: X"}})
    assert failed == "The interpreters could not run the downloads: exit 1: X"


def test_the_cpu_table_runs_interpreters_only_from_3_14(monkeypatch):
    versions = {"old": ("3.11.7", False), "new": ("3.14.10", False)}
    monkeypatch.setattr(builds, "interpreter_facts", lambda python: versions.get(python))
    assert cpu_builds.INTERPRETERS not in cpu_builds._programs("old")
    assert cpu_builds._programs("new")[-1] == cpu_builds.INTERPRETERS
    monkeypatch.setattr(builds, "pythons", lambda: {"3.11 (standard)": "old"})
    assert builds.newer_python({"3.14 (standard)": "new"}) is None


def test_the_verdicts_name_the_interpreters_or_their_absence():
    row = {"elapsed": 1.0, "cpu": 1.0, "startup": 0.0, "gil_enabled": True, "free_threaded": False}
    rows = {"one after another": row, "threads, 2 workers": row}
    results = {"builds": {"3.11 (standard)": rows}, "no_interpreters": cpu_builds.NO_INTERPRETERS}
    lines = cpu_builds.verdicts(results)
    assert lines[-1] == cpu_builds.NO_INTERPRETERS
    two = {**row, "elapsed": 0.5, "cpu": 0.95, "startup": 0.2}
    results = {"builds": {"3.14 (standard)": {**rows, cpu_builds.INTERPRETERS: two}}}
    said = cpu_builds.verdicts(results)[0]
    assert "2 interpreters: 2.00 times as fast, 1.90 CPUs busy" in said and "0.20 s" in said


@pytest.mark.skipif(not NEWER_HERE, reason="InterpreterPoolExecutor is new in Python 3.14")
def test_the_sums_in_interpreters_equal_the_sums_one_after_another():
    from lessons import cpu

    numbers = [1000 + n for n in range(6)]
    assert cpu.find_sums_interpreters(numbers) == cpu.find_sums(numbers)


# ---- the Pythons tested, and the kernel command ---------------------------------------------


def test_the_doctor_notes_a_python_the_course_was_not_tested_on():
    assert builds.untested("3.14.10", False) is None
    assert builds.untested("3.13.15", True) is None
    said = builds.untested("3.16.0", False)
    assert said.startswith("the course was not tested on Python 3.16 (tested: 3.10, 3.11")
    assert "3.14t" in builds.untested("3.14.2", True)


def test_the_readme_lists_the_pythons_tested():
    readme = (ROOT / "README.md").read_text()
    for minor, free in builds.TESTED:
        assert f"| {minor}{'t' if free else ''} " in readme, (minor, free)


def test_the_kernel_command_refuses_what_it_cannot_use(tmp_path):
    done = run_lessons("kernel", "--python", str(tmp_path / "python3.14"))
    assert done.returncode == 1 and "does not run" in done.stderr, done.stderr
    ancient = tmp_path / "python3.9"
    ancient.write_text('#!/bin/sh\necho "3.9.18 False"\n')
    ancient.chmod(0o755)
    done = run_lessons("kernel", "--python", str(ancient))
    assert done.stderr.strip().endswith("is Python 3.9.18: the course needs 3.10 or newer")


def test_the_kernel_name_is_the_minor_version():
    assert kernel.kernel_name("3.15.2") == "python3.15"


def test_a_free_threaded_3_14_takes_the_newest_releases(tmp_path, monkeypatch):
    """No 3.14t here: a stand-in named python3.14t on PATH is found first, and the install for
    3.14t leaves out the constraints resolved on 3.13t."""
    real = builds.interpreter_facts
    stand_in = tmp_path / "python3.14t"
    stand_in.write_text('#!/bin/sh\necho "3.14.10 True"\n')
    stand_in.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setattr(builds, "interpreter_facts", lambda python: real(python))
    assert free_threaded.find_python(None) == (str(stand_in), "python3.14t on PATH")
    assert not free_threaded._resolved_on("3.14")
    commands = []

    def pip(command, **options):
        commands.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", pip)
    said = kernel.install(tmp_path, None, "3.14t")
    assert said.endswith("(newest for 3.14t)")
    assert "-r" not in commands[0] and "matplotlib>=3.8" in commands[0]
    assert not any(part.startswith("-c") for part in commands[0])


def test_the_debian_script_says_how_to_call_it():
    done = subprocess.run(
        ["bash", str(ROOT / "tools/debian_python.sh"), "3.12"], capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stderr == "usage: bash tools/debian_python.sh 3.14|3.15\n"


def test_the_doctor_rows_note_an_untested_kernel(monkeypatch):
    from lessons import doctor_kernels

    facts = {"version": "3.16.0", "free_threaded": False, "gil_enabled": True, "failed": {}}
    facts |= {"executable": "/x/python3.16", "ipywidgets": "8.1.9", "lessons": builds.__file__}
    monkeypatch.setattr(doctor_kernels, "_kernel_facts", lambda name: (facts, 0.5))
    monkeypatch.setattr(
        "lessons.course.kernels.python_kernels",
        lambda: {"python3": {}, "python3.16": {"argv": ["/x/python3.16"]}},
    )
    row = doctor_kernels.check_other_kernels()[0]
    assert (row.check, row.result) == ("kernel python3.16", "note")
    assert row.found.endswith("the course was not tested on Python 3.16 (tested: 3.10, 3.11, "
                              "3.13, 3.13t, 3.14, 3.15)")  # fmt: skip
    facts["version"] = "3.14.10"
    assert doctor_kernels.check_other_kernels()[0].result == "ok"
