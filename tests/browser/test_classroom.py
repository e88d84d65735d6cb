"""A classroom on a real JupyterHub: two learners log in, run chapter 02 and press Run at once."""

import contextlib
import re
import time
import urllib.parse
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import NOTEBOOKS_DIR, unavailable
from .hub_server import SPAWN_TIMEOUT, Hub, missing_tools, running_hub
from .notebook_page import KERNEL_IDLE, OPEN_TIMEOUT, NotebookPage

# About 1.5 minutes on 2 busy cores; each wait below is bounded on its own.
pytestmark = pytest.mark.timeout(300)

LEARNERS = ["ada", "grace"]
NOTEBOOK = "notebooks/02_threaded.ipynb"  # as each learner's home holds it
PAGES = 160
EXPLORER_RUN_TIMEOUT = 60  # 160 pages at 5 workers take about 2 s
DONE = re.compile(rf"^\s*Downloaded {PAGES} in [\d.]+ seconds \(threads, max_workers=\d+\)\.\s*$")
# What the setup cell prints: "Demo site jython: http://127.0.0.1:PORT/..." and "in process PID".
SITE_PORT = re.compile(r"^Demo site \w+: http://127\.0\.0\.1:(\d+)", re.MULTILINE)
SITE_PID = re.compile(r"run in process (\d+)")
# Any output area (a cell's, or an Output widget's inside it) that shows a failure.
FAILURES_JS = """() => Array.from(document.querySelectorAll('.jp-OutputArea'), e => e.innerText)
    .filter(t => t.includes('Traceback') || t.includes('Error displaying widget'))
    .map(t => t.slice(0, 2000))"""


class Learner(NotebookPage):
    """A learner's browser: the hub's login page first, then the notebook in their own server."""

    def __init__(self, page, hub: Hub, learner: str):
        super().__init__(page, None, NOTEBOOK)  # the server exists once the hub has spawned it
        self.hub, self.learner = hub, learner

    def log_in(self) -> None:
        """Sign in and go: the hub starts the learner's server and opens the notebook in it."""
        notebook = f"/user/{self.learner}/lab/tree/{NOTEBOOK}?reset"
        spawn = "/hub/spawn?" + urllib.parse.urlencode({"next": notebook})
        self.page.goto(f"{self.hub.url}/hub/login?" + urllib.parse.urlencode({"next": spawn}))
        self.page.fill("#username_input", self.learner)
        self.page.fill("#password_input", "any password will do")  # DummyAuthenticator
        # Not waiting for the spawn here lets the other learner sign in meanwhile.
        self.page.click("#login_submit", no_wait_after=True)

    def open(self) -> None:
        expect(self.page.locator("#jp-main-statusbar")).to_contain_text(
            KERNEL_IDLE, timeout=(SPAWN_TIMEOUT + OPEN_TIMEOUT) * 1000
        )
        assert f"/user/{self.learner}/lab/tree/" in self.page.url, self.page.url
        self.server = self.hub.server_of(self.learner)
        self.page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()

    def demo_sites(self) -> tuple[set[int], set[int]]:
        """The ports and process ids of the demo sites, as the setup cell printed them."""
        text = self.code_cell("lessons.setup()").locator(".jp-OutputArea").inner_text()
        return {int(p) for p in SITE_PORT.findall(text)}, {int(p) for p in SITE_PID.findall(text)}

    def close(self) -> None:
        """Only the browser: stopping the server ends its kernel (quicker, and all at once)."""
        self.page.context.close()


@contextmanager
def phase(times: dict[str, float], name: str):
    start = time.monotonic()
    try:
        yield
    finally:
        times[name] = time.monotonic() - start


def test_two_learners_run_the_explorer_at_once(browser, tmp_path_factory, capsys):
    missing = missing_tools()
    if missing:
        unavailable("The classroom test needs " + "; ".join(missing))
    if not (NOTEBOOKS_DIR / "02_threaded.ipynb").exists():
        pytest.fail(f"02_threaded.ipynb is not in {NOTEBOOKS_DIR}", pytrace=False)
    times: dict[str, float] = {}
    start = time.monotonic()
    try:
        with ExitStack() as stack:
            with phase(times, "hub and proxy up"):
                hub = stack.enter_context(
                    running_hub(NOTEBOOKS_DIR, LEARNERS, tmp_path_factory.mktemp("jupyterhub"))
                )
            try:
                classroom(stack, browser, hub, times)
            except BaseException:
                print(f"JupyterHub log, errors and warnings:\n{hub.log_problems()}")
                print(f"JupyterHub log, last lines of {hub.log_path}:\n{hub.log_tail(60)}")
                raise
            stopping = time.monotonic()
        times["browsers, servers, hub and proxy stopped"] = time.monotonic() - stopping
    finally:
        times["whole test"] = time.monotonic() - start
        with capsys.disabled():  # the figures show in CI's log, not only on failure
            print("\nclassroom on JupyterHub, wall time:")
            for name, seconds in times.items():
                print(f"  {name:<42} {seconds:6.1f} s")


def classroom(stack: ExitStack, browser, hub: Hub, times: dict[str, float]) -> None:
    learners = []
    for learner in LEARNERS:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(30_000)
        learners.append(Learner(context.new_page(), hub, learner))
        stack.callback(learners[-1].close)  # before the hub stops: the stack unwinds backwards

    with phase(times, "both log in, servers spawn, notebook opens"):
        for learner in learners:
            learner.log_in()
        for learner in learners:
            learner.open()

    with phase(times, "both Run All"):
        before = [learner.start_run_all() for learner in learners]
        for learner, count in zip(learners, before, strict=True):
            learner.finish_run_all(count)
        for learner in learners:
            problems = learner.problems()
            assert not problems, f"{learner.learner} after Run All:\n\n" + "\n\n".join(problems)

    sites = {learner.learner: learner.demo_sites() for learner in learners}
    (ports_a, pids_a), (ports_b, pids_b) = sites.values()
    assert ports_a and ports_b and len(pids_a) == len(pids_b) == 1, f"setup printed: {sites}"
    assert not ports_a & ports_b and not pids_a & pids_b, f"the learners share demo sites: {sites}"
    for learner, (_, (pid,)) in zip(learners, sites.values(), strict=True):
        server, chain = hub.pids[learner.learner], ancestors(pid)
        assert not chain or server in chain, (
            f"{learner.learner}'s demo sites (process {pid}) do not run under their own server "
            f"(process {server}); their ancestors: {chain}"
        )

    with phase(times, "both press Run, 160 pages each"):
        explorers = [learner.page.locator(".lessons-explorer") for learner in learners]
        for explorer in explorers:
            expect(explorer).to_have_count(1)
        statuses = [explorer.locator(".lessons-status") for explorer in explorers]
        status_before = [status.inner_text() for status in statuses]
        buttons = [explorer.locator(".lessons-run") for explorer in explorers]
        for button in buttons:
            button.click(trial=True)  # scrolled into view and clickable: the clicks follow closely
        clicked = []
        for button in buttons:
            button.click()
            clicked.append(time.monotonic())
        times["gap between the two clicks"] = clicked[1] - clicked[0]
        for status, text in zip(statuses, status_before, strict=True):
            expect(status).not_to_have_text(text, timeout=EXPLORER_RUN_TIMEOUT * 1000)
            expect(status).to_have_text(DONE, timeout=EXPLORER_RUN_TIMEOUT * 1000)

    for learner, explorer in zip(learners, explorers, strict=True):
        bar = explorer.locator(".lessons-progress .progress-bar")
        expect(bar).to_have_class(re.compile(r"progress-bar-success"))
        failures = learner.page.evaluate(FAILURES_JS) + learner.problems()
        assert not failures, f"{learner.learner} after Run:\n\n" + "\n\n".join(failures)
        expect(learner.page.locator("#jp-main-statusbar")).to_contain_text(KERNEL_IDLE)


def ancestors(pid: int) -> list[int]:
    """The parent, grandparent... of a process, from /proc (empty where there is none)."""
    chain = []
    with contextlib.suppress(OSError, ValueError, IndexError):
        while pid > 1 and len(chain) < 20:
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])  # after "(name)": state, then ppid
            chain.append(pid)
    return chain
