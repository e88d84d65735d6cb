"""Each notebook run in JupyterLab in Chromium: no errors, every widget drawn, the explorer."""

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import NOTEBOOKS, NOTEBOOKS_DIR, SCREENSHOTS
from .notebook_page import WIDGETS_TIMEOUT

# Opening, one or two Run All (about 30 s each) and a click of Run, each bounded on its own.
pytestmark = pytest.mark.timeout(600)

EXPLORER_RUN_TIMEOUT = 60  # a synchronous run of the demo sites takes about 8 s
# The DOM contract of the explorer: ipywidgets' add_class on each of its parts.
EXPLORER_PARTS = [
    "lessons-workers",
    "lessons-mode",
    "lessons-run",
    "lessons-stop",
    "lessons-clear",
    "lessons-progress",
    "lessons-figure",
    "lessons-marks",
    "lessons-status",
]
DOWNLOADED = re.compile(r"^\s*Downloaded ")  # "Downloaded 160 in 1.71 seconds (threads, ...)"
FIGURE_SRC_JS = "e => (e.tagName === 'IMG' ? e : e.querySelector('img')).getAttribute('src')"


def test_the_course_has_notebooks():
    assert NOTEBOOKS, f"no notebooks to test: {NOTEBOOKS_DIR} holds no *.ipynb"


def test_runs_without_errors(notebook):
    problems = notebook.problems() + [f"still loading: {text}" for text in notebook.loading()]
    assert not problems, f"{notebook.name} shows errors after Run All:\n\n" + "\n\n".join(problems)


def test_every_widget_is_rendered(notebook):
    expected = notebook.saved_widget_views()
    # Drawing a widget can lag behind its cell: look again for a while.
    deadline = time.monotonic() + WIDGETS_TIMEOUT
    while True:
        outputs = notebook.outputs()
        widgets = [o for o in outputs if o["widget"]]
        drawn = [o for o in widgets if o["width"] > 0 and o["height"] > 0 and o["shown"] > 0]
        if len(widgets) == len(drawn) == expected or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    others = [(o["mime"], o["text"][:200]) for o in outputs if not o["widget"]]
    errors = list(dict.fromkeys(notebook.console_errors))[:10]  # one error repeats per widget
    details = (
        f"\nwidget outputs: {widgets}\nother outputs (mime, text): {others}"
        f"\nbrowser console errors: {errors}"
    )
    assert len(widgets) == expected, (
        f"{notebook.name}: the kernel sent {expected} widget views, the page draws "
        f"{len(widgets)} (is the JupyterLab widget extension, jupyterlab_widgets, installed?)"
        + details
    )
    assert drawn == widgets, f"{notebook.name}: a widget output is empty or hidden" + details


def shows_explorer(name: str) -> bool:
    """A code line that calls `explorer(...)` or ends with `explorer` (shows it); comments aside."""
    cells = json.loads((NOTEBOOKS_DIR / name).read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    code = re.sub(r"#.*", "", code)
    return re.search(r"\bexplorer\b\s*(\(|$)", code, re.MULTILINE) is not None


def test_explorer_runs_and_reruns(notebook):
    page = notebook.page
    explorer = page.locator(".lessons-explorer")
    if explorer.count() == 0:
        assert not shows_explorer(notebook.name), (
            f"{notebook.name} shows an explorer, but the page holds no .lessons-explorer"
        )
        return  # this notebook has no explorer, and rightly shows none
    assert_one_explorer(notebook)

    # The slider, moved with the keyboard as a learner without a mouse would.
    slider = explorer.locator(".lessons-workers")
    readout = slider.locator(".widget-readout")
    handle = slider.locator("[role=slider]")
    before = readout.inner_text()
    at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    handle.focus()
    for _ in range(3):
        handle.press("ArrowLeft" if at_max else "ArrowRight")
    expect(readout).not_to_have_text(before, timeout=5_000)
    workers = readout.inner_text().strip()

    figure = explorer.locator(".lessons-figure")
    status = explorer.locator(".lessons-status")
    figure_before, status_before = figure.evaluate(FIGURE_SRC_JS), status.inner_text()
    explorer.locator(".lessons-run").click()
    # A status that already read "Downloaded" (an earlier run) must first change.
    expect(status).not_to_have_text(status_before, timeout=EXPLORER_RUN_TIMEOUT * 1000)
    expect(status).to_have_text(DOWNLOADED, timeout=EXPLORER_RUN_TIMEOUT * 1000)
    wait_for_new_figure(notebook, figure, figure_before)
    text = status.inner_text()
    if "max_workers=" in text:
        assert f"max_workers={workers}" in text, f"the slider read {workers}, the run: {text!r}"
    assert_one_explorer(notebook)
    problems = notebook.problems()
    assert not problems, f"{notebook.name} after Run:\n\n" + "\n\n".join(problems)
    notebook.screenshot(SCREENSHOTS / f"{Path(notebook.name).stem}-run.png")

    # A second Run All replaces the explorer; it must not add a second one, nor a second figure.
    notebook.run_all()
    assert_one_explorer(notebook)
    problems = notebook.problems()
    assert not problems, f"{notebook.name} after a second Run All:\n\n" + "\n\n".join(problems)


def wait_for_new_figure(notebook, figure, before: str, timeout: float = 10) -> None:
    """The status and the figure are separate widgets: their updates may arrive in either order."""
    deadline = time.monotonic() + timeout
    while figure.evaluate(FIGURE_SRC_JS) == before:
        if time.monotonic() > deadline:
            pytest.fail(
                f"{notebook.name}: Run did not redraw the explorer's figure ({before[:60]})"
            )
        time.sleep(0.2)


def assert_one_explorer(notebook) -> None:
    """Exactly one explorer with one of each part; waits while the views are still being drawn."""
    for part in ["lessons-explorer", *EXPLORER_PARTS]:
        expect(
            notebook.page.locator(f".{part}"),
            f"{notebook.name}: the page should hold exactly one .{part}",
        ).to_have_count(1, timeout=WIDGETS_TIMEOUT * 1000)
    expect(notebook.page.locator(".lessons-explorer")).to_be_visible()
