"""The MDM payloads: a macOS configuration profile, a PowerShell script for Intune or Group
Policy, and file trees a package can install (Linux, and the files macOS has no preference
for)."""

from __future__ import annotations

import json
import plistlib
import uuid
from collections.abc import Sequence
from typing import Any

from mcpward._regex import compiled
from mcpward.enforce.interface import ManagedFile, ProfilePayload, RegistryValue

PROFILE_IDENTIFIER = "io.mcpward.enforce"
_NAMESPACE = uuid.UUID("6f1c1a52-3f0b-4c55-9f0e-7d6a2b9e4c10")


def _uuid(name: str) -> str:
    # Stable across runs, so an MDM replaces the profile it installed instead of adding one.
    return str(uuid.uuid5(_NAMESPACE, name)).upper()


def profile(payloads: Sequence[ProfilePayload]) -> bytes:
    """A ``.mobileconfig`` with one custom-settings payload per preference domain."""
    content: list[dict[str, Any]] = []
    for payload in payloads:
        identifier = f"{PROFILE_IDENTIFIER}.{payload.domain}"
        content.append(
            {
                "PayloadType": payload.domain,
                "PayloadIdentifier": identifier,
                "PayloadUUID": _uuid(identifier),
                "PayloadVersion": 1,
                "PayloadDisplayName": f"mcpward: {payload.domain}",
                **payload.values,
            }
        )
    document = {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": PROFILE_IDENTIFIER,
        "PayloadUUID": _uuid(PROFILE_IDENTIFIER),
        "PayloadDisplayName": "mcpward: MCP servers approved by the registry",
        "PayloadDescription": "Restricts AI clients to the MCP servers the registry approved.",
        "PayloadScope": "System",
        "PayloadContent": content,
    }
    return plistlib.dumps(document, fmt=plistlib.FMT_XML, sort_keys=True)


#: PowerShell treats the typographic single quotes (U+2018 to U+201B) as quotes too: being
#: non-ASCII, they are never written inside a literal (ps_literal), only ' is, doubled.
_NON_ASCII = compiled(r"([^\x00-\x7f]+)")


def ps_literal(text: str) -> str:
    """``text`` as a PowerShell single-quoted string, which expands nothing, in ASCII only:
    Windows PowerShell 5.1 reads a script without a byte order mark in the machine's ANSI code
    page, where the UTF-8 of a requester's ``\u0111`` (``C4 91``) reads as ``\u00c4\u2018``,
    a quote that ended the literal and ran the rest of the value as a command. Non-ASCII
    characters are written as ``[char]`` code units concatenated in parentheses: the same string
    in every code page."""
    if text.isascii():
        return "'" + text.replace("'", "''") + "'"
    parts = ["''"]
    for index, run in enumerate(_NON_ASCII.split(text)):
        if index % 2 == 0:
            if run:
                parts.append("'" + run.replace("'", "''") + "'")
            continue
        units = run.encode("utf-16-le", "surrogatepass")  # PowerShell's strings are UTF-16
        parts += (f"[char]0x{units[i + 1]:02X}{units[i]:02X}" for i in range(0, len(units), 2))
    return "(" + " + ".join(parts) + ")"


def _windows_path(path: str) -> str:
    return path.replace("/", "\\")


def powershell(values: Sequence[RegistryValue], files: Sequence[ManagedFile]) -> bytes:
    """A script that sets the policy values under HKLM and writes the managed files (UTF-8
    without a byte order mark); run it as administrator (Intune: a platform script)."""
    lines = [
        "# Written by `mcpward enforce --format mdm`: the MCP servers approved by the registry.",
        "#Requires -RunAsAdministrator",
        "$ErrorActionPreference = 'Stop'",
        "function Set-McpwardValue([string]$Key, [string]$Name, $Value, [string]$Type) {",
        "    New-Item -Path $Key -Force | Out-Null",
        "    New-ItemProperty -Path $Key -Name $Name -Value $Value -PropertyType $Type -Force | Out-Null",
        "}",
        "function Write-McpwardFile([string]$Path, [string]$Content) {",
        "    New-Item -ItemType Directory -Path (Split-Path -Parent $Path) -Force | Out-Null",
        "    [System.IO.File]::WriteAllText($Path, $Content, (New-Object System.Text.UTF8Encoding $false))",
        "}",
    ]
    for value in values:
        kind = "DWord" if isinstance(value.value, int) else "String"
        literal = str(value.value) if isinstance(value.value, int) else ps_literal(value.value)
        key = ps_literal(f"HKLM:\\{value.key}")
        lines.append(f"Set-McpwardValue {key} {ps_literal(value.name)} {literal} '{kind}'")
    for file in files:
        text = file.content.decode()
        lines.append(f"Write-McpwardFile {ps_literal(_windows_path(file.path))} {ps_literal(text)}")
    # ASCII whatever the values: read the same in every code page (ps_literal).
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def registry_export(values: Sequence[RegistryValue]) -> str:
    """The values as JSON, for the README and for tests: key, name, value."""
    return json.dumps([{"key": v.key, "name": v.name, "value": v.value} for v in values], indent=2)
