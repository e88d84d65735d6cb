"""The progress bar: counts its steps, shows nothing outside a notebook, says when it stopped."""

import pytest

from lessons.course.progress import Progress, progress, tracked


def test_tracked_yields_every_item_and_counts_them():
    assert list(tracked([1, 5, 20], "sweep")) == [1, 5, 20]


def test_outside_a_kernel_nothing_is_shown():
    bar = Progress(3, "runs")
    bar.step("one")
    assert bar.bar is None and bar.done == 1


def test_an_exception_passes_through_and_is_not_swallowed():
    with pytest.raises(KeyboardInterrupt), progress(2, "runs") as bar:
        bar.step()
        raise KeyboardInterrupt
    assert bar.done == 1
