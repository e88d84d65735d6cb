"""The lesson's synchronous program: one page after another, over one Session."""

import requests

from lessons import site_letter  # "J" for a Jython page, "R" for a Real Python page

TIMEOUT = (3, 2)  # seconds to connect, seconds to wait for the answer


def download_site(url, session):
    with session.get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()  # an error page (500, 404) raises instead
        print(site_letter(url), end="", flush=True)
        return len(response.content)


def download_all_sites(sites):
    with requests.Session() as session:
        return [download_site(url, session) for url in sites]
