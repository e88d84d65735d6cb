"""The tests that measure threads, processes, asyncio and the command line, run again by the
Python 3.15 kernel's interpreter, each file in a pytest of that interpreter's own."""

from other_pythons import files_run_by

test_tools, test_passes_on_python_315 = files_run_by("python3.15")
