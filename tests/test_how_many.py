"""Chapter 07's machinery: the limits, the sweep, the cost of threads, the internet, the checks."""

import dataclasses
import textwrap
import threading

import pytest
from conftest import FAST

from lessons import Download, Run, thread_cost, threaded
from lessons.chapters import ch07
from lessons.course import builds, costs, internet, sweep
from lessons.course import sites as site_sets

PNG = b"\x89PNG"
STANDARD_BUILD = builds.Build("3.11.7", False, True, 2, "python3.11")


def profiles(demo) -> list:
    return [dataclasses.replace(site.profile) for site in demo.sites.values()]


# ---- the limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pages, workers, latency, slots, floor",
    [
        (160, 1, 0.05, None, 8.0),
        (160, 5, 0.05, None, 1.6),
        (160, 3, 0.05, None, 54 * 0.05),  # the last round is a short one, but a whole round
        (160, 160, 0.05, None, 0.05),
        (160, 1000, 0.05, None, 0.05),
        (40, 20, 0.05, 8, 0.25),  # the server serves 8 at a time: 5 rounds, not 2
        (40, 4, 0.05, 8, 0.5),  # fewer workers than the server's slots: the workers limit
    ],
)
def test_latency_floor(pages, workers, latency, slots, floor):
    assert sweep.latency_floor(pages, workers, latency, slots) == pytest.approx(floor)


# ---- the sweep -----------------------------------------------------------------------------------


def test_sweep_gives_one_point_per_worker_count_and_the_best(fast_pages, capsys):
    pages = fast_pages[:40]
    result = sweep.sweep((1, 4, 16), sites=pages, latency=0.005)
    assert [p.workers for p in result.points] == [1, 4, 16]
    assert all(p.run.done == 40 and p.cpu >= 0 for p in result.points)
    assert result.best.run.elapsed == min(p.run.elapsed for p in result.points)
    assert result.ratio == result.best.run.elapsed / result.floor(result.best.workers)
    assert result.pages == 40 and result.slots is None
    sweep.report(result)
    out = capsys.readouterr().out
    assert (
        out.count("Downloaded 40 in") == 3 and f"Fastest: max_workers={result.best.workers}," in out
    )
    assert sweep.plot(result).data.startswith(PNG)


def test_throttled_sweep_flattens_at_the_server_and_is_undone(fast_sites, fast_pages):
    before = profiles(fast_sites)
    result = sweep.throttled(
        (1, 8), max_concurrent=2, demo=fast_sites, sites=fast_pages[:16], latency=0.005
    )
    assert result.slots == 4
    assert result.floor(8) == result.floor(4) == pytest.approx(4 * 0.005)
    assert [p.run.done for p in result.points] == [16, 16]
    assert profiles(fast_sites) == before
    assert sweep.plot(result).data.startswith(PNG)


# ---- what threads cost ---------------------------------------------------------------------------


def test_thread_cost_starts_and_joins_every_thread():
    before = threading.active_count()
    seen = []
    start, join, measured = thread_cost.start_and_join(
        30, lambda: seen.append(threading.active_count()) or "during"
    )
    assert seen == [before + 30] and measured == "during"
    assert start > 0 and join >= 0
    assert threading.active_count() == before


def test_thread_cost_joins_every_thread_even_on_an_error():
    before = threading.active_count()

    def fail():
        raise RuntimeError("while parked")

    with pytest.raises(RuntimeError, match="while parked"):
        thread_cost.start_and_join(20, fail)
    assert threading.active_count() == before


def test_thread_costs_measure_memory_and_report_it(capsys):
    cost = costs.thread_costs(40)
    assert cost.threads == 40 and cost.start > 0
    if costs.memory() is not None:  # Linux: /proc/self/statm
        assert cost.virtual > 0 and cost.resident is not None
    costs.report_costs(cost)
    said = capsys.readouterr().out
    assert said.startswith(f"Python {builds.this_build().name}: 40 threads started in ")


def test_default_max_workers_is_the_pools_own():
    assert costs.default_max_workers(1) == 5
    assert costs.default_max_workers(2) == 6
    assert costs.default_max_workers(64) == 32
    assert costs.report_default() == costs.default_max_workers()


# ---- the internet profile, undone ----------------------------------------------------------------


def test_profile_changes_are_undone_even_on_an_exception(fast_sites):
    before = profiles(fast_sites)
    with pytest.raises(RuntimeError), internet.sites_changed(fast_sites, use="internet"):
        assert fast_sites.sites["Real Python"].profile.max_concurrent == 8
        assert fast_sites.sites["Jython"].profile.tail > 0
        raise RuntimeError("the cell failed")
    assert profiles(fast_sites) == before == list(FAST)


def test_a_learners_own_settings_are_kept(fast_sites):
    fast_sites.configure("Jython", latency=0.02)
    with internet.sites_changed(fast_sites, use="internet", error_rate=0.0):
        pass
    assert fast_sites.sites["Jython"].profile.latency == 0.02


def test_an_unknown_profile_set_is_refused(fast_sites):
    changed = internet.sites_changed(fast_sites, use="mars")
    with pytest.raises(ValueError, match="the profile sets are"), changed:
        pass


def test_spread_runs_both_programs_and_undoes_the_profile(fast_sites, fast_pages, capsys):
    before = profiles(fast_sites)
    pairs = internet.spread(repeats=2, max_workers=4, demo=fast_sites, sites=fast_pages[:8])
    assert [(p.sync.mode, p.threads.mode, p.sync.pages) for p in pairs] == [
        ("sync", "threads", 8)
    ] * 2
    assert all(p.speedup > 0 for p in pairs)
    assert profiles(fast_sites) == before
    internet.report(pairs)
    assert "Speed-ups: from" in capsys.readouterr().out
    assert internet.plot(pairs).data.startswith(PNG)


def test_spread_undoes_the_profile_when_a_run_fails(fast_sites, fast_pages, monkeypatch):
    before = profiles(fast_sites)

    def broken(*args, **kwargs):
        assert fast_sites.sites["Jython"].profile.tail > 0  # the internet set was in force
        raise KeyboardInterrupt

    monkeypatch.setattr(internet, "run", broken)
    with pytest.raises(KeyboardInterrupt):
        internet.spread(repeats=1, demo=fast_sites, sites=fast_pages[:4])
    assert profiles(fast_sites) == before


# ---- chapter 07's own: the learner's program swept, and the self-checks ------------------------


@pytest.fixture
def demo(fast_sites, monkeypatch):
    """The fast demo sites, as the ones start_demo_sites() returns (the checks use those)."""
    monkeypatch.setattr(site_sets, "_demo", fast_sites)
    return fast_sites


def cell(source: str, **names) -> dict:
    """A cell run after the threaded program's cells, as a notebook's kernel runs it."""
    namespace = {**vars(threaded), "__name__": "__main__", **names}
    exec(textwrap.dedent(source), namespace)
    return namespace


def test_the_sweep_runs_the_learners_own_function(demo, capsys):
    calls = []
    learner = cell(
        """
        def download_all_sites(sites, max_workers=5):
            calls.append(max_workers)
            with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                return list(executor.map(download_site, sites))
        """,
        calls=calls,
    )
    result = sweep.sweep((2, 4), copies=4, program=learner["download_all_sites"])
    assert calls == [2, 4] and [p.run.done for p in result.points] == [8, 8]
    assert result.program == "download_all_sites"


def test_a_learners_function_that_raises_ends_the_sweep_with_its_line(demo, capsys):
    learner = cell(
        """
        def download_all_sites(sites, max_workers=5):
            raise ValueError("oops")
        """
    )
    result = ch07.sweep(learner["download_all_sites"], counts=(2, 4, 8), copies=2)
    printed = capsys.readouterr().out
    assert len(result.points) == 1
    assert "raised ValueError: oops" in printed and "Traceback" not in printed


def test_most_at_once_counts_overlaps_per_site():
    downloads = [
        Download("u", "J", "T1", 0.0, 1.0),
        Download("u", "J", "T2", 0.5, 1.5),
        Download("u", "R", "T3", 0.6, 0.7),
        Download("u", "J", "T4", 1.0, 2.0),  # starts as T1's ends: not at once
    ]
    assert ch07.most_at_once(downloads, "J") == 2
    assert ch07.most_at_once(downloads, "R") == 1
    assert ch07.most_at_once(downloads) == 3


def test_the_choice_check_stops_a_function_that_runs_too_often(demo):
    def choose_workers(download_all_sites, sites):
        for n in range(1, 100):
            download_all_sites(sites, max_workers=n)
        return 4

    verdict = ch07.check_choose_workers(choose_workers)
    assert verdict.startswith("Not yet, because it raised RuntimeError: the check allows 12")
    assert [site.profile.max_concurrent for site in demo.sites.values()] == [None, None]


def test_the_choice_check_gives_up_on_a_function_that_hangs(demo, monkeypatch):
    monkeypatch.setattr(ch07, "WAIT_SECONDS", 0.5)

    def choose_workers(download_all_sites, sites):
        threading.Event().wait(3)
        return 4

    assert ch07.check_choose_workers(choose_workers).startswith("Not yet, because it had not")


def test_the_choice_check_is_not_yet_for_a_function_that_is_none(demo):
    assert ch07.check_choose_workers(None).startswith("Not yet, because None is not a function")


def test_the_polite_check_refuses_an_odd_limit(demo):
    namespace = {"SERVES_AT_ONCE": "four"}
    exec("def download_all_politely(sites, max_workers=20):\n    return []", namespace)
    verdict = ch07.check_polite(namespace["download_all_politely"])
    assert verdict.startswith("Not yet, because SERVES_AT_ONCE is 'four'")


def test_slow_answers_are_counted():
    quick, slow = (Download("u", "J", "T", 0.0, end) for end in (0.1, internet.SLOW + 0.1))
    result = Run("sync", None, 3, [quick, slow, slow], 1.0)
    assert internet.slow(result) == " (2 slow answers)"
    assert internet.slow(Run("sync", None, 1, [quick], 0.1)) == ""
