"""Demo-sites benchmark: does what a learner measures come from the client alone?

Two tables. First, the lesson's run (lessons.run_threads, 160 pages) for N = 5, 20, 64, 160
workers, against the demo sites (as start_demo_sites() serves them: a process of their own) and
against a plain fixed-latency reference, aiohttp's web server, one process per site; each with
the latency floor ceil(pages / N) * latency, and the ratio demo / reference (target: at most
1.05 at N = 160). For comparison, the same demo sites served by a thread of the client's own
process, as they were before they moved out (lessons.DemoSites). Second, ApacheBench (a client
in C) against one demo site at the Jython site's 60 ms: 2,000 requests at concurrency 1,000,
with and without keep-alive (target: at most 0.6 s). It asserts nothing: timings are for reading.

    python benchmarks/demo_sites.py [--latency 0.05] [--repeat 5] [--workers 5 20 64 160]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import re
import shutil
import statistics
import subprocess
import sys

import lessons
from lessons.course.demo_process import DemoSitesProcess
from lessons.course.demo_server import DEFAULT_PROFILES, SiteProfile
from lessons.course.demo_sites import DemoSites

# The reference: one site, written with a well-kept library, not with ours.
REFERENCE = """
import asyncio, sys
from aiohttp import web
latency, page = float(sys.argv[1]), b"x" * (int(sys.argv[2]) * 1024)
async def handle(request):
    await asyncio.sleep(latency)
    return web.Response(body=page, content_type="text/html")
async def main():
    app = web.Application()
    app.router.add_get("/", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until stdin closes
asyncio.run(main())
"""


@contextlib.contextmanager
def reference_sites(latency: float, profiles):
    """One aiohttp process per site; yields their URLs; ends them on exit."""
    processes = []
    try:
        for profile in profiles:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-c", REFERENCE, str(latency), str(profile.page_kb)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        yield [f"http://127.0.0.1:{int(p.stdout.readline())}/" for p in processes]
    finally:
        for process in processes:
            process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


def elapsed(workers: int, pages: list[str]) -> float:
    result = lessons.run_threads(workers, sites=pages, quiet=True, show=False)
    assert result.done == len(pages), result.summary()
    return result.elapsed


def runs_table(latency: float, repeat: int, worker_counts: list[int]) -> None:
    profiles = [SiteProfile(p.name, latency, page_kb=p.page_kb) for p in DEFAULT_PROFILES]
    with (
        DemoSitesProcess(profiles) as demo,
        DemoSites(profiles) as inside,
        reference_sites(latency, profiles) as reference,
    ):
        pages = {
            "demo": list(demo.urls.values()) * 80,
            "ref": reference * 80,
            "inside": list(inside.urls.values()) * 80,
        }
        for each in pages.values():
            elapsed(20, each)  # warm: imports, first connections
        print(
            f"160 pages, {latency * 1000:.0f} ms fixed latency, median of {repeat} "
            "(runs alternate); the client is lessons.run_threads in this process"
        )
        print(f"{'run':>6} {'floor s':>8} {'demo s':>8} {'ratio':>6} {'ref s':>8} {'ratio':>6}"
              f" {'demo/ref':>9} {'in-process s':>13} {'/ref':>6}")  # fmt: skip
        for workers in worker_counts:
            floor = math.ceil(160 / workers) * latency
            times: dict[str, list[float]] = {name: [] for name in pages}
            for _ in range(repeat):
                for name, each in pages.items():
                    times[name].append(elapsed(workers, each))
            ours, ref, old = (statistics.median(times[name]) for name in pages)
            print(
                f"{'N=' + str(workers):>6} {floor:8.3f} {ours:8.3f} {ours / floor:6.3f}"
                f" {ref:8.3f} {ref / floor:6.3f} {ours / ref:9.3f} {old:13.3f} {old / ref:6.3f}",
                flush=True,
            )


def ab_table(repeat: int) -> None:
    ab = shutil.which("ab")
    if ab is None:
        print("\nab is not installed (Debian: apt-get install apache2-utils): no second table")
        return
    jython = DEFAULT_PROFILES[0]
    print(f"\nab against one demo site at {jython.latency * 1000:.0f} ms ({jython.page_kb} KB "
          f"pages), best of {repeat}; floor = ceil(2000 / concurrency) * latency")  # fmt: skip
    with DemoSitesProcess((SiteProfile("Jython", jython.latency, page_kb=jython.page_kb),)) as one:
        for options in (["-c", "1000"], ["-c", "1000", "-k"], ["-c", "200"]):
            seconds, failed = [], []
            for _ in range(repeat):
                done = subprocess.run(
                    [ab, "-q", "-s", "10", "-n", "2000", *options, one.urls["Jython"]],
                    capture_output=True, text=True, timeout=120,
                )  # fmt: skip
                seconds.append(float(re.search(r"Time taken for tests:\s+(\S+)", done.stdout)[1]))
                failed.append(int(re.search(r"Failed requests:\s+(\d+)", done.stdout)[1]))
            floor = math.ceil(2000 / int(options[1])) * jython.latency
            print(f"  ab -n 2000 {' '.join(options):<12} floor {floor:.2f} s, best "
                  f"{min(seconds):.3f} s, worst {max(seconds):.3f} s, "
                  f"failed requests {sum(failed)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per page (0.05)")
    parser.add_argument("--repeat", type=int, default=5, help="median of this many runs (5)")
    parser.add_argument("--workers", type=int, nargs="*", default=[5, 20, 64, 160])
    args = parser.parse_args()
    runs_table(args.latency, args.repeat, args.workers)
    ab_table(args.repeat)


if __name__ == "__main__":
    main()
