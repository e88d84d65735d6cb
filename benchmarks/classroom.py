"""A whole class on one hub: N learners at once on the classroom test's real JupyterHub.

For each N, the hub starts on 127.0.0.1 with N learners, spawns their servers through its REST API
all at once, and each learner runs, in kernels of their own server (the Jupyter server's kernel
API, as a browser would), chapter 02 (the two programs, then the explorer's run), chapter 05
(the sweep and the rest), then chapter 08 (the comparisons, the 2,000 pages, the CPU-bound
table), all starting within a second. Everything is stopped at the end, even on failure. It
prints, per N: spawn time, each chapter's run time, errors, peak memory per learner (server,
kernels, demo sites, pools: RSS, and PSS which shares out what processes share) and in all, and
the figures the learners measured (02's speed-up, 05's best worker count, 08's CPU speed-ups),
median and range, next to one learner alone. It asserts nothing.

    python benchmarks/classroom.py [--learners 1 5 10 20 30] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests")]  # the classroom test's hub, as the tests start it

from browser import classroom_api  # noqa: E402
from browser.classroom_api import FIGURES_MARK  # noqa: E402
from browser.hub_server import missing_tools, running_hub  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = {
    "02": (
        "02_threaded.ipynb",
        "explorer = lessons.explorer(runs=[sync_run, threads_run])\n"
        "explorer.run()\n"
        "ran = explorer.wait(600) and explorer.last is not None\n"
        "import json\n"
        f"print({FIGURES_MARK!r} + json.dumps({{'speedup': speedup, "
        "'explorer_speedup': sync_run.elapsed / explorer.last.elapsed if ran else None}))",
    ),
    "05": (
        "05_how_many_threads.ipynb",
        "import json\n"
        "best = result.best\n"
        f"print({FIGURES_MARK!r} + json.dumps({{'best_workers': best.workers, "
        "'best_elapsed': best.run.elapsed}))",
    ),
    "08": (
        "08_threads_asyncio_processes.ipynb",
        "import json\n"
        "rows = cpu_results['builds'][cpu_results['this']]\n"
        "one = rows['one after another'].get('elapsed')\n"
        "speed = {name: one / r['elapsed'] for name, r in rows.items() if one and 'elapsed' in r}\n"
        f"print({FIGURES_MARK!r} + json.dumps({{'threads_2': speed.get('threads, 2 workers'), "
        "'processes_2': speed.get('processes, 2 workers'), "
        "'one_cpu_share': rows['one after another'].get('cpu', 0) / one if one else None}))",
    ),
}
FIGURES = {  # what the table shows of each chapter's figures
    "02": ("speedup", "explorer_speedup"),
    "05": ("best_workers",),
    "08": ("threads_2", "processes_2", "one_cpu_share"),
}


async def learner_runs(hub, learner: str, start_at: float) -> list:
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    runs = []
    for notebook, after in CHAPTERS.values():
        runs.append(await classroom_api.run_notebook(hub, learner, NOTEBOOKS / notebook, after))
    return runs


def one_class(count: int, workdir: Path) -> dict:
    learners = [f"learner{n:02}" for n in range(1, count + 1)]
    result: dict = {"learners": count, "spawn": {}, "spawn_errors": [], "runs": {}}
    started = time.monotonic()
    with running_hub(NOTEBOOKS, learners, workdir) as hub:
        result["hub_up"] = time.monotonic() - started
        spawned_at = time.monotonic()
        for learner in learners:
            classroom_api.spawn(hub, learner)
        with ThreadPoolExecutor(max_workers=count) as pool:
            waits = {
                learner: pool.submit(classroom_api.wait_spawned, hub, learner, spawned_at)
                for learner in learners
            }
            for learner, wait in waits.items():
                try:
                    result["spawn"][learner] = wait.result()
                except RuntimeError as error:
                    result["spawn_errors"].append(str(error))
        ready = [learner for learner in learners if learner in result["spawn"]]
        with classroom_api.MemoryWatch({name: hub.pids[name] for name in ready}) as memory:
            start_at = time.monotonic() + 1.0  # all together, as the instructor says "Run"

            async def everyone():
                return await asyncio.gather(*(learner_runs(hub, n, start_at) for n in ready))

            for learner, runs in zip(ready, asyncio.run(everyone()), strict=True):
                result["runs"][learner] = [run.__dict__ for run in runs]
        result["peak_rss"] = memory.peak_rss
        result["peak_pss"] = memory.peak_pss
        result["peak_total_pss"] = memory.peak_total_pss
    result["whole"] = time.monotonic() - started
    return result


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
    print(f"\n== {count} learner{'s' if count > 1 else ''}: hub up in {result['hub_up']:.1f} s, "
          f"whole class {result['whole']:.0f} s")  # fmt: skip
    if spawns:
        print(f"spawn: median {statistics.median(spawns):.1f} s, slowest {max(spawns):.1f} s; "
              f"{len(result['spawn_errors'])} failed")  # fmt: skip
    for error in result["spawn_errors"][:3]:
        print(f"  {error}")
    errors = [e for learner in runs.values() for run in learner for e in run["errors"]]
    for index, chapter in enumerate(CHAPTERS):
        seconds = [learner[index]["seconds"] for learner in runs.values()]
        figures = {
            name: spread([learner[index]["figures"].get(name) for learner in runs.values()])
            for name in FIGURES[chapter]
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
    args = parser.parse_args()
    missing = missing_tools()
    if missing:
        sys.exit("The classroom benchmark needs " + "; ".join(missing))
    results = []
    for count in args.learners:
        with tempfile.TemporaryDirectory(prefix="classroom-") as workdir:
            results.append(one_class(count, Path(workdir) / "hub"))
        report(results[-1])
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
