"""Self-checks for the notebooks' exercises: each answers "correct" or "not yet, because ..."."""

from __future__ import annotations

from .runs import run
from .sites import demo_latency, latency_floor

TOLERANCE = 0.15  # an estimate within 15% of the measured time is correct


class Verdict(str):
    """The answer of a self-check: shown as its text; `.correct` tells whether it is right."""

    @property
    def correct(self) -> bool:
        return self.startswith("Correct")

    def __repr__(self) -> str:
        return str(self)


def _not_a_number(answer) -> str | None:
    if answer is None:
        return "Not yet, because there is no answer: replace None with a number of seconds."
    if isinstance(answer, bool) or not isinstance(answer, (int, float)) or answer <= 0:
        return f"Not yet, because {answer!r} is not a number of seconds above 0."
    return None


def _incomplete(result) -> str | None:
    """A run that did not download every page cannot check a time."""
    if result.done == result.pages:
        return None
    return f"Not yet, because the run was incomplete ({' '.join(result.summary())}): run it again."


def _verdict(answer: float, right: float, hint: str, what: str = "it took") -> str:
    if abs(answer - right) <= TOLERANCE * right:
        return f"Correct: you said {answer:.2f} s, and {what} {right:.2f} s."
    direction = "more" if answer < right else "less"
    return f"Not yet, because {what} {right:.2f} s, {direction} than your {answer:.2f} s. {hint}"


def check_sync_estimate(answer) -> Verdict:
    """Exercise of 01: how long does the synchronous program take for 40 pages (copies=20)?"""
    message = _not_a_number(answer)
    if message is None:
        result = run("sync", sites="demo", copies=20, quiet=True, show=False)
        hint = "Hint: one page after another, so the waits add up: 20 J pages and 20 R pages."
        message = _incomplete(result) or _verdict(answer, result.elapsed, hint)
    return Verdict(message)


def check_floor(answer, max_workers: int = 8) -> Verdict:
    """Exercise of 02: the least time 160 pages can take with `max_workers` workers."""
    message = _not_a_number(answer)
    if message is None:
        latency = demo_latency()
        result = run("threads", max_workers, sites="demo", quiet=True, show=False)
        floor = latency_floor(result.pages, max_workers, latency)
        hint = (
            f"Hint: {max_workers} workers each take one page after another, "
            f"about {latency * 1000:.0f} ms a page."
        )
        message = _verdict(answer, floor, hint, "the floor is")
        message += f" (The real run just now: {result.elapsed:.2f} s.)"
    return Verdict(message)
