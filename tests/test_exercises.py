"""The exercises of chapters 01-03, each fed to the self-check its notebook calls: the cell's own
template is "Not yet", the key and right answers written other ways are "Correct", and wrong
answers get the "Not yet" that names their mistake.

Every learner function here is defined as a notebook defines it: the lesson's code cells are run
in order in one fresh namespace (`__name__ == "__main__"`), without the cells' runs, plots and
downloads, so that download_site, get_session, TIMEOUT, site_letter, requests, threading and
concurrent exist; then the learner's cell is run in that namespace. The checks download from the
learner's own demo sites (start_demo_sites(), about 50 ms a page), as in the notebook.
"""

from __future__ import annotations

import ast
import dataclasses
import gc
import importlib
import itertools
import json
import linecache
import os
import pathlib
import sys
import tempfile
import textwrap
import threading
import time

import pytest
from exercise_case import Case

from lessons.course.exercises import Verdict
from lessons.course.sites import start_demo_sites

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Every chapter whose checks live in lessons/chapters/chNN.py: "ch01" -> notebooks/01_....ipynb,
# and its key answers/ch01_....py.
NOTEBOOKS = {
    f"ch{path.name[:2]}": path
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if (ROOT / "lessons" / "chapters" / f"ch{path.name[:2]}.py").exists()
}
ANSWERS = {chapter: f"ch{path.stem}" for chapter, path in NOTEBOOKS.items()}
# Chapters 04 on keep their answers written other ways in tests/cases_chNN.py: RIGHT, WRONG,
# TEMPLATES (lists of Case), EXERCISES [(check, function), ...] in the notebook's order, and
# NAMES, what the chapter's lesson cells must define for its exercises.
CASES = {
    chapter: importlib.import_module(f"cases_{chapter}")
    for chapter in NOTEBOOKS
    if (pathlib.Path(__file__).parent / f"cases_{chapter}.py").exists()
}
DOWNLOADS = ("requests", "threading", "site_letter", "TIMEOUT", "download_site")
COURSE = {"lessons", *NOTEBOOKS}  # a call of lessons.X(...) or ch0N.X(...) runs, plots or checks
NOT_YET = "Not yet, because "
CELLS = itertools.count(1)  # the learner's cells, numbered as a kernel numbers its inputs


@dataclasses.dataclass(frozen=True)
class Exercise:
    chapter: str  # "ch01": the name the notebook imports the chapter's checks as
    check: str  # "check_one_thread_per_page"
    function: str  # "download_in_threads": what the cell hands to the check

    def __str__(self) -> str:
        return f"{self.chapter}-{self.check}"


# ---- the notebook, run as a learner runs it, without its runs ---------------------------------


def names_loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def names_stored(node: ast.AST) -> set[str]:
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def calls_the_course(node: ast.AST) -> bool:
    """Whether the statement calls lessons.X(...) or ch0N.X(...): a run, a plot, a table."""
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id in COURSE
        for n in ast.walk(node)
    )


def check_call(statement: ast.stmt) -> Exercise | None:
    """The exercise of a `ch0N.check_...(function)` line, or None for any other statement."""
    call = statement.value if isinstance(statement, ast.Expr) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
        return None
    func = call.func
    if not (isinstance(func.value, ast.Name) and func.value.id in NOTEBOOKS):
        return None
    if not func.attr.startswith("check_"):
        return None
    assert len(call.args) == 1 and isinstance(call.args[0], ast.Name), ast.unparse(statement)
    return Exercise(func.value.id, func.attr, call.args[0].id)


def cell_file(name: str, source: str) -> str:
    """A cell's file name, its source kept in linecache as IPython keeps each cell's: so a
    learner's error names the line of the cell it came from, as in the notebook."""
    filename = f"<{name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return filename


WRITTEN = tempfile.mkdtemp(prefix="cells-")  # %%writefile cells write here, first on sys.path
sys.path.insert(0, WRITTEN)
LESSON_FILES: dict[str, str] = {}  # what the notebooks' %%writefile cells write: path -> text


def written(source: str) -> tuple[str, str] | None:
    """(path in WRITTEN, text) of a `%%writefile NAME` cell; None for any other cell."""
    first, _, rest = source.lstrip("\n").partition("\n")
    if not first.startswith("%%writefile"):
        return None
    return os.path.join(WRITTEN, first.split()[-1]), rest


def lesson_code(chapter: str) -> tuple[list, list[Exercise]]:
    """The notebook's code cells, compiled, keeping only what defines names: imports, functions,
    classes, and assignments that call none of the course's runs (nor use what those made).
    Every other statement is left out: lessons.setup(), the runs, plots and tables, the demos
    that start threads or fetch pages, and each exercise's final check line. So from the cell
    "Two pages, two threads" only its imports, timers and `fetch` remain, none of its downloads.
    Returns the code objects and the exercises in the notebook's order."""
    notebook = json.loads(NOTEBOOKS[chapter].read_text())
    code, exercises, dropped = [], [], set()
    for number, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if file := written(source):  # written once, here, and again after each test
            LESSON_FILES[file[0]] = file[1]
            pathlib.Path(file[0]).write_text(file[1])
            importlib.invalidate_caches()  # the folder's listing may be cached from this second
            continue
        if source.lstrip().startswith("%%"):  # another cell magic: not Python
            continue
        flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT  # a cell may await
        tree = compile(source, f"<{chapter} cell {number}>", "exec", flags=flags)
        kept = []
        for index, statement in enumerate(tree.body):
            exercise = check_call(statement)
            if exercise is not None:
                assert index == len(tree.body) - 1, f"{exercise}: the check is not the last line"
                exercises.append(exercise)
            elif isinstance(
                statement,
                (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef),
            ) or (
                isinstance(statement, (ast.Assign, ast.AnnAssign))
                and not calls_the_course(statement)
                and not names_loaded(statement) & dropped
            ):
                kept.append(statement)
            else:
                dropped |= names_stored(statement)
        module = ast.Module(body=kept, type_ignores=[])
        code.append(compile(module, cell_file(f"{chapter} cell {number}", source), "exec"))
    return code, exercises


LESSONS = {chapter: lesson_code(chapter) for chapter in NOTEBOOKS}
EXERCISES = [exercise for _, exercises in LESSONS.values() for exercise in exercises]


def notebook_namespace(chapter: str) -> dict:
    """A fresh namespace with every code cell of the chapter run in order (see lesson_code):
    the exercise cells' templates defined, none of their checks called."""
    namespace = {"__name__": "__main__"}
    for code in LESSONS[chapter][0]:
        exec(code, namespace)
    return namespace


def learner_function(exercise: Exercise, source: str):
    """The learner's cell `source` (the exercise's functions as they edited them), run in the
    chapter's namespace after the lesson's cells, as a kernel runs an edited cell."""
    namespace = notebook_namespace(exercise.chapter)
    source = textwrap.dedent(source)
    if file := written(source):  # the learner's %%writefile cell: the file as they wrote it
        pathlib.Path(file[0]).write_text(file[1])
        importlib.invalidate_caches()
        source = ""
    exec(compile(source, cell_file(f"learner cell {next(CELLS)}", source), "exec"), namespace)
    return namespace[exercise.function]


def the_check(exercise: Exercise, namespace: dict):
    """The check, as the notebook's own `from lessons.chapters import ch0N` gave it."""
    return getattr(namespace[exercise.chapter], exercise.check)


def key(chapter: str):
    """answers/<chapter>.py, imported from the repository's root (it is not installed)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"answers.{ANSWERS[chapter]}")


def verdict_of(exercise: Exercise, function) -> Verdict:
    verdict = the_check(exercise, notebook_namespace(exercise.chapter))(function)
    assert isinstance(verdict, Verdict), repr(verdict)
    print(f"{exercise}: {verdict}")  # shown with -s, or -rP: the text of every verdict
    return verdict


def exercise(chapter: str, check: str) -> Exercise:
    return next(e for e in EXERCISES if (e.chapter, e.check) == (chapter, check))


@pytest.fixture(scope="module", autouse=True)
def demo_sites():
    """The learner's demo sites, started once for the file (as the first check starts them)."""
    return start_demo_sites()


@pytest.fixture(autouse=True)
def no_threads_left(demo_sites):
    """A wrong answer may leave its threads (or a pool never shut down) fetching after its check
    returned: wait for them, so that the next check counts only its own connections."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        gc.collect()  # a pool nobody shut down lets its workers go once it is collected
        left = [t for t in set(threading.enumerate()) - before if t.is_alive()]
        if not left:
            return
        left[0].join(timeout=0.1)


@pytest.fixture(autouse=True)
def lesson_files_as_the_notebooks_write_them():
    """A learner's %%writefile cell replaced a file that the notebook's cell writes: put the
    notebook's back for the next test."""
    yield
    for path, text in LESSON_FILES.items():
        pathlib.Path(path).write_text(text)


# ---- the notebooks' exercises -------------------------------------------------------------------


EXPECTED = [
    ("ch01", "check_one_thread_per_page", "download_in_threads"),
    ("ch01", "check_sizes_in_order", "download_sizes"),
    ("ch02", "check_session_per_page", "download_all_alone"),
    ("ch02", "check_threaded_from_sync", "download_all_sync"),
    ("ch03", "check_input_order", "download_in_order"),
    ("ch03", "check_within", "download_within"),
] + [(chapter, *exercise) for chapter, cases in CASES.items() for exercise in cases.EXERCISES]


def test_each_chapter_has_its_exercises_in_code():
    assert [(e.chapter, e.check, e.function) for e in EXERCISES] == EXPECTED
    for chapter in NOTEBOOKS:
        found = [e for e in EXERCISES if e.chapter == chapter]
        assert len(found) >= 2, f"{chapter} has {len(found)} exercises in code, not 2 or more"


@pytest.mark.parametrize("chapter", NOTEBOOKS)
def test_the_lesson_cells_define_what_the_exercises_use(chapter):
    namespace = notebook_namespace(chapter)
    names = CASES[chapter].NAMES if chapter in CASES else DOWNLOADS
    for name in (*names, chapter):
        assert name in namespace, f"{chapter}: {name} is not defined"
    if chapter in ("ch02", "ch03"):
        assert callable(namespace["get_session"]) and "concurrent" in namespace


@pytest.mark.timeout(120)
@pytest.mark.parametrize("exercise", EXERCISES, ids=str)
def test_the_notebooks_template_is_not_yet(exercise):
    namespace = notebook_namespace(exercise.chapter)
    verdict = the_check(exercise, namespace)(namespace[exercise.function])
    print(f"{exercise} (template): {verdict}")
    assert isinstance(verdict, Verdict) and not verdict.correct, verdict
    assert verdict.startswith(NOT_YET), verdict


@pytest.mark.timeout(120)
@pytest.mark.parametrize("exercise", EXERCISES, ids=str)
def test_the_keys_answer_is_correct(exercise):
    verdict = verdict_of(exercise, key(exercise.chapter).KEY[exercise.check])
    assert verdict.correct, verdict


# ---- answers written as a learner may write them ------------------------------------------------


RIGHT = [
    Case(
        "threads-listed-then-started",
        "ch01",
        "check_one_thread_per_page",
        """
        def download_in_threads(sites):
            def fetch(url):
                with requests.Session() as session:
                    download_site(url, session)

            threads = [threading.Thread(target=fetch, args=(url,)) for url in sites]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        """,
    ),
    Case(
        "thread-subclass",
        "ch01",
        "check_sizes_in_order",
        """
        def download_sizes(sites):
            sizes = [None] * len(sites)

            class Fetcher(threading.Thread):
                def __init__(self, index, url):
                    super().__init__()
                    self.index, self.url = index, url

                def run(self):
                    with requests.Session() as session:
                        sizes[self.index] = download_site(self.url, session)

            threads = [Fetcher(i, url) for i, url in enumerate(sites)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return sizes
        """,
    ),
    Case(
        "lambda-targets",
        "ch01",
        "check_sizes_in_order",
        """
        def download_sizes(sites):
            sizes = [None] * len(sites)

            def fetch(index, url):
                with requests.Session() as session:
                    sizes[index] = download_site(url, session)

            threads = [
                threading.Thread(target=lambda i=i, url=url: fetch(i, url))
                for i, url in enumerate(sites)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return sizes
        """,
    ),
    Case(
        "session-closed-in-finally",
        "ch02",
        "check_session_per_page",
        """
        def download_page_alone(url):
            session = requests.Session()
            try:
                response = session.get(url, timeout=TIMEOUT)
                response.raise_for_status()
                print(site_letter(url), end="", flush=True)
                return len(response.content)
            finally:
                session.close()


        def download_all_alone(sites, max_workers=5):
            with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                return list(executor.map(download_page_alone, sites))
        """,
    ),
    Case(
        "submit-and-results",
        "ch02",
        "check_threaded_from_sync",
        """
        def download_all_sync(sites):
            def fetch(url):
                return download_site_sync(url, get_session())

            with concurrent.futures.ThreadPoolExecutor(max_workers=5) as executor:
                futures = [executor.submit(fetch, url) for url in sites]
                return [f.result() for f in futures]
        """,
    ),
    Case(
        "own-threading-local",
        "ch02",
        "check_threaded_from_sync",
        """
        def download_all_sync(sites):
            mine = threading.local()

            def fetch(url):
                if not hasattr(mine, "session"):
                    mine.session = requests.Session()
                return download_site_sync(url, mine.session)

            with concurrent.futures.ThreadPoolExecutor(max_workers=5) as executor:
                return list(executor.map(fetch, sites))
        """,
    ),
    Case(
        "executor-map",  # not the exercise's submit, but the check asks for order and threads
        "ch03",
        "check_input_order",
        """
        def download_in_order(sites, max_workers=5):
            with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                return list(executor.map(download_site, sites))
        """,
    ),
    Case(
        "dict-of-futures-sorted-by-index",
        "ch03",
        "check_input_order",
        """
        def download_in_order(sites, max_workers=5):
            with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                futures = {executor.submit(download_site, url): i for i, url in enumerate(sites)}
                done = concurrent.futures.as_completed(futures)
                return [page for _, page in sorted((futures[f], f.result()) for f in done)]
        """,
    ),
    Case(
        "as-completed-with-timeout-caught",
        "ch03",
        "check_within",
        """
        LIMIT = 1.0  # seconds


        def download_within(sites, max_workers=5):
            executor = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers)
            futures = [executor.submit(download_site, url) for url in sites]
            pages = []
            try:
                for future in concurrent.futures.as_completed(futures, timeout=LIMIT):
                    pages.append(future.result())
            except concurrent.futures.TimeoutError:
                pass
            executor.shutdown(wait=False, cancel_futures=True)
            return pages
        """,
    ),
]

WRONG = [
    Case(
        "run-instead-of-start",
        "ch01",
        "check_one_thread_per_page",
        """
        def download_in_threads(sites):
            def fetch(url):
                with requests.Session() as session:
                    download_site(url, session)

            for url in sites:
                thread = threading.Thread(target=fetch, args=(url,))
                thread.run()  # runs fetch here, in this thread
        """,
        ("MainThread", "thread.start()"),
    ),
    Case(
        "run-instead-of-start-then-join",  # join() of a thread never started raises
        "ch01",
        "check_one_thread_per_page",
        """
        def download_in_threads(sites):
            def fetch(url):
                with requests.Session() as session:
                    download_site(url, session)

            threads = []
            for url in sites:
                thread = threading.Thread(target=fetch, args=(url,))
                thread.run()
                threads.append(thread)
            for thread in threads:
                thread.join()
        """,
        ("raised RuntimeError", "cannot join thread before it is started"),
    ),
    Case(
        "no-join",
        "ch01",
        "check_one_thread_per_page",
        """
        def download_in_threads(sites):
            def fetch(url):
                with requests.Session() as session:
                    download_site(url, session)

            for url in sites:
                threading.Thread(target=fetch, args=(url,)).start()
        """,
        ("had arrived when your function returned", "join"),
    ),
    Case(
        "join-inside-the-loop",
        "ch01",
        "check_one_thread_per_page",
        """
        def download_in_threads(sites):
            def fetch(url):
                with requests.Session() as session:
                    download_site(url, session)

            for url in sites:
                thread = threading.Thread(target=fetch, args=(url,))
                thread.start()
                thread.join()  # waits for this page before the next thread starts
        """,
        ("one after another", "start every thread first"),
    ),
    Case(
        "module-level-helper",
        "ch01",
        "check_one_thread_per_page",
        """
        def fetch_one(url):  # outside: its download_site is the notebook's, not the recorded one
            with requests.Session() as session:
                download_site(url, session)


        def download_in_threads(sites):
            threads = [threading.Thread(target=fetch_one, args=(url,)) for url in sites]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        """,
        ("none through the download_site the check sees", "inside download_in_threads"),
    ),
    Case(
        "append",
        "ch01",
        "check_sizes_in_order",
        """
        def download_sizes(sites):
            sizes = []

            def fetch(index, url):
                with requests.Session() as session:
                    sizes.append(download_site(url, session))

            threads = [threading.Thread(target=fetch, args=(i, url)) for i, url in enumerate(sites)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return sizes
        """,
        ("not in the order of sites", "sizes[index]"),
    ),
    Case(
        "no-join",
        "ch01",
        "check_sizes_in_order",
        """
        def download_sizes(sites):
            sizes = [None] * len(sites)

            def fetch(index, url):
                with requests.Session() as session:
                    sizes[index] = download_site(url, session)

            threads = [threading.Thread(target=fetch, args=(i, url)) for i, url in enumerate(sites)]
            for thread in threads:
                thread.start()
            return sizes
        """,
        ("is still None", "join every thread"),
    ),
    Case(
        "join-inside-the-loop",
        "ch01",
        "check_sizes_in_order",
        """
        def download_sizes(sites):
            sizes = [None] * len(sites)

            def fetch(index, url):
                with requests.Session() as session:
                    sizes[index] = download_site(url, session)

            threads = [threading.Thread(target=fetch, args=(i, url)) for i, url in enumerate(sites)]
            for thread in threads:
                thread.start()
                thread.join()
            return sizes
        """,
        ("one after another", "start every thread first"),
    ),
    Case(
        "session-per-page-in-the-pool",
        "ch02",
        "check_threaded_from_sync",
        """
        def download_all_sync(sites):
            def fetch(url):
                with requests.Session() as session:
                    return download_site_sync(url, session)

            with concurrent.futures.ThreadPoolExecutor(max_workers=5) as executor:
                return list(executor.map(fetch, sites))
        """,
        ("a Session for every page", "threading.local()"),
    ),
    Case(
        "as-completed-order",
        "ch03",
        "check_input_order",
        """
        def download_in_order(sites, max_workers=5):
            with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                futures = [executor.submit(download_site, url) for url in sites]
                return [f.result() for f in concurrent.futures.as_completed(futures)]
        """,
        ("not in the order of sites", "as_completed"),
    ),
    Case(
        "with-block-waits-for-every-page",
        "ch03",
        "check_within",
        """
        LIMIT = 1.0  # seconds


        def download_within(sites, max_workers=5):
            with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
                futures = [executor.submit(download_site, url) for url in sites]
                done, _ = concurrent.futures.wait(futures, timeout=LIMIT)
                return [future.result() for future in done]
        """,
        ("returned after", "with block"),
    ),
    Case(
        "shutdown-that-waits",
        "ch03",
        "check_within",
        """
        LIMIT = 1.0  # seconds


        def download_within(sites, max_workers=5):
            executor = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers)
            futures = [executor.submit(download_site, url) for url in sites]
            done, _ = concurrent.futures.wait(futures, timeout=LIMIT)
            executor.shutdown()  # wait=True: every page first
            return [future.result() for future in done]
        """,
        ("returned after",),
    ),
    Case(
        "timeout-not-caught",
        "ch03",
        "check_within",
        """
        LIMIT = 1.0  # seconds


        def download_within(sites, max_workers=5):
            executor = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers)
            futures = [executor.submit(download_site, url) for url in sites]
            pages = [f.result() for f in concurrent.futures.as_completed(futures, timeout=LIMIT)]
            executor.shutdown(wait=False, cancel_futures=True)
            return pages
        """,
        ("TimeoutError", "catch"),
    ),
]

# Chapter 02's templates, as the cells give them, with the reason their "Not yet" must give (the
# template test above asks only for a "Not yet"): each leaves out just the change asked for.
TEMPLATES = [
    Case("template", "ch02", "check_session_per_page", "", ("opened only", "Session")),
    Case("template", "ch02", "check_threaded_from_sync", "", ("one thread",)),
]
for _cases in CASES.values():
    RIGHT += _cases.RIGHT
    WRONG += _cases.WRONG
    TEMPLATES += getattr(_cases, "TEMPLATES", [])


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", RIGHT, ids=str)
def test_a_right_answer_written_differently_is_correct(case):
    found = exercise(case.chapter, case.check)
    verdict = verdict_of(found, learner_function(found, case.source))
    assert verdict.correct, verdict


def marked(case: Case):
    """A wrong answer that the check calls Correct today: a strict xfail, which fails (XPASS)
    once the check is fixed, so that its mark is taken away."""
    xfail = pytest.mark.xfail(strict=True, reason=case.misjudged)
    return pytest.param(case, marks=xfail if case.misjudged else ())


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", [marked(case) for case in WRONG + TEMPLATES], ids=str)
def test_a_wrong_answer_gets_its_not_yet(case):
    found = exercise(case.chapter, case.check)
    verdict = verdict_of(found, learner_function(found, case.source))
    assert verdict.startswith(NOT_YET) and not verdict.correct, verdict
    for words in case.said:
        assert words in verdict, f"{words!r} not in: {verdict}"
