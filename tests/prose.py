"""Prose figures of a chapter, and the ceilings a rebuilt chapter is held to.

This mirrors ../shared/tools/prose_metrics.py, the house tool, which lives outside the repository
(CI clones only the repository): paragraphs, sentences, words and colons are counted the same way.
Markdown cells only; fenced code is left out; inline `code` is one word; headings are not
paragraphs; each bullet is a paragraph of its own; HTML tags are not words. Standard library only.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

LONG_SENTENCE = 40  # words: a sentence this long or longer is a long sentence
CEILINGS = {  # the most a rebuilt chapter may have of each figure
    "mean_sentence": 15,  # words a sentence, on average
    "long_sentences": 0,  # sentences of LONG_SENTENCE words or more
    "longest_paragraph": 70,  # words
    "colons_per_sentence": 0.10,
    "words": 1200,  # words of prose in the chapter
}
# The chapters (NN of notebooks/NN_name.ipynb) held to CEILINGS. Every chapter is rebuilt;
# a new one joins the set once it meets them.
REBUILT = {"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}


def paragraphs(markdown: str) -> list[str]:
    """A Markdown cell's paragraphs: each bullet is one, headings and fenced code are none."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    found: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in block.splitlines():
            if re.match(r"\s*#", line):  # a heading ends a paragraph and is not one
                if current:
                    found.append(" ".join(current))
                    current = []
                continue
            if re.match(r"\s*([-*]|\d+\.) ", line):  # a bullet starts a paragraph
                if current:
                    found.append(" ".join(current))
                current = [re.sub(r"^\s*([-*]|\d+\.) ", "", line)]
            else:
                current.append(line.strip())
        if current:
            found.append(" ".join(current))
    return [p for p in found if p.strip()]


def sentences(paragraph: str) -> list[str]:
    """A paragraph's sentences: "e.g." and "3.5" end none; a link counts as its text."""
    text = re.sub(r"`[^`]*`", "CODE", paragraph)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\b(e\.g|i\.e|etc|vs|cf)\.", r"\1", text)
    text = re.sub(r"(\d)\.(\d)", r"\1\2", text)
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def words(text: str) -> int:
    return len(re.sub(r"`[^`]*`", "CODE", text).split())


def sentences_of(printed: str) -> list[str]:
    """The sentences of printed (not Markdown) text. A line end ends a sentence too: output is
    lines (one message a print, tables, logs), not paragraphs wrapped over lines."""
    return [s for line in printed.splitlines() for s in sentences(line)]


def measure(path: Path) -> dict:
    """The house tool's figures for a notebook, and under "offenders" for each figure of CEILINGS
    the (words, text) that weigh on it, worst first. A sentence is quoted as counted: inline
    code reads CODE."""
    cells = json.loads(Path(path).read_text())["cells"]
    paras = [
        p for c in cells if c["cell_type"] == "markdown" for p in paragraphs("".join(c["source"]))
    ]
    sents = [s for p in paras for s in sentences(p)]
    lengths = [words(s) for s in sents] or [0]
    by_length = sorted(((words(s), s) for s in sents), reverse=True)
    paras_by_length = sorted(((words(p), p) for p in paras), reverse=True)
    return {
        "notebook": Path(path).name,
        "words": sum(words(p) for p in paras),
        "paragraphs": len(paras),
        "longest_paragraph": max((words(p) for p in paras), default=0),
        "mean_sentence": round(statistics.fmean(lengths), 1),
        "long_sentences": sum(1 for n in lengths if n >= LONG_SENTENCE),
        "colons_per_sentence": round(sum(s.count(":") for s in sents) / max(len(sents), 1), 2),
        "code_cells": sum(1 for c in cells if c["cell_type"] == "code"),
        "offenders": {
            "mean_sentence": by_length[:5],
            "long_sentences": [(n, s) for n, s in by_length if n >= LONG_SENTENCE],
            "longest_paragraph": [
                (n, p) for n, p in paras_by_length if n > CEILINGS["longest_paragraph"]
            ],
            "colons_per_sentence": [(n, s) for n, s in by_length if ":" in s],
            "words": paras_by_length[:5],
        },
    }
