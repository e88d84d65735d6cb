"""Threads in Python: the course's helper package. It only hands on names from its modules."""

from .demo_server import DemoSites, SiteProfile
from .record import Download, Recorder, Run, mark
from .runs import MAX_WORKERS, check_max_workers, run, run_sync, run_threads
from .sites import (
    REAL_SITES,
    TIMEOUT,
    SitesUnreachable,
    get_sites,
    start_demo_sites,
    stop_demo_sites,
)

__all__ = [
    "MAX_WORKERS",
    "REAL_SITES",
    "TIMEOUT",
    "DemoSites",
    "Download",
    "Recorder",
    "Run",
    "SiteProfile",
    "SitesUnreachable",
    "check_max_workers",
    "get_sites",
    "mark",
    "run",
    "run_sync",
    "run_threads",
    "start_demo_sites",
    "stop_demo_sites",
]
