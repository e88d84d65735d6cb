"""A learner edits chapter 02's download_all_sites into a plain loop: the timed run, the timeline
and the explorer (one already on screen, too) all show the edited program, in a real kernel."""

import json
import pathlib

import pytest
from kernel_helpers import Kernel

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "02_threaded.ipynb"
PLAIN_LOOP = (
    "def download_all_sites(sites, max_workers=5):\n"
    "    return [download_site(url) for url in sites]\n"
)
POOL = (
    "def download_all_sites(sites, max_workers=5):\n"
    "    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:\n"
    "        return list(executor.map(download_site, sites))\n"
)


def cells() -> list[str]:
    """Chapter 02's code cells up to its explorer, as a learner runs them."""
    sources = ["".join(c["source"]) for c in json.loads(CHAPTER.read_text())["cells"]]
    code = [
        s
        for s, c in zip(sources, json.loads(CHAPTER.read_text())["cells"], strict=True)
        if c["cell_type"] == "code"
    ]
    end = next(i for i, source in enumerate(code) if "lessons.explorer(" in source)
    return code[: end + 1]


def edited(sources: list[str], replacement: str) -> list[str]:
    """The cells with the one that defines download_all_sites replaced by `replacement`."""
    found = [i for i, s in enumerate(sources) if s.startswith("def download_all_sites")]
    assert len(found) == 1, "chapter 02 has no single cell that defines download_all_sites"
    return [replacement if i == found[0] else s for i, s in enumerate(sources)]


@pytest.fixture(scope="module")
def kernel():
    shared = Kernel()
    try:
        yield shared
    finally:
        shared.shutdown()


@pytest.mark.timeout(240)
def test_an_edited_cell_reaches_the_run_the_timeline_and_the_explorer(kernel):
    ran = [kernel.ok(source, timeout=90) for source in edited(cells(), PLAIN_LOOP)]
    timed = next(r for r, s in zip(ran, cells(), strict=True) if "threads_run = " in s)
    assert "Downloaded 160 in" in timed.stdout, timed.describe()
    # The timed run and what the timeline draws: one lane, the cell's own thread.
    assert kernel.value("threads_run.threads") == ["MainThread"]
    assert kernel.value("threads_run.mode") == "threads"  # it still takes max_workers
    lane = (
        "from matplotlib.figure import Figure\n"
        "from lessons.course.plotting import draw_timeline\n"
        "_ax = Figure().subplots()\n"
        "draw_timeline(_ax, threads_run)\n"
    )
    kernel.ok(lane)
    assert kernel.value("_ax.get_ylabel()") == "1 thread"
    # The explorer on screen runs the cell's function, and then its next edit.
    explorer = "_e = lessons.explorer(download_all_sites); _e.run(); _e.wait(60)"
    kernel.ok(explorer, timeout=90)
    assert kernel.value("_e.last.threads") == ["explorer-run"]
    assert kernel.value("_e.last.done") == 160
    kernel.ok(POOL)  # the learner edits the cell back into the pool and runs it
    kernel.ok("_e.run(); _e.wait(60)", timeout=90)
    assert kernel.value("len(_e.last.threads)") == 5
    assert kernel.value("_e.status.value").startswith("Downloaded 160 in")
