"""The course as a website: each chapter's executed notebook as a page, and the pages around it."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import html
import re
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import nbformat
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter
from nbformat import NotebookNode

from .execute import SlicedPollClient, learner_env, probe
from .kernels import kernel_manager

ROOT = Path(__file__).resolve().parents[2]  # the checkout: notebooks/, README.md, pyproject.toml
NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = Path(__file__).resolve().parent / "site_template"
BRANCH = "main"
CELL_SECONDS = 120  # no cell of the course may take longer (as in the tests)
# The widget manager's files, laid out where its bundle looks for its fonts: beside the page,
# under the path it would have on a CDN.
WIDGETS_PATH = "@jupyter-widgets/html-manager/dist"
REQUIRE_PATH = "static/require.js"

FACTS_MARK = "SITE-FACTS "
FACTS_CELL = f"""\
def _site_facts():
    import json, platform
    from lessons.course import builds, sites
    build = builds.this_build()
    demo = sites.start_demo_sites()
    latency = {{name: site.profile.latency for name, site in demo.sites.items()}}
    facts = {{"describe": build.describe(), "name": build.name, "cpus": build.usable_cpus,
             "system": f"{{platform.system()}} {{platform.machine()}}", "latency": latency}}
    print({FACTS_MARK!r} + json.dumps(facts))
_site_facts()
del _site_facts
"""


@dataclasses.dataclass
class Chapter:
    path: Path  # notebooks/02_threaded.ipynb
    title: str  # "2. The threaded program", the notebook's first heading

    @property
    def href(self) -> str:
        return f"{self.path.stem}.html"


class ChapterFailed(RuntimeError):
    """A chapter did not run to its end; the message names the cell and what it said."""


def chapters(notebooks: Path = NOTEBOOKS) -> list[Chapter]:
    """Every chapter, in order, titled by its first heading."""
    found = []
    for path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        found.append(Chapter(path, _first_heading(nb) or path.stem))
    return found


def _first_heading(nb: NotebookNode) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].replace("`", "").strip()
    return None


def repository_address(pyproject: Path = ROOT / "pyproject.toml") -> str | None:
    """The repository's address, set in one place: pyproject.toml's [project.urls] Repository."""
    try:
        import tomllib  # Python 3.11 and later (runtime.txt names 3.11)
    except ImportError:  # Python 3.10: tomli, if it is there; else only --repository
        try:
            import tomli as tomllib
        except ImportError:
            return None
    with open(pyproject, "rb") as file:
        urls = tomllib.load(file).get("project", {}).get("urls", {})
    return urls.get("Repository") or None


def run_links(notebook: str, repository: str | None, hub: str | None = None) -> dict:
    """Where a chapter runs for real: Binder, a JupyterHub (nbgitpuller), as the README says."""
    links = {"notebook": notebook, "repository": repository, "binder": None, "hub": None}
    links["hub_path"] = None
    if not repository:
        return links
    name = repository.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]
    parts = urlsplit(repository)
    if parts.hostname == "github.com":
        owner_repo = parts.path.strip("/").removesuffix(".git")
        links["binder"] = (
            f"https://mybinder.org/v2/gh/{owner_repo}/{BRANCH}"
            f"?urlpath=lab/tree/notebooks/{notebook}"
        )
    links["hub_path"] = (
        f"/hub/user-redirect/git-pull?repo={quote(repository, safe='')}&branch={BRANCH}"
        f"&urlpath=lab/tree/{name}/notebooks/{notebook}"
    )
    if hub:
        links["hub"] = hub.rstrip("/") + links["hub_path"]
    return links


def run_chapter(path: Path, kernel: str) -> tuple[NotebookNode, dict, float]:
    """Run All, once, in a fresh kernel: the executed notebook (widget state saved), the facts
    of the kernel that ran it, and its seconds. ChapterFailed when a cell failed."""
    nb = nbformat.read(path, as_version=4)  # the file itself is never written
    client = SlicedPollClient(
        nb,
        km=kernel_manager(kernel_name=kernel),
        kernel_name=kernel,
        timeout=CELL_SECONDS,
        store_widget_state=True,  # the widgets as Run All left them, for the widget manager
        coalesce_streams=True,  # J/R marks as one text, as JupyterLab shows them
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    try:
        facts = asyncio.run(_execute(client, path))
    except CellExecutionError as error:
        raise ChapterFailed(f"{path.name}: a cell failed:\n{error}") from None
    except CellTimeoutError as error:
        raise ChapterFailed(f"{path.name}: {error}") from None
    except DeadKernelError as error:
        raise ChapterFailed(f"{path.name}: the kernel died: {error}") from None
    return nb, facts, time.perf_counter() - started


async def _execute(client: SlicedPollClient, path: Path) -> dict:
    # cleanup_kc: nbclient shuts down only a kernel whose manager it made itself.
    async with client.async_setup_kernel(cwd=str(path.parent), env=learner_env(), cleanup_kc=True):
        assert client.kc is not None
        for index, cell in enumerate(client.nb.cells):
            await client.async_execute_cell(
                cell, index, execution_count=client.code_cells_executed + 1
            )
        facts, printed = await probe(client, FACTS_CELL, FACTS_MARK)
        client.set_widgets_metadata()
    if facts is None:
        raise ChapterFailed(f"{path.name}: the kernel did not say what it runs: {printed[:300]}")
    return facts


def banner(facts: dict, when: str) -> list[str]:
    """Where this page's numbers came from, in HTML: the machine, the build, the date."""
    latency = ", ".join(
        f"{name} {seconds * 1000:.0f} ms" for name, seconds in facts["latency"].items()
    )
    cpus = facts["cpus"]
    return [
        f"<strong>Executed {html.escape(when)}</strong> in a fresh kernel, by Run All, on "
        f"{html.escape(facts['describe'].rstrip('.'))}; {html.escape(facts['system'])}, "
        f"{cpus} CPU{'s' if cpus != 1 else ''}; demo sites: {html.escape(latency)}.",
        "Every time, J/R order, plot and table below comes from that one run: yours will differ "
        "(another machine, another load, another build of Python), and the chapters say so "
        "where it matters. The widgets show the state Run All left them in; here they do not "
        "run.",
    ]


@functools.cache
def exporter() -> HTMLExporter:
    """nbconvert's lab page, with the site's template and its files from the site itself (one
    for every page: it loads its templates once)."""
    exporter = HTMLExporter(template_name="lessons_site", extra_template_basedirs=[str(TEMPLATES)])
    exporter.require_js_url = REQUIRE_PATH
    exporter.widget_renderer_url = f"{WIDGETS_PATH}/embed-amd.js"
    return exporter


def render(nb: NotebookNode, title: str, site: dict) -> str:
    """One page of the site, as HTML."""
    css = _site_css()
    nb.metadata["title"] = title
    resources = {"site": {"css": css, **site}, "metadata": {"name": title}}
    body, _ = exporter().from_notebook_node(nb, resources=resources)
    return body


@functools.cache
def _site_css() -> str:
    return (TEMPLATES / "lessons_site" / "site.css").read_text()


def markdown_sources() -> dict[str, str]:
    """The checkout's Markdown pages of the site: README.md and INSTRUCTOR.md, by name."""
    return {name: (ROOT / name).read_text() for name in ("README.md", "INSTRUCTOR.md")}


def markdown_notebook(text: str, repository: str | None, sources: dict[str, str]) -> NotebookNode:
    """A Markdown file of the checkout (README.md, INSTRUCTOR.md) as a notebook of one cell,
    so that its page looks like the chapters; its links point into the site. `sources` holds
    the Markdown of each page a link may point into (its name -> its text), for the anchors."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(site_links(text, repository, sources)))
    return nb


LINK = re.compile(r"\]\((?!https?:|mailto:)([^)#\s]*)(#[^)\s]*)?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def site_links(text: str, repository: str | None, sources: dict[str, str]) -> str:
    """Links to the checkout's files made links of the site: a notebook to its page, the README
    to the index, INSTRUCTOR.md to the guide, anything else to the repository (or plain text).
    An anchor written GitHub's way (#when-something-goes-wrong) becomes the id the page has."""

    def replace(match: re.Match) -> str:
        target, anchor = match.group(1), match.group(2) or ""
        name = target.rsplit("/", 1)[-1]
        page = {"README.md": "index.html", "INSTRUCTOR.md": "instructor.html"}.get(name)
        if name.endswith(".ipynb"):
            page = f"{name.removesuffix('.ipynb')}.html"
        if anchor:
            anchor = "#" + heading_id(sources.get(name or "", text), anchor[1:])
        if page is not None or not target:
            return f"]({page or ''}{anchor})"
        if repository:
            return f"]({repository.rstrip('/')}/blob/{BRANCH}/{target.lstrip('./')}{anchor})"
        return f"](#{name})"

    return LINK.sub(replace, text)


def heading_id(markdown: str, slug: str) -> str:
    """The id nbconvert gives the heading that GitHub's `slug` names (its text, spaces as
    hyphens); the slug itself when no heading matches."""
    for heading in HEADING.findall(markdown):
        text = re.sub(r"[`*_]|\[([^]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading)
        github = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        if github == slug.lower():
            return text.replace(" ", "-")
    return slug
