"""Chapter 11's exercises, the instructor's key (no notebook imports it; tests/test_answers.py)."""

from __future__ import annotations

import asyncio
import concurrent.futures

import aiohttp

from lessons import site_letter
from lessons.threaded import download_site  # each check hands in the download_site it records

SERVES_AT_ONCE = 4  # requests each demo site serves at a time, as the notebook's cell sets it


async def download_all_politely(sites):
    """Exercise 1: one asyncio.Semaphore for each site, taken around each download."""
    limits = {site_letter(url): asyncio.Semaphore(SERVES_AT_ONCE) for url in sites}

    async def polite(session, url):
        async with limits[site_letter(url)]:
            return await download_site(session, url)  # the asyncio cell's, as the check gives it

    async with aiohttp.ClientSession() as session:
        return await asyncio.gather(*(polite(session, url) for url in sites))


def download_all_within(sites, seconds, max_workers=5):
    """Exercise 2: wait at most `seconds`, then leave the rest: None for each page not done."""
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers)
    futures = [executor.submit(download_site, url) for url in sites]
    concurrent.futures.wait(futures, timeout=seconds)
    executor.shutdown(wait=False, cancel_futures=True)  # a `with` block would wait for all
    return [f.result() if f.done() and not f.cancelled() and not f.exception() else None
            for f in futures]  # fmt: skip


KEY = {"check_polite_async": download_all_politely, "check_within": download_all_within}
