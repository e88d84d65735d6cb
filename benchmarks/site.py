"""The course's website: how long `python -m lessons site` takes, how big the site is, and how
long each page takes to load from disk in Chromium, until every saved widget is drawn.

It builds the site with the command a maintainer types (each chapter in a fresh kernel, one after
another), unless --site names one already built, then opens every page --loads times in a fresh
browser page and prints the median and the slowest. It asserts nothing: the figures are for
reading. Needs Chromium (Debian's, /usr/bin/chromium, or LESSONS_CHROMIUM).

    python benchmarks/site.py [--site DIR] [--loads 3] [--kernel python3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from lessons.course import site_pages

WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'
DRAWN = f"""() => Array.from(document.querySelectorAll('{WIDGET_VIEW}')).every(
    s => s.parentElement.querySelector('.jupyter-widgets'))"""
BUILD_SECONDS = 900
RENDER_MS = 30_000


def build(out: Path, kernel: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "lessons", "site", "--out", str(out), "--kernel", kernel],
        check=True,
        timeout=BUILD_SECONDS,
    )
    return time.perf_counter() - started


def load_times(site: Path, loads: int) -> dict[str, list[float]]:
    """Each page's seconds from navigation to every widget drawn, in a fresh page each time."""
    executable = os.environ.get("LESSONS_CHROMIUM") or shutil.which("chromium") or "chromium"
    times: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            for page_file in sorted(site.glob("*.html")):
                for _ in range(loads):
                    page = browser.new_page()
                    started = time.perf_counter()
                    page.goto(page_file.as_uri(), wait_until="load")
                    page.wait_for_function(DRAWN, timeout=RENDER_MS)
                    times.setdefault(page_file.name, []).append(time.perf_counter() - started)
                    page.close()
        finally:
            browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a site already built (else one is built)")
    parser.add_argument("--loads", type=int, default=3, help="loads of each page (3)")
    parser.add_argument("--kernel", default="python3", help="the kernel that runs the chapters")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        site = args.site
        if site is None:
            site = Path(scratch) / "_site"
            seconds = build(site, args.kernel)
            print(f"build: {seconds:.1f} s for {len(site_pages.chapters())} chapters")
        files = [path for path in site.rglob("*") if path.is_file()]
        pages = sorted(site.glob("*.html"))
        size = sum(path.stat().st_size for path in files)
        widgets = sum(path.stat().st_size for path in files if path not in pages)
        print(
            f"size: {size / 1e6:.1f} MB in {len(files)} files; {len(pages)} pages "
            f"{(size - widgets) / 1e6:.1f} MB, the widget manager, its fonts and RequireJS "
            f"{widgets / 1e6:.1f} MB"
        )
        print(f"{'page':<36} {'size':>8} {'median':>8} {'slowest':>8}  (load to widgets drawn)")
        for name, seconds in load_times(site, args.loads).items():
            kb = (site / name).stat().st_size / 1e3
            print(
                f"{name:<36} {kb:>6.0f} kB {statistics.median(seconds):>6.2f} s "
                f"{max(seconds):>6.2f} s"
            )


if __name__ == "__main__":
    main()
