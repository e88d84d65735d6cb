"""What a run did: one Download per page, and the Run that holds them and sums them up."""

from __future__ import annotations

import collections
import dataclasses

from .failures import NOT_TRIED


@dataclasses.dataclass
class Download:
    """One page: which site, which thread fetched it, when (seconds into the run), what came."""

    url: str
    letter: str
    thread: str
    start: float
    end: float = 0.0
    bytes: int = 0
    status: int | None = None
    error: str | None = None  # why it failed, in a few words; None when it arrived
    printed: str = ""  # what the program printed while it fetched this page: its J or R
    odd: str | None = None  # the type download_site returned, when it was not a size

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclasses.dataclass
class Run:
    """What a run did: its downloads in order of arrival and its elapsed time."""

    mode: str
    max_workers: int | None
    pages: int
    downloads: list[Download]
    elapsed: float
    stopped: bool = False  # Stop was pressed, or the kernel interrupted
    interrupted: bool = False
    returned: list | None = None  # what download_all_sites returned (None if interrupted)
    shared: object | None = None  # contention.Shared: what the machine did beside it meanwhile
    notes: list[str] = dataclasses.field(default_factory=list)  # what the course noticed
    abandoned: float | None = None  # seconds without progress after which the run was left
    unfinished: int = 0  # pages still being fetched when download_all_sites returned

    @property
    def done(self) -> int:
        return sum(d.ok for d in self.downloads)

    @property
    def failed(self) -> int:
        return sum(not d.ok for d in self.downloads)

    @property
    def failures(self) -> collections.Counter:
        """How many pages failed for each reason."""
        return collections.Counter(d.error for d in self.downloads if not d.ok)

    @property
    def threads(self) -> list[str]:
        """The threads that downloaded, in order of their first download."""
        return list(dict.fromkeys(d.thread for d in sorted(self.downloads, key=lambda d: d.start)))

    def summary(self) -> list[str]:
        """The lines printed after the marks; the last one is the lesson's own."""
        lines = list(self.notes)
        odd = collections.Counter(d.odd for d in self.downloads if d.odd)
        for kind, n in odd.items():
            lines.append(f"{n} pages returned a {kind}, not a size: the course counts 0 bytes.")
        if self.abandoned:
            lines.append(
                f"Abandoned after {self.done} of {self.pages} pages: no page began or ended "
                f"for {self.abandoned:.0f} s."
            )
        elif self.interrupted or self.stopped:
            why = "Interrupted" if self.interrupted else "Stopped"
            lines.append(f"{why} after {self.done} of {self.pages} pages.")
        if self.failed:
            # The reasons pages failed first, then the pages not tried because of them.
            ordered = sorted(self.failures.items(), key=lambda i: (i[0] == NOT_TRIED, -i[1]))
            reasons = ", ".join(f"{n} x {why}" for why, n in ordered)
            lines.append(f"Failed {self.failed} of {self.pages} pages: {reasons}.")
        lines.append(f"Downloaded {self.done} in {self.elapsed:.2f} seconds")
        return lines

    def __repr__(self) -> str:
        workers = "" if self.max_workers is None else f", max_workers={self.max_workers}"
        return f"<Run {self.mode}{workers}: {self.summary()[-1]}>"


__all__ = ["Download", "Run"]
