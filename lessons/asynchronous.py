"""The lesson's asyncio program: one thread, one event loop, one Session, a coroutine per page."""

import asyncio

import aiohttp

from lessons import site_letter  # "J" for a Jython page, "R" for a Real Python page

TIMEOUT = (3, 2)  # seconds to connect, seconds to wait for each part of the answer


async def download_site(session, url):
    async with session.get(url) as response:
        response.raise_for_status()
        content = await response.read()
        print(site_letter(url), end="", flush=True)
        return len(content)


async def download_all_sites(sites, max_workers=5):
    # max_workers: how many requests may be under way at once.
    # aiohttp allows 100 connections unless told otherwise: say what you mean.
    limit = asyncio.Semaphore(max_workers)
    connector = aiohttp.TCPConnector(limit=max_workers)
    timeout = aiohttp.ClientTimeout(sock_connect=TIMEOUT[0], sock_read=TIMEOUT[1])
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def bounded(url):
            async with limit:  # waits here while max_workers pages are under way
                return await download_site(session, url)

        return await asyncio.gather(*(bounded(url) for url in sites))
