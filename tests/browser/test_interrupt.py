"""JupyterLab's own stop button during the synchronous run: a clean stop, and Run All goes on."""

import contextlib
import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .conftest import NOTEBOOKS, NOTEBOOKS_DIR, SCREENSHOTS
from .notebook_page import INTERRUPT_BUTTON, KERNEL_IDLE, NotebookPage, notebook_page

# Opening (about 4 s), the cells before the run, the interrupt, the rest of Run All (about 5 s):
# each wait is bounded on its own; this is the last resort.
pytestmark = pytest.mark.timeout(600)

NOTEBOOK = "01_synchronous.ipynb"
RUN_CELL = "sync_run = lessons.run(download_all_sites)"
PAGES = 160
MIN_MARKS = 10  # about 0.5 s into a run of about 8 s: well before its end
MARKS_TIMEOUT = 90  # Run All reaches the run after the setup cell starts the demo sites
INTERRUPT_LIMIT = 2.0  # seconds from the click to "Interrupted after ..."
SUMMARY_TIMEOUT = 15  # waited for longer than the limit, so that a slow answer is measured
MARKS = re.compile(r"[JRx]+")
SUMMARY = re.compile(
    r"^Interrupted after (\d+) of (\d+) pages\.\nDownloaded (\d+) in ([\d.]+) seconds", re.M
)
# The cell's own prompt ([*] while it runs) and output, in one look.
CELL_JS = """cell => ({
    prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
    output: (cell.querySelector('.jp-Cell-outputArea') || {}).innerText || '',
})"""
# The times, in the page, of the press on the button and of the lines in the cell's output:
# no polling interval or Playwright round trip in the measure.
WATCH_JS = """(cell, selector) => {
    const output = cell.querySelector('.jp-Cell-outputArea');
    const times = window.lessonsInterrupt = {pressed: null, interrupted: null, summary: null};
    document.querySelector(selector).addEventListener('mousedown', () => {
        if (times.pressed === null) times.pressed = performance.now();
    }, {capture: true});
    const summary = /Interrupted after \\d+ of \\d+ pages\\.\\s*Downloaded \\d+ in [\\d.]+ seconds/;
    const observer = new MutationObserver(() => {
        const text = output.innerText;
        if (times.interrupted === null && text.includes('Interrupted after'))
            times.interrupted = performance.now();
        if (summary.test(text)) {
            times.summary = performance.now();
            observer.disconnect();
        }
    });
    observer.observe(output, {childList: true, subtree: true, characterData: true});
}"""
OUTPUTS_TEXT_JS = """() => Array.from(
    document.querySelectorAll('.jp-Notebook .jp-Cell-outputArea'), e => e.innerText).join('\\n')"""


@pytest.fixture
def unrun_notebook(browser, lab_server):
    """The synchronous notebook opened in JupyterLab, not run: the test decides when to stop it."""
    if not any(path.name == NOTEBOOK for path in NOTEBOOKS):
        pytest.fail(f"{NOTEBOOK} is not in {NOTEBOOKS_DIR}", pytrace=False)
    with notebook_page(browser, lab_server, NOTEBOOK) as notebook:
        notebook.open()
        yield notebook


def test_stop_button_interrupts_the_run_cleanly(unrun_notebook):
    notebook, page = unrun_notebook, unrun_notebook.page
    cell = notebook.code_cell(RUN_CELL)
    assert cell.count() == 1, f"{NOTEBOOK} should hold one code cell with {RUN_CELL!r}"
    try:
        before = notebook.start_run_all()
        marks = wait_for_marks(notebook, cell)

        cell.evaluate(WATCH_JS, INTERRUPT_BUTTON)
        clicked = time.monotonic()
        notebook.interrupt_kernel()
        # An uncaught interrupt shows its traceback instead: no need to wait on for the lines.
        # A timeout fails below, where Playwright's own traceback does not hide the message.
        with contextlib.suppress(PlaywrightTimeoutError):
            page.wait_for_function(
                "() => window.lessonsInterrupt.summary !== null || !!document.querySelector("
                "'[data-mime-type=\"application/vnd.jupyter.stderr\"]')",
                polling=50,
                timeout=SUMMARY_TIMEOUT * 1000,
            )
        waited = time.monotonic() - clicked
        times = page.evaluate("() => window.lessonsInterrupt")
        if times["summary"] is None:
            pytest.fail(
                f"{NOTEBOOK}: {waited:.1f} s after the stop button, the run's output does not "
                f"read 'Interrupted after N of {PAGES} pages.' then 'Downloaded N in S seconds'."
                f"\nOutput: {cell.evaluate(CELL_JS)['output'][-600:]!r}"
                f"\nStatus bar: {notebook.status_bar()!r}\nProblems: {notebook.problems()}"
            )
        assert times["pressed"] is not None, "the page saw no press on the stop button"
        seconds = (times["interrupted"] - times["pressed"]) / 1000

        output = cell.evaluate(CELL_JS)["output"].strip()
        found = SUMMARY.search(output)
        assert found, f"no summary in the run's output: {output[-600:]!r}"
        done, pages, downloaded, elapsed = found.groups()
        done, downloaded, shown = int(done), int(downloaded), len(MARKS.match(output)[0])
        print(
            f"\n{NOTEBOOK}: 'Interrupted after' {seconds:.3f} s after the click on the stop "
            f"button ({waited:.3f} s as the test waited for both lines); "
            f"N = {done} of {pages} pages ({len(marks)} marks shown at the click), "
            f"the run's own time {elapsed} s"
        )
        assert seconds <= INTERRUPT_LIMIT, (
            f"'Interrupted after' came {seconds:.2f} s after the click (limit {INTERRUPT_LIMIT} s)"
        )
        to_summary = (times["summary"] - times["pressed"]) / 1000
        assert to_summary <= INTERRUPT_LIMIT, (
            f"'Downloaded' came {to_summary:.2f} s after the click (limit {INTERRUPT_LIMIT} s)"
        )
        assert int(pages) == PAGES and downloaded == done, found[0]
        assert len(marks) <= done < PAGES, (
            f"{len(marks)} marks were shown at the click, the run says {done} of {PAGES}"
        )
        # An interrupt between counting a page and printing its mark leaves one mark fewer.
        assert done - 1 <= shown <= done, f"{shown} marks shown for {done} pages: {output!r}"
        assert_no_errors(notebook, "after the interrupt")

        # The cell caught the interrupt, so Run All goes on with the cells after it.
        notebook.finish_run_all(before)
        counts = notebook.execution_counts()
        assert all(c and c > before for c in counts), (
            f"{NOTEBOOK}: not every code cell ran after the interrupt: {counts} "
            f"(-1 running, None never run, {before} or less from before)"
        )
        assert KERNEL_IDLE.search(notebook.status_bar()), notebook.status_bar()
        assert_no_errors(notebook, "after Run All went on")
    finally:
        # What the page showed, also when it failed; a failed screenshot must not hide why.
        with contextlib.suppress(PlaywrightError, OSError):
            notebook.screenshot(SCREENSHOTS / f"{NOTEBOOK.removesuffix('.ipynb')}-interrupt.png")


def wait_for_marks(notebook: NotebookPage, cell, timeout: float = MARKS_TIMEOUT) -> str:
    """The marks the run has printed once it is running and shows both J and R."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = cell.evaluate(CELL_JS)
        marks = shown["output"].strip()
        if "Downloaded" in marks:
            pytest.fail(f"the run ended before the test could interrupt it: {marks[-300:]!r}")
        running = "[*]" in shown["prompt"] and MARKS.fullmatch(marks)
        if running and "J" in marks and "R" in marks and len(marks) >= MIN_MARKS:
            return marks
        problems = notebook.problems()
        assert not problems, f"{NOTEBOOK} before the run:\n\n" + "\n\n".join(problems)
        time.sleep(0.05)
    pytest.fail(
        f"{NOTEBOOK}: within {timeout} s, the cell {RUN_CELL!r} did not run and show "
        f"{MIN_MARKS} marks with J and R; it shows {cell.evaluate(CELL_JS)}; "
        f"status bar: {notebook.status_bar()!r}"
    )


def assert_no_errors(notebook: NotebookPage, when: str) -> None:
    problems = notebook.problems()
    assert not problems, f"{NOTEBOOK} {when}:\n\n" + "\n\n".join(problems)
    text = notebook.page.evaluate(OUTPUTS_TEXT_JS)
    for word in ["Traceback", "KeyboardInterrupt"]:
        assert word not in text, f"{NOTEBOOK} {when}: an output reads {word!r}:\n{text[-1500:]}"
