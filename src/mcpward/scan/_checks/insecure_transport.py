"""``insecure-transport``: a remote server reached over plain HTTP (other than loopback),
TLS verification switched off, or no credentials configured at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from mcpward._addresses import is_loopback
from mcpward._regex import compiled
from mcpward.dlp import is_secret_key, redact_url, url_secret_parts
from mcpward.model import Category, Finding, Severity
from mcpward.scan.interface import ConfigCheck, ServerContext

_URL = compiled(r"^(?:https?|wss?)://", re.IGNORECASE)
_TLS_OFF = {"NODE_TLS_REJECT_UNAUTHORIZED": "0", "PYTHONHTTPSVERIFY": "0"}
_INSECURE_FLAGS = {
    "--insecure",
    "--allow-insecure",
    "--ignore-certificate-errors",
    "--no-verify-ssl",
    "--disable-ssl-verification",
    "--skip-tls-verify",
}


def _netloc(url: str) -> str:
    """The authority of ``url``; empty when it cannot be split (``http://[``): an entry with
    such a URL beside what it runs made this check raise, and its other findings went unsaid."""
    try:
        return urlsplit(url).netloc or ""
    except ValueError:
        return ""


def remote_urls(server: ServerContext) -> list[str]:
    """The server's URL and URLs handed to stdio bridges such as mcp-remote."""
    urls = [server.raw.url] if server.raw.url else []
    urls += [a for a in server.launch.server_args if _URL.match(a)]
    return urls


class InsecureTransport(ConfigCheck):
    category = Category.INSECURE_TRANSPORT

    def check(self, server: ServerContext) -> Iterator[Finding]:
        has_credentials = self._has_credentials(server)
        for url in remote_urls(server):
            try:
                parts = urlsplit(url)
                host = parts.hostname
            except ValueError:
                continue
            if parts.scheme.lower() not in ("http", "ws") or is_loopback(host):
                continue
            if has_credentials:
                yield server.finding(
                    rule="http-credentials-in-clear",
                    category=self.category,
                    severity=Severity.CRITICAL,
                    message=f"Credentials are sent to {host} over unencrypted {parts.scheme}; anyone "
                    "on the network path can read and replay them.",
                    evidence=redact_url(url),
                    remediation="Use https (or wss) for every remote server.",
                )
            else:
                yield server.finding(
                    rule="http-plaintext",
                    category=self.category,
                    severity=Severity.HIGH,
                    message=f"The remote server {host} is reached over unencrypted {parts.scheme}: "
                    "tool calls, results and the tool descriptions the model obeys can be read "
                    "and changed in transit.",
                    evidence=redact_url(url),
                    remediation="Use https (or wss) for every remote server.",
                )
        yield from self._tls_disabled(server)
        raw = server.raw
        if raw.served:
            yield from self._served(server)
            return
        if raw.url and not has_credentials:
            try:
                host = urlsplit(raw.url).hostname
            except ValueError:
                host = None
            if not is_loopback(host):
                yield server.finding(
                    rule="remote-no-credentials",
                    category=self.category,
                    severity=Severity.INFO,
                    message="No credentials are configured for this remote server. That is fine "
                    "if the client signs in with OAuth; otherwise the endpoint serves anyone.",
                    evidence=redact_url(raw.url),
                    remediation="Confirm that the server requires authentication (OAuth or a "
                    "token referenced from the environment).",
                )

    def _served(self, server: ServerContext) -> Iterator[Finding]:
        """A server the host offers to others (an n8n MCP Server Trigger, a process answering
        on a port) that lets anyone who reaches it call its tools."""
        raw = server.raw
        if raw.auth_via is not None or raw.disabled:
            return
        yield server.finding(
            rule="served-without-auth",
            category=self.category,
            severity=Severity.HIGH,
            message="This MCP server is offered to others without authentication: anyone who "
            "can reach its address can list and call its tools.",
            evidence=redact_url(raw.url) if raw.url else None,
            remediation="Require authentication (a bearer token or header credential, or OAuth) "
            "before the server is reachable by anyone else.",
        )

    @staticmethod
    def _has_credentials(server: ServerContext) -> bool:
        raw = server.raw
        if raw.auth_via is not None:
            return True
        if any(is_secret_key(name) or name.lower() in ("authorization", "cookie") for name in raw.headers):
            return True
        if raw.url and (url_secret_parts(raw.url) or "@" in _netloc(raw.url)):
            return True
        return any(
            a.lower().startswith(("authorization:", "--header=authorization"))
            or (a.lower().startswith("authorization") and ":" in a)
            for a in server.launch.server_args
        )

    def _tls_disabled(self, server: ServerContext) -> Iterator[Finding]:
        assignments = dict(server.raw.env)
        for item in server.launch.env_assignments:
            key, _, value = item.partition("=")
            assignments[key] = value
        for name, off in _TLS_OFF.items():
            if assignments.get(name, "").strip() == off:
                yield server.finding(
                    rule="tls-verification-disabled",
                    category=self.category,
                    severity=Severity.HIGH,
                    message=f"{name}={off} switches off TLS certificate checks for this server "
                    "process: any network attacker can impersonate the services it calls.",
                    evidence=f"env:{name}={off}",
                    remediation=f"Remove {name}; trust a private CA with NODE_EXTRA_CA_CERTS or "
                    "SSL_CERT_FILE instead.",
                )
        flags = [a for a in server.launch.server_args if a.lower() in _INSECURE_FLAGS]
        if flags:
            yield server.finding(
                rule="tls-verification-disabled",
                category=self.category,
                severity=Severity.HIGH,
                message=f"The server is started with {flags[0]}, which switches off certificate checks.",
                evidence=flags[0],
                remediation="Remove the flag; trust a private CA instead.",
            )
