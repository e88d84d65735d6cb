"""Browser suite fixtures: the system's Chromium, one throwaway JupyterLab, each notebook run."""

import contextlib
import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from .lab_server import running_lab
from .notebook_page import notebook_page

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = Path(os.environ.get("LESSONS_NOTEBOOKS_DIR", ROOT / "notebooks"))
# Globbed, so a new notebook is tested the moment it exists.
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

# The machine refuses outside connections: nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    "install one with `sudo apt-get install chromium` (Debian, Ubuntu), "
    "or set LESSONS_CHROMIUM to a Chromium or Chrome executable"
)


def unavailable(reason: str):
    """A missing browser skips on a learner's machine, but fails under CI: CI must run these."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def find_chromium() -> str | None:
    chosen = os.environ.get("LESSONS_CHROMIUM")
    if chosen:
        return shutil.which(chosen)  # a full path or a name on PATH, if it is executable
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        chosen = os.environ.get("LESSONS_CHROMIUM")
        where = f"LESSONS_CHROMIUM={chosen!r} is not executable" if chosen else "no Chromium found"
        unavailable(f"The browser tests need Chromium: {where}; {INSTALL_HINT}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    if not NOTEBOOKS:
        pytest.fail(f"no notebooks to test: {NOTEBOOKS_DIR} holds no *.ipynb", pytrace=False)
    with running_lab(NOTEBOOKS, tmp_path_factory.mktemp("jupyterlab")) as server:
        yield server


# With no notebook at all, one None parameter reaches lab_server, which fails, instead of an
# empty parameter set, which pytest would skip.
@pytest.fixture(scope="module", params=NOTEBOOKS or [None], ids=lambda p: p.stem if p else "none")
def notebook(request, browser, lab_server):
    """A notebook opened in JupyterLab and run once through Run All; closed with its kernel."""
    source = request.param
    with notebook_page(browser, lab_server, source.name) as page:
        try:
            page.open()
            page.run_all()
        finally:
            # What the page showed, also when it failed; a failed screenshot must not hide why.
            with contextlib.suppress(PlaywrightError, OSError):
                page.screenshot(SCREENSHOTS / f"{source.stem}.png")
        yield page


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test shows the end of JupyterLab's log next to its own message."""
    outcome = yield
    report = outcome.get_result()
    server = item.funcargs.get("lab_server") if hasattr(item, "funcargs") else None
    if report.failed and server is not None:
        report.sections.append(
            (f"JupyterLab log, last lines of {server.log_path}", server.log_tail())
        )
