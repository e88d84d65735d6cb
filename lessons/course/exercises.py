"""What every chapter's self-checks share: the verdict, and a run of the learner's own code."""

from __future__ import annotations

import types

from .downloads import Run
from .program import as_program
from .runs import run
from .sites import demo_pages, origin, start_demo_sites


class Verdict(str):
    """The answer of a self-check: shown as its text; `.correct` tells whether it is right."""

    @property
    def correct(self) -> bool:
        return self.startswith("Correct")

    def __repr__(self) -> str:
        return str(self)


def not_yet(because: str, hint: str = "") -> Verdict:
    """ "Not yet, because ...", and a hint on the next line of thought."""
    return Verdict(f"Not yet, because {because}." + (f" Hint: {hint}" if hint else ""))


def attempt(
    function, site: str = "download_site", copies: int = 3, max_workers: int | None = None
) -> Run | Verdict:
    """Run the learner's function over the demo pages, quietly and recorded (its `site`
    function is the one whose pages are recorded). A Verdict instead when the run cannot be
    judged: no function yet, or it raised, hung, or fetched no page the course could see."""
    if not isinstance(function, types.FunctionType):
        return not_yet(f"{function!r} is not a function yet", "run the cell that defines it.")
    program = as_program(function, site)
    if not callable(program.download_site):
        return not_yet(f"there is no {site} to call", f"run the cell that defines {site} first.")
    served = requests_served()
    result = run(
        program, max_workers, sites="demo", copies=copies, quiet=True, show=False, caution=False
    )
    served = requests_served() - served
    if result.abandoned:
        return not_yet(
            f"no page began or ended for {result.abandoned:.0f} s, so the check gave up",
            "does anything wait for ever, such as a thread that never ends?",
        )
    if result.notes:
        return not_yet(result.notes[0].rstrip("."))
    if served and not result.downloads and not result.unfinished:
        return not_yet(
            f"the demo sites served {served} pages, but none through the {site} the check sees",
            f"call {site} from code inside {function.__name__}, as the cell's template does.",
        )
    return result


def connections() -> int:
    """Connections the demo sites have accepted so far, both sites together."""
    return sum(site["connections"] for site in start_demo_sites().counts().values())


def requests_served() -> int:
    """Requests the demo sites have answered so far, both sites together."""
    return sum(site["requests"] for site in start_demo_sites().counts().values())


def expected_sizes(result: Run, copies: int) -> list[int]:
    """The size of each page of the lesson's list, in its order, as this run received them."""
    by_site = {origin(d.url): d.bytes for d in result.downloads if d.ok}
    return [by_site.get(origin(url)) for url in demo_pages(copies=copies)]


def sizes(returned) -> list | None:
    """The sizes in what a function returned: numbers as they are, pages by their length."""
    if not isinstance(returned, (list, tuple)):
        return None
    return [len(item) if isinstance(item, (str, bytes)) else item for item in returned]


def described(value) -> str:
    """A returned value in a few words: its type, and its length if it has one."""
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} item{'s' * (len(value) != 1)}"
    return repr(value) if value is None else f"a {type(value).__name__}"
