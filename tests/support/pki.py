"""A throwaway certificate authority for tests and benchmarks: a root, an intermediate and Alexa-like leaves."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ALEXA_SIGNER = "echo-api.amazon.com"
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
# Alexa's own example; the clock in tests stands here so certificates and timestamps agree.
NOW = datetime(2026, 11, 28, 5, 30, tzinfo=UTC)


def new_key() -> rsa.RSAPrivateKey:
    """An RSA 2048 key: the smallest a WebPKI verifier accepts."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Band Coach Test PKI"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca, key_encipherment=not ca, content_commitment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)


def issue(
    subject: str,
    key: rsa.RSAPrivateKey,
    *,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None,
    ca: bool = False,
    san: tuple[str, ...] = (ALEXA_SIGNER,),
    not_before: datetime = NOW - timedelta(days=30),
    not_after: datetime = NOW + timedelta(days=335),
) -> x509.Certificate:
    """A certificate a real WebPKI verifier accepts; no `issuer` makes it self-signed.

    CAs get BasicConstraints(ca) and keyCertSign; leaves get serverAuth, digitalSignature and `san`.
    Both carry Subject and Authority Key Identifiers.
    """
    issuer_cert, issuer_key = issuer if issuer is not None else (None, key)
    issuer_name = issuer_cert.subject if issuer_cert is not None else _name(subject)
    issuer_public = issuer_key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_key_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False)
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(name) for name in san]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def pem(*certs: x509.Certificate) -> bytes:
    """Certificates as one PEM blob, in the order given (leaf first for a chain)."""
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def sign(body: bytes, key: rsa.RSAPrivateKey, algorithm: hashes.HashAlgorithm | None = None) -> str:
    """The base64 RSA PKCS#1 v1.5 signature Alexa puts in Signature-256 (SHA-256) or Signature (SHA-1)."""
    signature = key.sign(body, padding.PKCS1v15(), algorithm or hashes.SHA256())
    return base64.b64encode(signature).decode()


def cache_file(cache_dir: Path, url: str) -> Path:
    """Where the verifier caches the chain for `url`: <dir>/<sha256 of the URL as received>.pem."""
    return cache_dir / (hashlib.sha256(url.encode()).hexdigest() + ".pem")


@dataclass(frozen=True)
class TestPki:
    """A root CA, an intermediate under it and an echo-api.amazon.com leaf under that, plus a stranger key."""

    __test__ = False  # not a pytest test class despite the name

    root: x509.Certificate
    root_key: rsa.RSAPrivateKey
    intermediate: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey
    leaf: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    other_key: rsa.RSAPrivateKey

    @classmethod
    def build(cls) -> TestPki:
        """Generate the four keys (the slow part: do it once per session) and the three certificates."""
        root_key, intermediate_key, leaf_key, other_key = (new_key() for _ in range(4))
        root = issue("Test Root CA", root_key, ca=True, not_after=NOW + timedelta(days=3650))
        intermediate = issue("Test Intermediate CA", intermediate_key, issuer=(root, root_key), ca=True,
                             not_after=NOW + timedelta(days=1825))
        leaf = issue(ALEXA_SIGNER, leaf_key, issuer=(intermediate, intermediate_key))
        return cls(root, root_key, intermediate, intermediate_key, leaf, leaf_key, other_key)

    def leaf_variant(self, **changes: object) -> x509.Certificate:
        """Another leaf for the same key from the same intermediate, with `issue` arguments changed."""
        return issue(ALEXA_SIGNER, self.leaf_key, issuer=(self.intermediate, self.intermediate_key),
                     **changes)  # type: ignore[arg-type]

    def chain(self, leaf: x509.Certificate | None = None) -> bytes:
        """PEM of leaf (default: the good one) then the intermediate, as Amazon publishes it."""
        return pem(leaf or self.leaf, self.intermediate)

    def write_root(self, path: Path) -> Path:
        """Write the root as a one-certificate CA bundle and return its path."""
        path.write_bytes(pem(self.root))
        return path
