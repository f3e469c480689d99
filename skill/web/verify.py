"""Alexa request verification: certificate URL, certificate chain, body signature, timestamp, skill id, replays.

Certificate downloads are the one step an unsigned request can trigger, so they are fenced in: the
cheap checks run first; one download per URL at a time (single flight); a failed URL is not tried
again for NEGATIVE_TTL; at most `max_downloads` requests wait on the certificate host at once
(others are refused at once); and one deadline covers connect, status line, headers and body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http.client
import io
import logging
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

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
from skill.handlers.endpoint import check_application_id
from skill.web.checks import TIMESTAMP_TOLERANCE, check_timestamp, request_id, validate_cert_url

if TYPE_CHECKING:
    from skill.config import Settings

logger = logging.getLogger(__name__)

ALEXA_SIGNER = "echo-api.amazon.com"
_URL_HEADER = "signaturecertchainurl"
_SIGNATURE_HEADERS = (("signature-256", hashes.SHA256()), ("signature", hashes.SHA1()))
_DOCS = "Read more: docs/security.md"

NEGATIVE_TTL = timedelta(seconds=60)  # a URL whose chain could not be had is not tried again for this long
NEGATIVE_ENTRIES = 1024  # failed URLs remembered at most (the oldest is forgotten first)
REPLAY_ENTRIES = 50_000  # request ids remembered at most: 150 s x 2 of traffic at 160 requests a second
_GRACE = 0.1  # seconds a waiting request allows past the deadline for the download's own timeout to land

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
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def _time_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the download deadline passed")
    return left


class _DeadlineReader(io.RawIOBase):
    """A socket's reads sharing one deadline: each waits only for the time left, so trickling cannot stretch it."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)  # its reference keeps the socket open once urllib drops its own
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._sock.settimeout(_time_left(self._deadline))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineSocket:
    """What HTTPResponse is given instead of the socket: its makefile() reads under the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


def _deadline_connection(base: type[http.client.HTTPConnection], deadline: float) -> Callable[..., Any]:
    """An http.client connection class whose connect, status line, headers and body share `deadline`."""

    class Response(http.client.HTTPResponse):
        def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(_DeadlineSocket(sock, deadline), *args, **kwargs)  # type: ignore[arg-type]

    class Connection(base):  # type: ignore[valid-type,misc]
        response_class = Response

        def connect(self) -> None:
            self.timeout = _time_left(deadline)  # TCP connect and TLS handshake, each within the time left
            super().connect()

    return Connection


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: float) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_deadline_connection(http.client.HTTPConnection, self._deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: float) -> None:
        super().__init__(context=_tls_context())
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_deadline_connection(http.client.HTTPSConnection, self._deadline), req,
                            context=_tls_context())


def fetch_url(url: str, timeout: float, max_bytes: int) -> bytes:
    """GET `url` without following redirects; fail past `timeout` seconds overall or `max_bytes` bytes.

    The one deadline covers connecting, the TLS handshake, the status line, the headers and the body:
    every read waits only for the time left, so a host trickling a byte a second is cut off like a
    silent one. Name resolution is the one step no socket timeout bounds; RequestVerifier runs
    downloads in a thread it stops waiting for at the deadline.
    """
    deadline = time.monotonic() + timeout
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise reject("cert_fetch", f"{show(url)} is not an http(s) URL")
    opener = urllib.request.build_opener(_NoRedirect(), _DeadlineHTTPHandler(deadline),
                                         _DeadlineHTTPSHandler(deadline))
    try:
        with opener.open(url, timeout=timeout) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise reject("cert_fetch", f"{show(url)} declares {declared} bytes, over the {max_bytes} limit")
            body = bytearray()
            while chunk := response.read1(16384):
                body += chunk
                if len(body) > max_bytes:
                    raise reject("cert_fetch", f"{show(url)} sent more than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise TimeoutError("the download deadline passed")
            return bytes(body)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise reject("cert_fetch", f"{show(url)} answered HTTP {exc.code}; it is not a certificate chain") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TimeoutError):
            raise reject("cert_fetch", f"{show(url)} did not deliver within {timeout:.1f} s (connect, headers and "
                         "body together); check outbound HTTPS access") from None
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


@dataclass(slots=True)
class _Flight:
    """One URL's chain being loaded; requests for the same URL wait for it instead of loading it again."""

    deadline: float  # time.monotonic() by which the download gives up
    done: threading.Event = field(default_factory=threading.Event)
    key: _TrustedKey | None = None
    error: BaseException | None = None


@dataclass(slots=True)
class _Download:
    """The result of one download thread."""

    done: threading.Event = field(default_factory=threading.Event)
    body: bytes = b""
    error: BaseException | None = None


class RequestVerifier:
    """Verifies Alexa web-service requests; one instance per app, safe to share between threads.

    Each certificate URL is downloaded once, verified once and kept (on disk and in memory), so a
    request normally costs one RSA signature check plus the timestamp check. A URL whose chain could
    not be had is refused for `negative_ttl` without a download; at most `max_downloads` requests
    wait on the certificate host at once (a download of their own or one already running for their
    URL), each for at most `fetch_timeout` seconds; any other request that needs a download is
    refused at once. Request ids that passed are remembered until their timestamp leaves the
    window, and a repeat is refused (`replay_cache_size=0` turns this off: benchmarks only).
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
        skill_ids: Sequence[str] = (),
        max_downloads: int = 2,
        negative_ttl: timedelta = NEGATIVE_TTL,
        replay_cache_size: int = REPLAY_ENTRIES,
    ) -> None:
        self._cache_dir = Path(cert_cache_dir)
        self._store = _load_store(ca_bundle)
        self._fetch_timeout = fetch_timeout
        self._max_chain_bytes = max_chain_bytes
        self._clock = clock
        self._fetch = fetch or fetch_url
        self._skill_ids = tuple(skill_ids)
        self._max_downloads = max_downloads
        self._negative_ttl = negative_ttl
        self._replay_cache_size = replay_cache_size
        self._keys: dict[str, _TrustedKey] = {}  # only chains that passed every check, so bounded
        self._lock = threading.Lock()  # guards everything below
        self._flights: dict[str, _Flight] = {}
        self._failures: OrderedDict[str, tuple[datetime, str]] = OrderedDict()  # url -> (retry after, why)
        self.fetches: dict[str, int] = {"ok": 0, "failed": 0}  # certificate downloads by outcome (/metrics)
        self._waiting = 0  # requests blocked on the certificate host (a download, or another's for their URL)
        self._downloads = 0  # download threads alive (one outliving its deadline still holds its slot)
        self._seen_lock = threading.Lock()
        self._seen: OrderedDict[str, datetime] = OrderedDict()  # request id -> when its timestamp expires

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Callable[[], datetime] = _utc_now, fetch: Fetch | None = None,
    ) -> RequestVerifier:
        """A verifier using the configured certificate cache, CA bundle and skill ids (clock and fetch: for tests)."""
        return cls(cert_cache_dir=settings.cert_cache_path, ca_bundle=settings.ca_bundle, clock=clock, fetch=fetch,
                   skill_ids=settings.skill_id)

    def verify(self, headers: HeaderItems, body: bytes, envelope: Mapping[str, Any]) -> None:
        """Raise VerificationError unless the request is signed by Alexa, fresh and not seen before.

        `body` is the raw request body exactly as received and `envelope` its parsed JSON; header
        names are matched case-insensitively. Everything that needs no certificate (URL, headers,
        timestamp, skill id, request id) is checked before a chain is loaded, so before any download.
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        url = lowered.get(_URL_HEADER)
        if not url:
            raise reject("cert_url", "the SignatureCertChainUrl header is missing; the request is unsigned")
        validate_cert_url(url)
        signature, algorithm = _signature(lowered)
        now = self._clock()
        stamp = check_timestamp(envelope, now)
        if self._skill_ids:
            check_application_id(envelope, self._skill_ids)
        rid = request_id(envelope)
        if self._replay_cache_size:
            self._refuse_replay(rid, now)
        key = self._signing_key(url, now)
        try:
            key.public_key.verify(signature, body, padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            raise reject(
                "signature", f"the body does not match its {algorithm.name.upper()} signature; it was altered "
                "or not signed by Alexa (pass the raw body, not re-serialised JSON)",
            ) from None
        if self._replay_cache_size:
            self._remember_request(rid, stamp + TIMESTAMP_TOLERANCE, now)

    # ------------------------------------------------------------ replays

    def _refuse_replay(self, rid: str, now: datetime) -> None:
        with self._seen_lock:
            self._forget_expired_requests(now)
            if rid in self._seen:
                raise _replay(rid)

    def _remember_request(self, rid: str, expires: datetime, now: datetime) -> None:
        """Record a verified request id; refuse it if a concurrent copy got here first."""
        with self._seen_lock:
            self._forget_expired_requests(now)
            if rid in self._seen:
                raise _replay(rid)
            self._seen[rid] = expires
            if len(self._seen) > self._replay_cache_size:
                self._seen.popitem(last=False)
                logger.warning("more than %d Alexa requests in %d s: the oldest request id is forgotten early",
                               self._replay_cache_size, 2 * TIMESTAMP_TOLERANCE.total_seconds())

    def _forget_expired_requests(self, now: datetime) -> None:
        """Drop ids from the oldest while their timestamp has left the window (the timestamp check refuses them)."""
        while self._seen:
            oldest, expires = next(iter(self._seen.items()))
            if expires >= now:
                return
            del self._seen[oldest]

    # ------------------------------------------------------------ the signing key

    def _signing_key(self, url: str, now: datetime) -> _TrustedKey:
        """The verified key for `url`, from memory, else the disk cache, else the network."""
        trusted = self._keys.get(url)
        if trusted is None or now > trusted.not_after:
            trusted = self._obtain(url, now)
        if now < trusted.not_before:
            raise reject("cert_validity", f"the signing chain is not valid before {_iso(trusted.not_before)}")
        return trusted

    def _obtain(self, url: str, now: datetime) -> _TrustedKey:
        """The key from the disk cache (no slot needed), else from one download shared by every request for `url`."""
        path = self._cache_dir / (hashlib.sha256(url.encode()).hexdigest() + ".pem")
        cached = _read_cached_chain(path, now)
        if cached is not None:
            self._keys[url] = self._trust(cached, now)
            return self._keys[url]
        with self._lock:
            known = self._keys.get(url)
            if known is not None and now <= known.not_after:
                return known  # another request downloaded it meanwhile
            self._refuse_recent_failure(url, now)
            flight = self._flights.get(url)
            leading = flight is None
            full = self._waiting >= self._max_downloads or (leading and self._downloads >= self._max_downloads)
            if not full:
                if flight is None:
                    flight = self._flights[url] = _Flight(time.monotonic() + self._fetch_timeout)
                    self._downloads += 1  # given back by the download thread when it ends
                self._waiting += 1
        if flight is None or full:
            raise reject("cert_fetch", f"{self._max_downloads} requests are waiting on certificate downloads "
                         f"already; {show(url)} is refused without trying (a burst of unknown certificate URLs)")
        try:
            if leading:
                return self._lead(url, path, flight, now)
            flight.done.wait(max(0.0, flight.deadline + 2 * _GRACE - time.monotonic()))
        finally:
            with self._lock:
                self._waiting -= 1
        if flight.key is not None:
            return flight.key
        if isinstance(flight.error, VerificationError):
            raise reject(flight.error.check, flight.error.detail)
        raise reject("cert_fetch", f"the download of {show(url)} did not finish within {self._fetch_timeout:g} s")

    def _lead(self, url: str, path: Path, flight: _Flight, now: datetime) -> _TrustedKey:
        """Download and verify the chain for everyone waiting on `flight`; remember a failure for negative_ttl."""
        try:
            pem = self._download(url, flight.deadline)
            try:
                chain = x509.load_pem_x509_certificates(pem)
            except ValueError:
                raise reject("cert_chain", f"{show(url)} is not a PEM certificate chain") from None
            flight.key = self._trust(chain, now)
            _cache_chain(path, pem)
            self._keys[url] = flight.key
            with self._lock:
                self.fetches["ok"] += 1
            return flight.key
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                if flight.error is not None:
                    self.fetches["failed"] += 1
                    error = flight.error
                    why = error.detail if isinstance(error, VerificationError) else repr(error)
                    self._failures[url] = (now + self._negative_ttl, why)
                    self._failures.move_to_end(url)
                    while len(self._failures) > NEGATIVE_ENTRIES:
                        self._failures.popitem(last=False)
                del self._flights[url]
            flight.done.set()

    def _refuse_recent_failure(self, url: str, now: datetime) -> None:
        """Refuse (cert_fetch) a URL that failed less than negative_ttl ago; called with the lock held."""
        failure = self._failures.get(url)
        if failure is None:
            return
        retry_after, why = failure
        if now >= retry_after or now < retry_after - self._negative_ttl:  # expired, or the clock went back
            del self._failures[url]
            return
        raise reject("cert_fetch", f"{show(url)} failed less than {self._negative_ttl.total_seconds():.0f} s ago "
                     f"and is not tried again before {_iso(retry_after)} ({why[:160]})")

    def _download(self, url: str, deadline: float) -> bytes:
        """The body at `url`, fetched in a thread (its slot already taken) that this request stops waiting for
        at `deadline`; the thread gives the slot back when it ends."""
        result = _Download()
        thread = threading.Thread(target=self._run_download, args=(url, deadline, result), daemon=True,
                                  name="bandcoach-cert-fetch")
        try:
            thread.start()
        except BaseException:
            with self._lock:
                self._downloads -= 1
            raise
        if not result.done.wait(max(0.0, deadline + _GRACE - time.monotonic())):
            raise reject("cert_fetch", f"{show(url)} did not deliver within {self._fetch_timeout:g} s; "
                         "check outbound HTTPS access")
        error = result.error
        if error is None:
            return result.body
        if isinstance(error, VerificationError):
            raise error
        if isinstance(error, (OSError, ValueError, http.client.HTTPException)):
            raise reject("cert_fetch", f"cannot download {show(url)}: {error}; check outbound HTTPS access") from None
        raise error

    def _run_download(self, url: str, deadline: float, result: _Download) -> None:
        try:
            result.body = self._fetch(url, max(deadline - time.monotonic(), 0.001), self._max_chain_bytes)
        except BaseException as exc:  # handed to the waiting request, which decides what it means
            result.error = exc
        finally:
            with self._lock:
                self._downloads -= 1
            result.done.set()

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


def _replay(rid: str) -> VerificationError:
    return reject("replay", f"request {show(rid)} was accepted already; a request id is used once, so this is "
                  "a replay")


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
