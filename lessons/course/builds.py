"""Which build of CPython runs: the standard one (with a GIL) or a free-threaded one (PEP 703).

The one place that asks: chapters, the doctor and the free-threaded command call it, and never
test a version number for what is really a question about the GIL.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
import sysconfig

# What a course kernel imports: the kernel itself, then what the chapters import. An extension
# module that does not declare itself free-threading-safe turns the GIL back on when imported.
KERNEL_MODULES = ("zmq", "tornado", "psutil", "debugpy", "ipykernel.kernelapp")
CHAPTER_MODULES = (
    "numpy",
    "PIL.Image",
    "matplotlib.pyplot",
    "ipywidgets",
    "requests",
    "aiohttp",
    "lessons.course.notebook",
    "lessons.course.cpu_lab",
    "lessons.course.compare_lab",
    "lessons.course.race_lab",
    "lessons.course.sweep",
    "lessons.course.gui_lab",
    "lessons.course.primitives_lab",
    "lessons.course.pattern",
    "lessons.course.scale",
    "lessons.course.worker_explorer",
)
PROBE_SECONDS = 60


@dataclasses.dataclass
class Build:
    """The facts that decide whether this process's threads can run Python on several CPUs."""

    version: str
    free_threaded: bool  # built with --disable-gil (Py_GIL_DISABLED)
    gil_enabled: bool  # the GIL is on now (always, on the standard build)
    usable_cpus: int
    executable: str

    @property
    def parallel_cpus(self) -> int:
        """How many CPUs can run this process's Python code at once: 1 while the GIL is on."""
        return 1 if self.gil_enabled else self.usable_cpus

    @property
    def name(self) -> str:
        """'3.13t (free-threaded)' or '3.11 (standard)', as the kernels are named."""
        minor = ".".join(self.version.split(".")[:2])
        return f"{minor}t (free-threaded)" if self.free_threaded else f"{minor} (standard)"

    def describe(self) -> str:
        """One sentence in the learner's words."""
        if not self.free_threaded:
            return f"Python {self.version}, the standard build: the GIL is on."
        if self.gil_enabled:
            return (
                f"Python {self.version}, a free-threaded build, but the GIL is on: a module "
                "imported here turned it back on (python -m lessons doctor names it)."
            )
        return f"Python {self.version}, a free-threaded build: the GIL is off."


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity), else all the machine has."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def this_build() -> Build:
    """The build that runs this process, asked now (an import may have turned the GIL on)."""
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    is_enabled = getattr(sys, "_is_gil_enabled", None)  # Python 3.13 and later
    return Build(
        version=platform.python_version(),
        free_threaded=free_threaded,
        gil_enabled=True if is_enabled is None else bool(is_enabled()),
        usable_cpus=usable_cpus(),
        executable=sys.executable,
    )


def import_and_watch(modules=KERNEL_MODULES + CHAPTER_MODULES) -> dict:
    """Import `modules` one by one; return the build after them, and what turned the GIL on.

    CPython warns ("The global interpreter lock (GIL) has been enabled to load module ...")
    when an extension turns it on; the warning names the very module, even one imported by
    another. Without a warning, the first module after which the GIL is on is named.
    """
    import importlib
    import warnings

    turned_on_by, failed = None, {}
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", RuntimeWarning)
        for module in modules:
            try:
                importlib.import_module(module)
            except Exception as error:  # noqa: BLE001 (a missing module is a finding)
                failed[module] = f"{type(error).__name__}: {error}"
            if turned_on_by is None and this_build().gil_enabled and this_build().free_threaded:
                turned_on_by = module
    named = [str(w.message).split("module '")[1].split("'")[0] for w in said if _gil_warning(w)]
    build = this_build()
    return {
        **dataclasses.asdict(build),
        "turned_on_by": (named[0] if named else turned_on_by) if build.gil_enabled else None,
        "imported_with": turned_on_by,
        "failed": failed,
    }


def _gil_warning(warning) -> bool:
    return "global interpreter lock" in str(warning.message) and "module '" in str(warning.message)


PROBE_CODE = (
    "import json, sys; from lessons.course.builds import import_and_watch; "
    "print(json.dumps(import_and_watch(sys.argv[1:])))"
)


def probe(python: str, modules=KERNEL_MODULES + CHAPTER_MODULES, env=None) -> dict:
    """`import_and_watch` in a fresh process of another interpreter, which has `lessons`."""
    done = subprocess.run(
        [python, "-c", PROBE_CODE, *modules],
        capture_output=True,
        text=True,
        timeout=PROBE_SECONDS,
        env=env,
    )
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"{python} could not run the course's imports: {said}")
    return json.loads(done.stdout.strip().splitlines()[-1])


IS_FREE_THREADED = "import sysconfig; print(bool(sysconfig.get_config_var('Py_GIL_DISABLED')))"


def is_free_threaded(python: str) -> bool | None:
    """Whether the interpreter at `python` is a free-threaded build; None if it does not run."""
    try:
        done = subprocess.run(
            [python, "-c", IS_FREE_THREADED],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() == "True"
