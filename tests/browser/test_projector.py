"""Projector mode in the real JupyterLab: marks, widgets and figures grow; off puts them back."""

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS
from .notebook_page import KERNEL_IDLE, notebook_page

CHAPTER = "01_synchronous.ipynb"
SCALE = 1.5

# Two blank figures of 200 x 100 pixels, one drawn before the call and one after it.
ON = (
    "from matplotlib.figure import Figure; "
    "from lessons.course.plotting import figure_image; "
    "from lessons.course.projector import projector; "
    "display(figure_image(Figure(figsize=(4, 2), dpi=50)), projector(scale=1.5), "
    "figure_image(Figure(figsize=(4, 2), dpi=50)))"
)
OFF = "projector(False)"

SIZES_JS = """() => {
    const px = e => e ? parseFloat(getComputedStyle(e).fontSize) : null;
    const setup = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell'))
        .find(cell => cell.innerText.includes('lessons.setup()'));
    return {
        widget: px(setup.querySelector('.lessons-ready .widget-label')),
        marks: px(setup.querySelector('.jp-OutputArea-output pre')),
        menu: px(document.querySelector('.lm-MenuBar-itemLabel')),
        styles: document.querySelectorAll('style[data-lessons-projector]').length,
    };
}"""


def run_new_cell(page, code: str) -> None:
    """Insert a cell above the selected one, type the code in it, and run it."""
    page.keyboard.press("Escape")  # command mode
    page.keyboard.press("a")  # a new cell above, selected
    page.keyboard.press("Enter")  # edit it
    page.keyboard.insert_text(code)  # as pasted: no auto-closed brackets
    page.keyboard.press("Shift+Enter")


@pytest.mark.timeout(120)
def test_projector_enlarges_marks_widgets_and_figures(browser, lab_server):
    with notebook_page(browser, lab_server, CHAPTER) as notebook:
        notebook.open()
        page = notebook.page
        # The setup cell alone: its printed lines and its widget are what gets measured.
        setup = notebook.code_cell("lessons.setup()")
        setup.locator(".cm-content").click()
        page.keyboard.press("Shift+Enter")
        expect(setup.locator(".lessons-ready .widget-label")).to_be_visible(timeout=30_000)
        before = page.evaluate(SIZES_JS)
        assert before["widget"] and before["marks"] and before["styles"] == 0, before

        run_new_cell(page, ON)
        cell = notebook.code_cell("projector(scale=1.5)")
        images = cell.locator(".jp-OutputArea-output img")
        expect(images).to_have_count(2, timeout=30_000)
        expect(cell).to_contain_text("Projector mode is on")
        widths = [image.evaluate("img => img.naturalWidth") for image in images.all()]
        assert widths == [200, 200 * SCALE], widths
        on = page.evaluate(SIZES_JS)
        assert on["widget"] == pytest.approx(before["widget"] * SCALE, rel=0.02), (before, on)
        assert on["marks"] == pytest.approx(before["marks"] * SCALE, rel=0.02), (before, on)
        assert on["menu"] == before["menu"], "the CSS must stay inside the notebook"
        assert on["styles"] == 1, "one style in the page's head; the cell's own copy removed"
        page.screenshot(path=str(SCREENSHOTS / "projector.png"))

        run_new_cell(page, OFF)
        expect(notebook.code_cell(OFF)).to_contain_text("Projector mode is off", timeout=30_000)
        expect(page.locator("#jp-main-statusbar")).to_contain_text(KERNEL_IDLE)
        assert page.evaluate(SIZES_JS) == before
        assert notebook.problems() == []
