"""Rebuilt chapters stay under the prose ceilings, counted as the house tool counts them."""

from __future__ import annotations

import json
import pathlib

import pytest
from prose import (
    CEILINGS,
    LONG_SENTENCE,
    REBUILT,
    measure,
    paragraphs,
    sentences,
    sentences_of,
    words,
)

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
CHAPTERS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
HELD = [path for path in CHAPTERS if path.name[:2] in REBUILT]
WHAT = {
    "mean_sentence": "words a sentence on average; the longest sentences",
    "long_sentences": f"sentences of {LONG_SENTENCE} words or more",
    "longest_paragraph": "words in a paragraph; the paragraphs over it",
    "colons_per_sentence": "colons a sentence; the sentences with a colon",
    "words": "words of prose; the longest paragraphs",
}
QUOTED = 5  # offenders quoted a figure


def _quote(text: str) -> str:
    return repr(text if len(text) <= 120 else text[:120] + "...")


def breaches(figures: dict) -> list[str]:
    """Each figure over its ceiling, with the ceiling and the worst offenders quoted."""
    found = []
    for name, ceiling in CEILINGS.items():
        if figures[name] > ceiling:
            offenders = figures["offenders"][name]
            quoted = [f"    {n} words: {_quote(text)}" for n, text in offenders[:QUOTED]]
            more = len(offenders) - QUOTED
            found.append(
                f"  {name} is {figures[name]}, ceiling {ceiling} ({WHAT[name]}):\n"
                + "\n".join(quoted + ([f"    ... and {more} more"] if more > 0 else []))
            )
    return found


def test_every_rebuilt_chapter_is_a_notebook():
    numbers = sorted(path.name[:2] for path in HELD)
    assert numbers == sorted(REBUILT), (
        f"prose.REBUILT is {sorted(REBUILT)} but notebooks/ holds chapters {numbers} of them"
    )


@pytest.mark.parametrize("path", HELD, ids=[path.name for path in HELD])
def test_rebuilt_chapter_is_under_the_prose_ceilings(path):
    over = breaches(measure(path))
    if over:
        message = f"{path.name} is over {len(over)} prose ceiling(s):\n" + "\n".join(over)
        pytest.fail(message, pytrace=False)


def test_a_bullet_is_a_paragraph_of_its_own():
    text = "Three ways:\n- one thread\n- two threads\n* a pool\n1. first\n2. second"
    assert paragraphs(text) == [
        "Three ways:",
        "one thread",
        "two threads",
        "a pool",
        "first",
        "second",
    ]


def test_lines_of_a_paragraph_join_and_a_blank_line_ends_it():
    assert paragraphs("One line\nand the next.\n\nA second.") == [
        "One line and the next.",
        "A second.",
    ]


def test_fenced_code_is_not_prose():
    text = "Before it.\n\n```python\nfor site in sites:\n    print(site)\n```\n\nAfter it."
    assert paragraphs(text) == ["Before it.", "After it."]


def test_inline_code_is_one_word():
    assert words("Call `executor.map(download, sites)` here") == 3
    assert sentences("Call `a. b` now. Then stop.") == ["Call CODE now.", "Then stop."]


def test_headings_are_not_paragraphs():
    text = "# The pattern\nIt has three parts.\n## Parts\nA queue."
    assert paragraphs(text) == ["It has three parts.", "A queue."]


def test_abbreviations_and_decimals_do_not_end_a_sentence():
    assert len(sentences("Use a lock, e.g. a Lock, i.e. one owner. Then stop.")) == 2
    assert sentences("It took 3.5 s. Then more.") == ["It took 35 s.", "Then more."]


def test_html_tags_are_not_words():
    (text,) = paragraphs("<details><summary>Why so</summary>Because.</details>")
    assert words(text) == 3


def test_a_link_is_its_text():
    assert sentences("See [the docs](https://docs.python.org/3/). Done.") == [
        "See the docs.",
        "Done.",
    ]


def test_measure_on_a_small_notebook(tmp_path):
    long = " ".join(["word"] * LONG_SENTENCE) + "."
    cells = [
        {"cell_type": "markdown", "source": ["# Title\n", "One: two. Three four five.\n"]},
        {"cell_type": "code", "source": ["print('not prose at all')\n"], "outputs": []},
        {"cell_type": "markdown", "source": "- A bullet.\n- " + long},
    ]
    path = tmp_path / "01_small.ipynb"
    path.write_text(json.dumps({"cells": cells}))
    figures = measure(path)
    assert figures["paragraphs"] == 3
    assert figures["words"] == 5 + 2 + LONG_SENTENCE
    assert figures["longest_paragraph"] == LONG_SENTENCE
    assert figures["mean_sentence"] == round((2 + 3 + 2 + LONG_SENTENCE) / 4, 1)
    assert figures["long_sentences"] == 1
    assert figures["colons_per_sentence"] == 0.25
    assert figures["code_cells"] == 1
    assert figures["offenders"]["long_sentences"] == [(LONG_SENTENCE, long)]
    assert figures["offenders"]["colons_per_sentence"] == [(2, "One: two.")]
    over = breaches(figures)
    assert [line.split()[0] for line in over] == ["long_sentences", "colons_per_sentence"]


def test_printed_text_ends_a_sentence_at_a_line_end():
    printed = "160 pages in 2.01 s.\nJ: 80 pages, 12 ms each. R: 80 pages\nJRJRRJJRJRJR J R\n"
    found = sentences_of(printed)
    assert found == [
        "160 pages in 201 s.",
        "J: 80 pages, 12 ms each.",
        "R: 80 pages",
        "JRJRRJJRJRJR J R",
    ]
    assert [words(s) for s in found] == [5, 6, 3, 3]


def test_the_counter_measures_every_chapter_as_it_stands():
    """Today's chapters, whatever their prose: the figures hang together. (The port was checked
    by hand to give the house tool's figures on every chapter; the tool is not in CI.)"""
    assert CHAPTERS
    for path in CHAPTERS:
        figures = measure(path)
        offenders = figures["offenders"]
        assert figures["paragraphs"] > 0 and figures["words"] >= figures["longest_paragraph"] > 0
        assert figures["long_sentences"] == len(offenders["long_sentences"]), path.name
        assert 0 < figures["mean_sentence"] <= max(n for n, _ in offenders["mean_sentence"])
        longest = offenders["words"][0][0]
        assert longest == figures["longest_paragraph"], path.name
