"""One source of truth: the lesson's programs in the notebooks' cells are the package's, word
for word, so the command line, the explorer's default and the tests run what learners read.

A cell holds part of a program when its tags say `lesson:<module>` (lesson:threaded is
lessons/threaded.py). A chapter's cells for one module, read in order, are the module after its
docstring; blank lines aside, and the module's lines marked `# lesson: from a cell above`
(what the notebook has from an earlier cell) aside.
"""

import ast
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FROM_ABOVE = "# lesson: from a cell above"
# The programs a learner writes and runs in the rebuilt chapters (later chapters join when
# rebuilt): each must stand in its chapter's cells.
EXPECTED = {
    "01_synchronous.ipynb": {"synchronous"},
    "02_threaded.ipynb": {"threaded"},
    "03_n_workers_pattern.ipynb": {"threaded", "consumer"},
    "04_race_conditions.ipynb": {"races"},
    "06_one_session_per_thread.ipynb": {"threaded"},
    "07_how_many_threads.ipynb": {"threaded"},
    "08_primitives.ipynb": {"threaded", "primitives"},
    "09_coordination.ipynb": {"threaded"},
    "10_gui_thread.ipynb": {"gui_thread"},
    "11_waiting.ipynb": {"threaded", "asynchronous", "processes"},
    "12_computing.ipynb": {"cpu"},
}


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def module_body(name: str) -> list[str]:
    """The module's source after its docstring, as the cells must hold it."""
    text = (ROOT / "lessons" / f"{name}.py").read_text()
    first = ast.parse(text).body[0]
    start = first.end_lineno if isinstance(first, ast.Expr) else 0
    body = "\n".join(text.splitlines()[start:])
    return [line for line in lines(body) if not line.endswith(FROM_ABOVE)]


def lesson_cells(notebook: pathlib.Path) -> dict[str, list[str]]:
    """Each module's lines as the notebook's tagged cells hold them, in order."""
    found: dict[str, list[str]] = {}
    for cell in json.loads(notebook.read_text())["cells"]:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag.startswith("lesson:"):
                held = lines("".join(cell["source"]))
                if held and held[0].startswith("%%writefile"):  # the cell writes the module
                    held = held[1:]
                found.setdefault(tag.removeprefix("lesson:"), []).extend(held)
    return found


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.name for n in NOTEBOOKS])
def test_the_cells_hold_the_packages_programs_word_for_word(notebook):
    for module, held in lesson_cells(notebook).items():
        assert (ROOT / "lessons" / f"{module}.py").exists(), (
            f"{notebook.name}: no lessons/{module}.py"
        )
        expected = module_body(module)
        first = next(
            (i for i, (a, b) in enumerate(zip(held, expected, strict=False)) if a != b), None
        )
        assert held == expected, (
            f"{notebook.name}'s cells tagged lesson:{module} differ from lessons/{module}.py"
            + (
                f" at line {first + 1}:\n  cell:    {held[first]}\n  package: {expected[first]}"
                if first is not None
                else f": {len(held)} lines against {len(expected)}"
            )
        )


@pytest.mark.parametrize("notebook", sorted(EXPECTED), ids=sorted(EXPECTED))
def test_each_rebuilt_chapter_holds_its_programs(notebook):
    held = set(lesson_cells(ROOT / "notebooks" / notebook))
    assert held >= EXPECTED[notebook], f"{notebook} lacks the cells of {EXPECTED[notebook] - held}"


def test_a_changed_line_is_caught(tmp_path):
    notebook = json.loads((ROOT / "notebooks" / "02_threaded.ipynb").read_text())
    for cell in notebook["cells"]:
        if "lesson:threaded" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = "".join(cell["source"]).replace("max_workers=5", "max_workers=6")
    changed = tmp_path / "02_threaded.ipynb"
    changed.write_text(json.dumps(notebook))
    with pytest.raises(AssertionError, match="differ from lessons/threaded.py at line"):
        test_the_cells_hold_the_packages_programs_word_for_word(changed)
