"""Which build of CPython runs: the standard one (with a GIL) or a free-threaded one (PEP 703).

The one place that asks: chapters, the doctor and the free-threaded command call it, and never
test a version number for what is really a question about the GIL.
"""

from __future__ import annotations

import dataclasses
import functools
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
    "lessons.chapters.ch01",
    "lessons.chapters.ch02",
    "lessons.chapters.ch03",
    "lessons.chapters.ch04",
    "lessons.chapters.ch05",
    "lessons.chapters.ch06",
    "lessons.chapters.ch07",
    "lessons.chapters.ch08",
    "lessons.chapters.ch09",
    "lessons.chapters.ch10",
    "lessons.chapters.ch11",
    "lessons.chapters.ch12",
    "lessons.gui_thread",
    "lessons.course.scale",
    "lessons.course.worker_explorer",
)
PROBE_SECONDS = 60
# Set in the free-threaded kernel's kernelspec by `python -m lessons free-threaded`: the course
# environment's standard Python, so that a free-threaded kernel can run the other build too.
STANDARD_PYTHON = "LESSONS_STANDARD_PYTHON"
FREE_THREADED_KERNEL = "free-threaded"


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
            now = this_build()
            if turned_on_by is None and now.free_threaded and now.gil_enabled:
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


ASK = (
    "import platform, sysconfig; print(platform.python_version(), "
    "bool(sysconfig.get_config_var('Py_GIL_DISABLED')))"
)


@functools.cache  # asked again by every chapter cell that lists the builds: one process each
def interpreter_facts(python: str) -> tuple[str, bool] | None:
    """(version, free-threaded build?) of the interpreter at `python`; None if it does not run."""
    try:
        done = subprocess.run([python, "-c", ASK], capture_output=True, text=True, timeout=30)
        version, free = done.stdout.split()
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    return (version, free == "True") if done.returncode == 0 else None


def is_free_threaded(python: str) -> bool | None:
    """Whether the interpreter at `python` is a free-threaded build; None if it does not run."""
    facts = interpreter_facts(python)
    return None if facts is None else facts[1]


def label_of(python: str) -> str | None:
    """'3.13t (free-threaded)' or '3.11 (standard)' for the interpreter at `python`."""
    facts = interpreter_facts(python)
    return None if facts is None else Build(facts[0], facts[1], not facts[1], 1, python).name


def culprit(facts: dict, python: str) -> str:
    """The module that turned the GIL on: the one `import_and_watch` named, else the one a fresh
    process of `python` names (the GIL came on while that interpreter started)."""
    if facts.get("turned_on_by"):
        return facts["turned_on_by"]
    try:
        return probe(python)["turned_on_by"] or "a module imported at the interpreter's start"
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as error:
        return f"a module (the probe failed: {error})"


def pythons() -> dict[str, str]:
    """Every build this machine offers the course, this kernel's first: label -> interpreter.

    The other build is the free-threaded kernel's interpreter (its kernelspec, where this
    environment's JupyterLab finds it) when this one is standard, or the course environment's
    standard Python (LESSONS_STANDARD_PYTHON, set by that kernelspec) when this one is not.
    """
    here = this_build()
    found = {here.name: sys.executable}
    other = None
    if here.free_threaded:
        other = os.environ.get(STANDARD_PYTHON)
    else:
        try:
            from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

            other = KernelSpecManager().get_kernel_spec(FREE_THREADED_KERNEL).argv[0]
        except (ImportError, NoSuchKernel):  # no Jupyter here, or no such kernel
            other = None
    if other and os.path.exists(other) and (label := label_of(other)) and label not in found:
        found[label] = other
    return found


# The Pythons the course was tested on, as (minor version, free-threaded?): by CI on every change
# (3.11, 3.13t, 3.14, 3.15) or by hand once (3.10, 3.13). README.md lists them with the patch
# versions; the doctor notes a kernel outside this list.
TESTED = (
    ("3.10", False),
    ("3.11", False),
    ("3.13", False),
    ("3.13", True),
    ("3.14", False),
    ("3.15", False),
)


def untested(version: str, free_threaded: bool) -> str | None:
    """None for a Python the course was tested on; else one line that says so."""
    minor = ".".join(version.split(".")[:2])
    if (minor, free_threaded) in TESTED:
        return None
    tested = ", ".join(m + ("t" if free else "") for m, free in TESTED)
    build = f"{minor}t" if free_threaded else minor
    return f"the course was not tested on Python {build} (tested: {tested})"


NEWER = (3, 14)  # InterpreterPoolExecutor, map(buffersize=), the OS's thread names
NEWER_NAMES = ("python3.15", "python3.14")  # kernels and commands, the newest first


def is_newer(version: str) -> bool:
    """Whether a version ('3.14.10') is 3.14 or newer: what chapters 02, 03 and 08 add."""
    return tuple(int(part) for part in version.split(".")[:2]) >= NEWER


def newer_python(found: dict[str, str] | None = None) -> tuple[str, str] | None:
    """A Python 3.14 or newer (label, interpreter) to run beside `found` (what `pythons()`
    gave): None when one of those is already that new, or when the machine has none. Looked
    for among the kernels (`python -m lessons kernel` adds them), then on PATH."""
    found = pythons() if found is None else found
    for python in found.values():
        facts = interpreter_facts(python)
        if facts and is_newer(facts[0]):
            return None
    candidates = []
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        manager = KernelSpecManager()
        standard = os.environ.get(STANDARD_PYTHON)
        if standard:  # a free-threaded kernel: JupyterLab's kernels live beside that Python
            prefix = os.path.dirname(os.path.dirname(standard))
            manager.kernel_dirs.append(os.path.join(prefix, "share", "jupyter", "kernels"))
        specs = manager.get_all_specs()
        candidates += [specs[name]["spec"]["argv"][0] for name in NEWER_NAMES if name in specs]
    except ImportError:  # no Jupyter here
        pass
    import shutil

    candidates += [path for name in NEWER_NAMES if (path := shutil.which(name))]
    for python in candidates:
        facts = interpreter_facts(python)
        if facts and is_newer(facts[0]):  # facts: it ran
            return label_of(python), python
    return None


def missing_build(found: dict[str, str] | None = None) -> str | None:
    """None when both builds are here (`found`: what `pythons()` gave, else asked now); else one
    line naming the command that adds the other."""
    if len(pythons() if found is None else found) > 1:
        return None
    if this_build().free_threaded:
        return (
            "Only the free-threaded build is here: this kernel's kernelspec names no standard "
            f"Python ({STANDARD_PYTHON}); run python -m lessons free-threaded again to add it."
        )
    return (
        "Only the standard build is here: python -m lessons free-threaded adds a free-threaded "
        "kernel, and with it the other build's rows."
    )


def run_json(python: str, argv: list[str], seconds: float) -> dict:
    """`python ARGV` in a fresh process; the JSON of its last line, or {"error": why}."""
    try:
        done = subprocess.run([python, *argv], capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        return {"error": f"stopped after {seconds:.0f} s"}
    except OSError as error:
        return {"error": f"{python} does not start: {error.strerror or error}"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return {"error": f"exit {done.returncode}: {last}"}
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": f"no result: {done.stdout.strip()[-200:]!r}"}
