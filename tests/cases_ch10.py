"""Chapter 10's exercises for tests/test_exercises.py: right answers written other ways than the
key, and wrong ones with the words their "Not yet" must say."""

from exercise_case import Case

EXERCISES = [("check_download", "my_download"), ("check_work", "my_work")]
NAMES = ("App", "BlockingApp", "WorkerApp", "BATCH", "threading", "asyncio")
DOWNLOAD, WORK = "check_download", "check_work"

RIGHT = [
    Case(
        "thread-subclass-and-a-flag",
        "ch10",
        DOWNLOAD,
        """
        class Worker(threading.Thread):
            def __init__(self, app):
                super().__init__(daemon=True)
                self.app = app

            def run(self):
                self.app.work()


        def my_download(app):
            if app.worker and app.worker.is_alive():
                return
            app.worker = Worker(app)
            app.worker.start()
        """,
    ),
    Case(
        "one-update-coroutine-per-batch",
        "ch10",
        WORK,
        """
        async def show(app, done, style=""):
            app.progress.value = done
            if style:
                app.progress.bar_style = style


        def my_work(app):
            total = len(app.sites)
            for start in range(0, total, BATCH):
                app.download_all_sites(app.sites[start : start + BATCH], app.max_workers)
                done = min(start + BATCH, total)
                style = "success" if done == total else ""
                asyncio.run_coroutine_threadsafe(show(app, done, style), app.ui_loop)
        """,
    ),
    Case(
        "setattr-handed-over",
        "ch10",
        WORK,
        """
        def my_work(app):
            pages = app.sites
            for start in range(0, len(pages), BATCH):
                app.download_all_sites(pages[start : start + BATCH], app.max_workers)
                value = min(start + BATCH, len(pages))
                app.ui_loop.call_soon_threadsafe(setattr, app.progress, "value", value)
            app.ui_loop.call_soon_threadsafe(setattr, app.progress, "bar_style", "success")
        """,
    ),
]

WRONG = [
    Case(
        "a-worker-every-click",
        "ch10",
        DOWNLOAD,
        """
        def my_download(app):
            app.worker = threading.Thread(target=app.work, daemon=True)
            app.worker.start()
        """,
        ("second click started a second download (2 at once)", "app.worker"),
    ),
    Case(
        "target-called-here",
        "ch10",
        DOWNLOAD,
        """
        def my_download(app):
            if app.worker is None or not app.worker.is_alive():
                app.worker = threading.Thread(target=app.work())
                app.worker.start()
        """,
        ("held the UI thread",),
    ),
    Case(
        "worker-sets-the-bar",
        "ch10",
        DOWNLOAD,
        """
        def my_download(app):
            if app.worker is not None and app.worker.is_alive():
                return

            def fetch():
                app.download_all_sites(app.sites, app.max_workers)
                app.progress.value = len(app.sites)

            app.worker = threading.Thread(target=fetch, name="fetcher", daemon=True)
            app.worker.start()
        """,
        ("the thread 'fetcher' set progress.value, not the UI thread", "call_soon_threadsafe"),
    ),
    Case(
        "show-progress-called-from-the-worker",
        "ch10",
        WORK,
        """
        def my_work(app):
            for start in range(0, len(app.sites), BATCH):
                app.download_all_sites(app.sites[start : start + BATCH], app.max_workers)
                app.show_progress(min(start + BATCH, len(app.sites)))
            app.ui_loop.call_soon_threadsafe(setattr, app.progress, "bar_style", "success")
        """,
        ("(work)' set progress.value, not the UI thread",),
    ),
    Case(
        "style-set-by-the-worker",
        "ch10",
        WORK,
        """
        def my_work(app):
            for start in range(0, len(app.sites), BATCH):
                app.download_all_sites(app.sites[start : start + BATCH], app.max_workers)
                app.ui_loop.call_soon_threadsafe(app.show_progress, start + BATCH)
            app.progress.bar_style = "success"
        """,
        ("set progress.bar_style, not the UI thread",),
    ),
    Case(
        "style-forgotten",
        "ch10",
        WORK,
        """
        def my_work(app):
            for start in range(0, len(app.sites), BATCH):
                app.download_all_sites(app.sites[start : start + BATCH], app.max_workers)
                app.ui_loop.call_soon_threadsafe(app.show_progress, start + BATCH)
        """,
        ("the bar's style is '' at the end",),
    ),
]

TEMPLATES = [
    Case("template", "ch10", DOWNLOAD, "", ("held the UI thread",)),
    Case("template", "ch10", WORK, "", ("(work)' set progress.value, not the UI thread",)),
]
