"""Kubernetes manifests and Helm values that run MCP images: workloads (Pod, Deployment,
StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) whose containers run an MCP image or command,
and Helm values whose ``image`` (``repository``/``tag``/``digest``) is an MCP image.

Each container is reported as the ``docker run`` it amounts to (its image reference, privileged,
host network or PID, hostPath volumes, added capabilities), so the unpinned-image and
excessive-scope checks apply as they do to a Compose service. Only files whose name says
manifest or values (``deployment.yaml``, ``k8s-*.yaml``, ``*mcp*.yaml``, ``values*.yaml``, ...)
are read, and only when they mention MCP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mcpward._documents import DocumentError, DocumentFormat, parse_text, read_text
from mcpward._regex import compiled
from mcpward.model import Scope, Transport
from mcpward.scan._manifests.container import _is_mcp_image, _runs_mcp
from mcpward.scan._manifests.interface import ManifestReader, mentions_mcp
from mcpward.scan.interface import ConfigLocation, DiscoveredServer

_WORKLOADS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"})
_DOCUMENT_SEPARATOR = compiled(r"^---[ \t]*$", re.MULTILINE)
MAX_DOCUMENTS = 1_000
MAX_CONTAINERS = 200


class KubernetesManifests(ManifestReader):
    host = "kubernetes"
    #: The name's first workload word is taken once (an atomic group): tried at each, the part
    #: after it was read to its end each time, as the square of the name.
    file_pattern = (
        r"(?:values[\w.-]*"
        r"|(?>[\w.-]*?(?:deploy|k8s|kube|pod|statefulset|daemonset|cronjob|workload|manifest|mcp))"
        r"[\w.-]*)\.ya?ml"
    )

    def read(self, directory: str, files: list[str]) -> Iterator[DiscoveredServer | tuple[Path, str]]:
        project = Path(directory)
        for path in map(Path, files):
            try:
                text = read_text(path)
                if not mentions_mcp(text):
                    continue
                parts = _DOCUMENT_SEPARATOR.split(text)[:MAX_DOCUMENTS]
                documents = [parse_text(part, DocumentFormat.YAML) for part in parts if part.strip()]
            except DocumentError as exc:
                yield path, str(exc)
                continue
            location = ConfigLocation(path, Scope.PROJECT, DocumentFormat.YAML, project=project)
            for document in documents:
                if not isinstance(document, Mapping):
                    continue
                if document.get("kind") in _WORKLOADS and "apiVersion" in document:
                    yield from _workload(document, location)
                elif path.name.startswith("values"):
                    yield from _helm_values(document, location)


def _pod_spec(document: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = document.get("spec")
    if not isinstance(spec, Mapping):
        return {}
    if document.get("kind") == "Pod":
        return spec
    if document.get("kind") == "CronJob":
        job = spec.get("jobTemplate")
        spec = job.get("spec") if isinstance(job, Mapping) else {}
        spec = spec if isinstance(spec, Mapping) else {}
    template = spec.get("template")
    pod = template.get("spec") if isinstance(template, Mapping) else None
    return pod if isinstance(pod, Mapping) else {}


def _workload(document: Mapping[str, Any], location: ConfigLocation) -> Iterator[DiscoveredServer]:
    metadata = document.get("metadata")
    workload = str(metadata.get("name", "")) if isinstance(metadata, Mapping) else ""
    pod = _pod_spec(document)
    host_paths: dict[str, str] = {}
    for volume in pod.get("volumes") or []:
        if isinstance(volume, Mapping) and isinstance(volume.get("hostPath"), Mapping):
            host_paths[str(volume.get("name"))] = str(volume["hostPath"].get("path", ""))
    pod_flags: list[str] = []
    if pod.get("hostNetwork") is True:
        pod_flags.append("--network=host")
    if pod.get("hostPID") is True:
        pod_flags.append("--pid=host")
    containers = [*(pod.get("containers") or []), *(pod.get("initContainers") or [])][:MAX_CONTAINERS]
    for container in containers:
        if not isinstance(container, Mapping) or not isinstance(container.get("image"), str):
            continue
        image = container["image"]
        command = [str(w) for w in [*(container.get("command") or []), *(container.get("args") or [])]]
        if not (_is_mcp_image(image) or _runs_mcp(command)):
            continue
        flags = list(pod_flags)
        security = container.get("securityContext")
        if isinstance(security, Mapping):
            if security.get("privileged") is True:
                flags.append("--privileged")
            capabilities = security.get("capabilities")
            for cap in (capabilities.get("add") or [])[:50] if isinstance(capabilities, Mapping) else []:
                flags += ["--cap-add", str(cap)]
        for mount in container.get("volumeMounts") or []:
            if isinstance(mount, Mapping) and str(mount.get("name")) in host_paths:
                flags += ["-v", f"{host_paths[str(mount.get('name'))]}:{mount.get('mountPath', '/mnt')}"]
        env = {
            str(item["name"]): str(item.get("value", ""))
            for item in container.get("env") or []
            if isinstance(item, Mapping) and "name" in item and "value" in item
        }
        yield DiscoveredServer(
            host="kubernetes",
            location=location,
            name=f"{workload}/{container.get('name', image)}"[:300],
            transport=Transport.STDIO,
            command="docker",
            args=("run", *flags, image),
            env=env,
            project=location.project,
            line=None,
        )


def _helm_values(
    document: Mapping[str, Any], location: ConfigLocation, depth: int = 0
) -> Iterator[DiscoveredServer]:
    """``image: {repository, tag, digest}`` anywhere in a values file (charts nest them)."""
    if depth > 8:
        return
    image = document.get("image")
    if isinstance(image, Mapping) and isinstance(image.get("repository"), str):
        repository = image["repository"]
        registry = image.get("registry")
        if isinstance(registry, str) and registry:
            repository = f"{registry}/{repository}"
        reference = repository
        if isinstance(image.get("digest"), str) and image["digest"]:
            reference = f"{repository}@{image['digest']}"
        elif image.get("tag") not in (None, ""):
            reference = f"{repository}:{image['tag']}"
        if _is_mcp_image(reference):
            yield DiscoveredServer(
                host="helm",
                location=location,
                name=f"{location.path.parent.name}: {repository}"[:300],
                transport=Transport.STDIO,
                command="docker",
                args=("run", reference),
                project=location.project,
            )
    for value in list(document.values())[:1000]:
        if isinstance(value, Mapping):
            yield from _helm_values(value, location, depth + 1)
