"""Chapter 10 in JupyterLab: real clicks on the two apps, each click's wait measured in the page."""

import statistics
import time

import pytest

from .conftest import NOTEBOOKS, NOTEBOOKS_DIR
from .notebook_page import notebook_page

pytestmark = pytest.mark.timeout(600)

NOTEBOOK = "10_gui_thread.ipynb"
COUNTS = 5  # clicks on Count while a download runs
GAP = 0.2  # seconds between two clicks, as a quick hand would
DOWNLOAD_TIMEOUT = 60  # 160 pages take about 2 s
# The times, in the page, of each press on an app's buttons, of each change of its counter and
# of its bar: no polling interval or Playwright round trip in the measure.
WATCH_JS = """(root) => {
    const times = {count: [], download: [], texts: [], bar: []};
    for (const button of root.querySelectorAll('button')) {
        const which = button.textContent.includes('Count') ? times.count
            : button.textContent.includes('Download') ? times.download : null;
        if (which) button.addEventListener('mousedown', () => which.push(performance.now()),
                                           {capture: true});
    }
    const label = root.querySelector('.widget-label');
    times.start = parseInt(label.textContent) || 0;  // the clicks counted before these
    new MutationObserver(() => times.texts.push([performance.now(), label.textContent.trim()]))
        .observe(label, {childList: true, subtree: true, characterData: true});
    const bar = root.querySelector('.widget-hprogress .progress-bar');
    new MutationObserver(() => times.bar.push(performance.now()))
        .observe(bar, {attributes: true, subtree: true});
    root.lessonsTimes = times;
}"""


@pytest.fixture(scope="module")
def chapter(browser, lab_server):
    if not any(path.name == NOTEBOOK for path in NOTEBOOKS):
        pytest.fail(f"{NOTEBOOK} is not in {NOTEBOOKS_DIR}", pytrace=False)
    with notebook_page(browser, lab_server, NOTEBOOK) as notebook:
        notebook.open()
        notebook.run_all()
        problems = notebook.problems()
        assert not problems, f"{NOTEBOOK} after Run All:\n\n" + "\n\n".join(problems)
        yield notebook


def clicks(notebook, kind: str, counts: int, download: bool) -> dict:
    """Optionally Download, then Count `counts` times; the page's times once the bar settles."""
    app = notebook.page.locator(f".lessons-{kind}-app")
    assert app.count() == 1, f"{NOTEBOOK} should show one .lessons-{kind}-app"
    app.evaluate(WATCH_JS)
    if download:
        app.locator("button", has_text="Download").click()
        time.sleep(GAP)
    for _ in range(counts):
        app.locator("button", has_text="Count").click()
        time.sleep(GAP)
    # Settled: every click counted and the bar still for a second.
    deadline = time.monotonic() + DOWNLOAD_TIMEOUT
    while time.monotonic() < deadline:
        times = app.evaluate("e => e.lessonsTimes")
        last = max([t for t, _ in times["texts"]] + times["bar"], default=0)
        now = notebook.page.evaluate("performance.now()")
        if len(times["texts"]) >= counts and now - last > 1000:
            return times
        time.sleep(0.2)
    pytest.fail(f"{kind} app: the clicks did not all show within {DOWNLOAD_TIMEOUT} s: {times}")


CELL_WATCH_JS = """(cell) => {
    const output = cell.querySelector('.jp-Cell-outputArea');
    // JupyterLab clears the old output when the cell is sent: the new one comes after that.
    const times = window.lessonsCell = {pressed: null, cleared: false, shown: null};
    new MutationObserver(() => {
        const text = output.innerText.trim();
        if (text === '') times.cleared = true;
        else if (times.cleared && times.shown === null && text.includes('Download: thread'))
            times.shown = performance.now();
    }).observe(output, {childList: true, subtree: true, characterData: true});
}"""
CELL = "ch10.show_calls(blocking)"


def cell_during_download(notebook) -> tuple[float, dict]:
    """Download on the blocking app, then run a cell: seconds from Shift+Enter to its output."""
    app = notebook.page.locator(".lessons-blocking-app")
    app.evaluate(WATCH_JS)
    cell = notebook.code_cell(CELL)
    assert cell.count() == 1, f"{NOTEBOOK} should hold one code cell with {CELL!r}"
    cell.evaluate(CELL_WATCH_JS)
    app.locator("button", has_text="Download").click()
    time.sleep(GAP)
    cell.locator(".cm-content").click()
    notebook.page.evaluate("() => window.lessonsCell.pressed = performance.now()")
    notebook.page.keyboard.press("Shift+Enter")
    notebook.page.wait_for_function(
        "() => window.lessonsCell.shown !== null", timeout=DOWNLOAD_TIMEOUT * 1000
    )
    time.sleep(1)  # the bar's last change, if it came after the output
    shown = notebook.page.evaluate("() => window.lessonsCell")
    return (shown["shown"] - shown["pressed"]) / 1000, {**app.evaluate("e => e.lessonsTimes"),
                                                        "cell": shown["shown"]}  # fmt: skip


def waits(times: dict) -> list[float]:
    """Seconds from each press on Count to the counter showing that click (the n-th press: n)."""
    found = []
    for n, pressed in enumerate(times["count"], start=times["start"] + 1):
        shown = [t for t, text in times["texts"] if text.startswith(f"{n} clicks")]
        assert shown, f"the counter never read '{n} clicks': {times['texts']}"
        found.append((shown[0] - pressed) / 1000)
    return found


def describe(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{name}: {len(ms)} clicks, median {statistics.median(ms):.0f} ms, "
        f"min {min(ms):.0f} ms, max {max(ms):.0f} ms ({', '.join(f'{m:.0f}' for m in ms)})"
    )


def test_click_latency_of_both_apps(chapter):
    idle = clicks(chapter, "worker", 3, download=False)
    worker = clicks(chapter, "worker", COUNTS, download=True)
    blocking = clicks(chapter, "blocking", COUNTS, download=True)
    idle_waits = waits(idle)
    worker_waits, blocking_waits = waits(worker), waits(blocking)
    print(f"\n{NOTEBOOK}, seconds from a press on Count to its effect on the counter:")
    print("  " + describe("idle (no download)", idle_waits))
    print("  " + describe("worker app, while downloading", worker_waits))
    print("  " + describe("blocking app, while downloading", blocking_waits))

    # The worker app answered while its bar still moved: some click showed before the bar's end.
    worker_end = max(worker["bar"])
    worker_shown = [t for t, text in worker["texts"] if text.endswith("clicks")]
    assert min(worker_shown) < worker_end, (worker_shown, worker["bar"])
    assert len(worker["bar"]) > 2, f"the worker's bar moved {len(worker['bar'])} times"
    # The blocking app's bar jumps once, at the end of its callback; every click shows after it.
    blocking_full = max(blocking["bar"])
    blocking_pressed = min(blocking["count"])
    assert blocking_pressed < blocking_full, "the clicks came after the download: nothing measured"
    blocking_shown = [t for t, text in blocking["texts"] if text.endswith("clicks")]
    assert min(blocking_shown) >= blocking_full - 50, (blocking_shown, blocking["bar"])

    # A cell run while the blocking callback runs waits for it too: one thread runs both here.
    seconds, times = cell_during_download(chapter)
    print(f"  a cell run during the blocking download: its output {seconds * 1000:.0f} ms "
          "after Shift+Enter")  # fmt: skip
    assert times["cell"] >= max(times["bar"]) - 50, times
    problems = chapter.problems()
    assert not problems, f"{NOTEBOOK} after the clicks:\n\n" + "\n\n".join(problems)
