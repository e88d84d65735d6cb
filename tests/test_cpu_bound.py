"""Chapter 07's CPU bound on each build: recorded sweeps fed to the bound, the crossing, the
self-check, the answer key and the sentences a learner reads."""

import dataclasses
import importlib.util
import math
import pathlib

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


def answer_key():
    """answers/ch07_how_many_threads.py, from the repository's root (it is not installed)."""
    path = pathlib.Path(__file__).resolve().parent.parent / "answers/ch07_how_many_threads.py"
    spec = importlib.util.spec_from_file_location("ch05_answers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cpu_bound_and_where_the_floor_meets_it():
    assert sweep.cpu_bound(0.0015, 160) == pytest.approx(0.24)
    assert sweep.cpu_bound(0.0015, 160, cpus=2) == pytest.approx(0.12)
    runs = [Run("threads", n, 160, [], elapsed) for n, elapsed in ((5, 1.6), (10, 0.8))]
    points = [sweep.Point(5, runs[0], 0.3), sweep.Point(10, runs[1], 0.2)]
    result = sweep.Sweep(points, pages=160, latency=0.05, build=STANDARD)
    assert result.cpu_per_page == pytest.approx(0.2 / 160)  # the cheapest run
    assert result.cpus_used == pytest.approx(0.25) and result.cpus == 1
    assert result.cpu_bound == pytest.approx(0.2)
    assert result.crossing == pytest.approx(40)
    crossing = math.ceil(result.crossing)
    assert sweep.latency_floor(160, crossing, 0.05) <= result.cpu_bound * 1.05


@pytest.mark.parametrize("name", RECORDED)
def test_no_run_beats_the_bound_and_the_check_and_key_agree_on_each_build(name):
    result, my_workers = recorded(name), answer_key().my_workers
    assert all(p.run.elapsed >= result.cpu_bound for p in result.points)
    assert result.cpus == max(1.0, result.cpus_used) <= result.build.usable_cpus
    assert result.cpu_bound == pytest.approx(160 * result.cpu_per_page / result.cpus)
    assert 160 / result.crossing * 0.05 == pytest.approx(result.cpu_bound)
    # The floor falls in whole rounds: it has reached the bound within the check's 1.5x.
    assert sweep.latency_floor(160, math.ceil(result.crossing * 1.5), 0.05) <= result.cpu_bound
    assert sweep.check_crossing(my_workers(result), result).correct
    assert not sweep.check_crossing(round(result.crossing * 3), result).correct


def test_the_bound_is_divided_by_one_on_the_standard_build(capsys):
    result = recorded("standard")
    assert result.cpus_used == pytest.approx(0.2021 / 0.2914) and result.cpus == 1
    assert result.cpu_bound == pytest.approx(0.162) and round(result.crossing) == 49
    assert sweep.build_sentence(result) == (
        "This sweep ran on Python 3.11 (standard): with the GIL on, one thread at a time runs "
        "the client's Python; its busiest run (max_workers=160) kept 0.69 CPUs busy (CPU time "
        "/ elapsed)."
    )
    assert sweep.bound_sentence(result) == (
        "The client's CPU: at least 1.01 ms a page (its cheapest run), so 160 pages need at "
        "least 160 x 1.01 ms / 1 CPU = 0.16 s, however many threads wait."
    )
    assert sweep.bound_label(result) == "CPU bound on 3.11 (standard): P x 1.01 ms / 1 CPU"
    sweep.report(result)
    line = "max_workers=160: Downloaded 160 in 0.29 seconds; floor 0.05 s (5.8x); CPU 1.26 ms"
    assert line + " a page, 0.69 CPUs busy" in capsys.readouterr().out


def test_the_bound_is_divided_by_the_cpus_that_ran_the_work_without_a_gil():
    result = recorded("free-threaded, spread")
    mean = sum(p.cpu for p in result.points) / len(result.points)
    assert mean > result.at(160).elapsed  # the old bound, over one CPU, was beaten
    assert result.cpus == result.cpus_used == pytest.approx(0.3176 / 0.299)
    assert result.cpu_bound == pytest.approx(0.2731 / result.cpus)
    assert round(result.crossing) == 31
    assert sweep.build_sentence(result) == (
        "This sweep ran on Python 3.13t (free-threaded): without a GIL, the client's Python may "
        "run on up to 2 CPUs; its busiest run (max_workers=160) kept 1.06 CPUs busy (CPU time / "
        "elapsed): its work spread over more than one CPU."
    )
    assert sweep.bound_sentence(result) == (
        "The client's CPU: at least 1.71 ms a page (its cheapest run), so 160 pages need at "
        "least 160 x 1.71 ms / 1.06 CPUs = 0.26 s, however many threads wait, as long as its "
        "work spreads no wider than here (over all 2 CPUs: 0.14 s)."
    )
    assert sweep.bound_label(result).endswith("(free-threaded): P x 1.71 ms / 1.06 CPUs")


def test_without_a_gil_the_work_may_still_not_spread():
    result = recorded("free-threaded, not spread")
    assert result.cpus_used == pytest.approx(0.3338 / 0.3551) and result.cpus == 1
    said = sweep.build_sentence(result)
    assert said.endswith("kept 0.94 CPUs busy (CPU time / elapsed): on average, not more than one.")
    assert sweep.bound_sentence(result).endswith(
        "160 x 1.73 ms / 1 CPU = 0.28 s, however many threads wait, as long as its work "
        "spreads no wider than here (over all 2 CPUs: 0.14 s)."
    )
    result.build = dataclasses.replace(FREE_THREADED, gil_enabled=True)  # an import turned it on
    assert "3.13t (free-threaded): with the GIL on, one thread" in sweep.build_sentence(result)
    assert "spreads no wider" not in sweep.bound_sentence(result)
