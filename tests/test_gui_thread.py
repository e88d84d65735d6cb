"""Chapter 10's two apps driven in-process with button.click(), as under nbclient."""

import threading

import pytest

from lessons.course import gui_lab
from lessons.gui_thread import BATCH, BlockingApp, WorkerApp


@pytest.fixture
def threads_before():
    """The threads alive before a test; none of the test's may be left after it."""
    before = set(threading.enumerate())
    yield before
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, f"threads left running: {left}"


@pytest.fixture
def apps(fast_sites, threads_before):
    made = []

    def make(kind, **options):
        app = gui_lab.make_app(kind, demo=fast_sites, **options)
        made.append(app)
        return app

    yield make
    for app in made:
        gui_lab.close(app)


def test_blocking_callback_returns_after_the_pages(apps):
    app = apps("blocking")
    app.download_button.click()
    assert app.progress.value == len(app.sites)  # the work was done inside the callback
    app.count_button.click()
    assert app.count.value == "1 clicks"
    assert [call.button for call in app.calls] == ["Download", "Count"]
    assert app.calls[0].thread == threading.current_thread().name


def test_worker_callback_returns_before_the_pages_and_counts_meanwhile(apps):
    app = apps("worker", copies=200)  # 400 pages: still downloading when Count is clicked
    app.download_button.click()
    assert app.worker.is_alive()
    app.count_button.click()
    assert app.count.value == "1 clicks"
    assert app.progress.value < len(app.sites)
    assert gui_lab.wait_for(app)
    assert app.progress.value == len(app.sites)


def test_progress_reaches_the_bar_in_batches(apps):
    app = apps("worker")
    seen = []
    app.progress.observe(lambda change: seen.append(change["new"]), names="value")
    app.download_button.click()
    assert gui_lab.wait_for(app)
    total = len(app.sites)
    assert seen == [*range(BATCH, total, BATCH), total]


def test_a_second_click_while_running_starts_nothing(apps):
    app = apps("worker", copies=200)
    app.download_button.click()
    first = app.worker
    app.download_button.click()
    assert app.worker is first
    assert gui_lab.wait_for(app)
    app.download_button.click()  # after the end, a click starts a new download
    assert app.worker is not first
    assert gui_lab.wait_for(app)


def test_stop_ends_the_worker_between_batches(apps):
    app = apps("worker", copies=200)
    app.download_button.click()
    app.stop_button.click()
    assert gui_lab.wait_for(app)
    assert app.progress.value <= BATCH < len(app.sites)


def test_stop_before_any_download_does_nothing(apps):
    for kind in ("worker", "blocking"):
        apps(kind).stop_button.click()


def test_rerun_replaces_the_app_and_stops_its_worker(apps):
    first = apps("worker", copies=200)
    first.download_button.click()
    second = apps("worker")
    assert not first.worker.is_alive()  # make_app closed the app shown before
    assert first.widget.comm is None and first.progress.layout.comm is None  # closed
    assert second.widget.comm is not None


def test_simulate_reports_what_ran_during_the_download(apps, capsys):
    blocked = gui_lab.simulate(apps("blocking"))
    unblocked = gui_lab.simulate(apps("worker", copies=200))
    assert blocked["during"] == 0
    assert unblocked["during"] == 3
    assert unblocked["returned"] < blocked["returned"]
    out = capsys.readouterr().out
    assert "BlockingApp: the Download callback returned after" in out


def test_apps_print_no_marks(fast_sites, capsys, threads_before):
    app = BlockingApp(list(fast_sites.urls.values()) * 5, 5, gui_lab.quiet_download_all_sites)
    app.download_button.click()
    assert capsys.readouterr().out == ""


def test_check_wait(fast_sites):
    assert gui_lab.check_wait(None, demo=fast_sites).startswith("Not yet, because there is no")
    assert gui_lab.check_wait("2", demo=fast_sites).startswith("Not yet")
    assert not gui_lab.check_wait(100.0, demo=fast_sites).correct


def blocking(app):
    app.download_all_sites(app.sites, app.max_workers)
    app.progress.value = len(app.sites)


def twice(app):
    def work():
        app.download_all_sites(app.sites, app.max_workers)
        app.progress.value = len(app.sites)

    threading.Thread(target=work, daemon=True).start()


def once(app):
    if getattr(app, "worker", None) is not None and app.worker.is_alive():
        return
    app.worker = threading.Thread(target=blocking, args=(app,), daemon=True)
    app.worker.start()


def no_bar(app):
    if getattr(app, "worker", None) is None:
        app.worker = threading.Thread(target=app.download_all_sites, args=(app.sites,))
        app.worker.start()


@pytest.mark.parametrize(
    ("download", "says"),
    [
        (blocking, "to return"),
        (twice, "second download"),
        (no_bar, "the bar reads"),
        (once, "Correct"),
    ],
)
def test_check_callback(fast_sites, threads_before, download, says):
    verdict = gui_lab.check_callback(download, demo=fast_sites, copies=100)
    assert says in verdict, verdict
    assert verdict.correct == (says == "Correct")


def test_the_learners_class_uses_the_lessons_download_all_sites(fast_sites):
    # On its own the class runs the lesson's program (which prints marks); the course's apps
    # are given a quiet one.
    app = WorkerApp(list(fast_sites.urls.values()), 2)
    assert app.download_all_sites.__module__ == "lessons.threaded"
