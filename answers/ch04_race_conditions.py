"""Chapter 04's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import threading
import time

from lessons import races

my_lock = threading.Lock()


def my_increment(times):
    """Exercise 1, the counter with room for a switch, fixed."""
    for _ in range(times):
        # The lock is held from the read to the write: another thread may run at sleep(0), but
        # it waits at the `with` and cannot read the old value in between. Taken once per
        # update, never twice by the same thread (a Lock taken twice waits for ever).
        with my_lock:
            value = races.counter
            time.sleep(0)
            races.counter = value + 1


# Exercise 2: a new Session for every page opens a new connection for every page (a Session
# keeps its connections, and each one is closed with its only page). The Jython site has 80 of
# the 160 pages: 80 connections, whatever the number of workers.
my_connections = 80

KEY = {"check_counter": my_increment, "check_connections": my_connections}
