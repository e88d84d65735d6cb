"""A class of five on the real JupyterHub, as their browsers would drive it: five servers
spawned through the hub's REST API at once, and chapter 02 (the two programs, then the
explorer's run) in each server's own kernel, over the kernel websocket, all starting within a
second. benchmarks/classroom.py runs the same for 30 and more, with chapters 07 and 11."""

import pytest

from . import classroom_api
from .conftest import NOTEBOOKS_DIR, unavailable
from .hub_server import missing_tools

pytestmark = pytest.mark.timeout(600)  # about 2 minutes on 2 quiet cores
LEARNERS = 5


def test_five_learners_run_chapter_02_at_once(tmp_path, capsys):
    missing = missing_tools()
    if missing:
        unavailable("The classroom test needs " + "; ".join(missing))
    if NOTEBOOKS_DIR != classroom_api.NOTEBOOKS:
        pytest.skip(f"the class runs the checkout's notebooks, not {NOTEBOOKS_DIR}")
    chapter = classroom_api.CHAPTERS["02"]
    result = classroom_api.run_class(LEARNERS, tmp_path / "hub", [chapter])
    with capsys.disabled():
        spawns = sorted(result["spawn"].values())
        runs = sorted(r[0]["seconds"] for r in result["runs"].values())
        print(
            f"\nclass of {LEARNERS} through the hub's API: spawns {spawns[0]:.1f}-{spawns[-1]:.1f}"
            f" s, chapter 02 {runs[0]:.1f}-{runs[-1]:.1f} s, peak PSS per learner "
            f"{max(result['peak_pss'].values()):.0f} MB, in all {result['peak_total_pss']:.0f} MB"
        )
    assert not result["spawn_errors"] and len(result["spawn"]) == LEARNERS, result["spawn_errors"]
    # The room logged in at once: every spawn request was sent within a second of the first.
    assert max(result["requested"].values()) < 1.0, result["requested"]
    for learner, (ran,) in result["runs"].items():
        assert not ran["errors"], f"{learner}: {ran['errors']}"
        figures = ran["figures"]
        # Each learner measured their own runs on their own demo sites: threads beat sync.
        assert figures.get("speedup", 0) > 1 and figures.get("explorer_speedup", 0) > 1, figures
    # Every learner's processes were seen, and each held a server, a kernel and demo sites.
    assert set(result["peak_pss"]) == set(result["runs"])
    assert all(mb > 100 for mb in result["peak_pss"].values()), result["peak_pss"]
