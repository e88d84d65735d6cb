"""One notebook driven through JupyterLab's own UI: open, Run All, wait, read what it shows."""

import contextlib
import json
import re
import time
import urllib.parse
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect

from .lab_server import LabServer

OPEN_TIMEOUT = 60  # a kernel is idle 3 to 4 s after the page loads
RUN_ALL_TIMEOUT = 180  # a lesson notebook downloads its pages in about 30 s
WIDGETS_TIMEOUT = 15  # a widget shows 0.3 to 1.9 s after Run All
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The toolbar's indicator reads idle before a kernel exists; the status bar names the kernel.
KERNEL_IDLE = re.compile(r"\(ipykernel\) \| Idle")
# By command id, not by title: a translated JupyterLab titles the button in its own language.
INTERRUPT_BUTTON = '.jp-NotebookPanel-toolbar [data-command="notebook:interrupt-kernel"]'

CELLS_JS = """() => Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell'), cell => ({
    prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
    empty: ((cell.querySelector('.cm-content') || {}).textContent || '').trim() === '',
}))"""

# Error outputs and stderr both render with the stderr mime type. A widget that cannot be shown
# puts "Error displaying widget..." in place of its output; prose that quotes the phrase (the
# notebooks tell learners what it means) is not an error. A dialog (kernel died) blocks the learner.
PROBLEMS_JS = """() => {
    const found = [];
    for (const e of document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]'))
        found.push('error or stderr output:\\n' + e.innerText);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const text = walker.currentNode.textContent.trim();
        if (text.startsWith('Error displaying widget')
                && walker.currentNode.parentElement.closest('.jp-OutputArea'))
            found.push('widget error: ' + text);
    }
    for (const e of document.querySelectorAll('.jp-Dialog'))
        found.push('dialog: ' + e.innerText);
    return found.map(text => text.slice(0, 3000));
}"""

# The outputs of the cells themselves, not those nested inside an Output widget.
OUTPUTS_JS = """(mime) => Array.from(document.querySelectorAll(
        '.jp-Notebook .jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output'),
    e => {
        const box = e.getBoundingClientRect();
        const views = Array.from(e.querySelectorAll('.jupyter-widgets'));
        return {
            mime: e.dataset.mimeType || null,
            widget: e.dataset.mimeType === mime || !!e.querySelector(':scope > .jupyter-widgets'),
            width: box.width, height: box.height, views: views.length,
            shown: views.filter(v => v.getBoundingClientRect().width > 0).length,
            text: e.innerText.slice(0, 300),
        };
    })"""


class NotebookPage:
    """A browser tab holding one notebook of the throwaway JupyterLab."""

    def __init__(self, page: Page, server: LabServer, name: str):
        self.page, self.server, self.name = page, server, name
        self.idle = KERNEL_IDLE  # the status bar of an idle kernel (change_kernel changes it)
        self.console_errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))

    def open(self) -> None:
        path = urllib.parse.quote(self.name)
        # `reset` starts from an empty workspace: no tab of an earlier test comes back.
        self.page.goto(f"{self.server.url}/lab/tree/{path}?token={self.server.token}&reset")
        expect(self.page.locator("#jp-main-statusbar")).to_contain_text(
            KERNEL_IDLE, timeout=OPEN_TIMEOUT * 1000
        )
        # The file browser's width goes to the notebook, for the screenshots.
        self.page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()

    def cells(self) -> list[dict]:
        return self.page.evaluate(CELLS_JS)

    def execution_counts(self) -> list[int | None]:
        """Per non-empty code cell: its count, -1 while queued or running, None if never run."""
        counts = []
        for cell in self.cells():
            if cell["empty"]:
                continue  # JupyterLab does not send an empty cell to the kernel
            number = re.search(r"\[(\d+|\*)\]", cell["prompt"])
            counts.append(None if not number else -1 if number[1] == "*" else int(number[1]))
        return counts

    def run_all(self, timeout: float = RUN_ALL_TIMEOUT) -> None:
        """Run > Run All Cells, then wait until every cell has a count newer than before."""
        self.finish_run_all(self.start_run_all(), timeout)

    def start_run_all(self) -> int:
        """Run > Run All Cells, without waiting; returns the highest execution count before it."""
        before = max((c for c in self.execution_counts() if c), default=0)
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        return before

    def finish_run_all(self, before: int, timeout: float = RUN_ALL_TIMEOUT) -> None:
        """Wait until every cell has a count newer than `before`, then for the widgets."""
        self.wait_until_run(after=before, timeout=timeout)
        # Widgets are drawn after their cell ran; give them a bounded moment, the tests judge.
        deadline = time.monotonic() + WIDGETS_TIMEOUT
        while self.loading() and time.monotonic() < deadline:
            time.sleep(0.25)

    def wait_until_run(self, after: int, timeout: float) -> None:
        deadline, settled = time.monotonic() + timeout, 0
        while time.monotonic() < deadline:
            counts = self.execution_counts()
            idle = self.idle.search(self.status_bar())
            settled = settled + 1 if idle and -1 not in counts else 0
            # Run All stops at a failing cell: an error then ends the wait early.
            if settled >= 2 and (all(c and c > after for c in counts) or self.problems()):
                return
            time.sleep(0.25)
        raise AssertionError(
            f"{self.name}: Run All did not finish within {timeout} s. "
            f"Status bar: {self.status_bar()!r}; execution counts (-1 running, None never run, "
            f"older than {after + 1} left from before): {self.execution_counts()}"
        )

    def change_kernel(self, display_name: str) -> None:
        """Kernel > Change Kernel..., choose `display_name` in the dialog, wait until it is idle."""
        self.page.get_by_role("menuitem", name="Kernel", exact=True).click()
        self.page.get_by_role("menuitem", name=re.compile(r"^Change Kernel")).click()
        dialog = self.page.locator(".jp-Dialog")
        dialog.locator("select").select_option(label=display_name)
        dialog.locator(".jp-Dialog-button.jp-mod-accept").click()  # "Select"
        self.idle = re.compile(re.escape(display_name) + r" \| Idle")
        expect(self.page.locator("#jp-main-statusbar")).to_contain_text(
            self.idle, timeout=OPEN_TIMEOUT * 1000
        )

    def code_cell(self, source: str) -> Locator:
        """The code cells whose code contains `source` (a test expects exactly one)."""
        return self.page.locator(".jp-Notebook .jp-CodeCell").filter(
            has=self.page.locator(".cm-content", has_text=source)
        )

    def interrupt_kernel(self) -> None:
        """Click the notebook toolbar's stop button (the square), "Interrupt the kernel"."""
        self.page.locator(INTERRUPT_BUTTON).click()

    def status_bar(self) -> str:
        return self.page.locator("#jp-main-statusbar").inner_text()

    def problems(self) -> list[str]:
        return self.page.evaluate(PROBLEMS_JS)

    def outputs(self) -> list[dict]:
        """Each cell output: its mime type, whether a widget is drawn in it, its size and text."""
        return self.page.evaluate(OUTPUTS_JS, WIDGET_VIEW)

    def loading(self) -> list[str]:
        """Outputs whose widget is not drawn yet (or never will be: see the console errors)."""
        return [o["text"] for o in self.outputs() if o["text"].startswith("Loading widget")]

    def saved_widget_views(self) -> int:
        """Save through the UI; count the widget views the kernel sent, as the file holds them."""
        self.page.keyboard.press("Control+s")
        expect(self.page.locator(".lm-TabBar-tab.jp-mod-dirty")).to_have_count(0, timeout=30_000)
        notebook = json.loads((self.server.root_dir / self.name).read_text())
        return sum(
            WIDGET_VIEW in output.get("data", {})
            for cell in notebook["cells"]
            for output in cell.get("outputs", [])
        )

    def screenshot(self, path: Path) -> None:
        """The whole notebook: the viewport grows to the notebook's height, then shrinks back."""
        viewport = self.page.viewport_size
        height = self.page.evaluate(
            """() => {
                const scroller = document.querySelector(
                    '.jp-NotebookPanel .jp-WindowedPanel-outer');
                if (!scroller) return 0;
                scroller.scrollTop = 0;  // Run All leaves it at the last cell
                return scroller.scrollHeight + innerHeight - scroller.clientHeight;
            }"""
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.set_viewport_size(
            {"width": viewport["width"], "height": min(max(height, viewport["height"]), 12_000)}
        )
        try:
            self.page.wait_for_timeout(300)  # let the layout settle at the new size
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            self.page.set_viewport_size(viewport)

    def close(self) -> None:
        """Close the tab, then end its kernel so kernels do not pile up across tests."""
        try:
            self.page.context.close()
        finally:
            self.server.shut_down_sessions(self.name)


@contextlib.contextmanager
def notebook_page(browser: Browser, server: LabServer, name: str):
    """A fresh browser context with a NotebookPage for `name`, not opened yet; closed at the end."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = NotebookPage(context.new_page(), server, name)
    try:
        yield page
    finally:
        page.close()
