"""The doctor's vocabulary: a row of its table, and the install that fixes most things."""

from __future__ import annotations

import dataclasses
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
