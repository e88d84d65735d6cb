"""Threads in Python: the course's helper package. It only hands on names from its modules.

Each name is imported on first use (PEP 562), so that a process that needs one program (a child
of a process pool, say) does not import the widgets and the plots as well.
"""

import importlib
import importlib.util

_WHERE = {
    "DemoSitesFailed": "course.demo_process",
    "DemoSitesProcess": "course.demo_process",
    "SiteProfile": "course.demo_server",
    "DemoSites": "course.demo_sites",
    "compare": "course.notebook",
    "order": "chapters.ch02",
    "plot_timeline": "course.notebook",
    "setup": "course.notebook",
    "show_source": "course.notebook",
    "waiting": "chapters.ch01",
    "Download": "course.record",
    "Recorder": "course.record",
    "Run": "course.record",
    "mark": "course.record",
    "MAX_WORKERS": "course.runs",
    "check_max_workers": "course.runs",
    "run": "course.runs",
    "run_sync": "course.runs",
    "run_threads": "course.runs",
    "REAL_SITES": "course.sites",
    "TIMEOUT": "course.sites",
    "SitesUnreachable": "course.sites",
    "get_sites": "course.sites",
    "site_letter": "course.sites",
    "start_demo_sites": "course.sites",
    "stop_demo_sites": "course.sites",
    "projector": "course.projector",
    "Explorer": "course.worker_explorer",
    "explorer": "course.worker_explorer",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value  # imported once; later uses find it here
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}"):
        return importlib.import_module(f".{name}", __name__)  # a program: lessons.threaded
    raise AttributeError(f"module 'lessons' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
