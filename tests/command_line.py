"""The course's command line in a fresh process, as a learner or an instructor types it."""

import os
import subprocess
import sys


def run_lessons(
    *args: str, python: str = sys.executable, env: dict[str, str] | None = None, **options
) -> subprocess.CompletedProcess:
    """`python -m lessons ARGS`, its output captured as text, bounded to 60 s.

    It inherits this environment without LESSONS_SITES (so a learner's LESSONS_SITES=real never
    sends the tests to the internet), with `env` added on top.
    """
    environment = {k: v for k, v in os.environ.items() if k != "LESSONS_SITES"}
    return subprocess.run(
        [python, "-m", "lessons", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**environment, **(env or {})},
        **options,
    )
