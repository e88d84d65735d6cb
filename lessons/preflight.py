"""The doctor's vocabulary: a row of its table, and the install that fixes most things."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from importlib import metadata

INSTALL = "python -m pip install -r requirements.txt"
BUSY_FIX = "the machine is too busy: close other programs, then run the doctor again"


@dataclasses.dataclass
class Row:
    """One check's line in the table: what was found, and the fix when it is not "ok"."""

    check: str
    # "ok"; "note": worth knowing, nothing to fix; "warn": worth knowing, does not stop a class;
    # "fail": would break one
    result: str
    found: str
    fix: str = ""
    seconds: float = 0.0


def version(package: str) -> str | None:
    """The installed version of a package, or None."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def stepper(width: int, digits: int) -> Callable[[str, Callable[[], object]], object]:
    """A command's steps, one line each: the step's name, its seconds and what it said.

    A step's `what()` returns a sentence, or (a value, a sentence); the step returns the same.
    """

    def step(name: str, what: Callable[[], object]) -> object:
        begun = time.perf_counter()
        said = what()
        text = said if isinstance(said, str) else said[1]
        print(f"{name:<{width}} {time.perf_counter() - begun:6.{digits}f} s  {text}", flush=True)
        return said

    return step
