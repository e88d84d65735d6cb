"""Chapter 07's CPU bound on each build: recorded sweeps fed to the bound, and the line that
says what the bound divides by."""

import dataclasses
import math

import pytest

from lessons import Download, Run
from lessons.course import builds, sweep

STANDARD = builds.Build("3.11.7", False, True, 2, "python3.11")
FREE_THREADED = builds.Build("3.13.15", True, False, 2, "python3.13t")
# Chapter 07's sweep of 160 pages at 50 ms, as run on this 2-core machine: (max_workers, elapsed,
# process CPU) of each run, seconds. On the free-threaded build the 160 workers kept 1.06 CPUs
# busy: its work spread, and the mean CPU over one CPU (0.300 s) was beaten by that run (0.299 s).
RECORDED = {
    "standard": (
        STANDARD,
        [(2, 4.4157, 0.2153), (5, 1.7417, 0.2152), (10, 0.9511, 0.1991), (20, 0.6112, 0.1671),
         (40, 0.2914, 0.162), (160, 0.2914, 0.2021)],
    ),
    "free-threaded, spread": (
        FREE_THREADED,
        [(2, 4.4892, 0.3258), (5, 1.7906, 0.3028), (10, 0.9016, 0.2966), (20, 0.4856, 0.2833),
         (40, 0.3267, 0.2731), (160, 0.299, 0.3176)],
    ),
    "free-threaded, not spread": (
        FREE_THREADED,
        [(2, 4.3479, 0.3692), (5, 1.7408, 0.3217), (10, 0.8965, 0.331), (20, 0.5188, 0.2762),
         (40, 0.3665, 0.3044), (160, 0.3551, 0.3338)],
    ),
}  # fmt: skip


def recorded(name: str) -> sweep.Sweep:
    """A recorded sweep, its runs rebuilt with 160 pages that all arrived."""
    build, runs = RECORDED[name]
    points = []
    for workers, elapsed, cpu in runs:
        pages = [Download("u", "J", "T", 0.0, elapsed)] * 160
        points.append(sweep.Point(workers, Run("threads", workers, 160, pages, elapsed), cpu))
    return sweep.Sweep(points, pages=160, latency=0.05, build=build)


def test_cpu_bound_and_the_floor():
    assert sweep.cpu_bound(0.0015, 160) == pytest.approx(0.24)
    assert sweep.cpu_bound(0.0015, 160, cpus=2) == pytest.approx(0.12)
    runs = [Run("threads", n, 160, [], elapsed) for n, elapsed in ((5, 1.6), (10, 0.8))]
    points = [sweep.Point(5, runs[0], 0.3), sweep.Point(10, runs[1], 0.2)]
    result = sweep.Sweep(points, pages=160, latency=0.05, build=STANDARD)
    assert result.cpu_per_page == pytest.approx(0.2 / 160)  # the cheapest run
    assert result.cpus_used == pytest.approx(0.25) and result.cpus == 1
    assert result.cpu_bound == pytest.approx(0.2)
    assert result.floor(5) == pytest.approx(math.ceil(160 / 5) * 0.05)


@pytest.mark.parametrize("name", RECORDED)
def test_no_recorded_run_beats_the_bound_on_either_build(name):
    result = recorded(name)
    assert all(p.run.elapsed >= result.cpu_bound for p in result.points)
    assert 1 <= result.cpus <= result.build.usable_cpus
    assert result.cpu_bound == pytest.approx(160 * result.cpu_per_page / result.cpus)


def test_with_the_gil_the_bound_divides_by_one():
    result = recorded("standard")
    assert result.cpus_used == pytest.approx(0.2021 / 0.2914) and result.cpus == 1
    assert result.cpu_bound == pytest.approx(0.162)
    assert sweep.say_cpus(result) == (
        "The GIL is on: one thread at a time runs Python, so cpus = 1."
    )
    # A free-threaded build whose GIL an import turned back on: one CPU, too.
    result.build = dataclasses.replace(FREE_THREADED, gil_enabled=True)
    assert result.cpus == 1 and sweep.say_cpus(result).startswith("The GIL is on")


def test_without_a_gil_the_bound_divides_by_the_cpus_the_work_kept_busy():
    result = recorded("free-threaded, spread")
    mean = sum(p.cpu for p in result.points) / len(result.points)
    assert mean > result.at(160).elapsed  # a bound over one CPU would have been beaten
    assert result.cpus == result.cpus_used == pytest.approx(0.3176 / 0.299)
    assert result.cpu_bound == pytest.approx(0.2731 / result.cpus)
    assert sweep.say_cpus(result) == (
        "No GIL here: the busiest run kept 1.06 CPUs busy, so cpus = 1.06."
    )


def test_without_a_gil_the_work_may_still_not_spread():
    result = recorded("free-threaded, not spread")
    assert result.cpus_used == pytest.approx(0.3338 / 0.3551) and result.cpus == 1
    assert sweep.say_cpus(result) == (
        "No GIL here: the busiest run kept 0.94 CPUs busy, so cpus = 1.00."
    )


def test_the_report_says_how_160_workers_fared_against_5(capsys):
    sweep.report(recorded("standard"))
    printed = capsys.readouterr().out
    assert "max_workers=160: Downloaded 160 in 0.29 seconds" in printed
    assert "Fastest: max_workers=40, 0.29 s." in printed
    assert "Here 160 threads were 6.0 times as fast as 5." in printed
    result = recorded("standard")
    result.points[-1].run.elapsed = 2.0
    sweep.report(result)
    assert "Here 160 threads were not faster than 5." in capsys.readouterr().out


def test_the_gains_say_when_the_gain_per_thread_shrank(capsys):
    sweep.gains(recorded("free-threaded, spread"))
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "From 2 to 5 workers: 2.70 s saved, or 899.5 ms for each thread added."
    assert printed[-1] == "The gain per thread shrank."
    sweep.gains(recorded("free-threaded, not spread"))
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == "The gain per thread shrank."
    sweep.gains(recorded("standard"))  # 40 and 160 workers took as long
    assert capsys.readouterr().out.splitlines()[-1] == (
        "The last step saved nothing: its threads only cost."
    )
