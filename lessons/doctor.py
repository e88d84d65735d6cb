"""The instructor's preflight: python -m lessons doctor checks in seconds what a class needs."""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from . import doctor_room
from .doctor_kernels import check_kernel, check_other_kernels
from .preflight import BUSY_FIX, INSTALL, Row, version

PACKAGES = ("jupyterlab", "ipywidgets", "ipykernel", "jupyterlab_widgets", "matplotlib")
PACKAGES += ("requests", "aiohttp")
EXTENSION = "@jupyter-widgets/jupyterlab-manager"
# The extension's npm major is its Python package's plus 2: jupyterlab_widgets 3.x ships
# jupyterlab-manager 5.x (for ipywidgets 8), 1.x shipped 3.x (for ipywidgets 7).
NPM_MAJOR_OFFSET = 2
FETCHES = 5  # timed requests per demo site, after one that opens the connection
SLACK = 0.025  # seconds a demo site may answer late on a busy machine
DEMO_SECONDS = 8  # the demo sites' check stops fetching after this long
REAL_SECONDS = 3  # the real sites must answer within this long


def check_python() -> Row:
    found = f"{platform.python_version()} at {sys.executable}"
    # pip refuses to install the course on an older Python; one run from a bare clone may not.
    if sys.version_info < (3, 10):  # noqa: UP036
        return Row("Python", "fail", found, "install Python 3.10 or newer, then " + INSTALL)
    return Row("Python", "ok", found)


def check_packages() -> Row:
    found = {name: version(name) for name in PACKAGES}
    missing = [name for name, got in found.items() if got is None]
    listing = ", ".join(f"{name} {got}" for name, got in found.items() if got)
    if missing:
        return Row("packages", "fail", f"missing: {', '.join(missing)}", INSTALL)
    return Row("packages", "ok", listing)


def labextension_paths() -> list[str]:
    """Where JupyterLab looks for extensions, in order: JUPYTER_PATH, user, sys.prefix, system."""
    from jupyter_core.paths import jupyter_path

    return jupyter_path("labextensions")


def find_widget_extension(paths: list[str]) -> Path | None:
    """The extension's package.json that JupyterLab loads: the first in its search path."""
    for folder in paths:
        package = Path(folder, EXTENSION, "package.json")
        if package.is_file():
            return package
    return None


def _installed_here(package: Path) -> str | None:
    """The jupyterlab_widgets version whose files hold this very package.json, if installed here."""
    try:
        dist = metadata.distribution("jupyterlab_widgets")
    except metadata.PackageNotFoundError:
        return None
    for file in dist.files or []:
        here = file.name == "package.json" and EXTENSION in str(file)
        if here and Path(dist.locate_file(file)).resolve() == package.resolve():
            return dist.version
    return None


def check_widget_extension(paths: list[str] | None = None) -> Row:
    """The JupyterLab widget extension is found and fits the installed ipywidgets."""
    from packaging.requirements import Requirement

    fix = f"{INSTALL}, then restart JupyterLab"
    if version("ipywidgets") is None:
        return Row("widget extension", "fail", "ipywidgets is not installed", fix)
    needs = next(
        (
            req
            for req in map(Requirement, metadata.requires("ipywidgets") or [])
            if req.name.replace("-", "_") == "jupyterlab_widgets" and not req.marker
        ),
        Requirement("jupyterlab_widgets"),  # an ipywidgets that names no version: any fits
    )
    wants = f"ipywidgets {version('ipywidgets')} needs {needs}"
    paths = labextension_paths() if paths is None else paths
    package = find_widget_extension(paths)
    if package is None:
        found = f"{EXTENSION} not found in {', '.join(paths) or 'no folder'}"
        return Row("widget extension", "fail", found, fix)
    npm = json.loads(package.read_text())["version"]
    mine = _installed_here(package)
    found = f"{EXTENSION} {npm} in {package.parent.parent.parent}"
    found += f" (jupyterlab_widgets {mine}); {wants}" if mine else f"; {wants}"
    major = int(npm.split(".")[0]) - NPM_MAJOR_OFFSET
    wanted = {int(spec.version.split(".")[0]) for spec in needs.specifier} or {major}
    if (mine and mine not in needs.specifier) or major not in wanted:
        return Row("widget extension", "fail", found, fix)
    return Row("widget extension", "ok", found)


def _demo_fix(message: str) -> str:
    """What to do when the demo sites' process did not start (DemoSitesFailed says why)."""
    if "no answer within" in message:
        return BUSY_FIX
    if "ended with code" not in message and ("Errno" in message or "OSError" in message):
        return "the demo sites listen on 127.0.0.1: allow local servers (firewall, sandbox)"
    return f"the demo server (lessons/course/demo_server.py) fails: reinstall: {INSTALL}"


def _answers(session, url: str, deadline: float) -> float:
    """The median seconds one demo site takes to answer, from a few requests."""
    from .course.sites import TIMEOUT

    times = []
    for attempt in range(FETCHES + 1):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} answered {len(times)} times in {DEMO_SECONDS} s")
        started = time.perf_counter()
        with session.get(url, timeout=TIMEOUT) as response:
            response.raise_for_status()
        if attempt:  # the first one also opens the connection
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def check_demo_sites() -> Row:
    """The demo sites start, answer, and answer at their profiles' latency; then they stop.

    Their jitter is set to 0 for the check: what the answer takes beyond the latency is then
    this machine's own overhead.
    """
    import requests

    from .course.demo_process import DemoSitesFailed, DemoSitesProcess
    from .course.sites import reach_directly

    try:
        demo = DemoSitesProcess()  # what start_demo_sites() starts, without sharing it
    except DemoSitesFailed as error:
        return Row("demo sites", "fail", str(error), _demo_fix(str(error)))
    deadline = time.monotonic() + DEMO_SECONDS
    said, late = [], []
    if reach_directly(demo.urls.values()):  # as start_demo_sites() does in a kernel
        said.append("a proxy is set: 127.0.0.1 added to NO_PROXY, as the course does")
    try:
        demo.configure(jitter=0.0)
        with requests.Session() as session:
            for name, site in demo.sites.items():
                answer, latency = _answers(session, site.url, deadline), site.profile.latency
                said.append(
                    f"{name} answers in {answer * 1e3:.0f} ms, set to {latency * 1e3:.0f} ms"
                )
                if abs(answer - latency) > SLACK:
                    late.append(name)
    except (requests.RequestException, TimeoutError, DemoSitesFailed) as error:
        found = f"started, but {type(error).__name__}: {str(error)[:150]}"
        # A proxy cannot be the cause: reach_directly() has sent 127.0.0.1 around it.
        return Row("demo sites", "fail", found, BUSY_FIX)
    finally:
        demo.stop()
    if late:
        fix = "the machine is busy: close other programs; timings in class will be off"
        return Row("demo sites", "warn", "; ".join(said), fix)
    return Row("demo sites", "ok", "; ".join(said))


def check_real_sites(seconds: float = REAL_SECONDS) -> Row:
    """The lesson's real sites, reachable or not; offline is fine: the demo sites stand in."""
    from .course.sites import REAL_SITES, SitesUnreachable, real_sites_reachable

    try:
        real_sites_reachable(seconds)
    except SitesUnreachable:
        fix = "only --real and LESSONS_SITES=real need them"
        return Row("real sites", "warn", "offline: the demo sites will be used", fix)
    return Row("real sites", "ok", f"{' and '.join(REAL_SITES.values())} answer")


CHECKS: list[Callable[[], Row]] = [
    check_python,
    check_packages,
    check_widget_extension,
    check_demo_sites,
    check_real_sites,
    check_kernel,
    check_other_kernels,
    doctor_room.check_machine,
]
NAMES = ["Python", "packages", "widget extension", "demo sites", "real sites", "kernel"]
WIDTH = len("kernel free-threaded")


def timed(check: Callable[[], Row | list[Row]]) -> list[Row]:
    """Run one check and time it; a check that crashes is a failed row, not a traceback.

    A check that returns several rows (one per kernel) has timed each of them itself.
    """
    started = time.perf_counter()
    try:
        found = check()
    except Exception as error:
        name = check.__name__.removeprefix("check_").replace("_", " ")
        found = Row(name, "fail", f"the check itself failed: {type(error).__name__}: {error}")
    if isinstance(found, Row):
        found.seconds = time.perf_counter() - started
        return [found]
    return found


def line(row: Row) -> str:
    """A row of the table: check, result, seconds, then what was found and the fix."""
    details = row.found + (f". Fix: {row.fix}" if row.fix else "")
    return f"{row.check:<{WIDTH}}  {row.result:<6}  {row.seconds:7.2f}  {details}"


def main(checks: list[Callable[[], Row]] | None = None, learners: int | None = None) -> int:
    """Print the table, one line per check as it ends, then the verdict: 0 ready, 1 not.
    With `learners`, the last row says whether this machine holds that many at once."""
    started = time.perf_counter()
    print(f"{'check':<{WIDTH}}  {'result':<6}  {'seconds':>7}  details / fix", flush=True)
    rows = []
    checks = list(checks or CHECKS)
    if learners is not None:
        checks.append(lambda: doctor_room.check_room(learners))
    for check in checks:
        for row in timed(check):
            rows.append(row)
            print(line(row), flush=True)
    failed = sum(row.result == "fail" for row in rows)
    total = f"{len(rows)} checks in {time.perf_counter() - started:.1f} s"
    if failed:
        them = "them" if failed > 1 else "it"
        print(f"{failed} problem{'s' * (failed > 1)}: fix {them} before the class ({total}).")
        return 1
    print(f"Ready for class ({total}).")
    return 0
