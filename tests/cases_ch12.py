"""Chapter 12's exercises for tests/test_exercises.py: right answers written other ways than the
key, and wrong ones with the words their "Not yet" must say.

Exercise 2's cell is a %%writefile cell: its cases start with that line, as the learner's does,
and the check reloads my_primes from the file the case wrote."""

from exercise_case import Case

EXERCISES = [
    ("check_chunks", "find_sums_in_chunks"),
    ("check_primes", "my_primes"),
]
NAMES = ("my_cpu", "my_primes", "concurrent", "multiprocessing", "importlib")

PRIMES_TOP = """
%%writefile my_primes.py
import concurrent.futures
import multiprocessing


def count_primes(limit):
    return sum(all(n % d for d in range(2, int(n**0.5) + 1)) for n in range(2, limit))
"""

RIGHT = [
    Case(
        "map-with-chunksize",  # map makes the chunks itself: one task a chunk
        "ch12",
        "check_chunks",
        """
        import math


        def find_sums_in_chunks(numbers, max_workers=2):
            context = multiprocessing.get_context("spawn")
            size = math.ceil(len(numbers) / max_workers)
            with concurrent.futures.ProcessPoolExecutor(max_workers, mp_context=context) as pool:
                return list(pool.map(my_cpu.cpu_bound, numbers, chunksize=size))
        """,
    ),
    Case(
        "strided-then-put-back",  # every max_workers-th number, then each sum to its place
        "ch12",
        "check_chunks",
        """
        def find_sums_in_chunks(numbers, max_workers=2):
            chunks = [numbers[i::max_workers] for i in range(max_workers)]
            context = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(max_workers, mp_context=context) as pool:
                futures = [pool.submit(my_cpu.find_sums, chunk) for chunk in chunks]
                sums = [None] * len(numbers)
                for i, future in enumerate(futures):
                    sums[i::max_workers] = future.result()
                return sums
        """,
    ),
    Case(
        "submit-and-results-in-order",
        "ch12",
        "check_primes",
        PRIMES_TOP
        + """

def count_primes_processes(limits, max_workers=2):
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers, mp_context=context) as executor:
        futures = [executor.submit(count_primes, limit) for limit in limits]
        return [future.result() for future in futures]
""",
    ),
    Case(
        "forkserver-and-a-generator",  # another start method; map's iterator turned into a list
        "ch12",
        "check_primes",
        PRIMES_TOP
        + """

def count_primes_processes(limits, max_workers=2):
    context = multiprocessing.get_context("forkserver")
    with concurrent.futures.ProcessPoolExecutor(max_workers, mp_context=context) as executor:
        return [count for count in executor.map(count_primes, limits)]
""",
    ),
]

WRONG = [
    Case(
        "a-task-a-number",  # the lesson's find_sums_processes: right sums, many trips
        "ch12",
        "check_chunks",
        """
        def find_sums_in_chunks(numbers, max_workers=2):
            return my_cpu.find_sums_processes(numbers, max_workers)
        """,
        ("got 12 tasks, not one chunk each",),
    ),
    Case(
        "strided-joined-as-they-are",
        "ch12",
        "check_chunks",
        """
        def find_sums_in_chunks(numbers, max_workers=2):
            chunks = [numbers[i::max_workers] for i in range(max_workers)]
            context = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(max_workers, mp_context=context) as pool:
                sums = pool.map(my_cpu.find_sums, chunks)
                return [total for chunk in sums for total in chunk]
        """,
        ("another order than the numbers",),
    ),
    Case(
        "chunks-in-threads",
        "ch12",
        "check_chunks",
        """
        def find_sums_in_chunks(numbers, max_workers=2):
            size = -(-len(numbers) // max_workers)
            chunks = [numbers[i : i + size] for i in range(0, len(numbers), size)]
            with concurrent.futures.ThreadPoolExecutor(max_workers) as pool:
                return [s for chunk in pool.map(my_cpu.find_sums, chunks) for s in chunk]
        """,
        ("a pool of threads, not of processes",),
    ),
    Case(
        "a-helper-defined-in-the-cell",  # the pickling trap: the child cannot import it
        "ch12",
        "check_chunks",
        """
        def sums_of(chunk):
            return [sum(i * i for i in range(n)) for n in chunk]


        def find_sums_in_chunks(numbers, max_workers=2):
            size = -(-len(numbers) // max_workers)
            chunks = [numbers[i : i + size] for i in range(0, len(numbers), size)]
            context = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(max_workers, mp_context=context) as pool:
                return [s for chunk in pool.map(sums_of, chunks) for s in chunk]
        """,
        ("find_sums_in_chunks raised", "defined in a cell"),
    ),
    Case(
        "as-completed",  # each count as it ends: the order of the limits is lost
        "ch12",
        "check_primes",
        PRIMES_TOP
        + """

def count_primes_processes(limits, max_workers=2):
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers, mp_context=context) as executor:
        futures = [executor.submit(count_primes, limit) for limit in limits]
        return [f.result() for f in concurrent.futures.as_completed(futures)]
""",
        ("another order than the limits",),
    ),
    Case(
        "a-lambda",  # a lambda has no name to be pickled by
        "ch12",
        "check_primes",
        PRIMES_TOP
        + """

def count_primes_processes(limits, max_workers=2):
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers, mp_context=context) as executor:
        return list(executor.map(lambda limit: count_primes(limit), limits))
""",
        ("count_primes_processes raised", "or a lambda, cannot go to a process pool"),
    ),
    Case(
        "threads",
        "ch12",
        "check_primes",
        PRIMES_TOP
        + """

def count_primes_processes(limits, max_workers=2):
    with concurrent.futures.ThreadPoolExecutor(max_workers) as executor:
        return list(executor.map(count_primes, limits))
""",
        ("a pool of threads, not of processes",),
    ),
]

TEMPLATES = [
    Case("template", "ch12", "check_chunks", "", ("got 1 task, not one chunk each",)),
    Case("template", "ch12", "check_primes", "", ("no task went to a process pool",)),
]
