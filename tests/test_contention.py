"""The caution a timing prints when the machine was shared: with a real load beside the
measurement it says how busy the machine was and about how much longer the times are; work that
waited for no CPU, and a quiet machine, get no line."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from lessons.course import contention, cpu_builds, internet, sweep
from lessons.course.contention import Shared
from lessons.course.notebook import compare

LOAD_SECONDS = 60  # a busy process ends by itself after this long, whatever happens here
BUSY = f"import time\nend = time.monotonic() + {LOAD_SECONDS}\nwhile time.monotonic() < end: pass"
CAUTION = re.compile(
    r"^Caution: the machine was shared while this ran\. Other programs kept ([\d.]+) of its "
    r"(\d+) CPUs busy.*\. So these times are about (\d+)% longer than on a quiet machine",
    re.MULTILINE,
)


@contextlib.contextmanager
def load(processes: int):
    """`processes` busy loops, each bounded in time, all ended on leaving. They are other
    programs, as another learner's kernel is: started through a shell that exits at once, so
    they are not under this process (whose children count as its own work)."""
    pids = []
    try:
        for _ in range(processes):
            started = subprocess.run(
                ["sh", "-c", f'"{sys.executable}" -c "$0" >/dev/null 2>&1 & echo $!', BUSY],
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            )
            pids.append(int(started.stdout))
        time.sleep(0.3)  # started and spinning
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def spin(seconds: float) -> None:
    """CPU-bound work in this thread for `seconds` of CPU."""
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass


def cpus_load() -> int:
    """Enough busy processes that every CPU is taken, with one to spare."""
    return contention.sample().cpus + 1


def test_quiet_numbers_give_no_line():
    quiet = Shared(seconds=2.0, others=0.05, steal=0.0, ours=1.0, cpus=2, waited=0.01)
    assert not quiet.busy and quiet.line() is None
    assert contention.caution(quiet, None) is None


def test_busy_numbers_give_one_line_with_the_figures():
    busy = Shared(seconds=1.5, others=1.6, steal=0.1, ours=1.0, cpus=2, waited=0.5)
    line = busy.line()
    assert busy.busy and line.count("\n") == 0
    found = CAUTION.match(line)
    assert found and found.groups() == ("1.6", "2", "50"), line
    assert "hypervisor took 0.1 more" in line


def test_other_programs_busy_but_no_wait_for_a_cpu_gives_no_line():
    """Others kept a CPU busy, but this work never waited for one: its times are right."""
    idle = Shared(seconds=2.0, others=1.0, steal=0.0, ours=0.3, cpus=2, waited=0.02)
    assert idle.slower < contention.SLOWER and idle.line() is None


def test_cpu_bound_work_beside_a_real_load_is_cautioned():
    with load(cpus_load()), contention.watch() as watched:
        spin(1.0)
    shared = watched.shared
    assert shared is not None and shared.busy, shared
    assert shared.others >= 1.0 and shared.waited >= 0.1, shared
    found = CAUTION.match(shared.line())
    assert found, shared.line()
    # the estimate is about what happened: 1 s of CPU took (elapsed) seconds here
    assert abs(shared.seconds - 1.0 - shared.waited) < 0.5, shared


def test_work_that_wants_no_cpu_is_not_cautioned_even_beside_a_load():
    """Sleeping threads wait for nothing: however busy the machine, no line (nor from the
    watch's own sampling thread, which wakes ten times a second: the test below)."""
    with load(cpus_load()), contention.watch() as watched:
        time.sleep(1.0)
    assert watched.shared is not None and watched.shared.others >= 1.0, watched.shared
    assert watched.shared.line() is None, watched.shared


def sampler_waits(processes):
    """thread_waits as schedstat would say it if only the watches' samplers ever waited."""
    return {t.native_id: 10.0 * (t.name == "contention-watch") for t in threading.enumerate()}


def test_the_watchs_own_sampling_thread_is_not_counted(monkeypatch):
    """However long the sampler itself waits for a CPU, the measurement's wait is its own."""
    monkeypatch.setattr(contention, "thread_waits", sampler_waits)
    with contention.watch() as watched:
        time.sleep(3 * contention.SAMPLE)
    assert watched.shared is not None and watched.shared.waited == 0.0, watched.shared


def test_a_watch_inside_a_watch_counts_neither_sampler(monkeypatch):
    """The sweep's watch holds each run's: the runs' samplers are not the sweep's wait either."""
    monkeypatch.setattr(contention, "thread_waits", sampler_waits)
    with contention.watch() as outer:
        for _ in range(2):
            with contention.watch() as inner:
                time.sleep(3 * contention.SAMPLE)
            assert inner.shared is not None and inner.shared.waited == 0.0, inner.shared
    assert outer.shared is not None and outer.shared.waited == 0.0, outer.shared
    assert not contention._SAMPLERS  # every sampler that ended is no longer noted


def test_the_cpu_table_is_cautioned_by_its_own_single_thread_row(capsys):
    """Chapter 12's CPU-bound table under load: its one-after-another row took longer than its
    CPU time, and the caution says about how much."""
    with load(cpus_load()):
        results = cpu_builds.compare_builds(
            numbers=[300_000] * 8, rounds=1, pythons={"this": sys.executable}
        )
    one = results["builds"]["this"]["one after another"]
    printed = capsys.readouterr().out
    found = CAUTION.search(printed)
    assert found, printed
    assert int(found.group(3)) >= round((one["elapsed"] / one["cpu"] - 1) * 100) - 1, printed


def test_chapter_02s_speedup_and_07s_sweep_say_it_when_their_threads_waited(fast_pages, capsys):
    """The speed-up and the sweep under a load heavy enough that their threads wait for a CPU
    (two busy processes a CPU): each prints the caution under its figures."""
    with load(2 * contention.sample().cpus):
        slow = lessons_run("sync", fast_pages)
        fast = lessons_run("threads", fast_pages)
        compare(slow, fast)
        swept = sweep.sweep(counts=(2, 8), sites=fast_pages, latency=0.01)
        sweep.report(swept)
    printed = capsys.readouterr().out
    assert len(CAUTION.findall(printed)) == 2, printed


def test_chapter_07s_spread_of_runs_says_it_when_they_waited(fast_pages, capsys):
    """The internet's spread of run times under the same load: one caution under the ranges."""
    with load(2 * contention.sample().cpus):
        pairs = [internet.Pair(lessons_run("sync", fast_pages), lessons_run("threads", fast_pages))]
    internet.report(pairs)
    printed = capsys.readouterr().out
    assert printed.rstrip().splitlines()[-1].startswith("Caution: the machine"), printed
    assert len(CAUTION.findall(printed)) == 1, printed


def lessons_run(mode: str, pages: list[str]):
    from lessons.course.runs import run

    return run(mode, 4, sites=pages, quiet=True, show=False)


@pytest.mark.parametrize("mode", ["sync", "threads"])
def test_a_run_keeps_what_the_machine_did(fast_pages, mode):
    from lessons.course.runs import run

    result = run(mode, 4, sites=fast_pages, quiet=True, show=False)
    assert isinstance(result.shared, Shared) and result.shared.seconds > 0
