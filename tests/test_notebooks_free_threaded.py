"""Every notebook, top to bottom and again, on the free-threaded kernel (no GIL)."""

from test_notebooks import (  # noqa: F401 (collected here, on this module's execution)
    executions,
    test_notebook_runs_without_errors,
    test_notebook_shows_the_run_a_widget_and_a_figure,
    test_running_every_cell_again_is_clean,
    test_running_every_cell_again_keeps_one_pair_of_demo_sites,
)
from two_builds import FREE_THREADED

execution = executions(FREE_THREADED)
