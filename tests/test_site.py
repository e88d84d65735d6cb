"""python -m lessons site, without a browser: its links, its refusals, and a failed or
interrupted build that leaves the last site as it was. tests/browser/test_site.py builds the
whole site and opens every page in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from lessons import site
from lessons.course import site_pages

README = (site_pages.ROOT / "README.md").read_text()
REPOSITORY = "https://github.com/example-owner/threads-course"


def test_run_links_have_the_readmes_formats():
    """The pages' Binder and nbgitpuller links are the README's, filled in."""
    links = site_pages.run_links("02_threaded.ipynb", REPOSITORY, hub="https://hub.example.org/")
    binder = re.search(r"`(https://mybinder\.org/\S+)`", README).group(1)
    hub = re.search(r"`(https://<hub>/hub/user-redirect/\S+)`", README).group(1)
    fill = {"<owner>": "example-owner", "<repo>": "threads-course", "01_synchronous": "02_threaded"}
    for placeholder, value in fill.items():
        binder, hub = binder.replace(placeholder, value), hub.replace(placeholder, value)
    assert links["binder"] == binder
    assert links["hub"] == hub.replace("<hub>", "hub.example.org")
    assert links["hub_path"] == hub.removeprefix("https://<hub>")


def test_without_a_repository_there_is_no_run_link():
    links = site_pages.run_links("02_threaded.ipynb", None)
    assert links["binder"] is None and links["hub"] is None and links["hub_path"] is None


def test_the_repository_address_lives_in_pyproject(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n')
    assert site_pages.repository_address(pyproject) is None
    pyproject.write_text(f'[project]\nname = "x"\n[project.urls]\nRepository = "{REPOSITORY}"\n')
    assert site_pages.repository_address(pyproject) == REPOSITORY


def test_links_point_into_the_site():
    sources = site_pages.markdown_sources()
    text = (
        "[ch](notebooks/07_how_many_threads.ipynb) [guide](INSTRUCTOR.md) "
        "[trouble](README.md#when-something-goes-wrong) [here](#on-the-projector) "
        "[code](lessons/threaded.py) [web](https://docs.python.org/3/)"
    )
    linked = site_pages.site_links(text, REPOSITORY, {**sources, "": sources["INSTRUCTOR.md"]})
    assert re.findall(r"\]\(([^)]*)\)", linked) == [
        "07_how_many_threads.html",
        "instructor.html",
        "index.html#When-something-goes-wrong",
        "#On-the-projector",
        f"{REPOSITORY}/blob/main/lessons/threaded.py",
        "https://docs.python.org/3/",
    ]
    assert "](#threaded.py)" in site_pages.site_links("[code](lessons/threaded.py)", None, {})


def test_every_chapter_is_a_page_titled_by_its_heading():
    chapters = site_pages.chapters()
    assert [c.path for c in chapters] == sorted(site_pages.NOTEBOOKS.glob("*.ipynb"))
    assert all(re.match(r"\d+\. \S", c.title) and "`" not in c.title for c in chapters)


def test_a_folder_that_is_not_a_site_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert site.main(["--out", str(tmp_path)]) == 1
    assert "is not a site this command built" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_an_unknown_kernel_is_named(tmp_path, capsys):
    assert site.main(["--out", str(tmp_path / "out"), "--kernel", "no-such-kernel"]) == 1
    err = capsys.readouterr().err
    assert "no kernel named 'no-such-kernel'" in err and "python3" in err


@pytest.fixture
def old_site(tmp_path):
    """A site from an earlier build, which a failed build must leave as it was."""
    out = tmp_path / "out"
    out.mkdir()
    (out / site.MARKER).write_text("")
    (out / "index.html").write_text("the last site")
    return out


def test_a_failing_chapter_names_its_cell_and_keeps_the_last_site(
    old_site, tmp_path, monkeypatch, capsys
):
    """One real kernel runs a chapter whose second cell fails: no half-built site replaces the
    last one, and the message says which chapter and what failed."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 9. Broken"), nbformat.v4.new_code_cell("1 / 0")]
    broken = tmp_path / "09_broken.ipynb"
    nbformat.write(nb, broken)
    monkeypatch.setattr(site_pages, "chapters", lambda: [site_pages.Chapter(broken, "9. Broken")])
    assert site.main(["--out", str(old_site)]) == 1
    err = capsys.readouterr().err
    assert "09_broken.ipynb: a cell failed" in err and "ZeroDivisionError" in err
    assert (old_site / "index.html").read_text() == "the last site"
    assert sorted(p.name for p in old_site.parent.iterdir()) == ["09_broken.ipynb", "out"]


def test_an_interrupted_build_keeps_the_last_site(old_site, monkeypatch, capsys):
    def interrupted(path: Path, kernel: str):
        raise KeyboardInterrupt

    monkeypatch.setattr(site_pages, "run_chapter", interrupted)
    assert site.main(["--out", str(old_site)]) == 130
    assert "the site was not changed" in capsys.readouterr().err
    assert (old_site / "index.html").read_text() == "the last site"
    assert [p.name for p in old_site.parent.iterdir()] == ["out"]


def test_a_broken_kernel_stops_the_build_before_any_chapter(tmp_path, monkeypatch, capsys):
    """Chapters 05 and 11 run the other build through the free-threaded kernel's Python: a
    kernel whose `lessons` is another (removed) checkout would put failed runs on the pages."""
    from lessons import doctor_kernels
    from lessons.preflight import Row

    broken = Row("kernel free-threaded", "warn", "it runs the lessons in /gone", "python -m x")
    monkeypatch.setattr(doctor_kernels, "check_other_kernels", lambda: [broken])
    ran = []
    monkeypatch.setattr(site_pages, "run_chapter", lambda *args: ran.append(args))
    assert site.main(["--out", str(tmp_path / "out")]) == 1
    assert "kernel free-threaded: it runs the lessons in /gone; fix: python -m x" in (
        capsys.readouterr().err
    )
    assert not ran and not (tmp_path / "out").exists()
