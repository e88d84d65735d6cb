"""A whole class on one hub: N learners at once on the classroom test's real JupyterHub.

For each N, the hub starts on 127.0.0.1 with N learners, spawns their servers through its REST API
all at once, and each learner runs, in kernels of their own server (the Jupyter server's kernel
API, as a browser would), chapter 02 (the two programs, then the explorer's run), chapter 07
(the sweep and the rest), chapter 11 (the three programs, the 2,000 pages), then chapter 12
(the CPU-bound table), all starting within a second. Everything is stopped at the end, even on
failure. It prints, per N: spawn time, each chapter's run time, errors, peak memory per learner
(server, kernels, demo sites, pools: RSS, and PSS which shares out what processes share) and
in all, and the figures the learners measured (02's speed-up, 07's best worker count, 12's CPU
speed-ups), median and range, next to one learner alone. It asserts nothing.

    python benchmarks/classroom.py [--learners 1 5 10 20 30] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests")]  # the classroom test's hub, as the tests start it

from browser import classroom_api  # noqa: E402
from browser.classroom_api import CHAPTERS  # noqa: E402
from browser.hub_server import missing_tools  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
FIGURES = {  # what the table shows of each chapter's figures
    "02": ("speedup", "explorer_speedup"),
    "07": ("best_workers",),
    "12": ("threads_2", "processes_2", "one_cpu_share"),
}


def spread(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{middle:.2f}"
    return f"{middle:.2f} ({min(values):.2f}-{max(values):.2f})"


def report(result: dict) -> None:
    count, runs = result["learners"], result["runs"]
    spawns = list(result["spawn"].values())
    print(f"\n== {count} learner{'s' if count > 1 else ''} (spawn timeout "
          f"{result['spawn_timeout']:.0f} s): hub up in {result['hub_up']:.1f} s, "
          f"whole class {result['whole']:.0f} s")  # fmt: skip
    if spawns:
        print(f"spawn: median {statistics.median(spawns):.1f} s, slowest {max(spawns):.1f} s; "
              f"{len(result['spawn_errors'])} failed")  # fmt: skip
    if result.get("requested"):
        print(f"spawn requests: all sent within {max(result['requested'].values()):.2f} s")
    for error in result["spawn_errors"][:3]:
        print(f"  {error}")
    errors = [e for learner in runs.values() for run in learner for e in run["errors"]]
    for index, chapter in enumerate(CHAPTERS):
        seconds = [learner[index]["seconds"] for learner in runs.values()]
        figures = {
            name: spread([learner[index]["figures"].get(name) for learner in runs.values()])
            for name in FIGURES.get(chapter, ())
        }
        shown = ", ".join(f"{name} {value}" for name, value in figures.items())
        print(f"chapter {chapter}: run {spread(seconds)} s; {shown}")
    print(f"errors: {len(errors)}")
    for error in errors[:5]:
        print(f"  {error[:300]}")
    if result["peak_pss"]:
        rss, pss = result["peak_rss"].values(), result["peak_pss"].values()
        print(f"peak memory per learner: RSS {spread(list(rss))} MB, PSS {spread(list(pss))} MB; "
              f"in all (PSS) {result['peak_total_pss']:.0f} MB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[1, 5, 10, 20, 30])
    parser.add_argument("--json", type=Path, help="write every figure here too")
    parser.add_argument(
        "--spawn-timeout",
        type=float,
        default=60,
        help="seconds the hub gives a server to start (60: JupyterHub's default)",
    )
    args = parser.parse_args()
    missing = missing_tools()
    if missing:
        sys.exit("The classroom benchmark needs " + "; ".join(missing))
    # A kill (SIGTERM) ends it as Ctrl-C does: through the hub's `finally`, which stops the hub,
    # every learner's server and the proxy.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = []
    for count in args.learners:
        with tempfile.TemporaryDirectory(prefix="classroom-") as workdir:
            chapters = list(CHAPTERS.values())
            hub = Path(workdir) / "hub"
            results.append(classroom_api.run_class(count, hub, chapters, args.spawn_timeout))
        report(results[-1])
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
