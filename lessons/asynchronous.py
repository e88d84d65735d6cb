"""The lesson's asyncio program: one thread, one event loop, one Session, a coroutine per page."""

import asyncio

import aiohttp

from .course.record import mark
from .course.sites import TIMEOUT


async def download_site(session, url):
    async with session.get(url) as response:
        response.raise_for_status()
        content = await response.read()
        mark(response)  # J or R, as each page arrives
        return len(content)


async def download_all_sites(sites, max_workers=5):
    # max_workers: how many requests may be under way at once. aiohttp's own default is 100
    # connections; here the connector and the semaphore both say what we mean.
    limit = asyncio.Semaphore(max_workers)
    connector = aiohttp.TCPConnector(limit=max_workers)
    timeout = aiohttp.ClientTimeout(sock_connect=TIMEOUT[0], sock_read=TIMEOUT[1])

    async def bounded(url):
        async with limit:  # waits here while max_workers pages are under way
            return await download_site(session, url)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        return await asyncio.gather(*(bounded(url) for url in sites))
