"""Run a notebook as a learner does: Run All in a fresh kernel, then every cell once more."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import math
import pathlib
import time

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_core.utils import ensure_async
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from lessons.course.execute import SlicedPollClient, learner_env, probe
from lessons.course.kernels import kernel_manager

CELL_SECONDS = 120  # no cell of the course may take longer
NOTEBOOK_SECONDS = 300  # both passes of one notebook together (a pass takes 20 to 30 s)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PNG = "image/png"

# Runs in the notebook's kernel after each pass; a function, so no name is left behind.
PROBE_MARK = "COURSE-PROBE "
PROBE = f"""\
def _course_probe():
    import json, threading
    import lessons
    demo_threads = sum(t.name.startswith("demo-site") for t in threading.enumerate())
    demo = lessons.start_demo_sites()
    state = {{"demo_threads": demo_threads, "urls": demo.urls, "pid": demo.pid}}
    print({PROBE_MARK!r} + json.dumps(state))
_course_probe()
del _course_probe
"""


@dataclasses.dataclass
class Pass:
    """What one pass over the notebook left: each code cell's outputs, and the kernel's state."""

    cells: list[NotebookNode]  # the code cells, in order, with their outputs
    output_widgets: dict[str, list[NotebookNode]]  # Output widget model id -> its outputs
    demo_threads: int | None  # threads named "demo-site ..." in the kernel after the pass
    demo_pid: int | None  # the process of the demo sites after the pass
    demo_urls: dict[str, str] | None  # lessons.start_demo_sites().urls after the pass
    probe_output: str  # what the probe printed, for failure messages


@dataclasses.dataclass
class Execution:
    path: pathlib.Path
    kernel: str
    first: Pass
    second: Pass | None  # None when the notebook ran once (execute_once)

    @property
    def name(self) -> str:
        return f"{self.path.name} on {self.kernel}"


class NotebookTimeout(RuntimeError):
    """A notebook took longer than its bounds allow."""


class TwicePassClient(SlicedPollClient):
    """Executes every code cell, then every code cell again, in the same kernel."""

    def __init__(self, nb: NotebookNode, path: pathlib.Path, kernel_name: str) -> None:
        super().__init__(
            nb,
            km=kernel_manager(AsyncKernelManager, kernel_name),  # Unix sockets: no port to lose
            kernel_name=kernel_name,
            timeout=CELL_SECONDS,
            timeout_func=self._cell_timeout,
            allow_errors=True,  # keep going, so the test can name every failing cell
            coalesce_streams=True,  # J/R marks as one text, as JupyterLab shows them
            record_timing=False,
            resources={"metadata": {"path": str(path.parent)}},
        )
        self.path = path
        self.deadline = math.inf

    def _cell_timeout(self, cell: NotebookNode) -> int:
        # The notebook's bound shortens the last cells' bounds; at least 1 s (0 would mean none).
        left = self.deadline - time.monotonic()
        return max(1, min(CELL_SECONDS, math.ceil(left)))

    async def run(self, passes: int = 2) -> list[Pass]:
        self.reset_execution_trackers()
        env = learner_env()  # a learner's LESSONS_SITES=real must not reach the tests
        # cleanup_kc: nbclient shuts down only a kernel whose manager it made itself; ours is
        # given (for its Unix sockets), and would otherwise live on, with its demo sites.
        async with self.async_setup_kernel(cwd=str(self.path.parent), env=env, cleanup_kc=True):
            assert self.kc is not None
            await self.async_wait_for_reply(await ensure_async(self.kc.kernel_info()))
            self.deadline = time.monotonic() + NOTEBOOK_SECONDS
            return [await self._run_pass(number) for number in range(1, passes + 1)]

    async def _run_pass(self, number: int) -> Pass:
        for index, cell in enumerate(self.nb.cells):
            try:
                await self.async_execute_cell(
                    cell, index, execution_count=self.code_cells_executed + 1
                )
            except CellTimeoutError as error:
                raise NotebookTimeout(
                    f"{self.path.name}, pass {number}, cell {index}: {error}\n(bounds: "
                    f"{CELL_SECONDS} s a cell, {NOTEBOOK_SECONDS} s for both passes)"
                ) from error
        cells = copy.deepcopy([cell for cell in self.nb.cells if cell.cell_type == "code"])
        output_widgets = {
            model_id: copy.deepcopy(state["outputs"])
            for model_id, state in self.widget_state.items()
            if state.get("_model_name") == "OutputModel" and "outputs" in state
        }
        state, printed = await probe(self, PROBE, PROBE_MARK)
        state = state or {}
        return Pass(
            cells=cells,
            output_widgets=output_widgets,
            demo_threads=state.get("demo_threads"),
            demo_pid=state.get("pid"),
            demo_urls=state.get("urls"),
            probe_output=printed or "(it printed nothing)",
        )


def execute_twice(path: pathlib.Path, kernel_name: str = "python3", passes: int = 2) -> Execution:
    """Run All on an in-memory copy of the notebook, then run every code cell again."""
    nb = nbformat.read(path, as_version=4)  # the file itself is never written
    client = TwicePassClient(nb, path, kernel_name)
    try:
        done = asyncio.run(client.run(passes))
    except DeadKernelError as error:
        raise RuntimeError(f"{path.name} on {kernel_name}: the kernel died: {error}") from error
    return Execution(path=path, kernel=kernel_name, first=done[0], second=(done + [None])[1])
