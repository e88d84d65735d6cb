"""Threads in Python: the course's helper package. It only hands on names from its modules."""

from .course.demo_process import DemoSitesFailed, DemoSitesProcess
from .course.demo_server import SiteProfile
from .course.demo_sites import DemoSites
from .course.exercises import check_floor, check_sync_estimate
from .course.notebook import compare, order, plot_timeline, setup, show_source, waiting
from .course.record import Download, Recorder, Run, mark
from .course.runs import MAX_WORKERS, check_max_workers, run, run_sync, run_threads
from .course.sites import (
    REAL_SITES,
    TIMEOUT,
    SitesUnreachable,
    get_sites,
    start_demo_sites,
    stop_demo_sites,
)
from .course.worker_explorer import Explorer, explorer

__all__ = [
    "MAX_WORKERS",
    "REAL_SITES",
    "TIMEOUT",
    "DemoSites",
    "DemoSitesFailed",
    "DemoSitesProcess",
    "Explorer",
    "Download",
    "Recorder",
    "Run",
    "SiteProfile",
    "SitesUnreachable",
    "check_floor",
    "check_max_workers",
    "check_sync_estimate",
    "compare",
    "explorer",
    "get_sites",
    "mark",
    "order",
    "plot_timeline",
    "run",
    "run_sync",
    "run_threads",
    "setup",
    "show_source",
    "start_demo_sites",
    "stop_demo_sites",
    "waiting",
]
