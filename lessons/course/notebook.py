"""What notebook cells call: the environment check, code shown from the source, plots."""

from __future__ import annotations

import inspect
import platform
from importlib import metadata

from . import contention
from .plotting import timeline_png
from .record import Run
from .sites import start_demo_sites


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def setup():
    """Check the environment, start the demo sites (once), and show a widget that must render.

    Safe to run any number of times: the demo sites keep their addresses.
    """
    import ipywidgets

    problems = []
    if _version("jupyterlab_widgets") is None:
        problems.append(
            "The JupyterLab widget extension is missing: "
            "python -m pip install -r requirements.txt, then restart JupyterLab."
        )
    demo = start_demo_sites()
    print(
        f"Python {platform.python_version()}, ipywidgets {ipywidgets.__version__}, "
        f"JupyterLab widgets {_version('jupyterlab_widgets')}"
    )
    for name, url in demo.urls.items():
        profile = demo.sites[name].profile
        print(f"Demo site {name}: {url} (answers in about {profile.latency * 1000:.0f} ms)")
    print(f"The demo sites run in process {demo.pid}, not in this kernel: you time your threads.")
    for problem in problems:
        print("PROBLEM:", problem)
    check = ipywidgets.Valid(
        value=not problems,
        description="widgets",
        readout="ready" if not problems else "see above",
        style={"description_width": "initial"},
    )
    check.add_class("lessons-ready")
    return check


def show_source(obj) -> object:
    """The code of a function or module of the package, highlighted: what the cell below runs."""
    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")


def plot_timeline(run: Run) -> object:
    """One run's timeline, one lane per thread, as an image in the cell's output."""
    from IPython.display import Image

    return Image(data=timeline_png(run), format="png")


def compare(slow: Run, fast: Run) -> float:
    """Print how much faster `fast` was than `slow`, both measured in this kernel."""
    ratio = slow.elapsed / fast.elapsed
    print(
        f"{slow.mode}: {slow.elapsed:.2f} s; {fast.mode} with max_workers={fast.max_workers}: "
        f"{fast.elapsed:.2f} s. That is {ratio:.1f} times faster, on this machine, just now."
    )
    contention.say(slow.shared, fast.shared)
    return ratio
