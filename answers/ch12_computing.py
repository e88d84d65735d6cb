"""Chapter 12's exercises, the instructor's key (no notebook imports it; tests/test_answers.py).

Exercise 2's answer is a module, as the learner's my_primes is: this one, whose count_primes and
count_primes_processes stand in the notebook's %%writefile cell. The check reloads it."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import sys

from lessons import cpu as my_cpu  # the notebook's my_cpu.py holds the same code


def find_sums_in_chunks(numbers, max_workers=2):
    """Exercise 1: max_workers chunks of neighbouring numbers, one task each, joined in order."""
    size = -(-len(numbers) // max_workers)  # rounded up: no number left over
    chunks = [numbers[start : start + size] for start in range(0, len(numbers), size)]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers, mp_context=context) as executor:
        sums = executor.map(my_cpu.find_sums, chunks)
        return [total for chunk in sums for total in chunk]


def count_primes(limit):
    return sum(all(n % d for d in range(2, int(n**0.5) + 1)) for n in range(2, limit))


def count_primes_processes(limits, max_workers=2):
    """Exercise 2: count_primes of this module, by reference, in a pool of spawned processes;
    map keeps the order of the limits."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers, mp_context=context) as executor:
        return list(executor.map(count_primes, limits))


KEY = {"check_chunks": find_sums_in_chunks, "check_primes": sys.modules[__name__]}
