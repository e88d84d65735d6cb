"""CPU-bound work four ways: one after another, with threads, with processes, and (Python 3.14
and newer) with isolated interpreters."""

import concurrent.futures
import multiprocessing

# Never "fork": a kernel has threads, and a forked child copies their locks in whatever state
# they are in (and the demo sites' control socket). "spawn" starts a fresh Python per worker, a
# child of this process, so its CPU time is counted here (the download pool of processes.py uses
# "forkserver", a little quicker to start, whose workers are the server's children, not ours).
START_METHOD = "spawn"


def cpu_bound(number):
    return sum(i * i for i in range(number))


def find_sums(numbers):
    return [cpu_bound(number) for number in numbers]


def find_sums_threads(numbers, max_workers=2):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(cpu_bound, numbers))


def find_sums_processes(numbers, max_workers=2):
    context = multiprocessing.get_context(START_METHOD)
    with concurrent.futures.ProcessPoolExecutor(max_workers, mp_context=context) as executor:
        return list(executor.map(cpu_bound, numbers))


def find_sums_interpreters(numbers, max_workers=2):
    # Python 3.14 and newer: interpreters in this one process, each with its own GIL.
    with concurrent.futures.InterpreterPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(cpu_bound, numbers))
