"""python -m lessons site: the course as a website of executed chapters, for any static host.

Every chapter runs once, by Run All, in a fresh kernel of its own, one after another (so no
chapter's timings share the machine with another's), on the demo sites. The pages show every
output as the learner saw it, and every widget in the state Run All left it, drawn by the
widgets' own HTML manager, which the site carries: the pages load nothing from outside it.
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .course import kernels, site_pages
from .preflight import stepper

DEFAULT_OUT = site_pages.ROOT / "_site"
MARKER = ".lessons-site"  # in every folder this command wrote: it may write there again
NODE_MODULES = site_pages.ROOT / "node_modules"
WIDGET_MANAGER = NODE_MODULES / site_pages.WIDGETS_PATH
REQUIRE_JS = NODE_MODULES / "requirejs" / "require.js"
# Font Awesome's fonts, in the formats every current browser reads (the bundle also offers eot,
# ttf and svg, for old ones): looked up beside the page at two paths, one per copy of its CSS.
FONTS = (".woff2", ".woff")
FONT_FOLDERS = (site_pages.WIDGETS_PATH, "@jupyter-widgets")
NPM_SECONDS = 300


class Refused(RuntimeError):
    """The site cannot be built; the message says why, in one line."""


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m lessons site",
        description="Build the course as a static website of executed chapters.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the site's folder (_site)")
    parser.add_argument(
        "--kernel", default="python3", help="the kernel that runs the chapters (python3)"
    )
    parser.add_argument(
        "--repository",
        help="the repository's address for the Binder and JupyterHub links (else pyproject.toml's "
        "[project.urls] Repository)",
    )
    parser.add_argument("--hub", help="a JupyterHub's address: each page links to it directly")
    return parser.parse_args(argv)


def check_out(out: Path) -> None:
    """Refuse a folder that holds anything but a site this command built: it is replaced."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise Refused(
            f"{out} exists and is not a site this command built; it would be replaced: choose "
            "another --out, or remove it first"
        )


def npm_missing() -> list[str]:
    """The npm packages of package-lock.json that node_modules/ lacks, or has at another version."""
    lock = json.loads((site_pages.ROOT / "package-lock.json").read_text())["packages"]
    missing = []
    for name in lock[""]["dependencies"]:
        installed = NODE_MODULES / name / "package.json"
        pinned = lock[f"node_modules/{name}"]["version"]
        if not installed.exists() or json.loads(installed.read_text())["version"] != pinned:
            missing.append(f"{name} {pinned}")
    return missing


def widget_manager() -> str:
    """The widgets' HTML manager and RequireJS, from npm as package-lock.json pins them."""
    missing = npm_missing()
    if not missing:
        return f"{WIDGET_MANAGER.relative_to(site_pages.ROOT)}, as package-lock.json pins it"
    npm = shutil.which("npm")
    if npm is None:
        raise Refused(
            "the pages draw their widgets with @jupyter-widgets/html-manager, from npm: install "
            "Node.js's npm (Debian: sudo apt-get install npm), then run this again"
        )
    try:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=site_pages.ROOT,
            check=True,
            timeout=NPM_SECONDS,
            stdout=subprocess.DEVNULL,
        )
    except (subprocess.SubprocessError, OSError) as error:
        raise Refused(f"npm ci (package-lock.json) did not finish: {error}") from None
    return f"npm ci installed {', '.join(missing)} (package-lock.json)"


def copy_widget_manager(into: Path) -> None:
    """The manager's bundle, its fonts and licences, and RequireJS, into the site."""
    target = into / site_pages.WIDGETS_PATH
    target.mkdir(parents=True)
    shutil.copy(WIDGET_MANAGER / "embed-amd.js", target)
    for folder in FONT_FOLDERS:
        for font in WIDGET_MANAGER.iterdir():
            if font.suffix in FONTS:
                shutil.copy(font, into / folder)
    shutil.copy(WIDGET_MANAGER / "embed.js.LICENSE.txt", target / "embed-amd.js.LICENSE.txt")
    require = into / site_pages.REQUIRE_PATH
    require.parent.mkdir(parents=True)
    shutil.copy(REQUIRE_JS, require)
    notices = []
    for package in (WIDGET_MANAGER.parent, REQUIRE_JS.parent):
        meta = json.loads((package / "package.json").read_text())
        notices.append(f"{meta['name']} {meta['version']}: {meta['license']}, {meta['homepage']}")
    (into / "static" / "THIRD-PARTY.txt").write_text(
        "The pages draw their widgets with these npm packages, copied here unchanged:\n"
        + "\n".join(notices)
        + "\n"
    )


def kernels_ready(kernel: str) -> str:
    """The doctor's kernel checks: the chapters run on `kernel`, and chapters 05, 11 and 12 also
    run the other build through the free-threaded kernel's Python. A page must not show a run
    that failed because a kernel is broken (say, its `lessons` is another, removed checkout)."""
    from . import doctor_kernels

    rows = [doctor_kernels.check_kernel(), *doctor_kernels.check_other_kernels()]
    for row in rows:
        ours = row.check in ("kernel", f"kernel {kernel}", f"kernel {doctor_kernels.OURS}")
        if row.result == "fail" or (ours and row.result == "warn"):
            raise Refused(f"{row.check}: {row.found}; fix: {row.fix}")
    return "; ".join(f"{row.check} {row.result}" for row in rows)


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    out = args.out.resolve()
    repository = args.repository or site_pages.repository_address()
    started = time.perf_counter()

    step = stepper(width=16, digits=1)

    try:
        check_out(out)
        if args.kernel not in kernels.python_kernels():
            known = ", ".join(kernels.python_kernels()) or "none"
            raise Refused(f"no kernel named {args.kernel!r} here (Python kernels: {known})")
        step("kernels", lambda: kernels_ready(args.kernel))
        step("widget manager", widget_manager)
        chapters = site_pages.chapters()
        if not chapters:
            raise Refused(f"no chapter found in {site_pages.NOTEBOOKS}")
        out.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{out.name}-building-", dir=out.parent))
        try:
            build(building, chapters, args, repository, step)
            if out.exists():
                shutil.rmtree(out)
            building.rename(out)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    except (Refused, site_pages.ChapterFailed, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted: the site was not changed.", file=sys.stderr)
        return 130
    size = folder_size(out)
    print(
        f"Site ready: {len(chapters)} chapters, {size / 1e6:.1f} MB, in "
        f"{time.perf_counter() - started:.0f} s. Open {out / 'index.html'} in a browser; "
        "publish the folder on any static host."
    )
    if not repository:
        print(
            "note: no repository address (pyproject.toml's [project.urls] Repository, or "
            "--repository), so the pages have no Binder or JupyterHub link, only the install."
        )
    return 0


def build(into: Path, chapters: list, args: argparse.Namespace, repository, step) -> None:
    """Every page of the site into the (new, empty) folder `into`."""
    copy_widget_manager(into)
    sources = site_pages.markdown_sources()
    (into / MARKER).write_text("Built by python -m lessons site; it replaces this folder.\n")
    facts = None
    for index, chapter in enumerate(chapters):
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        nb, facts, seconds = step(
            f"chapter {chapter.path.name[:2]}", lambda chapter=chapter: _ran(chapter, args.kernel)
        )[0]
        site = {
            "previous": _link(chapters[index - 1]) if index else None,
            "next": _link(chapters[index + 1]) if index + 1 < len(chapters) else None,
            "banner": site_pages.banner(facts, when),
            "run": site_pages.run_links(chapter.path.name, repository, args.hub),
        }
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = site_pages.site_links(cell.source, repository, sources)
        (into / chapter.href).write_text(site_pages.render(nb, chapter.title, site))
    step("index and guide", lambda: _pages_around(into, chapters, repository, facts, sources))


def _ran(chapter, kernel: str):
    nb, facts, seconds = site_pages.run_chapter(chapter.path, kernel)
    return (nb, facts, seconds), f"{chapter.path.name}: Run All on {facts['name']}"


def _build_words(facts: dict | None) -> str:
    """'Python 3.11.7, the standard build: the GIL is on', without the sentence's full stop."""
    return facts["describe"].rstrip(".") if facts else "the kernel named"


def _chapter_list(chapters: list) -> str:
    items = "".join(f'<li><a href="{c.href}">{html.escape(c.title)}</a></li>' for c in chapters)
    return f'<ul class="lessons-chapters">{items}</ul>'


def _link(chapter) -> dict:
    return {"href": chapter.href, "title": chapter.title}


def _pages_around(into: Path, chapters: list, repository, facts, sources: dict) -> str:
    """The index (the README) and the instructor's guide, with the chapters' navigation;
    `sources` is their Markdown (site_pages.markdown_sources)."""
    built = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    pages = [("index.html", "README.md", "Threads in Python")]
    pages.append(("instructor.html", "INSTRUCTOR.md", "Instructor's guide"))
    for href, source, title in pages:
        nb = site_pages.markdown_notebook(sources[source], repository, sources)
        site = {
            "previous": None,
            "next": _link(chapters[0]),
            "banner": [
                f"This site shows the course's {len(chapters)} chapters as Run All left them on "
                f"{built}, on {_build_words(facts)}. To run them, and slide the widgets, open "
                "them in JupyterLab: each chapter's page links there.",
                _chapter_list(chapters),
            ],
            "run": None,
        }
        (into / href).write_text(site_pages.render(nb, title, site))
    return "index.html (README.md) and instructor.html (INSTRUCTOR.md)"
