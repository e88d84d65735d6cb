"""The instructor's key in answers/: every exercise has an answer, and each passes its own check.

Each answer is fed to the very self-check the notebook calls, with the notebook's arguments; the
demo sites are the fast ones of conftest.py, shaped like the learner's, standing in for
start_demo_sites(). The notebooks are parsed for their check calls, so that a new exercise
without an answer fails here, and for imports, so that no notebook meets the key.
"""

import ast
import importlib
import json
import pathlib
import sys

import pytest

from lessons.chapters import ch01 as chapter01
from lessons.chapters import ch02 as chapter02
from lessons.chapters import ch03 as chapter03
from lessons.course import sites as site_sets
from lessons.course.demo_server import DEFAULT_PROFILES
from lessons.course.exercises import Verdict

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SCALE = 5  # the demo sites' latencies over 5: the learner's shape (Jython slower), 5 times as fast
TRIES = 5  # for the checks that time a run: see timed_correct
TESTED: set[tuple[str, str]] = set()  # (chapter, check) pairs that a test below feeds


def answers(chapter: str, *checks: str):
    """Mark a test as feeding the answers of `chapter` to these checks; load the chapter's key."""
    TESTED.update((chapter, check) for check in checks)
    return lambda test: test


def key(chapter: str):
    """answers/<chapter>.py, imported from the repository's root (it is not installed)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"answers.{chapter}")


def correct(verdict) -> None:
    assert isinstance(verdict, Verdict), verdict
    assert verdict.correct, verdict


def timed_correct(attempt, tries: int = TRIES) -> None:
    """For a check that compares an answer worked out from one run with another run: a busy
    moment elsewhere on the machine can part the two, so the answer and check are tried again."""
    for _ in range(tries - 1):
        if attempt().correct:
            return
    correct(attempt())


@pytest.fixture
def demo(fast_sites, monkeypatch):
    """The fast demo sites with the learner's profile at a fifth of its latency, as the ones that
    start_demo_sites() returns: the checks are called exactly as the notebooks call them."""
    for profile in DEFAULT_PROFILES:
        fast_sites.configure(
            profile.name, latency=profile.latency / SCALE, jitter=profile.jitter / SCALE
        )
    monkeypatch.setattr(site_sets, "_demo", fast_sites)
    return fast_sites


# ---- each answer, fed to its check ---------------------------------------------------------


@answers("ch01_synchronous", "check_one_thread_per_page", "check_sizes_in_order")
def test_ch01(demo):
    ch01 = key("ch01_synchronous")
    correct(chapter01.check_one_thread_per_page(ch01.download_in_threads))
    correct(chapter01.check_sizes_in_order(ch01.download_sizes))


@answers("ch02_threaded", "check_session_per_page", "check_threaded_from_sync")
def test_ch02(demo):
    ch02 = key("ch02_threaded")
    correct(chapter02.check_session_per_page(ch02.download_all_alone))
    correct(chapter02.check_threaded_from_sync(ch02.download_all_sync))


@answers("ch03_n_workers_pattern", "check_input_order", "check_within")
def test_ch03(demo):
    ch03 = key("ch03_n_workers_pattern")
    correct(chapter03.check_input_order(ch03.download_in_order))
    correct(chapter03.check_within(ch03.download_within))


# Chapters 04 on: every exercise is code the learner writes, checked by the chapter's module
# (lessons/chapters/chNN.py) with that code as its one argument, as the notebook calls it.
REBUILT_KEYS = [
    "ch04_race_conditions",
    "ch05_under_the_hood",
    "ch06_one_session_per_thread",
    "ch07_how_many_threads",
    "ch08_primitives",
    "ch09_coordination",
    "ch10_gui_thread",
    "ch11_waiting",
    "ch12_computing",
]
for _name in REBUILT_KEYS:
    answers(_name, *key(_name).KEY)


@pytest.mark.parametrize("name", REBUILT_KEYS)
def test_rebuilt_chapters(demo, name):
    checks = importlib.import_module(f"lessons.chapters.{name[:4]}")
    for check, answer in key(name).KEY.items():
        timed_correct(lambda check=check, answer=answer: getattr(checks, check)(answer))


# ---- the notebooks against the key ---------------------------------------------------------


def code_cells(notebook: pathlib.Path) -> list[ast.Module]:
    """The code cells of a notebook, parsed (top-level await allowed; IPython magics left out)."""
    trees = []
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        lines = "".join(cell["source"]).splitlines()
        source = "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))
        flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        trees.append(compile(source, str(notebook), "exec", flags=flags))
    return trees


def check_calls(notebook: pathlib.Path) -> list[str]:
    """The names of the self-checks a notebook calls: check_..., bare or as an attribute."""
    names = []
    for tree in code_cells(notebook):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = getattr(func, "attr", None) or getattr(func, "id", None)
                if name and name.startswith("check_"):
                    names.append(name)
    return names


def chapter(notebook: pathlib.Path) -> str:
    return f"ch{notebook.stem}"


def test_the_notebooks_have_exercises():
    assert len(NOTEBOOKS) >= 8
    assert all(check_calls(notebook) for notebook in NOTEBOOKS)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_exercise_of_the_notebook_has_an_answer_that_is_tested(notebook):
    calls = check_calls(notebook)
    path = ROOT / "answers" / f"{chapter(notebook)}.py"
    assert path.exists(), f"{notebook.name} has exercises ({calls}) but no key: write {path}"
    given = key(chapter(notebook)).KEY
    missing = [name for name in calls if name not in given]
    assert not missing, f"{notebook.name}: no answer in {path.name}'s KEY for {missing}"
    untested = [name for name in calls if (chapter(notebook), name) not in TESTED]
    assert not untested, f"{notebook.name}: no test in {__name__} feeds an answer to {untested}"


def test_every_answer_belongs_to_an_exercise_of_its_notebook():
    """A key left behind by a removed or renamed exercise, or a renamed notebook, goes stale."""
    called = {chapter(nb): set(check_calls(nb)) for nb in NOTEBOOKS}
    for path in sorted((ROOT / "answers").glob("ch*.py")):
        assert path.stem in called, f"{path.name} has no notebook notebooks/{path.stem[2:]}.ipynb"
        stale = set(key(path.stem).KEY) - called[path.stem]
        assert not stale, f"{path.name} answers checks its notebook no longer calls: {stale}"
        assert (ROOT / "answers" / "README.md").read_text().count(path.stem) >= 1


def imports_answers(tree: ast.AST) -> list[str]:
    """Imports of the answers package in a parsed module or cell, including importlib's."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "answers"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "answers":
            found.append(node.module)
        elif isinstance(node, ast.Constant) and str(node.value).startswith("answers."):
            found.append(node.value)  # importlib.import_module("answers.ch01_synchronous")
    return found


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_no_notebook_imports_the_answers(notebook):
    found = [name for tree in code_cells(notebook) for name in imports_answers(tree)]
    assert not found, f"{notebook.name} imports the instructor's key: {found}"


def test_the_lessons_package_never_imports_the_answers():
    for path in sorted((ROOT / "lessons").rglob("*.py")):
        found = imports_answers(ast.parse(path.read_text()))
        assert not found, f"{path.relative_to(ROOT)} imports the instructor's key: {found}"
