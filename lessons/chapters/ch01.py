"""Chapter 01's own: where a run's time went, and the self-checks of threads started by hand."""

from __future__ import annotations

import statistics

from ..course.downloads import Run
from ..course.exercises import Verdict, attempt, described, expected_sizes, not_yet, sizes

COPIES = 3  # the checks download 3 copies of each site: 6 pages


def overlapped(result: Run) -> bool:
    """Whether any page began before another had arrived: threads that waited at once."""
    ended = 0.0
    for download in sorted(result.downloads, key=lambda d: d.start):
        if download.start < ended:
            return True
        ended = max(ended, download.end)
    return False


def one_after_another() -> Verdict:
    return not_yet(
        "the threads ran one after another, each joined before the next began",
        "start every thread first, then join them all.",
    )


def check_one_thread_per_page(download_in_threads) -> Verdict:
    """Exercise 1: every page in a thread of its own, all joined before the function returns."""
    result = attempt(download_in_threads, copies=COPIES)
    if isinstance(result, Verdict):
        return result
    threads, pages = result.threads, result.pages
    if result.done and threads == ["MainThread"]:
        return not_yet(
            "every page was fetched in MainThread, one after another",
            "thread.start() runs the target in the new thread. Calling it yourself runs it here.",
        )
    if result.done < pages:
        if result.unfinished:
            return not_yet(
                f"only {result.done} of {pages} pages had arrived when your function returned",
                "call join() on every thread before the function ends.",
            )
        return not_yet(f"only {result.done} of {pages} pages arrived", "start a thread per url.")
    if len(threads) < pages:
        return not_yet(f"{pages} pages shared {len(threads)} threads", "one thread per page.")
    if not overlapped(result):
        return one_after_another()
    alone = statistics.mean(d.end - d.start for d in result.downloads)
    return Verdict(
        f"Correct: {pages} pages in {len(threads)} threads took {result.elapsed:.2f} s. "
        f"One page alone takes about {alone:.2f} s."
    )


def check_sizes_in_order(download_sizes) -> Verdict:
    """Exercise 2: threads put each page's size in its own place of one list."""
    result = attempt(download_sizes, copies=COPIES)
    if isinstance(result, Verdict):
        return result
    got, right = sizes(result.returned), expected_sizes(result, COPIES)
    if got is None or len(got) != len(right):
        return not_yet(
            f"it returned {described(result.returned)}, not a list of {len(right)} sizes",
            "return sizes, the list with a place for each page.",
        )
    if None in got:
        return not_yet(
            f"place {got.index(None)} of the list is still None",
            "each thread writes its page's size into sizes[index], and you join every thread.",
        )
    if len(result.threads) < 2:
        return not_yet("one thread fetched every page", "start a thread for each page.")
    if not overlapped(result):
        return one_after_another()
    if got != right:
        if sorted(got) == sorted(right):
            return not_yet(
                "the sizes are all there, but not in the order of sites",
                "write each size into its own place, sizes[index], rather than append it.",
            )
        return not_yet("some numbers are not the pages' sizes", "store what download_site returns.")
    return Verdict(
        f"Correct: {len(got)} sizes in the order of sites, from {len(result.threads)} threads."
    )


def waiting(run: Run) -> None:
    """How much of a run was waiting for the network, and how long each site took to answer."""
    busy = sum(d.end - d.start for d in run.downloads)
    print(f"{len(run.downloads)} pages in {run.elapsed:.2f} s.")
    for letter in sorted({d.letter for d in run.downloads}):
        times = [d.end - d.start for d in run.downloads if d.letter == letter]
        print(
            f"  {letter}: {len(times)} pages, {statistics.mean(times) * 1000:.0f} ms each "
            f"on average, {sum(times):.2f} s in all"
        )
    threads = len(run.threads)
    print(
        f"Time spent waiting for answers, added over {threads} thread{'s' * (threads > 1)}: "
        f"{busy:.2f} s, {busy / run.elapsed:.0%} of the elapsed time."
    )
