"""Downloading with a size cap, for the few commands that refresh data or fetch packages."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from mcpward.errors import McpwardError

if TYPE_CHECKING:
    import httpx

TIMEOUT_SECONDS = 60.0
#: The whole download's bound: the timeout bounds each read, so a source that dripped a byte at
#: a time held vet or a refresh for as long as it liked.
DEADLINE_SECONDS = 600.0
MAX_REDIRECTS = 10


class DownloadError(McpwardError):
    """The download failed; the message names the URL and the reason, nothing more."""


def download(url: str, limit: int, *, deadline: float = DEADLINE_SECONDS) -> bytes:
    """The body at ``url``, refusing more than ``limit`` bytes; a 404 says "not found"."""
    chunks: list[bytes] = []
    download_into(url, limit, chunks.append, deadline=deadline)
    return b"".join(chunks)


def download_into(
    url: str, limit: int, sink: Callable[[bytes], object], *, deadline: float = DEADLINE_SECONDS
) -> None:
    """The body at ``url`` given to ``sink`` chunk by chunk (a file: a large export is not held
    in memory), refusing more than ``limit`` bytes; ``sink`` may raise to stop early."""
    import httpx

    give_up = time.monotonic() + deadline
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            request = client.build_request("GET", url, headers={"Accept": "application/json, */*"})
            for _ in range(MAX_REDIRECTS + 1):
                response = client.send(request, stream=True)
                try:
                    following = response.next_request
                    if following is None:
                        _body(url, response, limit, give_up, sink)
                        return
                finally:
                    response.close()
                # Redirects are followed one by one so that none leaves https for plain http:
                # an https-only source (advisories) was read from a cleartext answer anyone on
                # the path could rewrite.
                if request.url.scheme == "https" and following.url.scheme != "https":
                    raise DownloadError(f"{url}: redirected to plain http; refused")
                request = following
            raise DownloadError(f"{url}: more than {MAX_REDIRECTS} redirects")
    except httpx.HTTPError as exc:
        raise DownloadError(f"{url}: {type(exc).__name__}") from None


def _body(
    url: str, response: httpx.Response, limit: int, give_up: float, sink: Callable[[bytes], object]
) -> None:
    if response.status_code == 404:
        raise DownloadError(f"not found: {url}")
    response.raise_for_status()
    # Refused before a byte of it is read when the answer says its size (an uncompressed one).
    claimed = response.headers.get("Content-Length", "")
    if claimed.isdigit() and "Content-Encoding" not in response.headers and int(claimed) > limit:
        raise DownloadError(f"{url}: larger than {limit} bytes")
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > limit:
            raise DownloadError(f"{url}: larger than {limit} bytes")
        if time.monotonic() > give_up:
            raise DownloadError(f"{url}: took too long")
        sink(chunk)
