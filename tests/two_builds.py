"""The kernels the tests run on beside python3: the free-threaded build, and the newer standard
Pythons (3.14 and 3.15).

`python -m lessons free-threaded` adds the first (CI's .ci/run does, with the interpreter that
tools/free_threaded_python.sh gives); `python -m lessons kernel --python PATH` adds the others
(CI's with the ones tools/debian_python.sh gives). Without one, the tests that need it skip with
one line saying how to add it; under CI (CI=true) they fail instead: CI must run them.
"""

from __future__ import annotations

import functools
import os

import pytest

from lessons.course import kernels

FREE_THREADED = "free-threaded"
NEWER = ("python3.14", "python3.15")  # the standard Pythons a learner installs in 2026
HOW = {
    FREE_THREADED: "python -m lessons free-threaded adds it (with a free-threaded Python on "
    "PATH, or one built by bash tools/free_threaded_python.sh)",
    **{
        name: f"python -m lessons kernel --python {name} adds it (or with the one that "
        f"bash tools/debian_python.sh {name[6:]} unpacks)"
        for name in NEWER
    },
}


@functools.cache
def kernel_spec(name: str) -> dict | None:
    return kernels.python_kernels().get(name)


def free_threaded_spec() -> dict | None:
    return kernel_spec(FREE_THREADED)


def kernel_python(name: str) -> str:
    """The interpreter of the kernel `name`; skip (fail under CI) when there is none."""
    spec = kernel_spec(name)
    if spec is None:
        missing(name)
    return spec["argv"][0]


def free_threaded_python() -> str:
    """The free-threaded kernel's interpreter; skip (fail under CI) when there is none."""
    return kernel_python(FREE_THREADED)


def missing(name: str = FREE_THREADED):
    reason = f"no {name!r} kernel here: {HOW[name]}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def require_kernel(name: str) -> None:
    if name in HOW and kernel_spec(name) is None:
        missing(name)
