"""The GUI-thread pattern: only the UI thread touches widgets; a worker hands it its results."""

import asyncio
import threading

import ipywidgets as widgets

from lessons.threaded import download_all_sites

BATCH = 20  # pages per call of download_all_sites: the bar moves, and Stop is seen, between calls


class App:
    """Download, Stop, a progress bar, and a Count button: does the app still answer?"""

    def __init__(self, sites, max_workers=5, download_all_sites=download_all_sites):
        self.sites, self.max_workers = sites, max_workers
        self.download_all_sites = download_all_sites
        self.ui_loop = asyncio.get_running_loop()  # run by the UI thread: the kernel's own
        self.download_button = widgets.Button(description="Download")
        self.stop_button = widgets.Button(description="Stop")
        self.count_button = widgets.Button(description="Count")
        self.count = widgets.Label("0 clicks")
        self.progress = widgets.IntProgress(value=0, max=len(sites))
        self.clicks = 0
        self.download_button.on_click(self.download)
        self.stop_button.on_click(self.stop)
        self.count_button.on_click(self.add_click)
        buttons = [self.download_button, self.stop_button, self.count_button, self.count]
        self.widget = widgets.VBox([widgets.HBox(buttons), self.progress])

    def add_click(self, _button=None):
        self.clicks += 1
        self.count.value = f"{self.clicks} clicks"

    def stop(self, _button=None):
        pass  # nothing to stop

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


class BlockingApp(App):
    def download(self, _button=None):
        self.progress.value = 0
        self.download_all_sites(self.sites, self.max_workers)  # the callback does the work
        self.progress.value = len(self.sites)


class WorkerApp(App):
    worker = None

    def download(self, _button=None):  # on the UI thread
        if self.worker is not None and self.worker.is_alive():
            return  # one download at a time
        self.progress.value = 0
        self.stopping = threading.Event()
        self.worker = threading.Thread(target=self.work, daemon=True)
        self.worker.start()  # and return at once

    def work(self):  # on the worker thread: it touches no widget
        for start in range(0, len(self.sites), BATCH):
            if self.stopping.is_set():
                break
            self.download_all_sites(self.sites[start : start + BATCH], self.max_workers)
            done = min(start + BATCH, len(self.sites))
            self.ui_loop.call_soon_threadsafe(self.show_progress, done)

    def show_progress(self, done):  # on the UI thread, when it is free
        self.progress.value = done

    def stop(self, _button=None):
        if self.worker is not None:
            self.stopping.set()
