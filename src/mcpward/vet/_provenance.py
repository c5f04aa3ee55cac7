"""Provenance: verifying a package's build attestations with Sigstore, offline.

PyPI (PEP 740) provenance is verified with ``pypi-attestations``; npm provenance (a Sigstore
bundle holding an in-toto SLSA statement) with ``sigstore`` directly. Both use Sigstore's
production trust root as shipped with the library (``offline=True``): no network is needed,
so verification works where the registry is a mirror. A package without attestations is
``unknown``, never ``verified``.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any


class ProvenanceStatus(enum.StrEnum):
    VERIFIED = "verified"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ProvenanceResult:
    status: ProvenanceStatus
    #: Who built it, as the attestation says: ``github:owner/repo`` (with the workflow).
    publisher: str | None = None
    #: The source repository named by the attestation, for comparison with the package's.
    repository: str | None = None
    detail: str = ""


def _quiet_sigstore() -> None:
    # sigstore and tuf log "offline mode" notices at WARNING; they are not the user's concern.
    for name in ("sigstore", "tuf", "securesystemslib"):
        logging.getLogger(name).setLevel(logging.ERROR)


def verify_pypi(provenance: bytes, filename: str, data: bytes) -> ProvenanceResult:
    """Verify a PEP 740 provenance object for the distribution ``filename`` with bytes ``data``."""
    _quiet_sigstore()
    from pydantic import ValidationError
    from pypi_attestations import AttestationError, Distribution, Provenance

    try:
        document = Provenance.model_validate_json(provenance)
    except (ValidationError, ValueError, RecursionError):
        return ProvenanceResult(
            ProvenanceStatus.FAILED, detail="provenance is not a PEP 740 provenance object"
        )
    distribution = Distribution(name=filename, digest=hashlib.sha256(data).hexdigest())
    verified_by: list[str] = []
    for bundle in document.attestation_bundles:
        publisher = bundle.publisher
        for attestation in bundle.attestations:
            try:
                attestation.verify(publisher, distribution, offline=True)
            except (AttestationError, ValueError) as exc:
                return ProvenanceResult(
                    ProvenanceStatus.FAILED, detail=f"attestation does not verify: {exc}"[:300]
                )
            verified_by.append(_publisher_name(publisher))
    if not verified_by:
        return ProvenanceResult(ProvenanceStatus.UNKNOWN, detail="provenance holds no attestation")
    repository = getattr(document.attestation_bundles[0].publisher, "repository", None)
    return ProvenanceResult(
        ProvenanceStatus.VERIFIED,
        publisher=verified_by[0],
        repository=str(repository) if repository else None,
        detail=f"{len(verified_by)} attestation(s) verified",
    )


def _publisher_name(publisher: Any) -> str:
    kind = str(getattr(publisher, "kind", "publisher")).lower()
    where = getattr(publisher, "repository", None) or getattr(publisher, "project", None) or "?"
    workflow = getattr(publisher, "workflow", None) or getattr(publisher, "workflow_filepath", None)
    return f"{kind}:{where}" + (f" ({workflow})" if workflow else "")


_SLSA_PROVENANCE = "https://slsa.dev/provenance/v1"


def _field(document: object, *keys: str) -> object:
    """``document[k1][k2]...``, or None where a level is missing or not an object: the signed
    statement is whatever its signer chose to sign."""
    for key in keys:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def verify_npm(attestations: bytes, name: str, version: str, tarball: bytes) -> ProvenanceResult:
    """Verify npm's SLSA provenance (the registry's attestations document) for a tarball: the
    Sigstore bundle must verify against the production trust root and its statement must name
    ``pkg:npm/NAME@VERSION`` with the tarball's sha512."""
    _quiet_sigstore()
    try:
        document = json.loads(attestations)
        entries = [a for a in document.get("attestations", []) if a.get("predicateType") == _SLSA_PROVENANCE]
    except (ValueError, AttributeError, TypeError, RecursionError):
        return ProvenanceResult(ProvenanceStatus.FAILED, detail="attestations document is not valid JSON")
    if not entries:
        return ProvenanceResult(ProvenanceStatus.UNKNOWN, detail="no SLSA provenance attestation")
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import Bundle
    from sigstore.verify import Verifier
    from sigstore.verify.policy import OIDCSourceRepositoryURI, UnsafeNoOp

    try:
        bundle = Bundle.from_json(json.dumps(entries[0]["bundle"]))
        # Any signer may sign; who signed is read from the statement below and compared
        # with the package's repository by the rules, as npm itself does.
        _, payload = Verifier.production(offline=True).verify_dsse(bundle, UnsafeNoOp())
        statement = json.loads(payload)
    except (SigstoreError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        return ProvenanceResult(ProvenanceStatus.FAILED, detail=f"bundle does not verify: {exc}"[:300])
    if not isinstance(statement, dict) or not isinstance(statement.get("subject") or [], list):
        return ProvenanceResult(
            ProvenanceStatus.FAILED, detail="the signed statement is not an in-toto statement"
        )
    expected_name = (
        f"pkg:npm/{name}@{version}".replace("@", "%40", 1)
        if name.startswith("@")
        else f"pkg:npm/{name}@{version}"
    )
    digest = hashlib.sha512(tarball).hexdigest()
    subjects = statement.get("subject") or []
    if not any(
        _field(s, "name") in (expected_name, f"pkg:npm/{name}@{version}")
        and _field(s, "digest", "sha512") == digest
        for s in subjects
    ):
        return ProvenanceResult(ProvenanceStatus.FAILED, detail="statement does not name this tarball")
    repository = _field(
        statement, "predicate", "buildDefinition", "externalParameters", "workflow", "repository"
    )
    repository = repository if isinstance(repository, str) else None
    if repository is not None:
        # The statement is the signer's text: the repository it names is the build's only if
        # the certificate (Fulcio's Source Repository URI, from the CI's token) says so. Any
        # signer's statement naming a vendor's repository was a "verified" build of it.
        try:
            OIDCSourceRepositoryURI(repository).verify(bundle.signing_certificate)
        except (SigstoreError, ValueError) as exc:
            return ProvenanceResult(
                ProvenanceStatus.FAILED,
                detail=f"the statement names {repository[:200]!r}, its signer another repository: {exc}"[
                    :300
                ],
            )
    return ProvenanceResult(
        ProvenanceStatus.VERIFIED,
        publisher=f"npm-provenance:{repository}",
        repository=repository,
        detail="SLSA provenance verified",
    )
