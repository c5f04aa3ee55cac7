"""Containers that run MCP servers: Dockerfiles (``FROM``, ``ENV``, ``RUN`` installs,
``ENTRYPOINT``/``CMD``) and Compose services (image, command, environment, privileges)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mcpward._documents import DocumentError, DocumentFormat, parse_text, read_text
from mcpward._regex import compiled
from mcpward.dlp import shell_words
from mcpward.launch import parse_image_ref, parse_npm_spec, parse_pypi_spec, resolve_launch
from mcpward.model import Ecosystem, PackageRef, Scope, Transport
from mcpward.scan._manifests.interface import ManifestReader, is_mcp_package, mentions_mcp
from mcpward.scan.interface import ConfigLocation, DiscoveredServer, as_str_map

_COMPOSE = compiled(r"^(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml$")
_INSTALL = compiled(
    r"(?:npm\s+(?:i|install|add)|pnpm\s+add|yarn\s+(?:global\s+)?add|bun\s+add"
    r"|pip3?\s+install|uv\s+pip\s+install|uv\s+tool\s+install|pipx\s+install)\s+([^&|;]+)"
)


#: The parser directives a Dockerfile may open with; ``escape`` names the continuation character.
_DIRECTIVE = compiled(
    r"[ \t]*#[ \t]*(?:escape[ \t]*=[ \t]*(?P<escape>[\\`])|syntax[ \t]*=.*)[ \t]*(?:\r?\n|$)", re.I
)


def _joined(text: str) -> str:
    """``text`` with each continued instruction on one line (and the comment lines inside it,
    which Docker leaves out, dropped): dockerfile_parse appends every continued line to the
    instruction's text, as the square of its lines (8 million in a 32 MB file: hours)."""
    escape, position = re.escape("\\"), 0
    while (directive := _DIRECTIVE.match(text, position)) is not None:
        if directive["escape"]:
            escape = re.escape(directive["escape"])
        position = directive.end()
    return text[:position] + re.sub(escape + r"[ \t]*\r?\n(?:[ \t]*#[^\n]*\n)*", "", text[position:])


def _is_dockerfile(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered in ("dockerfile", "containerfile")
        or lowered.startswith("dockerfile.")
        or lowered.endswith(".dockerfile")
    )


def _is_mcp_image(image: str) -> bool:
    ref = parse_image_ref(image)
    return is_mcp_package(Ecosystem.OCI, ref.name) or "mcp" in re.split(r"[/_.:-]", ref.name.lower())


def _runs_mcp(argv: list[str]) -> bool:
    package = resolve_launch(argv[0], tuple(argv[1:])).package if argv else None
    return package is not None and is_mcp_package(package.ecosystem, package.name)


class ContainerDefinitions(ManifestReader):
    host = "container"
    file_pattern = (
        r"(?i:dockerfile|containerfile|dockerfile\.[\w.-]+|[\w.-]+\.dockerfile)"
        r"|(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml"
    )

    def read(self, directory: str, files: list[str]) -> Iterator[DiscoveredServer | tuple[Path, str]]:
        project = Path(directory)
        for path in map(Path, files):
            try:
                if _is_dockerfile(path.name):
                    yield from _dockerfile(project, path)
                else:
                    yield from _compose(project, path)
            except DocumentError as exc:
                yield path, str(exc)


def _dockerfile(directory: Path, path: Path) -> Iterator[DiscoveredServer]:
    from dockerfile_parse import DockerfileParser

    text = read_text(path)
    if not mentions_mcp(text):
        return
    parser = DockerfileParser(fileobj=io.BytesIO(_joined(text).encode("utf-8")))
    base = ""
    env: dict[str, str] = {}
    entrypoint: list[str] = []
    cmd: list[str] = []
    installed: list[PackageRef] = []
    for item in parser.structure:
        instruction, value = item["instruction"], item["value"]
        if instruction == "FROM":
            base = value.split()[0] if value.split() else ""
        elif instruction == "ENV":
            env.update(_env_pairs(value))
        elif instruction == "ENTRYPOINT":
            entrypoint = _exec_form(value)
        elif instruction == "CMD":
            cmd = _exec_form(value)
        elif instruction == "RUN":
            installed += _installed_packages(value)
    argv = entrypoint + cmd
    mcp_installs = tuple(p for p in installed if is_mcp_package(p.ecosystem, p.name))
    if not (_is_mcp_image(base) or _runs_mcp(argv) or mcp_installs):
        return
    yield DiscoveredServer(
        host="dockerfile",
        location=ConfigLocation(path, Scope.PROJECT, DocumentFormat.YAML, project=directory),
        name=directory.name if path.name.lower() == "dockerfile" else path.name,
        transport=Transport.STDIO if argv else None,
        command=argv[0] if argv else None,
        args=tuple(argv[1:]),
        env=env,
        project=directory,
        source="manifest",
        declared_package=parse_image_ref(base) if base else None,
        dependencies=mcp_installs,
    )


def _exec_form(value: str) -> list[str]:
    stripped = value.strip()
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
            if isinstance(parsed, list):
                return [str(p) for p in parsed]
        except (ValueError, RecursionError):  # JSONDecodeError, or a number too long to read
            pass  # not a JSON list: Docker runs it in shell form
    if re.search(r"\|\||&&|[|;`]|\$\(", stripped):
        return ["/bin/sh", "-c", stripped]  # Docker's shell form
    return shell_words(stripped)


def _env_pairs(value: str) -> dict[str, str]:
    words = shell_words(value)
    if words and "=" not in words[0] and len(words) >= 2:  # legacy "ENV KEY value"
        return {words[0]: " ".join(words[1:])}
    return dict(w.split("=", 1) for w in words if "=" in w)


def _installed_packages(run: str) -> list[PackageRef]:
    packages: list[PackageRef] = []
    for match in _INSTALL.finditer(run):
        python = "pip" in match.group(0) or "uv " in match.group(0) or "pipx" in match.group(0)
        for word in match.group(1).split():
            if word.startswith("-") or word.startswith("\\"):
                continue
            packages.append(parse_pypi_spec(word) if python else parse_npm_spec(word))
    return packages


def _compose(directory: Path, path: Path) -> Iterator[DiscoveredServer]:
    text = read_text(path)
    if not mentions_mcp(text):
        return
    data = parse_text(text, DocumentFormat.YAML)
    services = data.get("services") if isinstance(data, Mapping) else None
    if not isinstance(services, Mapping):
        return
    for name, service in services.items():
        if not isinstance(service, Mapping):
            continue
        image = service.get("image") if isinstance(service.get("image"), str) else None
        command = _words(service.get("entrypoint")) + _words(service.get("command"))
        if not ((image and _is_mcp_image(image)) or _runs_mcp(command)):
            continue
        argv = ["docker", "run", *_compose_options(service)]
        argv += [image or f"{name}:build", *command]
        env = _compose_env(service.get("environment"))
        yield DiscoveredServer(
            host="compose",
            location=ConfigLocation(path, Scope.PROJECT, DocumentFormat.YAML, project=directory),
            name=str(name),
            transport=Transport.STDIO,
            command=argv[0],
            args=tuple(argv[1:]),
            env=env,
            project=directory,
            source="manifest",
        )


def _words(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return _exec_form(value)
    return []


def _compose_options(service: Mapping[str, Any]) -> list[str]:
    options: list[str] = []
    if service.get("privileged") is True:
        options.append("--privileged")
    if service.get("network_mode") == "host":
        options += ["--network", "host"]
    if service.get("pid") == "host":
        options += ["--pid", "host"]
    for cap in service.get("cap_add") or []:
        options += ["--cap-add", str(cap)]
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            options += ["-v", volume]
        elif isinstance(volume, Mapping) and volume.get("type") == "bind":
            options += ["--mount", f"type=bind,source={volume.get('source')},target={volume.get('target')}"]
    return options


def _compose_env(value: Any) -> dict[str, str]:
    if isinstance(value, list):
        return dict(str(v).split("=", 1) for v in value if "=" in str(v))
    return as_str_map(value) or {}
