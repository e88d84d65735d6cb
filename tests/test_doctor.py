"""python -m lessons doctor: a table, a row per check with its seconds, the fix beside a failure."""

import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
from command_line import run_lessons
from jupyter_core.paths import SYSTEM_JUPYTER_PATH
from loopback import children_running, demo_children, process_gone

from lessons import doctor
from lessons.__main__ import main
from lessons.course import demo_server

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(
    r"^(?P<check>.+?)\s{2,}(?P<result>ok|note|warn|fail)\s+(?P<seconds>\d+\.\d\d)  (?P<rest>.*)$"
)


def rows(out: str) -> dict[str, dict[str, str]]:
    """The table's rows by check name."""
    found = {}
    for line in out.splitlines():
        if match := ROW.match(line):
            found[match["check"]] = match.groupdict()
    return found


def marked(marker: str) -> list[int]:
    """Live processes whose environment holds `marker`: what a run left behind."""
    pids = []
    for name in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError), open(f"/proc/{name}/environ", "rb") as environ:
            if marker.encode() in environ.read() and not process_gone(int(name)):
                pids.append(int(name))
    return pids


def kernels_of(pid: int) -> list[int]:
    """Live child processes of `pid` that run an IPython kernel."""
    return children_running(pid, b"ipykernel")


def run_doctor(python: str = sys.executable, **env: str) -> tuple[subprocess.CompletedProcess, str]:
    """The doctor in a fresh process, as an instructor runs it; with a marker in its environment."""
    marker = f"LESSONS_DOCTOR_TEST={secrets.token_hex(8)}"
    key, value = marker.split("=")
    return run_lessons("doctor", python=python, cwd=ROOT, env={**env, key: value}), marker


@pytest.fixture(scope="module")
def here():
    """One run of the doctor on this machine, shared by the tests that read it."""
    return run_doctor()


def test_it_passes_here_with_every_row(here):
    done, _ = here
    assert done.returncode == 0, done.stdout + done.stderr
    table = rows(done.stdout)
    assert list(table)[: len(doctor.NAMES)] == doctor.NAMES
    # Then a row for every other Python kernel, or the note that none runs without a GIL.
    others = list(table)[len(doctor.NAMES) : -1]
    assert others and all(n.startswith("kernel ") or n == "free-threaded" for n in others), others
    assert list(table)[-1] == "machine"  # CPUs, memory and load (lessons/doctor_room.py)
    failed = [row for row in table.values() if row["result"] == "fail"]
    assert not failed, done.stdout
    assert done.stdout.splitlines()[-1].startswith("Ready for class")
    real = table["real sites"]  # offline here, but a machine online is fine too
    assert real["result"] == "ok" or "offline: the demo sites will be used" in real["rest"]
    assert re.search(r"Jython answers in \d+ ms, set to 60 ms", table["demo sites"]["rest"])
    assert done.stderr == ""


def test_the_table_has_a_seconds_column(here):
    done, _ = here
    header, *lines = done.stdout.splitlines()
    assert header.split()[:3] == ["check", "result", "seconds"]
    table = rows(done.stdout)
    assert len(table) == len(lines) - 1  # every line but the verdict is a check's row
    assert all(float(row["seconds"]) >= 0 for row in table.values())


def test_nothing_is_left_running(here):
    _, marker = here
    deadline = time.monotonic() + 3  # a killed child may take a moment to be collected
    while (left := marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []


@pytest.fixture
def venv_without_extension(tmp_path):
    """A Python whose packages are this one's but whose prefix has no share/jupyter: the
    widget extension is installed nowhere JupyterLab (and the doctor) looks."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "venv"], check=True)
    python = str(tmp_path / "venv" / "bin" / "python")
    packages = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    mine = sysconfig.get_paths()["purelib"]  # addsitedir also reads the editable install's .pth
    Path(packages, "course.pth").write_text(f"import site; site.addsitedir({mine!r})\n")
    system = [os.path.join(folder, "labextensions") for folder in SYSTEM_JUPYTER_PATH]
    if doctor.find_widget_extension(system):
        pytest.skip("the widget extension is installed system-wide here: it cannot be hidden")
    (tmp_path / "data").mkdir()
    return python, str(tmp_path / "data")


def test_a_missing_widget_extension_fails_with_the_fix(venv_without_extension):
    python, data = venv_without_extension
    done, _ = run_doctor(python, JUPYTER_DATA_DIR=data, JUPYTER_PATH="")
    assert done.returncode == 1, done.stdout + done.stderr
    row = rows(done.stdout)["widget extension"]
    assert row["result"] == "fail"
    assert "@jupyter-widgets/jupyterlab-manager not found in" in row["rest"]
    assert "Fix: python -m pip install -r requirements.txt, then restart JupyterLab" in row["rest"]
    assert done.stdout.splitlines()[-1].startswith("1 problem: fix it before the class")


def extension_at(folder: Path, npm_version: str) -> str:
    """A labextensions folder holding the widget extension at `npm_version`."""
    package = folder / doctor.EXTENSION / "package.json"
    package.parent.mkdir(parents=True)
    package.write_text(json.dumps({"name": doctor.EXTENSION, "version": npm_version}))
    return str(folder)


def test_the_extension_must_fit_ipywidgets(tmp_path):
    fits = doctor.check_widget_extension([extension_at(tmp_path / "new", "5.0.16")])
    assert fits.result == "ok", fits
    old = doctor.check_widget_extension([extension_at(tmp_path / "old", "3.6.8")])  # ipywidgets 7
    assert old.result == "fail" and "then restart JupyterLab" in old.fix
    nowhere = doctor.check_widget_extension([str(tmp_path / "empty")])
    assert nowhere.result == "fail" and "not found" in nowhere.found
    first = doctor.check_widget_extension([str(tmp_path / "old"), str(tmp_path / "new")])
    assert first.result == "fail"  # JupyterLab loads the first it finds


def test_demo_sites_that_cannot_start_fail_with_the_fix(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "demo_server.py"
    broken.write_text("raise SystemExit('demo_server.py: this copy is broken')\n")
    monkeypatch.setattr(demo_server, "__file__", str(broken))  # what the child process runs
    # Demo sites an earlier test of this process left to the session (start_demo_sites) stay.
    before = demo_children(os.getpid()), kernels_of(os.getpid())
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    row = rows(out)["demo sites"]
    assert row["result"] == "fail"
    assert "process ended with code 1: demo_server.py: this copy is broken" in row["rest"]
    assert "Fix: the demo server" in row["rest"] and "python -m pip install" in row["rest"]
    assert [r["check"] for r in rows(out).values() if r["result"] == "fail"] == ["demo sites"]
    assert (demo_children(os.getpid()), kernels_of(os.getpid())) == before


def test_demo_sites_behind_a_proxy_answer_directly_as_in_class(behind_a_proxy):
    before = demo_children(os.getpid())  # the session's own demo sites, if a test started them
    row = doctor.check_demo_sites()
    assert row.result in ("ok", "warn"), row  # warn: only when the machine is too busy
    assert row.found.startswith("a proxy is set: 127.0.0.1 added to NO_PROXY, as the course does")
    assert "Jython answers in" in row.found and "Real Python answers in" in row.found
    assert demo_children(os.getpid()) == before


def counting_managers(monkeypatch, first: dict) -> list[dict]:
    """jupyter_client's KernelManager, with `first`'s traits added to the first one made."""
    import jupyter_client

    real, made = jupyter_client.KernelManager, []

    def manager(**traits):
        made.append(traits)
        return real(**(traits | first if len(made) == 1 else traits))

    monkeypatch.setattr(jupyter_client, "KernelManager", manager)
    return made


def test_a_kernel_that_loses_a_port_is_started_again(monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as taken:  # as another program would hold it
        # The first kernel is told to bind that port (cache_ports off, or it picks another).
        made = counting_managers(
            monkeypatch, {"shell_port": taken.getsockname()[1], "cache_ports": False}
        )
        row = doctor.check_kernel()
    assert len(made) == 2, row
    assert row.result in ("ok", "warn") and row.found.startswith("python3 ran a cell"), row
    assert "the standard build (GIL on)" in row.found or "free-threaded" in row.found, row


def test_a_kernel_that_fails_otherwise_is_not_started_again(monkeypatch):
    made = counting_managers(monkeypatch, {"kernel_name": "no-such-kernel"})
    row = doctor.check_kernel()
    assert len(made) == 1
    assert row.result == "fail" and "NoSuchKernel" in row.found, row
