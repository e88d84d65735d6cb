"""The doctor for a room: the machine's CPUs, memory and load, and whether it holds N learners
by the cost one learner measured in benchmarks/classroom.py."""

import re
import subprocess
import sys

from lessons import doctor_room
from lessons.course.builds import usable_cpus


def test_the_machine_row_says_cpus_memory_and_load():
    row = doctor_room.check_machine()
    assert row.check == "machine" and row.result in ("ok", "warn")
    assert re.match(r"\d+ CPUs?, [\d.]+ GB of memory \([\d.]+ GB free\), load [\d.]+", row.found)


def test_a_class_this_machine_holds_is_ok_and_says_the_figures_it_used():
    row = doctor_room.check_room(1)
    assert row.result == "ok", row
    assert f"{doctor_room.MEMORY_PER_LEARNER_MB} MB each" in row.found
    assert f"{doctor_room.LEARNERS_PER_CPU} learners a CPU" in row.found
    assert doctor_room.MEASURED_ON in row.found


def test_a_class_past_the_quiet_share_is_warned_that_its_timings_are_the_rooms():
    quiet = max(1, int(usable_cpus() * doctor_room.QUIET_PER_CPU))
    assert doctor_room.check_room(quiet).result == "ok"
    row = doctor_room.check_room(quiet + 1)
    assert row.result == "warn" and "timings are the room's" in row.found, row
    assert "in turns" in row.fix, row


def test_a_class_too_big_fails_and_names_what_is_short(monkeypatch):
    too_many = usable_cpus() * doctor_room.LEARNERS_PER_CPU + 1
    row = doctor_room.check_room(too_many)
    assert row.result == "fail" and row.found.endswith("too few CPUs") and "hubs" in row.fix, row
    # With memory free for two learners only, memory is what is short.
    per = doctor_room.MEMORY_PER_LEARNER_MB
    monkeypatch.setattr(doctor_room, "memory_mb", lambda: (8192, 2.5 * per / doctor_room.HEADROOM))
    row = doctor_room.check_room(3)
    assert row.result == "fail" and row.found.endswith("not enough memory"), row
    assert "holds about 2" in row.found, row


def test_learners_goes_with_the_doctor_only():
    done = subprocess.run(
        [sys.executable, "-m", "lessons", "threads", "--learners", "5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--learners N (1 or more) goes with doctor only" in done.stderr
