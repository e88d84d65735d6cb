"""The command line: python -m lessons sync | threads | ..., its last line, its one-line errors."""

import os
import re
import select
import signal
import subprocess
import sys
import time

import pytest
from command_line import run_lessons
from loopback import closed_port_url

from lessons.__main__ import main

LAST_LINE = re.compile(r"^Downloaded (\d+) in \d+\.\d+ seconds$")


@pytest.mark.parametrize("mode", ["threads", "asyncio", "processes"])
def test_a_fresh_process_prints_marks_and_the_last_line(mode):
    done = run_lessons(mode)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert set(lines[0]) == {"J", "R"} and len(lines[0]) == 160
    assert LAST_LINE.match(lines[-1]).group(1) == "160"


@pytest.mark.parametrize("mode", ["sync", "threads", "primitives", "asyncio", "processes"])
def test_url_copies_and_quiet(fast_sites, capsys, mode):
    url = fast_sites.urls["Jython"]
    assert main([mode, "--url", url, "--copies", "7", "--quiet", "--workers", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and LAST_LINE.match(out[0]).group(1) == "7"


def test_two_urls_alternate_like_the_lesson(fast_sites, capsys):
    jython, real_python = fast_sites.urls.values()
    assert main(["sync", "--url", jython, "--url", real_python, "--copies", "3"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "JRJRJR"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["threads", "--workers", "0"], "error: max_workers must be at least 1"),
        (["threads", "--workers", "-2"], "error: max_workers must be at least 1"),
        (["threads", "--workers", "10000"], "error: max_workers=10000 is too many"),
        (["threads", "--workers", "five"], "error: argument --workers: invalid int value"),
        (["threads", "--copies", "0"], "error: --copies must be 1 or more"),
        (["threads", "--url", "www.example"], "error: --url 'www.example' is not a web address"),
        (["asyncio", "--workers", "0"], "error: max_workers must be at least 1"),
        (["processes", "--workers", "100"], "error: max_workers=100 is too many processes"),
        (["faster"], "error: argument mode: invalid choice"),
    ],
)
def test_bad_input_exits_nonzero_with_one_clear_line(capsys, argv, message):
    try:
        code = main(argv)
    except SystemExit as exit:
        code = exit.code
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith(message)
    assert captured.err.count("\n") == 1 and captured.out == ""


@pytest.mark.parametrize("mode", ["threads", "asyncio"])
def test_a_closed_port_ends_with_a_summary_not_tracebacks(capsys, mode):
    url = closed_port_url()
    start = time.monotonic()
    assert main([mode, "--url", url, "--copies", "20"]) == 1
    assert time.monotonic() - start < 5
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "x" * 20 and len(lines) == 3
    failed = re.fullmatch(
        r"Failed 20 of 20 pages: (\d+) x connection refused, "
        r"(\d+) x not tried after 5 failures in a row\.",
        lines[1],
    )
    assert failed, lines[1]
    assert int(failed[1]) >= 5 and int(failed[1]) + int(failed[2]) == 20
    assert LAST_LINE.match(lines[-1]).group(1) == "0"


def test_real_sites_offline_is_one_line(capsys, unreachable_real_sites):
    assert main(["threads", "--real"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: The real sites cannot be reached") and err.count("\n") == 1


@pytest.mark.parametrize(
    "program",
    [
        ["sync"],
        ["threads", "--workers", "2"],
        ["primitives", "--workers", "2"],
        ["asyncio", "--workers", "2"],
        ["processes", "--workers", "2"],
    ],
    ids=["sync", "threads", "primitives", "asyncio", "processes"],
)
def test_ctrl_c_stops_the_run_with_one_line_and_exit_130(program):
    env = {k: v for k, v in os.environ.items() if k != "LESSONS_SITES"}
    process = subprocess.Popen(
        [sys.executable, "-m", "lessons", *program],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        # Interrupt the run, not the start-up: wait for its first mark (a slow import under
        # load once took longer than a fixed wait), then let it go on a little.
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "no mark within 30 s"
        first = process.stdout.read(1)
        time.sleep(0.5)
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        out = first + out
    finally:
        process.kill()
    assert time.monotonic() - interrupted < 2
    assert process.returncode == 130
    lines = out.splitlines()
    assert re.fullmatch(r"Interrupted after (\d+) of 160 pages\.", lines[-2])
    assert LAST_LINE.match(lines[-1])
    assert err == ""
