"""The two builds the tests run on: the standard python3 kernel, and the free-threaded one.

`python -m lessons free-threaded` adds the second (CI's .ci/run does, with the interpreter that
tools/free_threaded_python.sh gives). Without it, tests that need it skip with one line saying
how to add it; under CI (CI=true) they fail instead: CI must run them.
"""

from __future__ import annotations

import functools
import os

import pytest

from lessons.course import kernels

FREE_THREADED = "free-threaded"
HOW = (
    "python -m lessons free-threaded adds it (with a free-threaded Python on PATH, or one built "
    "by bash tools/free_threaded_python.sh)"
)


@functools.cache
def free_threaded_spec() -> dict | None:
    return kernels.python_kernels().get(FREE_THREADED)


def free_threaded_python() -> str:
    """The free-threaded kernel's interpreter; skip (fail under CI) when there is none."""
    spec = free_threaded_spec()
    if spec is None:
        missing()
    return spec["argv"][0]


def missing():
    reason = f"no {FREE_THREADED!r} kernel here: {HOW}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def require_kernel(name: str) -> None:
    if name == FREE_THREADED and free_threaded_spec() is None:
        missing()
