"""The kernel's faults (interrupts, a slow server, two kernels, reruns, a restart) on the
free-threaded kernel: the same tests as tests/test_kernel_faults.py, on the other build."""

import pytest
from test_kernel_faults import (  # noqa: F401 (collected here, on this module's kernel_name)
    explorer_reruns,
    kernel,
    new_kernel,
    test_explorer_rerun_does_not_grow_the_live_widgets,
    test_explorer_rerun_leaves_one_explorer_and_clamps_workers,
    test_interrupt_against_a_slow_server_ends_at_the_read_timeout,
    test_interrupt_stops_the_run_and_leaves_no_threads_or_sockets,
    test_restarted_kernel_starts_fresh_demo_sites_and_runs,
    test_two_kernels_run_at_once_on_their_own_demo_sites,
)
from two_builds import FREE_THREADED, require_kernel


@pytest.fixture(scope="module")
def kernel_name() -> str:
    require_kernel(FREE_THREADED)
    return FREE_THREADED
