"""Every notebook, top to bottom once, on the Python 3.14 kernel (twice is the python3 kernel's
test; once here keeps CI's time)."""

from test_notebooks import (  # noqa: F401 (collected here, on this module's execution)
    executions,
    test_chapters_11_and_12_run_the_interpreters_or_say_why_not,
    test_notebook_runs_without_errors,
    test_notebook_shows_the_run_a_widget_and_a_figure,
    test_printed_sentences_are_short,
)

execution = executions("python3.14", passes=1)
