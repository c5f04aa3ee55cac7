"""Attack on vet's npm provenance check: the repository was read from the signed statement,
whoever signed it.

An npm provenance bundle is a Sigstore signature over an in-toto statement. vet verified the
signature against Sigstore's trust root with no identity policy (any signer), then took the
build's source repository from the statement's
``predicate.buildDefinition.externalParameters.workflow.repository``: text the signer chose.
Anyone can get a Sigstore certificate (a CI job in their own repository), so an impersonator
publishing ``stripe-mcp`` signed a statement naming ``https://github.com/stripe/agent-toolkit``
from their own repository's workflow: vet said "provenance verified" for Stripe's
organisation, and the vendor-brand finding fell to low (``pass``). The certificate records the
repository whose CI signed (Fulcio's Source Repository URI extension, 1.3.6.1.4.1.57264.1.12);
a statement naming another repository than the certificate's is now ``failed`` (high).

Sigstore bundles cannot be made offline: the signature's check is replaced here by one that
accepts, and the certificate is made in the test. What is under attack is what vet reads as
the signer's repository, not Sigstore.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mcpward.vet import VetOptions, run_vet
from mcpward.vet._provenance import ProvenanceStatus, verify_npm

SOURCE_REPOSITORY_URI = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.12")
STRIPE = "https://github.com/stripe/agent-toolkit"


def _certificate(repository: str) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.dev")])
    value = repository.encode()
    der = bytes([0x0C, len(value)]) + value  # a DER UTF8String, as Fulcio writes it
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(minutes=10))
        .add_extension(x509.UnrecognizedExtension(SOURCE_REPOSITORY_URI, der), critical=False)
        .sign(key, hashes.SHA256())
    )


def _tarball() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, text in {
            "package.json": json.dumps({"name": "stripe-mcp", "version": "1.0.0", "main": "index.js"}),
            "index.js": "export const ok = 1;\n",
        }.items():
            data = text.encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue())


def _attestations(tarball: bytes, claimed: str) -> bytes:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {"name": "pkg:npm/stripe-mcp@1.0.0", "digest": {"sha512": hashlib.sha512(tarball).hexdigest()}}
        ],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"externalParameters": {"workflow": {"repository": claimed}}}},
    }
    bundle = {"statement": statement}
    return json.dumps(
        {"attestations": [{"predicateType": "https://slsa.dev/provenance/v1", "bundle": bundle}]}
    ).encode()


@pytest.fixture
def signed_by(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Bundles whose signature is taken as valid, signed by the repository ``signer["repo"]``."""
    from sigstore.models import Bundle
    from sigstore.verify import Verifier

    signer = {"repo": ""}

    class _Bundle:
        def __init__(self, document: dict[str, Any]) -> None:
            self.statement = document["statement"]
            self.signing_certificate = _certificate(signer["repo"])

    class _Verifier:
        def verify_dsse(self, bundle: _Bundle, _policy: object) -> tuple[str, bytes]:
            return "application/vnd.in-toto+json", json.dumps(bundle.statement).encode()

    monkeypatch.setattr(Bundle, "from_json", staticmethod(lambda raw: _Bundle(json.loads(raw))))
    monkeypatch.setattr(Verifier, "production", classmethod(lambda cls, offline=False: _Verifier()))
    return signer


def test_a_statement_naming_another_repository_than_its_signer_does_not_verify(
    signed_by: dict[str, str],
) -> None:
    signed_by["repo"] = "https://github.com/str1pe-labs/stripe-mcp"
    tarball = _tarball()
    result = verify_npm(_attestations(tarball, STRIPE), "stripe-mcp", "1.0.0", tarball)
    assert result.status is ProvenanceStatus.FAILED, result
    assert result.repository is None


def test_the_vendor_brand_is_not_lowered_by_a_forged_repository(
    tmp_path: Path, signed_by: dict[str, str]
) -> None:
    signed_by["repo"] = "https://github.com/str1pe-labs/stripe-mcp"
    tarball = _tarball()
    (tmp_path / "stripe-mcp-1.0.0.tgz").write_bytes(tarball)
    (tmp_path / "stripe-mcp-1.0.0.tgz.attestations.json").write_bytes(_attestations(tarball, STRIPE))
    report = run_vet(VetOptions(target=str(tmp_path / "stripe-mcp-1.0.0.tgz"), cache_dir=tmp_path / "c"))
    rules = {(f.rule, f.severity.value) for f in report.findings}
    assert ("provenance-invalid", "high") in rules, rules
    assert report.verdict != "pass"


def test_a_statement_naming_its_signers_repository_verifies(signed_by: dict[str, str]) -> None:
    signed_by["repo"] = STRIPE
    tarball = _tarball()
    result = verify_npm(_attestations(tarball, STRIPE), "stripe-mcp", "1.0.0", tarball)
    assert result.status is ProvenanceStatus.VERIFIED, result
    assert result.repository == STRIPE
