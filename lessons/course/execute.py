"""Notebooks run as Run All runs them, by nbclient: for the site's pages and for the tests."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from queue import Empty
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbformat import NotebookNode

POLL_SLICE = 0.2  # seconds: the longest single wait for a kernel reply (see SlicedPollClient)


class SlicedPollClient(NotebookClient):
    """nbclient, except that it waits for each execute reply in short slices.

    nbclient waits for a cell's reply with one long `shell_channel.get_msg(timeout=...)`. With
    widgets that wait sometimes misses a reply that has already arrived and sleeps the whole
    timeout (nbclient issue #312; FIELD-NOTES: 3 stalls in 20 runs). Asking again every 0.2 s
    catches the reply; the cell's real deadline and every other behaviour stay nbclient's.
    """

    async def _async_poll_for_reply(self, msg_id: str, cell: NotebookNode, *args: Any) -> dict:
        assert self.kc is not None
        channel = self.kc.shell_channel
        channel.get_msg = _sliced(channel.get_msg)
        try:
            return await super()._async_poll_for_reply(msg_id, cell, *args)
        finally:
            del channel.get_msg  # back to the class's own method


def _sliced(get_msg: Callable[..., Any]) -> Callable[..., Any]:
    """get_msg(timeout=T) made of waits of at most POLL_SLICE, still raising Empty after T."""

    async def sliced_get_msg(timeout: float | None = None) -> dict:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await ensure_async(get_msg(timeout=min(POLL_SLICE, left)))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return sliced_get_msg


def learner_env() -> dict[str, str]:
    """This process's environment for a kernel, less a learner's LESSONS_SITES=real: a course
    run by a machine (the tests, the site) uses the demo sites, never the internet."""
    return {k: v for k, v in os.environ.items() if k != "LESSONS_SITES"}


async def probe(client: NotebookClient, code: str, mark: str) -> tuple[dict | None, str]:
    """Run `code` in the client's kernel, outside the notebook, and read back the JSON it
    printed after `mark`: (that JSON or None, all it printed)."""
    cell = nbformat.v4.new_code_cell(code)
    # nbclient stores an executed cell back at its index, so the probe needs a place in the
    # (in-memory) notebook while it runs.
    client.nb.cells.append(cell)
    try:
        await client.async_execute_cell(cell, len(client.nb.cells) - 1, store_history=False)
    finally:
        client.nb.cells.pop()
    printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    found = [line for line in printed.splitlines() if line.startswith(mark)]
    return (json.loads(found[-1].removeprefix(mark)) if found else None), printed
