"""Chapter 05's machinery: what `+=` is made of, where a standard build may switch threads, the
two builds side by side, and the self-checks of its two exercises."""

from __future__ import annotations

import dis
import itertools
import numbers
import threading
import types

from matplotlib.figure import Figure

from ..course import race_report
from ..course.exercises import Verdict, not_yet
from ..course.plotting import figure_image
from ..course.race_lab import SECONDS, build_name, gil_on, in_threads, switch_interval
from ..course.race_report import runs_said

THREADS = 4


def _is_switch_point(instruction: dis.Instruction) -> bool:
    """A call, or a jump back to the top of a loop: where a standard build may pass the GIL."""
    name = instruction.opname
    if name.startswith("CALL_INTRINSIC"):  # an operation of the interpreter's own, no call
        return False
    return name.startswith(("CALL", "PRECALL")) or name == "JUMP_BACKWARD"


def read_to_write(function, name: str = "counter") -> list[dis.Instruction] | None:
    """The instructions from the last read of global `name` before its first write, to that
    write; None when the function never reads and then writes it."""
    instructions = list(dis.get_instructions(function))
    for end, instruction in enumerate(instructions):
        if instruction.opname == "STORE_GLOBAL" and instruction.argval == name:
            reads = [i for i, x in enumerate(instructions[:end]) if x.argval == name]
            return instructions[reads[-1] : end + 1] if reads else None
    return None


def switch_points(function, name: str = "counter") -> None:
    """Print the read-modify-write of `name` in `function`, and the switch points inside it."""
    steps = read_to_write(function, name)
    if steps is None:
        print(f"{getattr(function, '__name__', function)} does not read and write {name}.")
        return
    print(f"On {build_name()}, from the read of {name} to its write:")
    for step in steps:
        mark = "  <- a switch point" if _is_switch_point(step) else ""
        print(f"  {step.opname:<16} {step.argrepr}{mark}")
    inside = [step.opname for step in steps if _is_switch_point(step)]
    print(f"Calls or backward jumps in between: {', '.join(inside) or 'none'}.")
    if gil_on():
        print("With the GIL, CPython 3.10 and later pass it only at such points.")
        print("That is how this interpreter works today, not a promise.")
    else:
        print("Without the GIL, threads need no switch: two can run the read at once.")


def _lost_line(lost: int, runs: int) -> str:
    if not lost:
        return "No update lost this time. Run the cell again."
    if gil_on():
        why = "__iadd__ is a call, and a switch fell there, between the read and the write."
    else:
        why = "without the GIL the threads ran at once, and read the same values."
    return f"Updates lost in {runs_said(lost, runs)}: {why}"


def run_count(increment_count, Count, runs: int = 3, times: int = 100_000):  # noqa: N803
    """`counter += 1` on a Count, from 4 threads: what each run lost, on this build."""
    names = increment_count.__globals__
    print(f"{build_name()}, {THREADS} threads x {times:,} updates of a Count:")
    lost = []
    for number in range(1, runs + 1):
        names["counter"] = Count()
        run = in_threads(increment_count, [times] * THREADS, seconds=60)
        if trouble := run.trouble("increment_count", 60):
            print(trouble.removeprefix("Not yet, because "))
            return None
        counted = getattr(names["counter"], "n", None)
        if not isinstance(counted, int):
            print(f"counter is {names['counter']!r} after the run, not a Count.")
            return None
        lost.append(THREADS * times - counted)
        print(f"run {number}: lost {lost[-1]:,} of {THREADS * times:,}")
    print(_lost_line(sum(n > 0 for n in lost), runs))
    return lost


def one_step_or_two(add_item, add_count, times: int = 200_000) -> None:
    """One operation on a list, against a read and a write on a dict, from 4 threads."""
    items, counts = add_item.__globals__["items"], add_count.__globals__["counts"]
    items.clear()
    counts.clear()
    for function in (add_item, add_count):
        run = in_threads(function, [times] * THREADS, seconds=60)
        if trouble := run.trouble(function.__name__, 60):
            print(trouble.removeprefix("Not yet, because "))
            return
    updates = THREADS * times
    print(f"{build_name()}, {THREADS} threads x {times:,} updates each:")
    print(f"add_item, one append each: {len(items):,} of {updates:,} items kept.")
    kept = sum(n for n in counts.values() if isinstance(n, int))
    print(f"add_count, a read then a write: {updates - kept:,} of {updates:,} lost this time.")


def compare_builds() -> list[dict]:
    """The bare +=, under a lock and on a thread_local, in a fresh Python of each build."""
    return race_report.compare_builds()


def plot_builds(rows: list[dict]):
    """Nanoseconds an update, per build: the bare +=, under the lock, on a thread_local."""
    rows = [r for r in rows if "error" not in r]
    figure = Figure(figsize=(9, 3.0), dpi=90, layout="constrained")
    ax = figure.add_subplot()
    kinds = (("bare +=", "bare_ns"), ("under the lock", "locked_ns"), ("thread_local", "local_ns"))
    width = 0.8 / max(1, len(rows))
    for i, r in enumerate(rows):
        xs = [x + (i - (len(rows) - 1) / 2) * width for x in range(len(kinds))]
        bars = ax.bar(xs, [r[key] for _, key in kinds], width, label=r["build"])
        ax.bar_label(bars, fmt="%.0f")
    ax.set_xticks(range(len(kinds)), [kind for kind, _ in kinds])
    ax.set(ylabel="ns an update (median run)")
    ax.margins(y=0.15)
    ax.legend(loc="upper left")
    ax.set_title("What an update cost on each build, this time")
    return figure_image(figure)


# ---- exercise 1: a switch point between the read and the write ----------------------------

TIMES = 20_000  # updates a thread: a few milliseconds, about the default interval
RUNS = 10


def check_switch_point(increment_with_call) -> Verdict:
    """Exercise 1: a call between the read of counter and its write, and a switch interval
    short enough that this build loses updates."""
    if not isinstance(increment_with_call, types.FunctionType):
        return not_yet("it is not a function yet", "run the cell that defines it.")
    steps = read_to_write(increment_with_call)
    if steps is None:
        return not_yet("it never reads counter and then writes it", "start from the template.")
    if not any(_is_switch_point(step) for step in steps[1:-1]):
        return not_yet(
            "no call stands between the read of counter and its write",
            "write counter = next_number(counter): the call comes after the read.",
        )
    names = increment_with_call.__globals__
    interval = names.get("SWITCH_INTERVAL")
    if not isinstance(interval, numbers.Real) or not 0 < interval <= 1:
        return not_yet(f"SWITCH_INTERVAL is {interval!r}", "make it a number of seconds, > 0.")
    lost, updates = 0, THREADS * TIMES
    with switch_interval(interval):
        for _ in range(RUNS):  # until a run loses updates: a busy machine may need a few
            names["counter"] = 0
            run = in_threads(increment_with_call, [TIMES] * THREADS, SECONDS)
            if trouble := run.trouble("increment_with_call", SECONDS):
                return Verdict(trouble)
            if not isinstance(names.get("counter"), int):
                return not_yet(f"counter is {names.get('counter')!r}", "keep it a number.")
            if lost := updates - names["counter"]:
                break
    at = f"a switch interval of {interval * 1000:g} ms"
    if not lost:
        return not_yet(
            f"no run of {RUNS} lost an update at {at}: "
            f"each thread did its {TIMES:,} updates within one turn",
            "make SWITCH_INTERVAL much shorter, such as 0.00001.",
        )
    if gil_on():
        return Verdict(
            f"Correct: a run lost {lost:,} of {updates:,} updates at {at}. "
            "The GIL passed at your call, between the read and the write."
        )
    return Verdict(
        f"Correct: a run lost {lost:,} of {updates:,} updates on {build_name()}. "
        "Without a GIL the threads ran at once, and the interval timed nothing."
    )


# ---- exercise 2: a report made once -------------------------------------------------------

REPORT_THREADS = 8
KEYS = 4
CHECKS = itertools.count()  # fresh keys for every check: nothing cached from an earlier one


def check_made_once(get_report) -> Verdict:
    """Exercise 2: 8 threads ask for the same 4 reports; each must be made exactly once."""
    if not isinstance(get_report, types.FunctionType):
        return not_yet("it is not a function yet", "run the cell that defines it.")
    names = get_report.__globals__
    make_report = names.get("make_report")
    if not callable(make_report):
        return not_yet("there is no make_report to call", "run the whole cell as given.")
    made, lock = {}, threading.Lock()

    def counted(key):  # the learner's make_report, wrapped from outside: who made what
        with lock:
            made[key] = made.get(key, 0) + 1
        return make_report(key)

    keys = [f"report {next(CHECKS)}" for _ in range(KEYS)]
    names["make_report"] = counted
    try:
        run = in_threads(
            lambda _: [get_report(key) for key in keys], range(REPORT_THREADS), SECONDS
        )
    finally:
        names["make_report"] = make_report
    if trouble := run.trouble("get_report", SECONDS):
        return Verdict(trouble)
    most = max((made.get(key, 0) for key in keys), default=0)
    if most > 1:
        return not_yet(
            f"one report was made {most} times, not once: several threads found it "
            "missing before the first stored it",
            "hold one lock from the check `if key not in cache` to the store.",
        )
    if any(made.get(key, 0) == 0 for key in keys):
        return not_yet("a report was never made by make_report", "call make_report(key).")
    if any(len({id(got[k]) for got in run.returned}) > 1 for k in range(KEYS)):
        return not_yet("threads got different reports for one key", "return cache[key].")
    return Verdict(
        f"Correct: {KEYS} reports, each made once, for {REPORT_THREADS} threads asking for "
        f"each. They took {run.elapsed:.2f} s."
    )
