"""Speed-up benchmark: the course's runs against the latency floor, and against the plain lesson.

Prints, for the synchronous program and for 1 to 160 workers, the elapsed time, the floor
ceil(pages / workers) * latency, the ratio to the floor, and the same for a plain reference copy
of the lesson's threaded code run in this process. It asserts nothing: timings are for reading.

    python benchmarks/speedup.py [--latency 0.05] [--repeat 3] [--workers 1 2 5]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import math
import threading
import time

import requests

import lessons
from lessons.course.demo_process import DemoSitesProcess
from lessons.course.demo_server import SiteProfile
from lessons.course.sites import register_letters

WORKERS = (1, 2, 5, 10, 20, 40, 80, 160)

# ---- the plain reference: the lesson's threaded code, written out (only here) ----------------
thread_local = threading.local()


def get_session():
    if not hasattr(thread_local, "session"):
        thread_local.session = requests.Session()
    return thread_local.session


def download_site(url):
    with get_session().get(url, timeout=5) as response:
        return len(response.content)


def download_all_sites(sites, max_workers=5):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(download_site, sites))


def download_all_sites_sync(sites):
    with requests.Session() as session:
        for url in sites:
            with session.get(url, timeout=5) as response:
                len(response.content)


# ------------------------------------------------------------------------------------------------


def best_of(repeat: int, run) -> float:
    return min(run() for _ in range(repeat))


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per page (0.05)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (3)")
    parser.add_argument(
        "--workers", type=int, nargs="*", default=WORKERS, help="worker counts (1 2 5 ... 160)"
    )
    parser.add_argument("--no-sync", action="store_true", help="leave out the synchronous run")
    args = parser.parse_args()
    profiles = (
        SiteProfile("Jython", args.latency, page_kb=24),
        SiteProfile("Real Python", args.latency, page_kb=48),
    )
    with DemoSitesProcess(profiles) as demo:  # as a learner has them: a process of their own
        register_letters(demo.urls)
        pages = list(demo.urls.values()) * 80
        print(
            f"{len(pages)} pages, latency {args.latency * 1000:.0f} ms, no jitter, best of "
            f"{args.repeat}; ratio = elapsed / floor, floor = ceil(pages / workers) * latency"
        )
        print(
            f"{'run':>8} {'floor s':>8} {'ours s':>8} {'ratio':>6} {'plain s':>8} {'ratio':>6}"
            f" {'ours/plain':>10}"
        )
        for workers in ([] if args.no_sync else [None]) + list(args.workers):
            floor = math.ceil(len(pages) / (workers or 1)) * args.latency
            if workers is None:
                ours = best_of(
                    args.repeat,
                    lambda: lessons.run_sync(sites=pages, quiet=True, show=False).elapsed,
                )
                plain = best_of(args.repeat, lambda: timed(download_all_sites_sync, pages))
            else:
                ours = best_of(
                    args.repeat,
                    lambda workers=workers: (
                        lessons.run_threads(workers, sites=pages, quiet=True, show=False).elapsed
                    ),
                )
                plain = best_of(
                    args.repeat, lambda workers=workers: timed(download_all_sites, pages, workers)
                )
            name = "sync" if workers is None else f"N={workers}"
            print(
                f"{name:>8} {floor:8.3f} {ours:8.3f} {ours / floor:6.3f} {plain:8.3f}"
                f" {plain / floor:6.3f} {ours / plain:10.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
