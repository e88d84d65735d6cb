"""The tests that measure threads, processes and the command line, run again by the free-threaded
kernel's interpreter (no GIL), each file in a pytest of that interpreter's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from other_pythons import FILE_SECONDS, FILES, ask, install_test_tools, run_file
from two_builds import free_threaded_python

pytestmark = pytest.mark.timeout(FILE_SECONDS + 120)


@pytest.fixture(scope="module")
def test_tools(tmp_path_factory) -> Path:
    return install_test_tools(free_threaded_python(), tmp_path_factory.mktemp("pytest"))


@pytest.mark.parametrize("name", FILES)
def test_passes_on_the_free_threaded_build(name, test_tools):
    python = free_threaded_python()
    run_file(python, name, test_tools)
    gil = ask(python, "import sys; print(sys._is_gil_enabled())")
    assert gil == "False", f"{python} ran with the GIL on: {gil}"
