"""An answer written as a learner may write it, for tests/test_exercises.py and the chapters'
tests/cases_chNN.py."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    chapter: str
    check: str
    source: str  # the learner's cell, without its check line
    said: tuple[str, ...] = ()  # what a "Not yet" must say
    misjudged: str = ""  # why the check calls this wrong answer Correct today (a strict xfail)

    def __str__(self) -> str:
        return f"{self.chapter}-{self.check.removeprefix('check_')}-{self.name}"
