"""Projector mode: larger figures while on, everything as before when off, harmless twice."""

import struct

import matplotlib
import pytest
from matplotlib.figure import Figure

from lessons.course import plotting
from lessons.course.projector import projector


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (the IHDR chunk, right after the signature)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def figure_size() -> tuple[int, int]:
    """The pixels of a figure as a chapter draws it, shown through figure_image."""
    figure = Figure(figsize=(4, 2), dpi=50)
    figure.add_subplot().plot([0, 1], [1, 0])
    return png_size(plotting.figure_image(figure).data)


@pytest.fixture
def off_afterwards():
    """Whatever a test does, the session is left with projector mode off."""
    font_size = matplotlib.rcParams["font.size"]
    yield
    projector(False)
    assert matplotlib.rcParams["font.size"] == font_size


def test_figures_are_larger_while_on_and_as_before_when_off(off_afterwards):
    normal = figure_size()
    assert normal == (200, 100)
    projector(scale=1.5)
    assert figure_size() == (300, 150)
    projector(False)
    assert figure_size() == normal


def test_fonts_grow_while_on_and_are_restored_when_off(off_afterwards):
    before = matplotlib.rcParams["font.size"]
    projector()
    assert matplotlib.rcParams["font.size"] > before
    projector(False)
    assert matplotlib.rcParams["font.size"] == before


def test_calling_twice_does_not_compound(off_afterwards):
    before = matplotlib.rcParams["font.size"]
    projector(scale=2)
    once = (figure_size(), matplotlib.rcParams["font.size"])
    projector(scale=2)
    assert (figure_size(), matplotlib.rcParams["font.size"]) == once == ((400, 200), once[1])
    projector(False)
    projector(False)  # off twice: still off, fonts still the learner's own
    assert figure_size() == (200, 100)
    assert matplotlib.rcParams["font.size"] == before


def test_a_new_scale_replaces_the_old_one(off_afterwards):
    projector(scale=2)
    projector(scale=1.5)
    assert figure_size() == (300, 150)


def test_the_note_says_on_and_how_to_turn_it_off(off_afterwards):
    html = projector().data
    assert "Projector mode is on" in html and "projector(False)" in html
    # CSS scoped to notebooks only, and a script that replaces earlier styles, not adds to them.
    assert ".jp-Notebook" in html and "<script>" in html
    assert "style[data-lessons-projector]" in html
    off = projector(False).data
    assert "Projector mode is off" in off and "<style" not in off


@pytest.mark.parametrize(
    "scale, error",
    [(0.5, ValueError), (10, ValueError), ("big", TypeError), (True, TypeError)],
)
def test_a_bad_scale_is_refused_with_a_clear_error(scale, error, off_afterwards):
    with pytest.raises(error, match="scale"):
        projector(scale=scale)
    assert figure_size() == (200, 100)  # nothing was changed
