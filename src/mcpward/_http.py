"""Downloading with a size cap, for the few commands that refresh data or fetch packages."""

from __future__ import annotations

from mcpward.errors import McpwardError

TIMEOUT_SECONDS = 60.0


class DownloadError(McpwardError):
    """The download failed; the message names the URL and the reason, nothing more."""


def download(url: str, limit: int) -> bytes:
    """The body at ``url``, refusing more than ``limit`` bytes; a 404 says "not found"."""
    import httpx

    try:
        with httpx.stream(
            "GET",
            url,
            timeout=TIMEOUT_SECONDS,
            follow_redirects=True,
            headers={"Accept": "application/json, */*"},
        ) as response:
            if response.status_code == 404:
                raise DownloadError(f"not found: {url}")
            response.raise_for_status()
            chunks, total = [], 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > limit:
                    raise DownloadError(f"{url}: larger than {limit} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise DownloadError(f"{url}: {type(exc).__name__}") from None
