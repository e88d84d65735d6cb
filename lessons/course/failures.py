"""Why a page failed, in a few words, and when a run stops waiting for a failing site."""

from __future__ import annotations

import requests

from .sites import TIMEOUT

GIVE_UP = 5  # after this many failures in a row, a failing site's remaining pages are not tried
NOT_TRIED = f"not tried after {GIVE_UP} failures in a row"


def describe(error: BaseException) -> str:
    """A failed download's reason in a few words, the same for every page that failed alike."""
    text = str(error)
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code}"
    if isinstance(error, (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)):
        return "not a web address (http:// or https://)"
    if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.URLRequired)):
        return "not a valid web address"
    if isinstance(error, requests.ConnectTimeout):
        return f"no connection within {TIMEOUT[0]} s"
    if isinstance(error, requests.Timeout):
        return f"no answer within {TIMEOUT[1]} s"
    if isinstance(error, requests.ConnectionError):
        if "NameResolution" in text or "Name or service not known" in text:
            return "host name not found"
        if "refused" in text:
            return "connection refused"
        if "without response" in text or "reset" in text.lower() or "aborted" in text.lower():
            return "connection dropped by the server"
        return "connection failed"
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")
