"""The command line: python -m lessons sync | threads | asyncio | processes | doctor |
free-threaded | kernel | site."""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlsplit

from .course.runs import MODES, run
from .course.sites import COPIES, SitesUnreachable, stop_demo_sites


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """One clear line, not the whole usage, then exit 2."""
        self.exit(2, f"error: {message} (see python -m lessons --help)\n")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="python -m lessons",
        description="The lesson's 160 pages: one by one, with threads, asyncio or processes.",
    )
    parser.add_argument(
        "mode",
        choices=[*MODES, "doctor", "free-threaded", "kernel", "site"],
        help="which program to run; doctor: check this machine before a class; "
        "free-threaded: add a kernel without a GIL; kernel: add one on another Python; "
        "site: the course as a website of executed chapters (each its own --help)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=5,
        help="max_workers: threads, requests at once (asyncio) or processes; not for sync",
    )
    parser.add_argument("--copies", type=int, default=COPIES, help="pages per site (80)")
    parser.add_argument(
        "--url", action="append", help="download this page instead of the two sites (repeatable)"
    )
    parser.add_argument("--real", action="store_true", help="the real sites, not the demo")
    parser.add_argument("--quiet", action="store_true", help="do not print J/R marks")
    parser.add_argument(
        "--learners", type=int, help="doctor: does this machine hold a class of this many?"
    )
    args = parser.parse_args(argv)
    if args.learners is not None and (args.mode != "doctor" or args.learners < 1):
        parser.error("--learners N (1 or more) goes with doctor only")
    if args.copies < 1:
        parser.error(f"--copies must be 1 or more; got {args.copies}")
    for url in args.url or []:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            parser.error(f"--url {url!r} is not a web address like http://127.0.0.1:8000/")
    if args.url and args.real:
        parser.error("--url and --real cannot go together: choose the pages one way")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["free-threaded"]:  # its own options: --python, --prefix, --remove
        from . import free_threaded

        return free_threaded.main(argv[1:])
    if argv[:1] == ["kernel"]:  # its own options: --python, --prefix, --remove
        from . import kernel

        return kernel.main(argv[1:])
    if argv[:1] == ["site"]:  # its own options: --out, --kernel, --repository, --hub
        from . import site

        return site.main(argv[1:])
    args = parse(argv)
    if args.mode == "doctor":
        from . import doctor  # imported here: the programs need none of Jupyter

        return doctor.main(learners=args.learners)
    sites = args.url * args.copies if args.url else ("real" if args.real else "demo")
    try:
        result = run(
            args.mode,
            args.workers,
            sites=sites,
            copies=args.copies,
            quiet=args.quiet,
            caution=False,
        )
    except (ValueError, SitesUnreachable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        stop_demo_sites()
    if result.interrupted:
        return 130
    return 0 if result.done == result.pages else 1


if __name__ == "__main__":
    sys.exit(main())
