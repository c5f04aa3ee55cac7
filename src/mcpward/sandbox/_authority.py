"""The gateway's certificate authority for outbound TLS inspection.

Created on first use in the user's data folder (the folder 0700, the key 0600), never installed
system-wide: only sandboxed servers whose profile enables inspection are told to trust it (a
bundle in their private home, named by ``SSL_CERT_FILE``, ``NODE_EXTRA_CA_CERTS`` and the
like). Leaf certificates are made per host in memory, with one leaf key per process.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mcpward._paths import write_owner_only
from mcpward.sandbox.interface import SandboxError

_CA_DAYS = 3650
_LEAF_DAYS = 30  # leaf certificates live in memory for one run; short is enough


class CertificateAuthority:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._key, self.certificate = _load_or_create(folder)
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def bundle(self) -> bytes:
        """The system's authorities and this one: what an inspected server trusts."""
        system = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")
        try:
            others = system.read_bytes()
        except OSError:
            others = b""
        return others.rstrip(b"\n") + b"\n" + self.pem if others else self.pem

    def server_context(self, host: str) -> ssl.SSLContext:
        """A TLS server context presenting a certificate for ``host``, offering HTTP/1.1 only
        (so a client falls back from HTTP/2 rather than send what the proxy cannot read)."""
        with self._lock:
            context = self._contexts.get(host)
            if context is None:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                context.set_alpn_protocols(["http/1.1"])
                # ssl loads certificates from files only: a private temporary one, removed at once.
                with tempfile.TemporaryDirectory(prefix="mcpward-leaf-") as folder:
                    context.load_cert_chain(self.write_leaf(host, Path(folder) / "leaf.pem"))
                self._contexts[host] = context
            return context

    def write_leaf(self, host: str, path: Path) -> Path:
        """A certificate for ``host`` and its key in one PEM file (owner-only): what the proxy
        presents, or what a local server standing in for ``host`` presents in tests."""
        certificate = self._leaf(host).public_bytes(serialization.Encoding.PEM)
        write_owner_only(path, certificate + _private_pem(self._leaf_key))
        return path

    def _leaf(self, host: str) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        try:
            alternative: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            alternative = x509.DNSName(host)
        issuer = self.certificate.subject
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64])]))
            .issuer_name(issuer)
            .public_key(self._leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=_LEAF_DAYS))
            .add_extension(x509.SubjectAlternativeName([alternative]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(certificates=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._leaf_key.public_key()), critical=False
            )
            .sign(self._key, hashes.SHA256())
        )


def _load_or_create(folder: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key_path, certificate_path = folder / "ca.key", folder / "ca.pem"
    if key_path.exists() and certificate_path.exists():
        mode = key_path.stat().st_mode & 0o777
        if mode & 0o077:
            raise SandboxError(
                f"the inspection authority's key {key_path} is readable by others (mode {mode:o}); "
                "chmod 600 it, or remove the folder to make a new authority"
            )
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
        except (ValueError, OSError) as exc:
            raise SandboxError(f"the inspection authority in {folder} cannot be read: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise SandboxError(f"the inspection authority's key {key_path} is not an EC key")
        return key, certificate
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mcpward"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"mcpward outbound inspection ({os.getuid()})"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_owner_only(key_path, _private_pem(key))
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key, certificate


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _usage(*, certificates: bool) -> x509.KeyUsage:
    """An authority signs certificates; a leaf signs handshakes (ECDHE)."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=not certificates,
        key_cert_sign=certificates,
        crl_sign=certificates,
        encipher_only=False,
        decipher_only=False,
    )
