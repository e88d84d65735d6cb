"""Chapter 10's apps driven in-process: a thread running an asyncio loop stands in for the
kernel's, and widgets are read only after the call that clicked has returned (as a cell)."""

import asyncio
import threading

import pytest

from lessons.chapters import ch10
from lessons.gui_thread import BATCH, BlockingApp, WorkerApp


@pytest.fixture
def ui(fast_sites):
    """The UI thread; every thread a test starts must be gone after it."""
    before = set(threading.enumerate())
    thread = ch10._UIThread()
    made = []

    def make(app_class, **options):
        app = thread.run(lambda: ch10.make_app(app_class, demo=fast_sites, **options))
        made.append(app)
        return app

    thread.make = make
    yield thread
    for app in made:
        thread.run(lambda app=app: ch10.close(app))
    thread.close()
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, f"threads left running: {left}"


def settle(ui, app):
    """As a cell that awaits: the worker ends and its queued updates run on the UI thread."""
    assert asyncio.run_coroutine_threadsafe(ch10.settled(app), ui.loop).result(60)


def test_blocking_callback_returns_after_the_pages(ui):
    app = ui.make(BlockingApp)
    ui.run(app.download_button.click)
    ui.run(app.count_button.click)
    assert app.progress.value == len(app.sites)  # the work was done inside the callback
    assert app.count.value == "1 clicks"
    assert [button for button, _, _ in app.calls] == ["Download", "Count"]
    assert {thread for _, thread, _ in app.calls} == {"UI thread"}


def test_worker_callback_returns_before_the_pages_and_counts_meanwhile(ui):
    app = ui.make(WorkerApp, copies=200)  # 400 pages: still downloading when Count is clicked
    ui.run(app.download_button.click)
    assert app.worker.is_alive()
    ui.run(app.count_button.click)
    assert app.count.value == "1 clicks"
    assert app.progress.value < len(app.sites)
    settle(ui, app)
    assert app.progress.value == len(app.sites)


def test_the_worker_sets_no_widget(ui):
    app = ui.make(WorkerApp)
    ui.run(app.download_button.click)
    settle(ui, app)
    assert app.setters, "no widget was set"
    assert {thread for _, thread in app.setters} == {"UI thread"}, app.setters
    assert all(thread != app.worker.name for _, thread in app.setters)


def test_updates_wait_while_the_ui_thread_is_held(ui):
    app = ui.make(WorkerApp)

    def click_and_block():  # a cell that waits for the worker without letting the loop run
        app.download_button.click()
        app.worker.join(60)
        return app.progress.value

    assert ui.run(click_and_block) == 0
    ui.run(lambda: None)  # the cell returned: the queued updates ran before this
    assert app.progress.value == len(app.sites)


def test_progress_reaches_the_bar_in_batches(ui):
    app = ui.make(WorkerApp)
    seen = []
    app.progress.observe(lambda change: seen.append(change["new"]), names="value")
    ui.run(app.download_button.click)
    settle(ui, app)
    total = len(app.sites)
    assert seen == [*range(BATCH, total, BATCH), total]


def test_a_second_click_while_running_starts_nothing(ui):
    app = ui.make(WorkerApp, copies=200)
    ui.run(app.download_button.click)
    first = app.worker
    ui.run(app.download_button.click)
    assert app.worker is first
    settle(ui, app)
    ui.run(app.download_button.click)  # after the end, a click starts a new download
    assert app.worker is not first
    settle(ui, app)


def test_a_click_from_another_thread_runs_on_the_ui_thread(ui):
    app = ui.make(WorkerApp)
    app.count_button.click()  # from this thread, as a kernel subshell would
    ui.run(lambda: None)
    assert app.count.value == "1 clicks"
    assert [thread for _, thread, _ in app.calls] == ["UI thread"]


def test_stop_ends_the_worker_between_batches(ui):
    app = ui.make(WorkerApp, copies=200)
    ui.run(app.download_button.click)
    ui.run(app.stop_button.click)
    settle(ui, app)
    assert app.progress.value <= BATCH < len(app.sites)


def test_rerun_replaces_the_app_and_stops_its_worker(ui):
    first = ui.make(WorkerApp, copies=200)
    ui.run(first.download_button.click)
    second = ui.make(WorkerApp)
    assert not first.worker.is_alive()  # make_app closed the app shown before
    assert first.widget.comm is None and first.progress.layout.comm is None
    assert second.widget.comm is not None


def test_simulate_reports_what_ran_during_the_download(ui, capsys):
    def simulate(app):
        return asyncio.run_coroutine_threadsafe(ch10.simulate(app), ui.loop).result(60)

    blocked = simulate(ui.make(BlockingApp))
    unblocked = simulate(ui.make(WorkerApp, copies=200))
    assert unblocked["returned"] < blocked["returned"]
    out = capsys.readouterr().out
    assert "Count clicks while pages downloaded: 0 of 3." in out
    assert "Count clicks while pages downloaded: 3 of 3." in out


def test_who_set_names_the_threads(ui, capsys):
    app = ui.make(WorkerApp)
    ui.run(app.download_button.click)
    settle(ui, app)
    ch10.who_set(app)
    out = capsys.readouterr().out
    assert "progress.value: set by UI thread" in out
    assert f"The worker thread, {app.worker.name}, set no widget." in out


def test_apps_print_no_marks(ui, capsys):
    app = ui.make(BlockingApp, copies=5)
    ui.run(app.download_button.click)
    assert capsys.readouterr().out == ""


def test_the_learners_class_uses_the_lessons_download_all_sites(ui, fast_sites):
    # On its own the class runs the lesson's program (which prints marks); the course's apps
    # are given a quiet one.
    app = ui.run(lambda: WorkerApp(list(fast_sites.urls.values()), 2))
    assert app.download_all_sites.__module__ == "lessons.threaded"
    assert app.ui_loop is ui.loop
