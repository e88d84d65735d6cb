"""A progress bar for notebook cells that take more than a couple of seconds to run."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator


class Progress:
    """A bar and a label in the cell's output, moved on from the cell's own thread.

    Outside a notebook (a terminal, a test without a kernel) it shows nothing and costs nothing.
    """

    def __init__(self, total: int, description: str) -> None:
        self.total = total
        self.done = 0
        self.bar = self.label = None
        try:
            from IPython import get_ipython
        except ImportError:
            return
        if get_ipython() is None or not hasattr(get_ipython(), "kernel"):
            return
        import ipywidgets as widgets
        from IPython.display import display

        self.bar = widgets.IntProgress(
            value=0, min=0, max=max(1, total), description=description,
            style={"description_width": "initial"}, layout=widgets.Layout(width="420px"),
        )  # fmt: skip
        self.label = widgets.Label(f"0 of {total}")
        box = widgets.HBox([self.bar, self.label])
        box.add_class("lessons-cell-progress")  # the explorer's own is "lessons-progress"
        display(box)

    def step(self, note: str = "") -> None:
        """One more step done; `note` says which (shown beside the bar)."""
        self.done += 1
        if self.bar is not None:
            self.bar.value = self.done
            self.label.value = f"{self.done} of {self.total}" + (f": {note}" if note else "")

    def finish(self, ok: bool = True) -> None:
        if self.bar is not None:
            self.bar.bar_style = "success" if ok else "danger"
            if not ok:
                self.label.value = f"stopped after {self.done} of {self.total}"


@contextlib.contextmanager
def progress(total: int, description: str = "progress") -> Iterator[Progress]:
    """`with progress(len(steps), "sweep") as bar: ... bar.step()`: green when done, red if not."""
    bar = Progress(total, description)
    try:
        yield bar
    except BaseException:
        bar.finish(ok=False)
        raise
    bar.finish(ok=True)


def tracked(items: Iterable, description: str = "progress") -> Iterator:
    """Each item of a list, with a bar that moves on as the loop does: `for n in tracked(ns):`."""
    items = list(items)
    with progress(len(items), description) as bar:
        for item in items:
            yield item
            bar.step(str(item))
