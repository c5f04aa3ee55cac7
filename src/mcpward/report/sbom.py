"""``mcpward report sbom``: the approved servers and their packages as a CycloneDX 1.6 BOM.

Each approved package entry is a component with its package URL and the registry's integrity
hash; an approved image is a component pinned by digest; a remote server is a service with its
endpoint. The registry's facts (owner, tier, review date, data scope) are properties, and the
entry's repository an external reference, so the BOM answers "what did we approve, exactly".
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime

from cyclonedx.model import HashAlgorithm, HashType

from mcpward import __version__
from mcpward.output.cyclonedx import bom_uri
from mcpward.registry.interface import Entry


def approved_sbom(entries: Sequence[Entry], generated_at: datetime) -> str:
    from cyclonedx.model import (
        ExternalReference,
        ExternalReferenceType,
        Property,
        XsUri,
    )
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.service import Service
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    bom = Bom()
    bom.metadata.timestamp = generated_at
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="mcpward", version=__version__)
    )
    for entry in entries:
        identity = entry.identity
        scope = entry.scope
        facts = {
            "mcpward:registry-name": entry.name,
            "mcpward:entry-id": str(entry.id),
            "mcpward:owner": entry.owner,
            "mcpward:tier": f"Tier-{entry.tier}",
            "mcpward:review-due": str(entry.review_due) if entry.review_due else None,
            "mcpward:vet-verdict": entry.vet.verdict if entry.vet else None,
            "mcpward:reads": "; ".join(scope.reads) or None,
            "mcpward:writes": "; ".join(scope.writes) or None,
            "mcpward:credentials": " ".join(scope.credentials) or None,
            "mcpward:network": " ".join(scope.network) or None,
            "mcpward:pinned-tools": str(len(entry.pins)) if entry.pins else None,
            # A repository the requester typed is a link for the BOM's readers only as a web or
            # git address: "javascript:..." there was a VCS reference a consumer makes a link of.
            "mcpward:repository": None if _linkable(entry.repository) else entry.repository,
        }
        properties = [Property(name=key, value=value) for key, value in facts.items() if value]
        references = (
            [ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(bom_uri(str(entry.repository))))]
            if _linkable(entry.repository)
            else []
        )
        ref = f"registry-entry:{entry.id}"
        if identity.kind == "remote":
            bom.services.add(
                Service(
                    name=entry.name,
                    bom_ref=ref,
                    version=identity.version,
                    # Percent-encoded as the library and the schema take it: one approved
                    # URL with a stray "%" made the whole BOM an internal error.
                    endpoints=[XsUri(bom_uri(str(identity.url)))],
                    x_trust_boundary=True,
                    properties=properties,
                    external_references=references,
                )
            )
            continue
        if identity.kind == "package":
            namespace, _, name = (
                str(identity.name).rpartition("/")
                if identity.ecosystem == "npm"
                else ("", "", str(identity.name))
            )
            purl = PackageURL(str(identity.ecosystem), namespace or None, name, identity.version)
            component_type = ComponentType.LIBRARY
        else:
            repository = str(identity.name).rsplit("/", 1)
            purl = PackageURL(
                "oci", None, repository[-1], identity.digest, {"repository_url": str(identity.name)}
            )
            component_type = ComponentType.CONTAINER
        bom.components.add(
            Component(
                type=component_type,
                name=str(identity.name),
                version=identity.version or identity.release,
                bom_ref=ref,
                purl=purl,
                hashes=_hashes(identity.integrity or identity.digest),
                properties=properties,
                external_references=references,
                description=entry.description,
            )
        )
    return str(JsonV1Dot6(bom).output_as_string(indent=2))


#: The algorithms the registry records integrity in (``is_integrity``), as CycloneDX names them.
_ALGORITHMS = {
    "sha1": HashAlgorithm.SHA_1,
    "sha256": HashAlgorithm.SHA_256,
    "sha384": HashAlgorithm.SHA_384,
    "sha512": HashAlgorithm.SHA_512,
}


def _hashes(value: str | None) -> list[HashType]:
    """The registry's integrity as CycloneDX hashes: ``ALG:<hex>`` (PyPI's, an image's digest)
    or SRI, ``ALG-<base64>`` tokens separated by spaces (npm), each token a hash. Only a first
    ``sha512-`` token was read: ``sha384-...``, ``sha384:...`` and ``sha1-... sha512-...`` had
    no hash in the BOM."""
    if not value:
        return []
    algorithm, colon, digest = value.partition(":")
    if colon:
        return (
            [HashType(alg=_ALGORITHMS[algorithm], content=digest.lower())] if algorithm in _ALGORITHMS else []
        )
    found = []
    for token in value.split():
        algorithm, _, encoded = token.partition("-")
        if algorithm not in _ALGORITHMS:
            continue
        try:
            content = base64.b64decode(encoded, validate=True).hex()
        except ValueError:  # not what the registry records (it checks each token)
            continue
        found.append(HashType(alg=_ALGORITHMS[algorithm], content=content))
    return found


def _linkable(address: str | None) -> bool:
    schemes = ("https://", "http://", "git://", "ssh://", "git+https://", "git+ssh://")
    return bool(address) and str(address).lower().startswith(schemes)
