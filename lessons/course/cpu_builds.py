"""Chapter 12's CPU-bound work on each build: every program in a fresh Python of each build.

The kernel asks `builds.pythons()` which builds this machine offers, and runs each program in a
fresh process of each (`python -c "...main(...)" PROGRAM WORKERS ROUNDS NUMBERS MODULE`), which
prints one line of JSON. MODULE is the learner's (chapter 12 writes it with
%%writefile), found through PYTHONPATH: so do its pool's children and a 3.14 interpreter pool.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import time

from .. import cpu
from . import builds, contention
from .cpu_lab import (
    NUMBERS,
    ROUNDS,
    _timed,
    check_workers,
    interpreter_pool_startup,
    pool_startup,
)
from .progress import progress

# program name in the table -> (what the child runs, max_workers)
PROGRAMS = {
    "one after another": ("sync", 1),
    "threads, 2 workers": ("threads", 2),
    "processes, 2 workers": ("processes", 2),
    "interpreters, 2 workers": ("interpreters", 2),  # Python 3.14 and newer
}
INTERPRETERS = "interpreters, 2 workers"
# A newer Python found beyond the kernel's builds runs only these: enough for the interpreters'
# speed-up, against one after another and threads on the same interpreter.
NEWER_PROGRAMS = ("one after another", "threads, 2 workers", INTERPRETERS)
# `-c`, not `-m`: a spawned pool child re-imports a `-m` main module (this one, and the course's
# modules it imports) before its first task; the learner's program would not pay that.
CHILD = ["-c", f"import sys; from {__name__} import main; main(sys.argv[1:])"]
SECONDS = 120  # a program that takes longer than this is stopped, and says so
SPREAD = 1.3  # CPUs busy at or above this: the threads' Python ran on several CPUs at once
BUSY = 0.9  # one thread below this share of a CPU: something else had the CPU meanwhile
NOTICED = 0.05  # a difference of CPU time below 5% is within what runs differ by
SAME = 1.15  # a speed-up up to this is "as fast": runs differ by that much on a quiet machine


def child(program: str, workers: int, rounds: int, numbers: list[int], module=cpu) -> dict:
    """Run in the fresh Python: `rounds` runs of one program, the fastest kept, and its costs."""
    from .scale import Sampler, resident_kb

    function = {"sync": module.find_sums, "threads": module.find_sums_threads}
    function["processes"] = module.find_sums_processes
    function["interpreters"] = getattr(module, "find_sums_interpreters", None)
    args = () if program == "sync" else (workers,)
    best = None
    with Sampler(every=0.02) as alive:  # rarely: its own wake-ups take the GIL
        for _ in range(rounds):
            sums, elapsed, used = _timed(function[program], numbers, *args)
            if best is None or elapsed < best["elapsed"]:
                best = {"elapsed": elapsed, "cpu": used}
    facts = builds.this_build()
    return {
        **best,
        "checksum": sum(sums),
        "startup": _startup(program, workers),
        "peak_mb": resident_kb("VmHWM") / 1024,  # this process's own, not its pool's children
        "threads": alive.threads,
        "build": facts.name,
        "free_threaded": facts.free_threaded,
        "gil_enabled": facts.gil_enabled,
        "cpus": facts.usable_cpus,
    }


def _startup(program: str, workers: int) -> float:
    """Seconds to start the program's pool and stop it, timed apart (threads: none to speak of)."""
    if program == "processes":
        return pool_startup(workers)
    if program == "interpreters":
        return interpreter_pool_startup(workers)
    return 0.0


def compare_builds(
    numbers=None, rounds: int = ROUNDS, pythons: dict | None = None, newer=None, module=cpu
) -> dict:
    """Each program on each build, each in a fresh Python; print the table and what it means.
    `module` holds the programs (the learner's, in chapter 12): each fresh Python imports it."""
    numbers = list(NUMBERS if numbers is None else numbers)
    rounds = check_workers(rounds, 5, "rounds")
    pythons = builds.pythons() if pythons is None else pythons
    plan = {label: _programs(python) for label, python in pythons.items()}
    newer = builds.newer_python(pythons) if newer is None else newer
    if newer:  # a Python 3.14 or newer beside the builds, for the interpreters' row
        pythons = {**pythons, newer[0]: newer[1]}
        plan[newer[0]] = NEWER_PROGRAMS
    by_build: dict[str, dict] = {}
    runs = sum(len(names) for names in plan.values())
    with (
        progress(runs, "CPU-bound runs, each in a fresh Python") as bar,
        contention.watch() as watched,
        _importable(module),
    ):
        for label, python in pythons.items():
            by_build[label] = {}
            for name in plan[label]:
                program, workers = PROGRAMS[name]
                argv = [*CHILD, program, str(workers), str(rounds), json.dumps(numbers)]
                argv.append(module.__name__)
                by_build[label][name] = builds.run_json(python, argv, SECONDS)
                bar.step(f"{label}: {name}")
    results = {"builds": by_build, "this": builds.this_build().name, "rounds": rounds}
    results["module"] = module.__name__
    results |= {"numbers": len(numbers), "steps": sum(numbers), "cpus": builds.usable_cpus()}
    results["missing"] = builds.missing_build(pythons)
    ran = any(INTERPRETERS in rows for rows in by_build.values())
    results["no_interpreters"] = None if ran else NO_INTERPRETERS
    _check_sums(by_build)
    print_table(results)
    # One thread of CPU-bound work runs as long as its CPU time on a quiet machine: longer, it
    # waited for a CPU. That is the table's own measure of a shared machine.
    ones = [rows["one after another"] for rows in by_build.values()]
    stretched = max([r["elapsed"] / r["cpu"] - 1 for r in ones if r.get("cpu")] or [0.0])
    contention.say(watched.shared and watched.shared.at_least(stretched))
    for line in verdicts(results):
        print(line)
    return results


@contextlib.contextmanager
def _importable(module):
    """PYTHONPATH names the module's folder while the fresh Pythons start (then as it was)."""
    before = os.environ.get("PYTHONPATH")
    folder = os.path.dirname(os.path.abspath(module.__file__))
    if module.__name__.startswith("lessons."):
        folder = ""  # the package is installed in every build's environment
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (folder, before) if p)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before


def _programs(python: str) -> tuple[str, ...]:
    """The programs a build runs: the interpreters' only from Python 3.14 on."""
    facts = builds.interpreter_facts(python)
    newer = facts is not None and builds.is_newer(facts[0])
    return tuple(name for name in PROGRAMS if newer or name != INTERPRETERS)


NO_INTERPRETERS = (
    "No Python 3.14 or newer here, so no interpreters row: InterpreterPoolExecutor runs "
    "isolated interpreters in one process, each with its own GIL. "
    "python -m lessons kernel --python python3.14 adds such a Python."
)


def _check_sums(by_build: dict) -> None:
    sums = {r["checksum"] for rows in by_build.values() for r in rows.values() if "error" not in r}
    if len(sums) > 1:
        raise RuntimeError("the programs gave different sums: one of them is wrong")


def print_table(results: dict) -> None:
    kept = "one run each" if results["rounds"] == 1 else f"the fastest of {results['rounds']}"
    print(
        f"cpu_bound of {results.get('module', cpu.__name__)} over {results['numbers']} numbers, "
        f"{results['steps']:,} loop steps in all. {results['cpus']} usable CPUs."
    )
    print(f"Each program ran in a fresh Python of each build, {kept}.")
    print(
        f"{'build':<22} {'program':<23} {'elapsed':>8} {'speed-up':>9} {'CPU time':>9} "
        f"{'CPUs busy':>9} {'peak memory':>11} {'threads':>7}"
    )
    for label, rows in results["builds"].items():
        sync = rows["one after another"].get("elapsed")
        for name, r in rows.items():
            if "error" in r:
                print(f"{label:<22} {name:<23} {r['error']}")
                continue
            print(f"{label:<22} {name:<23} {costs(r, sync)} {r['threads']:7}")
    print("CPUs busy = CPU time / elapsed: how many CPUs worked at once, on average.")
    print("Peak memory is the program's own process. Threads: the most alive at once.")


def costs(r: dict, baseline: float | None) -> str:
    """A row's elapsed, speed-up over `baseline`, CPU time, CPUs busy and peak memory, in the
    columns the tables' headers name."""
    speedup = f"{baseline / r['elapsed']:7.2f} x" if baseline else "      ?  "
    return (
        f"{r['elapsed']:6.2f} s {speedup} {r['cpu']:7.2f} s "
        f"{r['cpu'] / r['elapsed']:9.2f} {r['peak_mb']:8.0f} MB"
    )


def verdicts(results: dict) -> list[str]:
    """What the table means, from its own numbers: one entry per build (its lines joined by
    newlines), then the cost of the free-threaded build on one thread, or how to add a build."""
    lines = []
    for label, rows in results["builds"].items():
        sync, two = rows["one after another"], rows["threads, 2 workers"]
        if "error" in sync or "error" in two:
            lines.append(f"{label}: a run failed, so nothing is concluded for it; run it again.")
            continue
        ratio, busy = sync["elapsed"] / two["elapsed"], two["cpu"] / two["elapsed"]
        said = [f"{label}: 2 threads ran {ratio:.2f} times as fast as one after another."]
        said.append(f"  The threads kept {busy:.2f} CPUs busy, on average.")
        if two["gil_enabled"]:
            said.append("  The GIL is on: one thread at a time ran Python code.")
            if ratio > SAME:
                said.append("  Any gain came from other work slowing the run one after another.")
        elif busy >= SPREAD:
            said.append("  No GIL: both threads ran Python code at once, on two CPUs.")
            if ratio > 2 * (1 + NOTICED):  # two threads cannot do more than two CPUs can
                said.append("  More than two CPUs give: other work slowed one after another.")
        else:
            said.append("  No GIL, yet the threads did not spread over two CPUs in this run.")
            said.append("  This process had less than two CPUs, or the machine was busy.")
        processes = rows.get("processes, 2 workers", {"error": "not run"})
        if "error" not in processes:
            said.append(
                f"  2 processes: {sync['elapsed'] / processes['elapsed']:.2f} times as fast, "
                f"{processes['startup']:.2f} s of it the pool's start-up."
            )
        interpreters = rows.get(INTERPRETERS, {"error": "not run"})
        if "error" not in interpreters:
            speedup = sync["elapsed"] / interpreters["elapsed"]
            busy = interpreters["cpu"] / interpreters["elapsed"]
            said.append(f"  2 interpreters: {speedup:.2f} times as fast, {busy:.2f} CPUs busy.")
            said.append(f"  Each has its own GIL; {interpreters['startup']:.2f} s was start-up.")
        lines.append("\n".join(said))
    lines += _single_thread_cost(results["builds"])
    for line in (results.get("missing"), results.get("no_interpreters")):
        if line:
            lines.append(line)
    return lines


def _single_thread_cost(by_build: dict) -> list[str]:
    """The free-threaded build's cost on one thread, by CPU time: a busy machine stretches the
    elapsed time of a run, far less the CPU time it used."""
    sync = [rows["one after another"] for rows in by_build.values()]
    free = [r for r in sync if "error" not in r and r["free_threaded"]]
    standard = [r for r in sync if "error" not in r and not r["free_threaded"]]
    if not (free and standard):
        return []
    free, standard = free[0], standard[0]
    if min(free["cpu"], standard["cpu"], free["elapsed"], standard["elapsed"]) <= 0:
        return []  # too short a run to compare (the tests' small numbers)
    change = free["cpu"] / standard["cpu"] - 1
    said = (
        f"One thread, one after another: the free-threaded build used {free['cpu']:.2f} s of "
        f"CPU, the standard {standard['cpu']:.2f} s."
    )
    if change > NOTICED:
        said += f"\n  On one thread it is {change:.0%} slower here: the price of having no GIL."
    elif change < -NOTICED:
        said += f"\n  On one thread it is {-change:.0%} faster here: no price in this run."
    else:
        said += "\n  On one thread it is as fast within a few percent: no price in this run."
    busy = min(r["cpu"] / r["elapsed"] for r in (free, standard))
    if busy < BUSY:
        said += f"\n  The machine was busy: one after another had only {busy:.2f} of a CPU."
    return [said]


def main(argv: list[str] | None = None) -> None:
    program, workers, rounds, numbers, *name = argv if argv is not None else sys.argv[1:]
    module = importlib.import_module(name[0] if name else cpu.__name__)
    started = time.perf_counter()
    result = child(program, int(workers), int(rounds), json.loads(numbers), module)
    print(json.dumps(result | {"child_seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
