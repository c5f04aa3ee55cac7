"""A download source (advisories, official-package data, vet's registry) redirecting where it
should not: to a link-local address (a cloud's metadata service, 169.254.169.254, whose answer
holds the machine's credentials), to plain http on the network from a plain-http source on
loopback (the advisories accept plain http there only, for being this machine: the redirect
had a cleartext answer from the network read as the source's), or from the network onto
loopback (the machine's local services asked). Each was followed. Real servers: on loopback and on this machine's own
non-loopback address (found without sending a packet), so no request leaves the machine; the
metadata address itself is only judged, never connected to."""

from __future__ import annotations

import contextlib

import pytest

from loopback import answering, handler_serving, own_address
from mcpward._http import DownloadError, download, refused_redirect


def _server(address: str, location: str | None, hits: list[str]) -> contextlib.AbstractContextManager[str]:
    """An HTTP server on ``address`` redirecting to ``location`` (or answering a body when None);
    its base URL, the paths asked recorded in ``hits``."""
    return handler_serving(
        answering(b'{"AccessKeyId": "not-a-real-credential"}', hits, location=location), address
    )


@pytest.mark.parametrize(
    "spelling",
    ["169.254.169.254", "2852039166", "0xa9fea9fe", "169.254.43518", "::ffff:169.254.169.254", "fe80::1"],
)
def test_every_spelling_of_a_link_local_address_is_refused(spelling: str) -> None:
    # Judged as the connection would read it (2852039166 is 169.254.169.254 to the resolver).
    target = f"http://[{spelling}]/latest" if ":" in spelling else f"http://{spelling}/latest"
    for source in ("http://127.0.0.1/advisories.json", "https://192.0.2.10/pkg"):
        assert refused_redirect(source, target) == "to a link-local or cloud metadata address"
        assert (
            refused_redirect(source, target.replace("http:", "https:"))
            == "to a link-local or cloud metadata address"
        )


def test_a_source_on_loopback_may_send_the_download_to_the_network_over_https_only() -> None:
    # Over https the answer is the named host's, whoever is on the path; over plain http it
    # is anyone's, read as the loopback source's own.
    assert refused_redirect("http://127.0.0.1/a.json", "https://192.0.2.10/a.json") is None
    assert (
        refused_redirect("http://127.0.0.1/a.json", "http://192.0.2.10/a.json")
        == "off loopback to plain http"
    )
    assert refused_redirect("https://192.0.2.10/a", "https://127.0.0.1/a") == "onto loopback"
    assert refused_redirect("http://192.0.2.10/a", "http://0.0.0.0:8080/a") == "onto loopback"
    assert refused_redirect("http://localhost/a", "http://127.0.0.1/b") is None


def _refusal(url: str) -> str:
    """Why downloading ``url`` failed (the test fails if it did not)."""
    with pytest.raises(DownloadError) as failed:
        download(url, 1 << 20)
    return str(failed.value)


def test_a_redirect_to_a_link_local_address_is_refused() -> None:
    # fe80::1 without an interface cannot be connected to: before the fix the download failed
    # on the connection (after trying it), not on the redirect.
    with _server("127.0.0.1", "http://[fe80::1]:9/latest/meta-data/", []) as source:
        why = _refusal(f"{source}/advisories.json")
    assert why.endswith("redirected to a link-local or cloud metadata address; refused"), why


def test_a_plain_http_source_on_loopback_is_not_redirected_off_it() -> None:
    hits: list[str] = []
    with (
        _server(own_address(), None, hits) as network,
        _server("127.0.0.1", f"{network}/forged.json", []) as source,
    ):
        why = _refusal(f"{source}/advisories.json")
    assert why.endswith("redirected off loopback to plain http; refused") and hits == [], why


def test_a_source_on_the_network_is_not_redirected_onto_loopback() -> None:
    hits: list[str] = []
    with _server("127.0.0.1", None, hits) as local, _server(own_address(), f"{local}/admin", []) as source:
        why = _refusal(f"{source}/index.json")
    assert why.endswith("redirected onto loopback; refused") and hits == [], why


def test_redirects_within_loopback_and_within_the_network_are_still_followed() -> None:
    hits: list[str] = []
    with (
        _server("127.0.0.1", None, hits) as target,
        _server("localhost", f"{target}/moved.json", []) as source,
    ):
        assert download(f"{source}/a.json", 1 << 20).startswith(b'{"AccessKeyId"')
    own = own_address()
    with _server(own, None, hits) as target, _server(own, f"{target}/moved.json", []) as source:
        assert download(f"{source}/a.json", 1 << 20).startswith(b'{"AccessKeyId"')
    assert hits == ["/moved.json", "/moved.json"]
