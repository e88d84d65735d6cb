"""The worker explorer driven as a learner would: slide, Run, Stop, Clear, run the cell again."""

import dataclasses
import threading
import time

import pytest

import lessons
from lessons.course import worker_explorer as explorer_module
from lessons.course.plotting import explorer_png, timeline_png

PNG = b"\x89PNG"


@pytest.fixture
def explorer(fast_pages):
    shown = lessons.explorer(sites=fast_pages)
    yield shown
    shown.close()


def test_widgets_are_there_with_their_bounds(explorer):
    assert explorer.workers.min == 1 and explorer.workers.max >= 64
    assert explorer.workers.value == 5
    assert [b.description for b in (explorer.run_button, explorer.stop_button)] == ["Run", "Stop"]
    assert explorer.clear_button.description == "Clear"
    assert bytes(explorer.figure.value).startswith(PNG)
    assert "lessons-explorer" in explorer.widget._dom_classes
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_run_records_history_progress_and_one_figure(explorer):
    explorer.workers.value = 8
    before = explorer.figure.value
    start = time.monotonic()
    explorer.run_button.click()
    assert time.monotonic() - start < 0.2  # the click returns at once: the run is in background
    assert explorer.wait(30)
    [run] = explorer.history
    assert (run.mode, run.max_workers, run.done) == ("threads", 8, 160)
    assert explorer.progress.value == 160
    assert explorer.marks.value.count("J") == 80 and explorer.marks.value.count("R") == 80
    assert explorer.status.value.startswith("Downloaded 160 in ")
    assert explorer.figure.value != before and bytes(explorer.figure.value).startswith(PNG)
    assert not explorer.run_button.disabled and explorer.stop_button.disabled


def test_synchronous_mode_and_ten_runs_keep_one_figure(explorer):
    explorer.mode.value = "sync"
    assert explorer.workers.disabled
    explorer.run_button.click()
    assert explorer.wait(30)
    explorer.mode.value = "threads"
    for workers in range(1, 10):
        explorer.workers.value = workers * 4
        explorer.run_button.click()
        assert explorer.wait(30)
    assert [r.mode for r in explorer.history] == ["sync"] + ["threads"] * 9
    assert len(explorer.widget.children) == 5  # no growing stack of outputs: the same widgets


def test_run_while_running_does_not_start_a_second_run(explorer, fast_sites):
    fast_sites.configure(latency=0.05)
    explorer.workers.value = 2
    assert explorer.run() is True
    runs_before = threading.active_count()
    assert explorer.run() is False
    explorer.run_button.click()
    assert threading.active_count() <= runs_before + 1
    assert explorer.wait(30)
    assert len(explorer.history) == 1


def test_stop_ends_a_run_within_a_second_and_leaves_it_usable(explorer, fast_sites):
    fast_sites.configure(latency=0.05)
    explorer.mode.value = "sync"
    explorer.run_button.click()
    time.sleep(0.5)
    start = time.monotonic()
    explorer.stop_button.click()
    assert explorer.wait(2)
    assert time.monotonic() - start < 1.0
    assert explorer.last.stopped and explorer.last.done < 160
    assert explorer.history == []  # a partial run's time is not an elapsed time of the program
    assert "Stopped after" in explorer.status.value
    fast_sites.configure(latency=0.005)
    explorer.mode.value = "threads"
    explorer.run_button.click()
    assert explorer.wait(30) and explorer.history[-1].done == 160


def test_clear_forgets_the_runs(explorer):
    explorer.run_button.click()
    assert explorer.wait(30)
    explorer.clear_button.click()
    assert explorer.history == [] and explorer.last is None and explorer.progress.value == 0


def test_running_the_cell_again_replaces_the_explorer(fast_pages, fast_sites):
    fast_sites.configure(latency=0.05)
    first = lessons.explorer(sites=fast_pages)
    first.workers.value = 1
    first.run()
    second = lessons.explorer(runs=first.history, sites=fast_pages)
    try:
        assert first.finished.is_set()  # the old run was stopped
        assert first.widget.comm is None  # and its widgets closed
        assert explorer_module._current is second
    finally:
        second.close()


def test_failures_show_distinctly(explorer, fast_sites):
    fast_sites.configure("Jython", error_rate=1.0)
    explorer.run_button.click()
    assert explorer.wait(30)
    assert explorer.marks.value.count(">x<") == 80
    assert "Failed 80 of 160 pages: " in explorer.status.value
    assert explorer.progress.bar_style == "danger"


def test_an_unreachable_site_set_is_a_status_not_a_traceback(unreachable_real_sites):
    shown = lessons.explorer(sites="real")
    try:
        shown.run_button.click()
        assert shown.wait(10)
        assert shown.status.value.startswith("The run did not start: The real sites cannot be")
        assert not shown.run_button.disabled
    finally:
        shown.close()


def test_plots_render_for_empty_and_full_runs(fast_pages):
    run = lessons.run_threads(3, sites=fast_pages, quiet=True, show=False)
    assert timeline_png(run).startswith(PNG)
    assert explorer_png([], None).startswith(PNG)
    assert explorer_png([run, run], run).startswith(PNG)


def test_setup_is_safe_to_run_twice(capsys):
    first = lessons.setup()
    urls = lessons.start_demo_sites().urls
    second = lessons.setup()
    assert lessons.start_demo_sites().urls == urls
    assert first.value and second.value
    assert capsys.readouterr().out.count("Demo site Jython") == 2


@pytest.mark.parametrize(
    "value, message",
    [
        (0, "max_workers must be at least 1"),
        (2.5, "max_workers must be a whole number"),
        (10_000, "max_workers=10000 is too many"),
        (65, "the explorer's slider goes from 1 to 64; got max_workers=65"),
    ],
)
def test_bad_worker_counts_for_the_explorer_get_a_clear_error(value, message):
    with pytest.raises(ValueError, match=message):
        lessons.explorer(max_workers=value)


def test_a_typed_value_outside_the_slider_is_brought_within_it(explorer):
    explorer.workers.value = 10_000
    assert explorer.workers.value == 64
    explorer.workers.value = -3
    assert explorer.workers.value == 1
    explorer.run_button.click()
    assert explorer.wait(30) and explorer.history[-1].max_workers == 1


def test_the_sites_profile_is_chosen_next_to_the_mode(explorer):
    assert explorer.profile.value == "steady"
    assert [value for _, value in explorer.profile.options] == ["steady", "internet"]
    assert "lessons-profile" in explorer.profile._dom_classes
    assert explorer.profile in explorer.widget.children[0].children


def test_an_internet_run_changes_the_demo_sites_for_that_run_only(fast_pages, fast_sites):
    before = [dataclasses.replace(site.profile) for site in fast_sites.sites.values()]
    seen = []
    shown = lessons.explorer(max_workers=64, sites=fast_pages, demo=fast_sites)
    try:
        shown.profile.value = "internet"
        shown._show = lambda downloads: seen.append(fast_sites.sites["Jython"].profile.tail)
        shown.run_button.click()
        assert shown.wait(30)
        assert shown.history[-1].done == 160
        assert seen and seen[0] > 0  # during the run: the internet profile set
        assert [site.profile for site in fast_sites.sites.values()] == before  # after: as before
        assert "internet sites" in shown.status.value
    finally:
        shown.close()


def test_the_internet_profile_needs_the_demo_sites(fast_pages):
    shown = lessons.explorer(sites=fast_pages, profile="internet")  # URLs, no demo sites named
    try:
        shown.run_button.click()
        assert shown.wait(10)
        assert shown.status.value.startswith("The run did not start: the 'internet' sites")
        assert shown.history == [] and not shown.run_button.disabled
    finally:
        shown.close()


def test_an_unknown_profile_is_a_clear_error():
    with pytest.raises(ValueError, match="profile must be one of"):
        lessons.explorer(profile="mars")
