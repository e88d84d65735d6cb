"""Faults met in a real kernel: interrupts, a slow server, two kernels, reruns, a restart.

Each test drives an IPython kernel over jupyter_client as JupyterLab does, and prints what it
measured (see it with `pytest -s`). The kernels run without LESSONS_SITES: demo sites only.
"""

from __future__ import annotations

import collections
import time

import pytest
from kernel_helpers import Kernel, settle
from loopback import count_sockets, demo_children, process_gone

SETUP = "import threading, ipywidgets, lessons\ndemo = lessons.start_demo_sites()"
INTERRUPT_AFTER = 1.0  # seconds after the run starts
REPLY_WITHIN = 2.0  # seconds from the interrupt to the execute_reply
SETTLED_AFTER = 2.0  # seconds after the interrupt, threads and sockets are back
SOCKETS_GRACE = 3.0  # more seconds the socket count may take to settle
SLOW_LATENCY = 10.0  # far above the read timeout of lessons.TIMEOUT (2 s)
SLOW_INTERRUPT_AFTER = 0.5
SLOW_REPLY_WITHIN = 2.5  # the requests in flight end at the read timeout
DEFAULT_LATENCY = {
    "Jython": 0.06,
    "Real Python": 0.04,
}  # lessons.course.demo_server.DEFAULT_PROFILES
WIDGET_KINDS = (
    "sorted(__import__('collections').Counter("
    "type(w).__name__ for w in ipywidgets.Widget.widgets.values()).items())"
)
EXPLORERS = (
    "[w for w in ipywidgets.Widget.widgets.values()"
    " if 'lessons-explorer' in getattr(w, '_dom_classes', ())]"
)


def snapshot(kernel: Kernel) -> tuple[list[str], int]:
    """The kernel's live thread names and its count of open sockets."""
    return kernel.threads(), kernel.open_sockets()


def interrupt_run(kernel: Kernel, code: str, after: float, timeout: float = 20):
    """Start `code`, interrupt the kernel `after` seconds later: (result, interrupt time)."""
    result = kernel.start(code)
    time.sleep(after)
    sent = kernel.interrupt()
    kernel.finish(result, timeout)
    return result, sent


def assert_clean_interrupt(result) -> None:
    assert result.status == "ok", result.describe()
    assert not result.errors, result.describe()  # no "error" message on iopub
    assert "Traceback" not in result.text and "KeyboardInterrupt" not in result.text
    assert "Interrupted after " in result.stdout, result.describe()
    assert "Downloaded " in result.stdout, result.describe()


@pytest.fixture(scope="module")
def kernel_name() -> str:
    """The kernel these tests start (tests/test_kernel_faults_free_threaded.py: the other)."""
    return "python3"


@pytest.fixture(scope="module")
def kernel(kernel_name):
    """One kernel for the interrupt tests, warmed up by a whole threaded run."""
    shared = Kernel(kernel_name=kernel_name)
    try:
        shared.ok(SETUP)
        assert shared.value("__import__('os').environ.get('LESSONS_SITES')") is None
        warm = shared.ok("lessons.run_threads(5, quiet=True)", timeout=30)
        assert "Downloaded 160 in" in warm.stdout, warm.describe()
        yield shared
    finally:
        shared.shutdown()


@pytest.fixture
def new_kernel(kernel_name):
    """Start fresh kernels on demand; every one is shut down after the test."""
    started: list[Kernel] = []

    def start() -> Kernel:
        started.append(Kernel(kernel_name=kernel_name))
        started[-1].ok(SETUP)
        return started[-1]

    try:
        yield start
    finally:
        for each in started:
            each.shutdown()


# ---- 1. interrupt a run on the default demo sites --------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "mode, code", [("sync", "lessons.run_sync()"), ("threads", "lessons.run_threads(5)")]
)
def test_interrupt_stops_the_run_and_leaves_no_threads_or_sockets(kernel, mode, code):
    threads_before, sockets_before = snapshot(kernel)
    child = kernel.value("demo.pid")
    child_before = count_sockets(child)  # the demo sites' side of the connections

    result, sent = interrupt_run(kernel, code, INTERRUPT_AFTER)
    reply_after = result.replied - sent
    summary = [line for line in result.stdout.splitlines() if line[:1] in ("I", "D", "F")]
    print(f"\n[{mode}] reply {reply_after:.3f} s after the interrupt; {' / '.join(summary)}")
    assert_clean_interrupt(result)
    assert reply_after <= REPLY_WITHIN

    after = kernel.ok("print(1+1)")
    assert after.stdout == "2\n", after.describe()  # and no late marks from the run
    assert kernel.value("demo.running")  # the interrupt was for the run, not for the sites

    time.sleep(max(0.0, sent + SETTLED_AFTER - time.monotonic()))
    threads_after = kernel.threads()
    sockets_after, waited = settle(kernel.open_sockets, sockets_before, SOCKETS_GRACE)
    child_after, _ = settle(lambda: count_sockets(child), child_before, SOCKETS_GRACE)
    print(
        f"[{mode}] threads {len(threads_before)} -> {len(threads_after)} "
        f"{SETTLED_AFTER:.0f} s after the interrupt; sockets {sockets_before} -> "
        f"{sockets_after} (after {SETTLED_AFTER + waited:.2f} s); the demo sites' process: "
        f"sockets {child_before} -> {child_after}"
    )
    assert len(threads_after) <= len(threads_before), (threads_before, threads_after)
    assert sockets_after <= sockets_before
    assert child_after <= child_before


# ---- 2. interrupt a threaded run whose server does not answer in time ------------------------


@pytest.mark.timeout(60)
def test_interrupt_against_a_slow_server_ends_at_the_read_timeout(new_kernel):
    kernel = new_kernel()
    threads_before, sockets_before = snapshot(kernel)
    kernel.ok(f"demo.configure(latency={SLOW_LATENCY})")
    try:
        result, sent = interrupt_run(kernel, "lessons.run_threads(5)", SLOW_INTERRUPT_AFTER)
        reply_after = result.replied - sent
        print(f"\n[slow] reply {reply_after:.3f} s after the interrupt:\n{result.stdout.strip()}")
        assert_clean_interrupt(result)
        assert reply_after <= SLOW_REPLY_WITHIN
        assert "no answer within 2 s" in result.stdout  # the pages in flight timed out
        assert kernel.ok("print(1+1)").stdout == "2\n"

        time.sleep(max(0.0, sent + SLOW_REPLY_WITHIN - time.monotonic()))
        threads_after, sockets_after = snapshot(kernel)
        pool = [name for name in threads_after if name.startswith("ThreadPoolExecutor")]
        serving = [name for name in threads_after if "process_request_thread" in name]
        print(
            f"[slow] {SLOW_REPLY_WITHIN} s after the interrupt: {len(pool)} pool threads; "
            f"threads {len(threads_before)} -> {len(threads_after)} and sockets "
            f"{sockets_before} -> {sockets_after}, of which {len(serving)} demo-server "
            f"handlers still sleep out the {SLOW_LATENCY:.0f} s latency"
        )
        assert pool == []
    finally:
        for name, latency in DEFAULT_LATENCY.items():
            kernel.ok(f"demo.configure({name!r}, latency={latency})")
    again = kernel.ok("lessons.run_threads(5, quiet=True)", timeout=30)
    print(f"[slow] restored latency: {again.stdout.strip()}")
    assert "Downloaded 160 in" in again.stdout, again.describe()


# ---- 3. two kernels, each with its own demo sites --------------------------------------------


@pytest.mark.timeout(60)
def test_two_kernels_run_at_once_on_their_own_demo_sites(new_kernel):
    kernels = [new_kernel(), new_kernel()]
    urls = [kernel.value("demo.urls") for kernel in kernels]
    ports = [url.rsplit(":", 1)[1].strip("/") for each in urls for url in each.values()]
    print(f"\n[two kernels] demo sites: {urls}")
    assert len(set(ports)) == 4, urls

    started = [kernel.start("lessons.run_threads(5, quiet=True)") for kernel in kernels]
    results = [kernel.finish(run, 30) for kernel, run in zip(kernels, started, strict=True)]
    served = [
        kernel.value("[s.requests_served for s in demo.sites.values()]") for kernel in kernels
    ]
    for n, result in enumerate(results):
        print(f"[two kernels] kernel {n}: {result.stdout.strip()}, served {served[n]}")
        assert result.status == "ok" and not result.errors, result.describe()
        assert "Downloaded 160 in" in result.stdout, result.describe()
    assert served == [[80, 80], [80, 80]]  # each kernel's run used its own sites only


# ---- 4. the explorer's cell run again and again ----------------------------------------------


@pytest.fixture(scope="module")
def explorer_reruns(kernel_name):
    """The explorer cell run three times in one kernel, with one run after the first.

    Gives the kernel and, after each rerun, the count of open explorers and the live widgets
    by type.
    """
    kernel = Kernel(kernel_name=kernel_name)
    try:
        kernel.ok(SETUP)
        live = []  # (explorers open, Counter of live widgets by type) after each rerun
        for rerun in range(3):
            shown = kernel.ok("e = lessons.explorer(); display(e)")
            assert len(shown.displays) == 1, shown.describe()
            if rerun == 0:
                ran = kernel.ok("print(e.run(), e.wait(30), e.status.value)", timeout=40)
                assert ran.stdout.startswith("True True Downloaded 160 in"), ran.describe()
            explorers, kinds = kernel.value(f"[len({EXPLORERS}), {WIDGET_KINDS}]")
            live.append((explorers, collections.Counter(dict(kinds))))
        figures = [(explorers, kinds.total()) for explorers, kinds in live]
        print(f"\n[explorer] (explorers open, widgets alive) after each rerun: {figures}")
        yield kernel, live
    finally:
        kernel.shutdown()


@pytest.mark.timeout(60)
def test_explorer_rerun_leaves_one_explorer_and_clamps_workers(explorer_reruns):
    kernel, live = explorer_reruns
    assert [open_ for open_, _ in live] == [1, 1, 1]

    clamped = kernel.ok(
        "e.workers.value = 10000; print(e.workers.value)\n"
        "e.workers.value = 0; print(e.workers.value)"
    )
    high, low = clamped.stdout.split()
    print(f"[explorer] workers set to 10000 read {high}, set to 0 read {low}")
    assert (high, low) == ("64", "1")
    ran = kernel.ok("e.workers.value = 10000; print(e.run(), e.wait(30), e.status.value)", 40)
    print(f"[explorer] run at the clamped maximum: {ran.stdout.strip()}")
    assert ran.stdout.startswith("True True Downloaded 160 in"), ran.describe()
    assert "max_workers=64" in ran.stdout


@pytest.mark.timeout(60)
def test_explorer_rerun_does_not_grow_the_live_widgets(explorer_reruns):
    _, live = explorer_reruns
    second, third = live[1][1], live[2][1]
    print(f"[explorer] widgets alive after the 2nd rerun {second.total()}, the 3rd {third.total()}")
    assert third.total() == second.total(), (
        f"each rerun leaves {third.total() - second.total()} more widgets alive, by type: "
        f"{dict(sorted((third - second).items()))}"
    )


# ---- 5. restart the kernel and run again -----------------------------------------------------


@pytest.mark.timeout(60)
def test_restarted_kernel_starts_fresh_demo_sites_and_runs(new_kernel):
    kernel = new_kernel()
    pid, urls, old_child = kernel.pid, kernel.value("demo.urls"), kernel.value("demo.pid")
    start = time.monotonic()
    kernel.restart()
    restarted = time.monotonic() - start
    assert kernel.pid != pid
    assert kernel.value("'lessons' in __import__('sys').modules") is False  # a fresh process
    assert kernel.value("__import__('os').environ.get('LESSONS_SITES')") is None

    kernel.ok("import threading\n_before = {t.ident for t in threading.enumerate()}")
    kernel.ok(SETUP)
    new_urls = kernel.value("demo.urls")
    ours = kernel.value("[t.name for t in threading.enumerate() if t.ident not in _before]")
    children = demo_children(kernel.pid)
    ran = kernel.ok("lessons.run_threads(5, quiet=True)", timeout=30)
    print(
        f"\n[restart] restarted in {restarted:.2f} s; demo sites {urls} -> {new_urls}; "
        f"demo-site processes {children}; threads of ours {ours}; {ran.stdout.strip()}"
    )
    assert ours == []
    assert children == [kernel.value("demo.pid")]
    assert process_gone(old_child)  # the old kernel's sites ended with it
    assert "Downloaded 160 in" in ran.stdout, ran.describe()
