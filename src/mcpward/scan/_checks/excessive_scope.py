"""``excessive-scope``: more reach than a server needs.

Filesystem servers given ``/`` or a whole home directory; containers run privileged, on the
host network or PID namespace, with the Docker socket or the host's root or home mounted, or
with powerful capabilities; and clients set to run a server's write tools without asking.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mcpward._regex import compiled
from mcpward.model import Category, Finding, Severity
from mcpward.scan.interface import ConfigCheck, ServerContext

_FILESYSTEM_SERVER = compiled(r"(?:^|[/@_-])(?:server-)?file-?system(?:$|[-_])|filesystem", re.IGNORECASE)
_HOME_TOKENS = {
    "~",
    "$home",
    "${home}",
    "%userprofile%",
    "%homepath%",
    "${env:home}",
    "${userhome}",
    "${env:userprofile}",
}
_SENSITIVE_ROOTS = compiled(
    r"^(?:/|[a-z]:[\\/]?|/home|/users|/root|[a-z]:[\\/]users|(?:/home|/users|[a-z]:[\\/]users)[\\/][^\\/]+)$",
    re.IGNORECASE,
)
_DANGEROUS_CAPS = {
    "ALL",
    "SYS_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "NET_ADMIN",
    "DAC_READ_SEARCH",
    "CAP_SYS_ADMIN",
    "CAP_SYS_PTRACE",
    "CAP_NET_ADMIN",
}
_WRITE_VERBS = {
    "write",
    "edit",
    "create",
    "delete",
    "remove",
    "update",
    "move",
    "rename",
    "push",
    "commit",
    "merge",
    "send",
    "post",
    "exec",
    "execute",
    "run",
    "shell",
    "command",
    "eval",
    "install",
    "deploy",
    "publish",
    "upload",
    "drop",
    "truncate",
    "insert",
    "modify",
    "patch",
    "put",
    "set",
    "kill",
    "terminate",
    "transfer",
    "pay",
    "apply",
    "approve",
    "revoke",
    "grant",
    "invite",
    "archive",
    "close",
    "reply",
    "forward",
    "comment",
    "fork",
    "restart",
    "stop",
    "start",
    "destroy",
    "purge",
    "reset",
    "overwrite",
    "append",
    "save",
    "replace",
    "assign",
    "transition",
}
_WORD = compiled(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def is_broad_path(path: str, home: str | None = None) -> bool:
    """``/``, a drive root, ``~`` and every home directory (or the folder of homes)."""
    text = path.strip().strip("'\"")
    lowered = text.lower().rstrip("/\\") or "/"
    if lowered in _HOME_TOKENS or lowered in {t + "/" for t in _HOME_TOKENS}:
        return True
    if home and lowered == home.lower().rstrip("/\\"):
        return True
    return bool(_SENSITIVE_ROOTS.match(lowered))


def is_write_tool(tool: str) -> bool:
    words = {w.lower() for w in _WORD.findall(tool)}
    return bool(words & _WRITE_VERBS)


class ExcessiveScope(ConfigCheck):
    category = Category.EXCESSIVE_SCOPE

    def check(self, server: ServerContext) -> Iterator[Finding]:
        yield from self._filesystem(server)
        yield from self._container(server)
        yield from self._auto_approve(server)

    def _filesystem(self, server: ServerContext) -> Iterator[Finding]:
        package = server.launch.package
        if package is None or not _FILESYSTEM_SERVER.search(package.name):
            return
        broad = [
            a for a in server.launch.server_args if not a.startswith("-") and is_broad_path(a, server.home)
        ]
        for path in broad:
            yield server.finding(
                rule="fs-broad-root",
                category=self.category,
                severity=Severity.HIGH,
                message=f"The filesystem server may read and write all of {path}: SSH keys, "
                "cloud credentials, browser profiles and every other client's MCP config.",
                evidence=path,
                remediation="Allow only the project folders the assistant needs.",
            )

    def _container(self, server: ServerContext) -> Iterator[Finding]:
        container = server.launch.container
        if container is None:
            return
        flags = (
            (
                container.privileged,
                "container-privileged",
                Severity.CRITICAL,
                "--privileged",
                f"The server's container runs with {container.engine} --privileged: it has every "
                "device and capability of the host and can take it over.",
                "Drop --privileged.",
            ),
            (
                container.host_network,
                "container-host-network",
                Severity.HIGH,
                "--network host",
                "The container shares the host's network: it reaches every local service, including "
                "ones bound to localhost.",
                "Use the default bridge network and publish only what is needed.",
            ),
            (
                container.host_pid,
                "container-host-pid",
                Severity.HIGH,
                "--pid host",
                "The container shares the host's process namespace.",
                "Drop --pid host.",
            ),
        )
        for present, rule, severity, evidence, message, remediation in flags:
            if present:
                yield server.finding(
                    rule=rule,
                    category=self.category,
                    severity=severity,
                    message=message,
                    evidence=evidence,
                    remediation=remediation,
                )
        for source, target in container.mounts:
            if source.rstrip("/").endswith("docker.sock") or source.endswith("docker_engine"):
                yield server.finding(
                    rule="container-docker-socket",
                    category=self.category,
                    severity=Severity.CRITICAL,
                    message="The Docker socket is mounted into the container: the server can start "
                    "privileged containers and so control the host.",
                    evidence=f"{source}:{target}",
                    remediation="Do not mount the Docker socket.",
                )
            elif is_broad_path(source):
                yield server.finding(
                    rule="container-host-mount",
                    category=self.category,
                    severity=Severity.HIGH,
                    message=f"The host's {source} is mounted into the container.",
                    evidence=f"{source}:{target}",
                    remediation="Mount only the folders the server needs, read-only where possible.",
                )
        caps = [c for c in container.cap_add if c in _DANGEROUS_CAPS]
        if caps:
            yield server.finding(
                rule="container-capabilities",
                category=self.category,
                severity=Severity.HIGH,
                message=f"The container is given the capabilities {', '.join(caps)}.",
                evidence=" ".join(f"--cap-add {c}" for c in caps),
                remediation="Drop added capabilities.",
            )

    def _auto_approve(self, server: ServerContext) -> Iterator[Finding]:
        tools = server.raw.auto_approve
        if not tools:
            return
        settings = list(dict.fromkeys(server.raw.auto_approve_via))
        # The first few settings name where to look; a file may hold a thousand rules.
        via = "; ".join(settings[:3]) or "client settings"
        if len(settings) > 3:
            via += f" and {len(settings) - 3} more"
        if "*" in tools:
            yield server.finding(
                rule="auto-approve-all",
                category=self.category,
                severity=Severity.HIGH,
                message="Every tool of this server runs without asking the user, so a poisoned "
                "tool description or a prompt injection acts at once.",
                evidence=f"auto-approved via {via}",
                remediation="Auto-approve only read-only tools; confirm every tool that writes, "
                "sends or executes.",
            )
            return
        writes = sorted({t for t in tools if is_write_tool(t)})
        if writes:
            yield server.finding(
                rule="auto-approve-write-tools",
                category=self.category,
                severity=Severity.HIGH,
                message=f"Tools that change things run without asking: {', '.join(writes[:8])}"
                f"{' …' if len(writes) > 8 else ''}.",
                evidence=f"auto-approved via {via}",
                remediation="Remove write, send and execute tools from the auto-approve list.",
            )
