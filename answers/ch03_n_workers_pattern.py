"""Chapter 03's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations


def my_waiting(map_run) -> int:
    """Exercise 1, the queue: pages still waiting once every worker has its first page."""
    # map puts all 160 pages in the queue at once; each of the 5 workers takes one: 155 wait.
    return map_run.run.pages - len(map_run.run.threads)


def my_page(map_run, page: int = 5) -> int:
    """Exercise 2: which of the pages 0 to 4 freed the worker that was handed page 5."""
    # Page 5 waits in the queue until some worker is free: the first of the pages 0 to 4 to
    # arrive (the smallest "arrived" in show_handouts' table) freed its worker first. On the
    # default sites that is one of the Real Python pages, 1 or 3: they answer sooner.
    return min(range(page), key=lambda number: map_run.page(number).end)


# Exercise 3: as_completed hands each finished future to the loop that asks for it, and that
# loop runs in the thread that called download_all_sites: the kernel's main thread.
my_thread = "MainThread"

KEY = {
    "check_queue": my_waiting,
    "check_next_worker": my_page,
    "check_consumer_thread": my_thread,
}
