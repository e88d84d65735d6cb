"""Plots of runs: a timeline with one lane per thread, and the elapsed time of every run.

Only matplotlib's Figure API (no pyplot): no global figure state that a rerun could duplicate,
and safe to draw from a widget callback while a cell runs.
"""

from __future__ import annotations

import io
import statistics

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .record import Run

COLORS = {"J": "#3465a4", "R": "#f0a30a"}  # Jython blue, Real Python amber
OTHER = "#7f7f7f"
FAILED = "#cc0000"


def label(run: Run) -> str:
    """How a run is named on the plots: "sync", or the worker count."""
    return "sync" if run.mode == "sync" else str(run.max_workers)


def draw_timeline(ax, run: Run | None) -> None:
    """One lane per thread; each page a bar from request to answer, J and R in two colours."""
    ax.clear()
    if run is None or not run.downloads:
        ax.set_title("Timeline of the last run")
        ax.text(0.5, 0.5, "Run the program to see its threads", ha="center", va="center")
        ax.set_axis_off()
        return
    lanes = {name: i for i, name in enumerate(run.threads)}
    for download in run.downloads:
        color = COLORS.get(download.letter, OTHER) if download.ok else FAILED
        ax.broken_barh(
            [(download.start, max(download.end - download.start, 1e-4))],
            (lanes[download.thread] - 0.4, 0.8),
            facecolors=color,
            edgecolor="white" if len(lanes) < 40 else "none",
            linewidth=0.5,
            hatch="xx" if not download.ok else None,
        )
    ax.set_ylim(len(lanes) - 0.5, -0.5)
    ax.set_xlim(0, max(run.elapsed, 1e-3))
    if len(lanes) <= 12:
        ax.set_yticks(
            range(len(lanes)), [name.replace("ThreadPoolExecutor-", "T") for name in lanes]
        )
    else:
        ax.set_yticks([0, len(lanes) - 1], ["1", str(len(lanes))])
    ax.set_xlabel("seconds since the run began")
    ax.set_ylabel(f"{len(lanes)} thread{'s' if len(lanes) > 1 else ''}")
    workers = "" if run.mode == "sync" else f", max_workers={run.max_workers}"
    stopped = " (stopped)" if run.stopped or run.interrupted else ""
    ax.set_title(f"Last run: {run.mode}{workers}, {run.done} pages in {run.elapsed:.2f} s{stopped}")
    handles = [Patch(color=COLORS["J"], label="J"), Patch(color=COLORS["R"], label="R")]
    if run.failed:
        handles.append(Patch(facecolor=FAILED, hatch="xx", label="failed"))
    ax.legend(handles=handles, loc="lower right", fontsize="small")


def draw_elapsed(ax, names: list[str], runs: list[Run], floor: float) -> None:
    """One bar per run, labelled with its seconds, and the floor dashed across."""
    bars = ax.barh(names, [run.elapsed for run in runs], color="#d3d7cf")
    ax.bar_label(bars, [f"{run.elapsed:.2f} s" for run in runs], padding=3)
    ax.axvline(floor, color="#cc0000", linestyle="--", label=f"the floor, {floor:.2f} s")
    ax.invert_yaxis()
    ax.margins(x=0.15)
    ax.set_xlabel("seconds for the pages")
    ax.set_title(f"{runs[0].pages} pages, max_workers={runs[0].max_workers}")


def draw_history(ax, runs: list[Run]) -> None:
    """The elapsed time of every run, by mode and worker count: a dot each, a bar the mean."""
    ax.clear()
    ax.set_title("Elapsed time of every run")
    if not runs:
        ax.text(0.5, 0.5, "No runs yet", ha="center", va="center")
        ax.set_axis_off()
        return
    groups: dict[str, list[float]] = {}
    for run in sorted(runs, key=lambda r: (r.mode != "sync", r.max_workers or 0)):
        groups.setdefault(label(run), []).append(run.elapsed)
    for x, times in enumerate(groups.values()):
        ax.bar(x, statistics.mean(times), color="#d3d7cf", width=0.6)
        ax.plot([x] * len(times), times, "o", color="#204a87", markersize=4)
        ax.annotate(
            f"{statistics.mean(times):.2f}", (x, statistics.mean(times)), ha="center", va="bottom"
        )
    ax.set_xticks(range(len(groups)), list(groups))
    ax.set_xlabel("synchronous, or max_workers")
    ax.set_ylabel("seconds for the pages")
    ax.set_ylim(0, max(max(times) for times in groups.values()) * 1.18)


def figure_image(figure: Figure):
    """A figure as a PNG image for a notebook cell's output."""
    from IPython.display import Image

    return Image(data=to_png(figure), format="png")


# Set by `projector()` for the rest of the session: every PNG gets this many times the pixels,
# so no chapter's figsize or dpi needs to change for a projector.
PNG_SCALE = 1.0


def to_png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=figure.dpi * PNG_SCALE)
    return buffer.getvalue()


def timeline_png(run: Run) -> bytes:
    """A PNG of one run's timeline."""
    lanes = len(run.threads) if run.downloads else 1
    figure = Figure(figsize=(9, 1.6 + 0.25 * min(lanes, 12)), dpi=90, layout="constrained")
    draw_timeline(figure.add_subplot(), run)
    return to_png(figure)


def explorer_png(runs: list[Run], last: Run | None) -> bytes:
    """A PNG of the explorer's figure: every run's elapsed time, and the last run's timeline."""
    figure = Figure(figsize=(11, 4), dpi=80, layout="constrained")
    history, timeline = figure.subplots(1, 2, width_ratios=[2, 3])
    draw_history(history, runs)
    draw_timeline(timeline, last)
    return to_png(figure)
