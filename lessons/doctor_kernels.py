"""The doctor's kernels: each Python kernel JupyterLab offers, started, with its build and GIL."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .preflight import INSTALL, Row, version

KERNEL_SECONDS = 30  # a kernel must start, and run the cell, within this long each
# What the chapters import, with the GIL watched (lessons/course/builds.py), and the widgets.
KERNEL_CELL = (
    "import json, ipywidgets\nfrom lessons.course import builds\n"
    "json.dumps({**builds.import_and_watch(builds.CHAPTER_MODULES), "
    "'ipywidgets': ipywidgets.__version__, 'lessons': builds.__file__})"
)
OURS = "free-threaded"  # the kernel that python -m lessons free-threaded adds (and repairs)
REPAIR = "python -m lessons free-threaded"


def _kernel_facts(name: str) -> tuple[dict, float]:
    from .course import kernels

    value, ran = kernels.run_in_kernel(name, KERNEL_CELL, KERNEL_SECONDS)
    return json.loads(value), ran


def _build_text(facts: dict) -> str:
    if not facts["free_threaded"]:
        return f"Python {facts['version']}, the standard build (GIL on)"
    state = "on" if facts["gil_enabled"] else "off"
    return f"Python {facts['version']}, free-threaded, GIL {state} after the course's imports"


def _gil_came_back(name: str, spec: dict, facts: dict, ran: float) -> Row | None:
    """A free-threaded kernel whose GIL an import turned back on: a failure naming it."""
    if not (facts["free_threaded"] and facts["gil_enabled"]):
        return None
    from .course import builds

    culprit = builds.culprit(facts, spec["argv"][0])
    found = f"{name} ran a cell in {ran:.2f} s: {_build_text(facts)}: {culprit} turned it on"
    fix = (
        f"upgrade {culprit} in that kernel's environment to a release that declares itself "
        f"free-threading-safe, or add the course's own: python -m lessons free-threaded"
    )
    return Row(f"kernel {name}" if name != "python3" else "kernel", "fail", found, fix)


def check_kernel() -> Row:
    """A python3 kernel starts, imports what the chapters import, and answers; then it stops."""
    from .course import kernels

    try:
        facts, ran = _kernel_facts("python3")
    except kernels.KernelFailed as error:
        return Row("kernel", "fail", str(error), INSTALL)
    found = f"python3 ran a cell in {ran:.2f} s: {_build_text(facts)}"
    if facts["failed"]:
        module, why = next(iter(facts["failed"].items()))
        return Row("kernel", "fail", f"{found}; it cannot import {module}: {why}", INSTALL)
    if row := _gil_came_back("python3", {"argv": [facts["executable"]]}, facts, ran):
        return row
    if facts["ipywidgets"] != version("ipywidgets"):
        fix = f"make python3 this Python: {sys.executable} -m ipykernel install --user"
        return Row(
            "kernel",
            "warn",
            f"{found}, ipywidgets {facts['ipywidgets']}, at {facts['executable']}",
            fix,
        )
    found += f", ipywidgets {facts['ipywidgets']}"
    return _untested(Row("kernel", "ok", found), facts)


def _untested(row: Row, facts: dict) -> Row:
    """An "ok" row becomes a note when the kernel's Python is one the course was not tested on."""
    from .course import builds

    if said := builds.untested(facts["version"], facts["free_threaded"]):
        row.result, row.found = "note", f"{row.found}; {said}"
    return row


def check_other_kernels() -> list[Row]:
    """Every other Python kernel JupyterLab offers, started and asked the same; a note when
    none runs without a GIL, with the command that adds one."""
    from .course import kernels

    rows, free = [], []
    for name, spec in kernels.python_kernels().items():
        if name == "python3":
            continue
        started = time.perf_counter()
        rows.append(_other_kernel(name, spec))
        free += [name] if rows[-1].result == "ok" and "GIL off" in rows[-1].found else []
        rows[-1].seconds = time.perf_counter() - started
    if not free:
        found = "no kernel runs without a GIL: chapters 05, 11 and 12 show only the standard build"
        rows.append(Row("free-threaded", "note", found, f"{REPAIR} adds one"))
    return rows


def _other_kernel(name: str, spec: dict) -> Row:
    from .course import kernels

    check = f"kernel {name}"
    # Our own kernel is repaired by its command; another one can only be left out of class.
    fix = REPAIR if name == OURS else "choose another kernel, or: jupyter kernelspec remove " + name
    try:
        facts, ran = _kernel_facts(name)
    except kernels.KernelFailed as error:
        return Row(check, "warn", f"cannot run the course: {error}", fix)
    found = f"{name} ran a cell in {ran:.2f} s: {_build_text(facts)}"
    if row := _gil_came_back(name, spec, facts, ran):
        return row
    if facts["failed"]:
        module, why = next(iter(facts["failed"].items()))
        return Row(check, "warn", f"{found}; cannot import {module}: {why}", fix)
    here = Path(__file__).resolve().parent
    theirs = Path(facts.get("lessons") or here).resolve().parents[1]
    if theirs != here:  # an editable install of another checkout of the course
        return Row(check, "warn", f"{found}; it runs the lessons in {theirs.parent}", fix)
    return _untested(Row(check, "ok", found), facts)
