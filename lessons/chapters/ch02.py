"""Chapter 02's own: the order of the marks, and the self-checks (a Session per page, the
synchronous program made threaded)."""

from __future__ import annotations

from ..course.downloads import Run
from ..course.exercises import (
    Verdict,
    attempt,
    connections,
    described,
    expected_sizes,
    not_yet,
    sizes,
)
from ..course.runs import run

COPIES = 10  # the checks download 10 copies of each site: 20 pages


def check_session_per_page(download_all_alone) -> Verdict:
    """Exercise 1: every page with a Session of its own; the demo sites count the connections."""
    before = connections()
    result = attempt(download_all_alone, site="download_page_alone", copies=COPIES)
    if isinstance(result, Verdict):
        return result
    opened = connections() - before
    if result.done < result.pages:
        return not_yet(f"only {result.done} of {result.pages} pages arrived", "run it again.")
    if len(result.threads) < 2:
        return not_yet("one thread fetched every page", "keep the ThreadPoolExecutor as it is.")
    if opened < result.pages:
        return not_yet(
            f"{result.pages} pages opened only {opened} connections, so pages still share Sessions",
            "make a new requests.Session inside download_page_alone, in a with block.",
        )
    before = connections()
    run("threads", 5, sites="demo", copies=COPIES, quiet=True, show=False, caution=False)
    per_thread = connections() - before
    return Verdict(
        f"Correct: {result.pages} pages opened {opened} connections. "
        f"A Session per thread opened {per_thread} for the same pages."
    )


def check_threaded_from_sync(download_all_sync) -> Verdict:
    """Exercise 2: the synchronous program made threaded, a Session per thread, input order."""
    before = connections()
    result = attempt(download_all_sync, site="download_site_sync", copies=COPIES)
    if isinstance(result, Verdict):
        return result
    opened, threads = connections() - before, len(result.threads)
    if threads < 2:
        return not_yet(
            "every page was fetched in one thread",
            "a ThreadPoolExecutor(max_workers=5) and its map run the pages in 5 threads.",
        )
    if threads > 5:
        return not_yet(f"{threads} threads fetched pages, more than 5", "use max_workers=5.")
    got, right = sizes(result.returned), expected_sizes(result, COPIES)
    if got != right:
        what = described(result.returned)
        return not_yet(
            f"it returned {what}, not the {len(right)} sizes in the order of sites",
            "return list(executor.map(...)): map keeps the order of sites.",
        )
    if opened >= result.pages:
        return not_yet(
            f"{result.pages} pages opened {opened} connections, a Session for every page",
            "keep one Session per thread, with threading.local() as get_session does.",
        )
    return Verdict(
        f"Correct: {threads} threads, {opened} connections for {result.pages} pages, and the "
        "sizes in the order of sites."
    )


def order(run: Run) -> None:
    """How far the marks are from the regular J R J R ... of the synchronous program."""
    letters = "".join(d.letter for d in run.downloads)
    repeats = sum(a == b for a, b in zip(letters, letters[1:], strict=False))
    print(letters)
    print(
        f"{repeats} of {len(letters) - 1} neighbours are the same letter "
        f"(the synchronous program: 0, always J R J R ...)."
    )
