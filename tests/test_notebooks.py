"""Every notebook runs top to bottom and again in a fresh kernel, and is committed clean."""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import time
from collections.abc import Iterator
from queue import Empty

import nbformat
import pytest
from nbformat import NotebookNode
from notebook_runner import (
    CELL_SECONDS,
    NOTEBOOK_SECONDS,
    PNG,
    WIDGET_VIEW,
    Execution,
    Pass,
    execute_twice,
)
from prose import LONG_SENTENCE, REBUILT, sentences_of, words
from two_builds import require_kernel

from lessons.course import cpu_builds, interpreters_lab
from lessons.course.execute import POLL_SLICE, SlicedPollClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))  # a new notebook is tested the moment it exists
NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")
MENTIONED = re.compile(r"\b\d\d_[A-Za-z0-9_]+\.ipynb\b")
PROMISE = "Downloaded 160 in"
# The chapters that download no pages: the race and what is under the hood count in memory,
# chapter 12 computes.
COUNTING = {"04_race_conditions.ipynb", "05_under_the_hood.ipynb", "12_computing.ipynb"}
by_name = pytest.mark.parametrize("path", PATHS, ids=[path.name for path in PATHS])
# Kernel start-up and shutdown come on top of the notebook's own bound.
bounded = pytest.mark.timeout(NOTEBOOK_SECONDS + 120)


def executions(kernel: str, passes: int = 2):
    """A module's `execution` fixture: one execution per notebook on `kernel` (`passes` of
    Run All), shared by the tests below. tests/test_notebooks_free_threaded.py and the newer
    Pythons' files run them on other kernels, each file on its own so that pytest-xdist runs
    them side by side."""

    @pytest.fixture(scope="module", params=PATHS, ids=[path.name for path in PATHS])
    def execution(request: pytest.FixtureRequest) -> Execution:
        require_kernel(kernel)
        return execute_twice(request.param, kernel, passes)

    return execution


execution = executions("python3")


def outputs(run: Pass) -> Iterator[tuple[str, NotebookNode]]:
    """Each output of a pass with where it was: a cell's source, or an Output widget."""
    for cell in run.cells:
        for output in cell.outputs:
            yield _where(cell), output
    for model_id, widget_outputs in run.output_widgets.items():
        for output in widget_outputs:
            yield f"Output widget {model_id}", output


def _where(cell: NotebookNode) -> str:
    source = cell.source if len(cell.source) <= 400 else cell.source[:400] + " ..."
    return f"cell [{cell.execution_count}]:\n{source}"


def _brief(output: NotebookNode) -> str:
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}"
    text = output.get("text") or output.get("data", {}).get("text/plain", "")
    return text if len(text) <= 600 else text[:300] + "\n...\n" + text[-300:]


def _text(output: NotebookNode) -> str:
    return output.get("text", "") + output.get("data", {}).get("text/plain", "")


def errors(run: Pass) -> list[str]:
    return [
        f"{where}\n--> {_brief(output)}"
        for where, output in outputs(run)
        if output.output_type == "error"
        or (output.get("name") == "stderr" and "Traceback" in output.text)
    ]


def test_there_are_notebooks():
    assert PATHS, f"no notebooks found: {NOTEBOOKS}/*.ipynb matches nothing"


@bounded
def test_notebook_runs_without_errors(execution):
    problems = errors(execution.first)
    assert not problems, f"{execution.name} (Run All):\n\n" + "\n\n".join(problems)


@bounded
def test_notebook_shows_the_run_a_widget_and_a_figure(execution):
    first = execution.first
    # A cell's or widget's text as a whole: the promise may be split over stream writes.
    texts = [cell.outputs for cell in first.cells] + list(first.output_widgets.values())
    assert execution.path.name in COUNTING or any(
        PROMISE in "".join(_text(o) for o in each) for each in texts
    ), f"{execution.name}: no output says {PROMISE!r}"
    views = [o for _, o in outputs(first) if WIDGET_VIEW in o.get("data", {})]
    assert views, f"{execution.name}: no output is a widget ({WIDGET_VIEW})"
    figures = [o for _, o in outputs(first) if PNG in o.get("data", {})]
    assert figures, f"{execution.name}: no output, in a cell or an Output widget, is a {PNG}"


@bounded
def test_running_every_cell_again_is_clean(execution):
    second = execution.second
    problems = errors(second)
    assert not problems, f"{execution.name} (second run):\n\n" + "\n\n".join(problems)
    for cell in second.cells:
        data = [output.get("data", {}) for output in cell.outputs]
        figures, views = sum(PNG in d for d in data), sum(WIDGET_VIEW in d for d in data)
        assert figures <= 1 and views <= 1, (
            f"{execution.name}, second run: {figures} figures and {views} widget views "
            f"in {_where(cell)}\n(expected at most one of each: a rerun must not add a copy)"
        )
    for model_id, widget_outputs in second.output_widgets.items():
        figures = sum(PNG in output.get("data", {}) for output in widget_outputs)
        assert figures <= 1, (
            f"{execution.name}, second run: Output widget {model_id} holds {figures} "
            "figures; clear it (clear_output(wait=True)) before drawing again"
        )


@bounded
def test_running_every_cell_again_keeps_one_pair_of_demo_sites(execution):
    first, second = execution.first, execution.second
    for name, run in (("Run All", first), ("second run", second)):
        assert run.demo_threads == 0 and run.demo_pid, (
            f"{execution.name}, after the {name}: {run.demo_threads} demo-site threads in "
            f"the kernel (the sites serve from a process of their own); the probe printed:\n"
            f"{run.probe_output}"
        )
    assert (first.demo_urls, first.demo_pid) == (second.demo_urls, second.demo_pid), (
        f"{execution.name}: the demo sites moved when the cells ran again "
        f"({first.demo_urls} -> {second.demo_urls})"
    )


@by_name
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}, cell {index} has outputs or an execution count (clear them, "
                f"or install the pre-commit hook with nbstripout):\n{cell.source[:400]}"
            )


@by_name
def test_notebook_name_and_kernel(path):
    assert NAME.match(path.name), f"{path.name} does not match NN_snake_case.ipynb ({NAME.pattern})"
    kernelspec = nbformat.read(path, as_version=4).metadata.get("kernelspec", {})
    assert kernelspec.get("name") == "python3", (
        f"{path.name} has kernelspec {kernelspec!r}: without name 'python3' JupyterLab asks "
        "'Select Kernel' when it opens"
    )


def test_readme_chapters_match_the_notebooks():
    readme = (ROOT / "README.md").read_text()
    missing = [path.name for path in PATHS if path.name not in readme]
    assert not missing, f"README.md's chapter table does not name {missing}"
    mentioned = sorted(set(MENTIONED.findall(readme)))
    absent = [name for name in mentioned if not (NOTEBOOKS / name).exists()]
    assert not absent, f"README.md names notebooks that do not exist in notebooks/: {absent}"


class _MissedWakeup:
    """A shell channel that never notices a reply arriving during a wait (issue #312's stall)."""

    def __init__(self, reply: dict, arrives_after: float) -> None:
        self.reply, self.arrives = reply, time.monotonic() + arrives_after

    async def get_msg(self, timeout: float | None = None) -> dict:
        if time.monotonic() >= self.arrives:
            return self.reply
        await asyncio.sleep(timeout or 0)
        raise Empty


@pytest.mark.timeout(30)
def test_a_missed_reply_is_picked_up_within_a_poll_slice():
    cell = nbformat.v4.new_code_cell("pass")
    notebook = nbformat.v4.new_notebook(cells=[cell])
    client = SlicedPollClient(notebook, timeout=CELL_SECONDS, record_timing=False)

    class Kernel:
        shell_channel = _MissedWakeup({"parent_header": {"msg_id": "m"}}, arrives_after=0.3)

    async def poll() -> float:
        output_done, alive = asyncio.Future(), asyncio.Future()
        output_done.set_result(None)
        started = time.monotonic()
        await client._async_poll_for_reply("m", cell, 20, output_done, alive)
        return time.monotonic() - started

    client.kc = Kernel()  # only its shell channel is used here
    waited = asyncio.run(poll())
    # nbclient alone would sleep the whole 20 s here.
    assert waited < 0.3 + 2 * POLL_SLICE + 0.5, f"the reply was picked up after {waited:.1f} s"


def _printed(output: NotebookNode) -> str:
    """What the reader reads of an output: a stream's text, or text/plain when it is the only
    form (a widget's or a figure's text/plain is a repr that the reader never sees)."""
    data = output.get("data", {})
    return output.get("text", "") + (data["text/plain"] if set(data) == {"text/plain"} else "")


@bounded
def test_printed_sentences_are_short(execution):
    if execution.path.name[:2] not in REBUILT:
        pytest.skip(f"{execution.path.name} is not rebuilt yet (prose.REBUILT)")
    long = [
        f"{where}\n--> {words(sentence)} words: {sentence[:120]}"
        for where, output in outputs(execution.first)
        for sentence in sentences_of(_printed(output))
        if words(sentence) >= LONG_SENTENCE
    ]
    assert not long, (
        f"{execution.name}: printed sentences of {LONG_SENTENCE} words or more:\n\n"
        + "\n\n".join(long)
    )


@bounded
def test_chapters_11_and_12_run_the_interpreters_or_say_why_not(execution):
    """Python 3.14's InterpreterPoolExecutor: chapter 11's downloads and chapter 12's CPU table
    show its rows where a 3.14 or newer is found (under CI, the python3 kernel finds the 3.14 and
    3.15 kernels), else one line that says why not."""
    name = execution.path.name
    if not name.startswith(("11", "12")):
        pytest.skip("chapters 11 and 12 only")
    printed = "".join(_printed(output) for _, output in outputs(execution.first))
    if name.startswith("11"):
        rows, why_not = (
            "interpreters " in printed and "start-up" in printed,
            interpreters_lab.NO_NEWER,
        )
    else:
        rows, why_not = "interpreters, 2 workers" in printed, cpu_builds.NO_INTERPRETERS
    assert rows or why_not in printed, (
        f"{execution.name}: neither the interpreters' rows nor the line that says why not"
    )
    if os.environ.get("CI") == "true" and execution.kernel != "free-threaded":
        assert rows, f"{execution.name}: CI has Python 3.14 and 3.15 kernels, yet no rows"
