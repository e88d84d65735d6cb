"""The tests that measure threads, processes, asyncio and the command line, run again by the
Python 3.14 kernel's interpreter, each file in a pytest of that interpreter's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from other_pythons import FILE_SECONDS, NEWER_FILES, ask, install_test_tools, run_file
from two_builds import kernel_python

KERNEL = "python3.14"
pytestmark = pytest.mark.timeout(FILE_SECONDS + 120)


@pytest.fixture(scope="module")
def test_tools(tmp_path_factory) -> Path:
    return install_test_tools(kernel_python(KERNEL), tmp_path_factory.mktemp("pytest"))


@pytest.mark.parametrize("name", NEWER_FILES)
def test_passes_on_python_314(name, test_tools):
    python = kernel_python(KERNEL)
    run_file(python, name, test_tools)
    version = ask(python, "import sys; print('%d.%d' % sys.version_info[:2])")
    assert version == "3.14", f"{python} is Python {version}, not 3.14"
