"""Alexa request verification: certificate URL, certificate chain, body signature, timestamp, skill id."""

from __future__ import annotations

import base64
import binascii
import hashlib
import http.client
import logging
import ssl
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import certifi
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import PolicyBuilder, Store
from cryptography.x509.verification import VerificationError as PathError

from skill.errors import ConfigError, VerificationError, reject, show
from skill.files import atomic_write_bytes
from skill.web.checks import check_timestamp, validate_cert_url

if TYPE_CHECKING:
    from skill.config import Settings

logger = logging.getLogger(__name__)

ALEXA_SIGNER = "echo-api.amazon.com"
_URL_HEADER = "signaturecertchainurl"
_SIGNATURE_HEADERS = (("signature-256", hashes.SHA256()), ("signature", hashes.SHA1()))
_DOCS = "Read more: docs/security.md"

Fetch = Callable[[str, float, int], bytes]


class HeaderItems(Protocol):
    """Request headers as verify() reads them: a dict, or werkzeug's Headers, which is not a Mapping."""

    def items(self) -> Iterable[tuple[str, str]]:
        """Each (name, value) pair."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _signature(headers: Mapping[str, str]) -> tuple[bytes, hashes.HashAlgorithm]:
    """The decoded body signature: Signature-256 (SHA-256), else the legacy Signature (SHA-1)."""
    for name, algorithm in _SIGNATURE_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        try:
            return base64.b64decode(value.strip(), validate=True), algorithm
        except (binascii.Error, ValueError):
            raise reject("signature", f"the {name} header is not base64") from None
    raise reject("signature", "neither Signature-256 nor Signature header is present; the request is unsigned")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The chain must come from the URL we checked, so a redirect is an error, not a hop."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@cache
def _opener() -> urllib.request.OpenerDirector:
    context = ssl.create_default_context(cafile=certifi.where())
    return urllib.request.build_opener(_NoRedirect(), urllib.request.HTTPSHandler(context=context))


def fetch_url(url: str, timeout: float, max_bytes: int) -> bytes:
    """GET `url` without following redirects; fail past `timeout` seconds overall or `max_bytes` bytes."""
    deadline = time.monotonic() + timeout
    try:
        with _opener().open(url, timeout=timeout) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise reject("cert_fetch", f"{show(url)} declares {declared} bytes, over the {max_bytes} limit")
            body = bytearray()
            while chunk := response.read1(16384):
                body += chunk
                if len(body) > max_bytes:
                    raise reject("cert_fetch", f"{show(url)} sent more than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise reject("cert_fetch", f"{show(url)} took longer than {timeout} s")
            return bytes(body)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise reject("cert_fetch", f"{show(url)} answered HTTP {exc.code}; it is not a certificate chain") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise reject("cert_fetch", f"cannot download {show(url)}: {exc}; check outbound HTTPS access") from None


def _load_store(ca_bundle: Path | None) -> Store:
    """The trusted roots: `ca_bundle` when given, else certifi's bundle."""
    path = Path(ca_bundle) if ca_bundle is not None else Path(certifi.where())
    try:
        with warnings.catch_warnings():
            # certifi ships a root with a non-positive serial; it is trusted input, so the notice is noise.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            return Store(x509.load_pem_x509_certificates(path.read_bytes()))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"CA bundle {path} is unusable: {exc}; fix: point BANDCOACH_CA_BUNDLE at a PEM file of root "
            "certificates, or unset it to use certifi's"
        ) from exc


@dataclass(frozen=True, slots=True)
class _TrustedKey:
    """A chain-verified Alexa signing key and the window in which every certificate of its chain is valid."""

    public_key: rsa.RSAPublicKey
    not_before: datetime
    not_after: datetime


class RequestVerifier:
    """Verifies Alexa web-service requests; one instance per app, safe to share between threads.

    Each certificate URL is downloaded once, verified once and kept (on disk and in memory), so a
    request normally costs one RSA signature check plus the timestamp check.
    """

    def __init__(
        self,
        *,
        cert_cache_dir: Path,
        ca_bundle: Path | None = None,
        fetch_timeout: float = 5.0,
        max_chain_bytes: int = 64 * 1024,
        clock: Callable[[], datetime] = _utc_now,
        fetch: Fetch | None = None,
    ) -> None:
        self._cache_dir = Path(cert_cache_dir)
        self._store = _load_store(ca_bundle)
        self._fetch_timeout = fetch_timeout
        self._max_chain_bytes = max_chain_bytes
        self._clock = clock
        self._fetch = fetch or fetch_url
        self._keys: dict[str, _TrustedKey] = {}  # only chains that passed every check, so bounded
        self._loading: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()  # guards _loading

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Callable[[], datetime] = _utc_now, fetch: Fetch | None = None,
    ) -> RequestVerifier:
        """A verifier using the configured certificate cache and CA bundle (clock and fetch: for tests)."""
        return cls(cert_cache_dir=settings.cert_cache_path, ca_bundle=settings.ca_bundle, clock=clock, fetch=fetch)

    def verify(self, headers: HeaderItems, body: bytes, envelope: Mapping[str, Any]) -> None:
        """Raise VerificationError unless the request is signed by Alexa and fresh.

        `body` is the raw request body exactly as received and `envelope` its parsed JSON; header
        names are matched case-insensitively.
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        url = lowered.get(_URL_HEADER)
        if not url:
            raise reject("cert_url", "the SignatureCertChainUrl header is missing; the request is unsigned")
        validate_cert_url(url)
        signature, algorithm = _signature(lowered)
        now = self._clock()
        check_timestamp(envelope, now)
        key = self._signing_key(url, now)
        try:
            key.public_key.verify(signature, body, padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            raise reject(
                "signature", f"the body does not match its {algorithm.name.upper()} signature; it was altered "
                "or not signed by Alexa (pass the raw body, not re-serialised JSON)",
            ) from None

    def _signing_key(self, url: str, now: datetime) -> _TrustedKey:
        """The verified key for `url`, from memory, else the disk cache, else the network."""
        trusted = self._keys.get(url)
        if trusted is None or now > trusted.not_after:
            # One lock per URL: a slow or hostile download never holds up loading another URL.
            with self._lock:
                loading = self._loading.setdefault(url, threading.Lock())
            try:
                with loading:
                    trusted = self._keys.get(url)
                    if trusted is None or now > trusted.not_after:
                        trusted = self._load(url, now)
                        self._keys[url] = trusted
            finally:
                with self._lock:
                    if not loading.locked():
                        self._loading.pop(url, None)
        if now < trusted.not_before:
            raise reject("cert_validity", f"the signing chain is not valid before {_iso(trusted.not_before)}")
        return trusted

    def _load(self, url: str, now: datetime) -> _TrustedKey:
        path = self._cache_dir / (hashlib.sha256(url.encode()).hexdigest() + ".pem")
        cached = _read_cached_chain(path, now)
        if cached is not None:
            return self._trust(cached, now)
        try:
            pem = self._fetch(url, self._fetch_timeout, self._max_chain_bytes)
        except VerificationError:
            raise
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise reject("cert_fetch", f"cannot download {show(url)}: {exc}; check outbound HTTPS access") from None
        try:
            chain = x509.load_pem_x509_certificates(pem)
        except ValueError:
            raise reject("cert_chain", f"{show(url)} is not a PEM certificate chain") from None
        trusted = self._trust(chain, now)
        _cache_chain(path, pem)
        return trusted

    def _trust(self, chain: list[x509.Certificate], now: datetime) -> _TrustedKey:
        """Check the leaf's dates, its SAN and its path to a trusted root; return its key."""
        leaf, intermediates = chain[0], chain[1:]
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            raise reject(
                "cert_validity",
                f"the signing certificate is valid from {_iso(leaf.not_valid_before_utc)} to "
                f"{_iso(leaf.not_valid_after_utc)}, not now; check this machine's clock",
            )
        if ALEXA_SIGNER not in _dns_names(leaf):
            raise reject("cert_san", f"the signing certificate does not name {ALEXA_SIGNER}; it is not Alexa's")
        public_key = leaf.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise reject("cert_key", "the signing certificate's key is not RSA; Alexa signs with RSA")
        verifier = PolicyBuilder().store(self._store).time(now).build_server_verifier(x509.DNSName(ALEXA_SIGNER))
        try:
            path = verifier.verify(leaf, intermediates)
        except PathError as exc:
            raise reject(
                "cert_chain", f"the signing certificate does not chain to a trusted root ({exc}); "
                f"fix: BANDCOACH_CA_BUNDLE must hold the root Amazon's chain ends in. {_DOCS}",
            ) from None
        return _TrustedKey(
            public_key,
            max(cert.not_valid_before_utc for cert in path),
            min(cert.not_valid_after_utc for cert in path),
        )


def _dns_names(cert: x509.Certificate) -> set[str]:
    """The certificate's SAN DNS names, lowercased; empty when it has none or they are unreadable."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return set()
    return {name.lower() for name in san.get_values_for_type(x509.DNSName)}


def _read_cached_chain(path: Path, now: datetime) -> list[x509.Certificate] | None:
    """The chain cached at `path`, or None (and the file dropped) when missing, unreadable or expired."""
    try:
        chain = x509.load_pem_x509_certificates(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("certificate cache file %s is unreadable (%s); fetching the chain again", path, exc)
        _drop(path)
        return None
    if now > chain[0].not_valid_after_utc:
        logger.info("cached signing certificate %s expired; fetching the chain again", path.name)
        _drop(path)
        return None
    return chain


def _drop(path: Path) -> None:
    """Remove a stale cache file; a failure only logs, since the fresh chain overwrites it anyway."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("cannot remove stale certificate cache file %s (%s)", path, exc)


def _cache_chain(path: Path, pem: bytes) -> None:
    """Keep a verified chain on disk (readers never see half of one); a failure only logs."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, pem)
    except OSError as exc:
        logger.warning("cannot cache the signing chain at %s (%s); it will be fetched again next start", path, exc)
