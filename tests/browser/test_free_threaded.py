"""Chapters 02, 04 and 08 in JupyterLab on the free-threaded kernel, chosen in the page as a
learner chooses it: Run All with no error, every widget drawn, the explorer run and rerun."""

import contextlib

import pytest
from playwright.sync_api import Error as PlaywrightError
from two_builds import free_threaded_spec, require_kernel

from .conftest import NOTEBOOKS, SCREENSHOTS
from .notebook_page import notebook_page
from .test_jupyterlab import (  # noqa: F401 (collected here, on this module's notebook)
    test_every_widget_is_rendered,
    test_explorer_runs_and_reruns,
    test_runs_without_errors,
)

pytestmark = pytest.mark.timeout(600)
CHAPTERS = [path for path in NOTEBOOKS if path.name[:2] in ("02", "04", "05", "09", "11", "12")]


@pytest.fixture(scope="module", params=CHAPTERS, ids=lambda p: p.stem)
def notebook(request, browser, lab_server):
    """The notebook opened on python3, switched to the free-threaded kernel, run once."""
    require_kernel("free-threaded")
    display = free_threaded_spec()["display_name"]
    source = request.param
    with notebook_page(browser, lab_server, source.name) as page:
        try:
            page.open()
            page.change_kernel(display)
            page.run_all()
        finally:
            with contextlib.suppress(PlaywrightError, OSError):
                page.screenshot(SCREENSHOTS / f"{source.stem}-free-threaded.png")
        yield page


def test_the_kernel_is_the_free_threaded_one(notebook):
    """The run happened on the kernel the learner chose, and the chapter says which build."""
    display = free_threaded_spec()["display_name"]
    assert display in notebook.status_bar(), notebook.status_bar()
    if notebook.name.startswith("12"):
        text = notebook.page.locator(".jp-Notebook").inner_text()
        assert "a free-threaded build; the GIL is off" in text
