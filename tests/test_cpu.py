"""Chapter 12, CPU-bound: the three versions, the process pool's children, the pickling trap."""

import concurrent.futures
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from lessons import cpu
from lessons.course import builds, cpu_builds, cpu_lab

pytestmark = pytest.mark.timeout(60)

SMALL = [2_000 + x for x in range(6)]  # quick: the tests check behaviour, never speed
SINGLETONS = (b"multiprocessing.resource_tracker", b"multiprocessing.forkserver")


def child_pids() -> set[int]:
    """Processes whose parent is this one, read from /proc, without the resource tracker and
    the fork server (multiprocessing starts each once, on first use, to live as long as this
    process)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except (OSError, ValueError, IndexError):
            continue  # ended while we looked
        if ppid == os.getpid() and not any(name in command for name in SINGLETONS):
            found.add(int(entry))
    return found


@pytest.fixture
def no_children_left():
    """The test starts no process that outlives it."""
    before = child_pids()
    yield
    deadline = time.monotonic() + 5
    while child_pids() - before and time.monotonic() < deadline:
        time.sleep(0.05)  # a pool's children may take a moment to be reaped
    assert not multiprocessing.active_children()
    assert not child_pids() - before, "a child process was left behind"


def test_the_three_versions_give_the_same_sums(no_children_left):
    expected = [sum(i * i for i in range(n)) for n in SMALL]
    assert cpu.find_sums(SMALL) == expected
    assert cpu.find_sums_threads(SMALL, max_workers=3) == expected
    assert cpu.find_sums_processes(SMALL, max_workers=2) == expected


def test_the_pool_never_forks():
    assert cpu.START_METHOD in ("spawn", "forkserver")


def test_pool_startup_waits_for_every_worker(no_children_left):
    assert cpu_lab.pool_startup(2) > 0


def test_interpreter_reports_its_facts(capsys):
    facts = cpu_lab.interpreter()
    assert set(facts) == {
        "version",
        "implementation",
        "free_threaded_build",
        "gil_enabled",
        "cpu_count",
        "usable_cpus",
        "start_method",
        "builds",
    }
    assert list(facts["builds"])[0] == builds.this_build().name
    assert facts["version"] == ".".join(map(str, sys.version_info[:3]))
    assert facts["usable_cpus"] >= 1 and facts["start_method"] == cpu.START_METHOD
    if not hasattr(sys, "_is_gil_enabled"):
        assert facts["gil_enabled"] is True and facts["free_threaded_build"] is False
    out = capsys.readouterr().out
    assert "the GIL is" in out and "usable by this process" in out


def square(n):
    return n * n


def test_a_function_of_main_fails_in_the_pool_with_a_clear_message(
    monkeypatch, capsys, no_children_left
):
    """As a notebook cell's function: pickled by reference to __main__, where the child has none."""
    monkeypatch.setattr(square, "__module__", "__main__")
    monkeypatch.setattr(sys.modules["__main__"], "square", square, raising=False)
    start = time.monotonic()
    error = cpu_lab.try_in_pool(square, 12, seconds=20)
    assert time.monotonic() - start < 20
    assert isinstance(error, concurrent.futures.process.BrokenProcessPool)
    out = capsys.readouterr()
    assert "BrokenProcessPool" in out.out
    # pickle's words for it: "Can't get attribute 'square' on <module '__main__' ...>" up to
    # 3.13, "module '__main__' has no attribute 'square'" from 3.14
    assert (
        "AttributeError: Can't get attribute 'square' on <module '__main__'" in out.out
        or "AttributeError: module '__main__' has no attribute 'square'" in out.out
    ), out.out
    assert "__main__.square" in out.out and "put it in a module" in out.out
    assert "Traceback" not in out.err  # the child's traceback went to its file, not here


def test_a_lambda_cannot_even_be_sent(capsys, no_children_left):
    error = cpu_lab.try_in_pool(lambda n: n, 3)
    assert type(error).__name__ in ("PicklingError", "AttributeError")  # local: AttributeError
    out = capsys.readouterr().out
    # "Can't pickle local object" (Python 3.12 and older), "Can't get local object" (3.13+)
    assert re.search("Can't (pickle|get) local object", out), out
    assert "define it at the top of a module" in out


def test_an_importable_function_works_in_the_pool(capsys, no_children_left):
    assert cpu_lab.try_in_pool(cpu.cpu_bound, 10) == 285
    assert "= 285" in capsys.readouterr().out


def test_a_task_that_overruns_is_stopped(capsys, no_children_left):
    start = time.monotonic()
    error = cpu_lab.try_in_pool(time.sleep, 30, seconds=1)
    assert isinstance(error, TimeoutError)
    assert time.monotonic() - start < 10
    assert "did not end in time" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [0, 10_000, "2", 2.0, True, None])
def test_bad_worker_counts_give_a_clear_error(bad):
    with pytest.raises(ValueError, match="rounds"):
        cpu_builds.compare_builds(SMALL, rounds=bad)
    with pytest.raises(ValueError, match="max_workers"):
        cpu_lab.check_workers(bad, cpu_lab.MAX_PROCESSES, "max_workers")


def test_the_lessons_own_functions_refuse_zero_workers():
    with pytest.raises(ValueError):
        cpu.find_sums_threads(SMALL, max_workers=0)
    with pytest.raises(ValueError):
        cpu.find_sums_processes(SMALL, max_workers=0)


def test_a_pool_child_imports_no_plots_widgets_or_requests():
    """What a spawned child imports to run try_in_pool's initializer: cheap to start."""
    code = (
        "import sys, lessons.course.cpu_lab\n"
        "heavy = {'matplotlib', 'requests', 'ipywidgets', 'IPython'} & set(sys.modules)\n"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "[]", out.stderr


def test_an_interrupt_while_waiting_stops_the_pool(no_children_left):
    """Ctrl-C (here: a real SIGINT to the main thread) while the child works: nothing waits on."""
    timer = threading.Timer(
        1.0, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT)
    )
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            cpu_lab.try_in_pool(time.sleep, 30)
    finally:
        timer.cancel()
    assert time.monotonic() - start < 10


def test_interpreter_on_a_free_threaded_build(monkeypatch, capsys):
    """As 3.13t or 3.14t would answer (none is installed here: both answers are stand-ins)."""
    monkeypatch.setattr(builds.sysconfig, "get_config_var", lambda name: 1)
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    facts = cpu_lab.interpreter()
    assert facts["free_threaded_build"] is True and facts["gil_enabled"] is False
    assert "a free-threaded build; the GIL is off" in capsys.readouterr().out


# ---- chapter 12: the learner's module, reloaded; its checks' bad inputs ------------------------


def test_an_edit_of_the_same_size_within_the_second_is_reloaded(tmp_path, monkeypatch):
    from lessons.chapters import ch12

    monkeypatch.syspath_prepend(str(tmp_path))
    source = tmp_path / "my_edit.py"
    source.write_text("ANSWER = 1\n")
    import my_edit

    source.write_text("ANSWER = 2\n")  # same size, same second: the .pyc would look current
    assert ch12.reload(my_edit).ANSWER == 2
    with pytest.raises(TypeError, match="not a module"):
        ch12.reload("my_edit")


def test_the_checks_say_not_yet_to_what_is_not_a_function_or_a_module():
    from lessons.chapters import ch12

    assert ch12.check_chunks(None).startswith("Not yet, because None is not a function")
    assert ch12.check_primes(None).startswith("Not yet, because None is not a module")
    said = ch12.check_primes(cpu)  # a module, without the exercise's names
    assert "has no count_primes and count_primes_processes" in said


def test_a_function_that_hangs_or_raises_is_a_not_yet_in_bounded_time(monkeypatch):
    from lessons.chapters import ch12

    monkeypatch.setattr(ch12, "SECONDS", 0.5)
    started = time.perf_counter()
    said = ch12.check_chunks(lambda numbers, max_workers: time.sleep(3))
    assert "did not return within 0.5 s" in said and time.perf_counter() - started < 2.5

    def broken(numbers, max_workers):
        raise ValueError("no chunks")

    assert "broken raised ValueError: no chunks" in ch12.check_chunks(broken)
