"""Alexa request verification: every rule accepted and rejected, against a throwaway PKI and a real HTTP server."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from support.clock import Clock
from support.pki import ALEXA_SIGNER, CERT_URL, NOW, TestPki, cache_file, issue, pem, sign

from skill.config import Settings
from skill.errors import BadRequest, ConfigError, VerificationError, verification_log
from skill.handlers.endpoint import check_application_id
from skill.web.checks import validate_cert_url
from skill.web.verify import RequestVerifier, fetch_url

SKILL_ID = "amzn1.ask.skill.band-coach-test"
USER_ID = "amzn1.ask.account.SECRET-RUNNER"


# ---------------------------------------------------------------- fixtures and helpers

@pytest.fixture(scope="module")
def bundle(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pki.write_root(tmp_path_factory.mktemp("roots") / "root.pem")



Behaviour = Callable[[BaseHTTPRequestHandler], None]


class LocalS3:
    """A real HTTP server on 127.0.0.1 standing in for s3.amazonaws.com; it counts every download."""

    def __init__(self) -> None:
        self.routes: dict[str, Behaviour] = {}
        self.fetched: list[str] = []
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                routes.get(self.path, status(404))(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def route(self, url: str, behaviour: Behaviour) -> None:
        self.routes[urlsplit(url).path] = behaviour

    def serve(self, url: str, body: bytes) -> None:
        self.route(url, content(body))

    def local(self, url: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{urlsplit(url).path}"

    def fetch(self, url: str, timeout: float, max_bytes: int) -> bytes:
        """The verifier's fetch: the real urllib download, pointed at this server instead of Amazon's."""
        self.fetched.append(url)
        return fetch_url(self.local(url), timeout, max_bytes)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def content(body: bytes, *, declare_length: bool = True) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if declare_length:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return behave


def status(code: int, location: str | None = None) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(code)
        if location:
            handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
    return behave


def stall(seconds: float) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
    return behave


def trickle(total_seconds: float, step: float = 0.05) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()
        deadline = time.monotonic() + total_seconds
        try:
            while time.monotonic() < deadline:
                handler.wfile.write(b"-")
                handler.wfile.flush()
                time.sleep(step)
        except OSError:
            pass  # the client gave up, as it should
    return behave


@pytest.fixture
def s3() -> Iterator[LocalS3]:
    server = LocalS3()
    yield server
    server.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def cert_dir(tmp_path: Path) -> Path:
    return tmp_path / "certs"


@pytest.fixture
def make_verifier(cert_dir: Path, bundle: Path, clock: Clock, s3: LocalS3) -> Callable[..., RequestVerifier]:
    """A verifier trusting the test root, on the test clock, downloading from the local server."""
    def make(**overrides: Any) -> RequestVerifier:
        options: dict[str, Any] = {"cert_cache_dir": cert_dir, "ca_bundle": bundle, "clock": clock,
                                   "fetch": s3.fetch, **overrides}
        return RequestVerifier(**options)
    return make


def seed(cert_dir: Path, chain: bytes, url: str = CERT_URL) -> Path:
    """Pre-seed the disk cache the way an operator would: <sha256 of the URL>.pem."""
    path = cache_file(cert_dir, url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(chain)
    return path


def envelope(*, timestamp: object = "2026-11-28T05:30:00Z", app_id: str = SKILL_ID,
             request_id: str = "amzn1.echo-api.request.1") -> dict[str, Any]:
    """A LaunchRequest shaped like the ones Alexa sends (a verifier accepts each request id once)."""
    request: dict[str, Any] = {"type": "LaunchRequest", "requestId": request_id, "locale": "en-US"}
    if timestamp is not None:
        request["timestamp"] = timestamp
    application = {"applicationId": app_id}
    return {
        "version": "1.0",
        "session": {"new": True, "sessionId": "amzn1.echo-api.session.1", "application": application,
                    "user": {"userId": USER_ID}},
        "context": {"System": {"application": application, "user": {"userId": USER_ID}}},
        "request": request,
    }


def signed(pki: TestPki, doc: dict[str, Any] | None = None, *, key: Any = None, url: str = CERT_URL,
           header: str = "Signature-256", algorithm: hashes.HashAlgorithm | None = None,
           ) -> tuple[dict[str, str], bytes, dict[str, Any]]:
    """(headers, raw body, parsed envelope) for a request signed by the leaf key unless `key` says otherwise."""
    body = json.dumps(doc or envelope()).encode()
    headers = {"SignatureCertChainUrl": url, header: sign(body, key or pki.leaf_key, algorithm)}
    return headers, body, json.loads(body)


def rejected(check: str, call: Callable[[], object]) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        call()
    assert info.value.check == check, str(info.value)
    return info.value


# ---------------------------------------------------------------- SignatureCertChainUrl

@pytest.mark.parametrize("url", [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
    "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
])
def test_cert_url_from_amazons_table_is_accepted(url: str) -> None:
    validate_cert_url(url)


@pytest.mark.parametrize("url", [
    "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://notamazon.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
    "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem",
    "https://evil@s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443@evil.example/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../evil/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/%2e%2e/evil/echo-api-cert.pem",
    "https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/echo api.pem",
    "https://s3.amazonaws.com/echo.api/cert.pem\nX-Injected: 1",
    "s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "",
])
def test_cert_url_outside_amazons_table_is_rejected(url: str) -> None:
    rejected("cert_url", lambda: validate_cert_url(url))


def test_request_without_cert_url_header_is_rejected(pki: TestPki, make_verifier: Callable[..., RequestVerifier],
                                                     s3: LocalS3) -> None:
    headers, body, doc = signed(pki)
    del headers["SignatureCertChainUrl"]
    rejected("cert_url", lambda: make_verifier().verify(headers, body, doc))
    assert s3.fetched == []


def test_bad_cert_url_is_rejected_before_any_download(pki: TestPki, make_verifier: Callable[..., RequestVerifier],
                                                      s3: LocalS3) -> None:
    headers, body, doc = signed(pki, url="https://s3.amazonaws.com/invalid.path/cert.pem")
    rejected("cert_url", lambda: make_verifier().verify(headers, body, doc))
    assert s3.fetched == []


# ---------------------------------------------------------------- signature

def test_signed_request_with_cached_chain_is_accepted(pki: TestPki, cert_dir: Path,
                                                      make_verifier: Callable[..., RequestVerifier],
                                                      s3: LocalS3) -> None:
    seed(cert_dir, pki.chain())
    make_verifier().verify(*signed(pki))
    assert s3.fetched == []


@pytest.mark.parametrize("spell", [str.lower, str.upper])
def test_header_names_match_case_insensitively(pki: TestPki, cert_dir: Path,
                                               make_verifier: Callable[..., RequestVerifier],
                                               spell: Callable[[str], str]) -> None:
    seed(cert_dir, pki.chain())
    headers, body, doc = signed(pki)
    make_verifier().verify({spell(name): value for name, value in headers.items()}, body, doc)


def test_legacy_sha1_signature_is_accepted_when_signature_256_is_absent(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pki.chain())
    make_verifier().verify(*signed(pki, header="Signature", algorithm=hashes.SHA1()))


def test_signature_256_is_used_even_when_legacy_signature_is_valid(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pki.chain())
    headers, body, doc = signed(pki, header="Signature", algorithm=hashes.SHA1())
    headers["Signature-256"] = sign(body, pki.other_key)
    rejected("signature", lambda: make_verifier().verify(headers, body, doc))


def test_sha1_signature_in_signature_256_header_is_rejected(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pki.chain())
    headers, body, doc = signed(pki, algorithm=hashes.SHA1())
    rejected("signature", lambda: make_verifier().verify(headers, body, doc))


def test_request_without_signature_header_is_rejected(pki: TestPki, cert_dir: Path,
                                                      make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pki.chain())
    headers, body, doc = signed(pki)
    del headers["Signature-256"]
    rejected("signature", lambda: make_verifier().verify(headers, body, doc))


def test_signature_that_is_not_base64_is_rejected(pki: TestPki, cert_dir: Path,
                                                  make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pki.chain())
    headers, body, doc = signed(pki)
    headers["Signature-256"] = "not*base64!"
    rejected("signature", lambda: make_verifier().verify(headers, body, doc))


def test_signature_made_with_another_key_is_rejected(pki: TestPki, cert_dir: Path,
                                                     make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pki.chain())
    rejected("signature", lambda: make_verifier().verify(*signed(pki, key=pki.other_key)))


def test_altered_body_is_rejected(pki: TestPki, cert_dir: Path,
                                  make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pki.chain())
    headers, body, _ = signed(pki)
    altered = body.replace(b"LaunchRequest", b"IntentRequest")
    rejected("signature", lambda: make_verifier().verify(headers, altered, json.loads(altered)))


def test_reserialised_json_body_is_rejected(pki: TestPki, cert_dir: Path,
                                            make_verifier: Callable[..., RequestVerifier]) -> None:
    """The signature covers the raw bytes: the same JSON written differently does not verify."""
    seed(cert_dir, pki.chain())
    headers, _, doc = signed(pki)
    reserialised = json.dumps(doc, indent=1).encode()
    rejected("signature", lambda: make_verifier().verify(headers, reserialised, doc))


# ---------------------------------------------------------------- certificate

def test_expired_leaf_is_rejected(pki: TestPki, make_verifier: Callable[..., RequestVerifier],
                                  s3: LocalS3) -> None:
    s3.serve(CERT_URL, pki.chain(pki.leaf_variant(not_before=NOW - timedelta(days=400),
                                                  not_after=NOW - timedelta(seconds=1))))
    rejected("cert_validity", lambda: make_verifier().verify(*signed(pki)))


def test_not_yet_valid_leaf_is_rejected(pki: TestPki, cert_dir: Path,
                                        make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pki.chain(pki.leaf_variant(not_before=NOW + timedelta(seconds=1))))
    rejected("cert_validity", lambda: make_verifier().verify(*signed(pki)))


@pytest.mark.parametrize("san", [("echo-api.amazon.com.evil.example", "amazon.com"), ()],
                         ids=["other names", "no SAN extension"])
def test_leaf_without_alexa_name_is_rejected(pki: TestPki, cert_dir: Path,
                                             make_verifier: Callable[..., RequestVerifier],
                                             san: tuple[str, ...]) -> None:
    seed(cert_dir, pki.chain(pki.leaf_variant(san=san)))
    rejected("cert_san", lambda: make_verifier().verify(*signed(pki)))


def test_alexa_name_matches_case_insensitively(pki: TestPki, cert_dir: Path,
                                               make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pki.chain(pki.leaf_variant(san=(ALEXA_SIGNER.upper(),))))
    make_verifier().verify(*signed(pki))


def test_self_signed_leaf_is_rejected(pki: TestPki, cert_dir: Path,
                                      make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pem(issue(ALEXA_SIGNER, pki.leaf_key)))
    rejected("cert_chain", lambda: make_verifier().verify(*signed(pki)))


def test_chain_missing_its_intermediate_is_rejected(pki: TestPki, cert_dir: Path,
                                                    make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pem(pki.leaf))
    rejected("cert_chain", lambda: make_verifier().verify(*signed(pki)))


def test_default_trust_is_certifi_which_does_not_know_the_test_root(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pki.chain())
    rejected("cert_chain", lambda: make_verifier(ca_bundle=None).verify(*signed(pki)))


def test_leaf_with_a_non_rsa_key_is_rejected(pki: TestPki, cert_dir: Path,
                                             make_verifier: Callable[..., RequestVerifier]) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    leaf = issue(ALEXA_SIGNER, ec_key, issuer=(pki.intermediate, pki.intermediate_key))
    seed(cert_dir, pki.chain(leaf))
    rejected("cert_key", lambda: make_verifier().verify(*signed(pki)))


def test_download_that_is_not_pem_is_rejected_and_not_cached(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier], s3: LocalS3) -> None:
    s3.serve(CERT_URL, b"<html>Access Denied</html>")
    rejected("cert_chain", lambda: make_verifier().verify(*signed(pki)))
    assert not cache_file(cert_dir, CERT_URL).exists()


def test_downloaded_chain_that_fails_verification_is_not_cached(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier], s3: LocalS3) -> None:
    s3.serve(CERT_URL, pem(pki.leaf))
    rejected("cert_chain", lambda: make_verifier().verify(*signed(pki)))
    assert not cache_file(cert_dir, CERT_URL).exists()


def test_unusable_ca_bundle_is_a_config_error_naming_the_fix(tmp_path: Path) -> None:
    (tmp_path / "empty.pem").write_text("")
    for path in (tmp_path / "missing.pem", tmp_path / "empty.pem"):
        with pytest.raises(ConfigError, match="BANDCOACH_CA_BUNDLE"):
            RequestVerifier(cert_cache_dir=tmp_path, ca_bundle=path)


# ---------------------------------------------------------------- timestamp

@pytest.mark.parametrize("offset", [-150, 150])
def test_timestamp_within_150_seconds_either_side_is_accepted(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier], offset: int) -> None:
    seed(cert_dir, pki.chain())
    stamp = (NOW + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
    make_verifier().verify(*signed(pki, envelope(timestamp=stamp)))


@pytest.mark.parametrize("offset", [-151, 151, -86400])
def test_timestamp_beyond_150_seconds_is_rejected(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier], offset: int) -> None:
    seed(cert_dir, pki.chain())
    stamp = (NOW + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rejected("timestamp", lambda: make_verifier().verify(*signed(pki, envelope(timestamp=stamp))))


@pytest.mark.parametrize("stamp", [None, "yesterday", 1795847400, "2026-11-28T05:30:00", ""],
                         ids=["missing", "words", "number", "no offset", "empty"])
def test_missing_or_unparseable_timestamp_is_rejected(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier], stamp: object) -> None:
    seed(cert_dir, pki.chain())
    rejected("timestamp", lambda: make_verifier().verify(*signed(pki, envelope(timestamp=stamp))))


def test_fractional_seconds_and_offsets_are_understood(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pki.chain())
    make_verifier().verify(*signed(pki, envelope(timestamp="2026-11-28T06:31:00.250+01:00")))


# ---------------------------------------------------------------- application id

def test_allowed_application_id_passes() -> None:
    check_application_id(envelope(), [SKILL_ID, "amzn1.ask.skill.other"])


def test_any_application_id_passes_when_no_skill_id_is_configured() -> None:
    check_application_id(envelope(app_id="amzn1.ask.skill.someone-else"), [])


def test_foreign_application_id_is_rejected() -> None:
    rejected("application_id",
             lambda: check_application_id(envelope(app_id="amzn1.ask.skill.someone-else"), [SKILL_ID]))


def test_session_application_id_is_checked_as_well_as_the_context_one() -> None:
    doc = envelope()
    doc["session"]["application"] = {"applicationId": "amzn1.ask.skill.someone-else"}
    rejected("application_id", lambda: check_application_id(doc, [SKILL_ID]))


def test_session_application_id_alone_is_enough() -> None:
    doc = envelope()
    del doc["context"]
    check_application_id(doc, [SKILL_ID])


@pytest.mark.parametrize("doc", [{}, {"context": ["System"]}, {"session": "x", "context": {"System": None}},
                                 {"context": {"System": {"application": {"applicationId": 7}}}}])
def test_missing_or_malformed_application_id_is_rejected(doc: dict[str, Any]) -> None:
    rejected("application_id", lambda: check_application_id(doc, [SKILL_ID]))


# ---------------------------------------------------------------- fetching and caching

def test_first_request_downloads_the_chain_and_caches_it_under_the_url_hash(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier], s3: LocalS3) -> None:
    s3.serve(CERT_URL, pki.chain())
    make_verifier().verify(*signed(pki))
    assert s3.fetched == [CERT_URL]
    assert cache_file(cert_dir, CERT_URL).read_bytes() == pki.chain()
    assert sorted(p.name for p in cert_dir.iterdir()) == [cache_file(cert_dir, CERT_URL).name]  # no temp files


def test_second_request_uses_the_memory_cache_without_downloading(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier], s3: LocalS3) -> None:
    s3.serve(CERT_URL, pki.chain())
    verifier = make_verifier()
    verifier.verify(*signed(pki))
    cache_file(cert_dir, CERT_URL).unlink()  # only memory is left
    verifier.verify(*signed(pki, envelope(request_id="amzn1.echo-api.request.2")))
    assert s3.fetched == [CERT_URL]


def test_fresh_verifier_uses_the_disk_cache_without_downloading(
        pki: TestPki, make_verifier: Callable[..., RequestVerifier], s3: LocalS3) -> None:
    s3.serve(CERT_URL, pki.chain())
    make_verifier().verify(*signed(pki))
    make_verifier().verify(*signed(pki))
    assert s3.fetched == [CERT_URL]


def test_cache_key_is_the_url_exactly_as_received(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier], s3: LocalS3) -> None:
    other_spelling = CERT_URL.replace("https://", "HTTPS://")
    s3.serve(CERT_URL, pki.chain())
    verifier = make_verifier()
    verifier.verify(*signed(pki))
    verifier.verify(*signed(pki, envelope(request_id="amzn1.echo-api.request.2"), url=other_spelling))
    assert s3.fetched == [CERT_URL, other_spelling]
    assert cache_file(cert_dir, other_spelling).exists()


def test_expired_cached_chain_is_dropped_and_downloaded_again(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier], s3: LocalS3) -> None:
    stale = pki.chain(pki.leaf_variant(not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1)))
    path = seed(cert_dir, stale)
    s3.serve(CERT_URL, pki.chain())
    make_verifier().verify(*signed(pki))
    assert s3.fetched == [CERT_URL]
    assert path.read_bytes() == pki.chain()


def test_chain_expiring_while_in_memory_is_downloaded_again(
        pki: TestPki, cert_dir: Path, clock: Clock, make_verifier: Callable[..., RequestVerifier],
        s3: LocalS3) -> None:
    short = pki.leaf_variant(not_after=NOW + timedelta(hours=1))
    seed(cert_dir, pki.chain(short))
    s3.serve(CERT_URL, pki.chain())
    verifier = make_verifier()
    verifier.verify(*signed(pki))
    clock.now = NOW + timedelta(hours=2)
    verifier.verify(*signed(pki, envelope(timestamp="2026-11-28T07:30:00Z")))
    assert s3.fetched == [CERT_URL]


def test_clock_set_back_before_a_cached_chain_is_rejected(
        pki: TestPki, cert_dir: Path, clock: Clock, make_verifier: Callable[..., RequestVerifier]) -> None:
    seed(cert_dir, pki.chain())
    verifier = make_verifier()
    verifier.verify(*signed(pki))
    clock.now = NOW - timedelta(days=31)
    doc = envelope(timestamp=(NOW - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   request_id="amzn1.echo-api.request.2")
    rejected("cert_validity", lambda: verifier.verify(*signed(pki, doc)))


def test_unreadable_cache_file_is_replaced_by_a_download(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier], s3: LocalS3) -> None:
    path = seed(cert_dir, b"-----BEGIN CERTIFICATE-----\ntruncated")
    s3.serve(CERT_URL, pki.chain())
    make_verifier().verify(*signed(pki))
    assert s3.fetched == [CERT_URL]
    assert path.read_bytes() == pki.chain()


def test_failed_download_is_tried_again_once_the_negative_ttl_has_passed(
        pki: TestPki, clock: Clock, make_verifier: Callable[..., RequestVerifier], s3: LocalS3) -> None:
    verifier = make_verifier()
    rejected("cert_fetch", lambda: verifier.verify(*signed(pki)))  # nothing served yet: HTTP 404
    s3.serve(CERT_URL, pki.chain())
    rejected("cert_fetch", lambda: verifier.verify(*signed(pki)))  # remembered: not tried again yet
    clock.now = NOW + timedelta(seconds=61)
    verifier.verify(*signed(pki, envelope(timestamp="2026-11-28T05:31:01Z", request_id="amzn1.echo-api.request.2")))
    assert s3.fetched == [CERT_URL, CERT_URL]


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "undeclared"])
def test_oversize_chain_fails_cleanly(pki: TestPki, make_verifier: Callable[..., RequestVerifier],
                                      s3: LocalS3, declare_length: bool) -> None:
    s3.route(CERT_URL, content(pki.chain() * 40, declare_length=declare_length))
    error = rejected("cert_fetch", lambda: make_verifier(max_chain_bytes=16 * 1024).verify(*signed(pki)))
    assert "16384" in str(error)


@pytest.mark.parametrize("behaviour", [stall(2.0), trickle(2.0)], ids=["silent", "trickling"])
def test_slow_server_fails_within_the_timeout(pki: TestPki, make_verifier: Callable[..., RequestVerifier],
                                              s3: LocalS3, behaviour: Behaviour) -> None:
    s3.route(CERT_URL, behaviour)
    started = time.monotonic()
    rejected("cert_fetch", lambda: make_verifier(fetch_timeout=0.3).verify(*signed(pki)))
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("code", [403, 404, 500])
def test_http_error_is_a_fetch_failure(pki: TestPki, make_verifier: Callable[..., RequestVerifier],
                                       s3: LocalS3, code: int) -> None:
    s3.route(CERT_URL, status(code))
    error = rejected("cert_fetch", lambda: make_verifier().verify(*signed(pki)))
    assert f"HTTP {code}" in str(error)


def test_redirect_is_not_followed(pki: TestPki, make_verifier: Callable[..., RequestVerifier],
                                  s3: LocalS3) -> None:
    elsewhere = "https://s3.amazonaws.com/echo.api/elsewhere.pem"
    s3.serve(elsewhere, pki.chain())
    s3.route(CERT_URL, status(302, s3.local(elsewhere)))
    rejected("cert_fetch", lambda: make_verifier().verify(*signed(pki)))


def test_unreachable_host_is_a_fetch_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # the port was free a moment ago and nothing listens on it now
    rejected("cert_fetch", lambda: fetch_url(f"http://127.0.0.1:{port}/echo.api/cert.pem", 1.0, 65536))


def test_fetch_errors_raised_by_an_injected_fetch_are_reported_as_fetch_failures(
        pki: TestPki, make_verifier: Callable[..., RequestVerifier]) -> None:
    def refuse(url: str, timeout: float, max_bytes: int) -> bytes:
        raise ConnectionRefusedError("connection refused")
    rejected("cert_fetch", lambda: make_verifier(fetch=refuse).verify(*signed(pki)))


def test_concurrent_first_requests_download_once(
        pki: TestPki, make_verifier: Callable[..., RequestVerifier], s3: LocalS3) -> None:
    s3.serve(CERT_URL, pki.chain())
    verifier = make_verifier(max_downloads=8)  # room for all eight to wait (the default lets two wait)
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            verifier.verify(*signed(pki, envelope(request_id=f"amzn1.echo-api.request.{index}")))
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert s3.fetched == [CERT_URL]


def test_slow_download_of_one_url_does_not_hold_up_another(
        pki: TestPki, make_verifier: Callable[..., RequestVerifier], s3: LocalS3) -> None:
    slow_url = "https://s3.amazonaws.com/echo.api/slow.pem"
    s3.route(slow_url, stall(1.0))
    s3.serve(CERT_URL, pki.chain())
    verifier = make_verifier(fetch_timeout=3.0)
    outcome: list[str] = []

    def slow() -> None:
        try:
            verifier.verify(*signed(pki, url=slow_url))
        except VerificationError as exc:
            outcome.append(exc.check)
    thread = threading.Thread(target=slow)
    thread.start()
    while slow_url not in s3.fetched:
        time.sleep(0.005)
    started = time.monotonic()
    verifier.verify(*signed(pki))
    assert time.monotonic() - started < 0.5
    thread.join()
    assert outcome == ["cert_fetch"]


# ---------------------------------------------------------------- errors, logging, settings

def test_verification_error_is_a_400_bad_request_naming_the_check() -> None:
    error = VerificationError("timestamp", "too old")
    assert isinstance(error, BadRequest)
    assert (error.status, error.check) == (400, "timestamp")
    assert "timestamp" in str(error)


def test_rejection_logs_one_line_naming_the_check_and_not_the_body_or_user(
        pki: TestPki, cert_dir: Path, make_verifier: Callable[..., RequestVerifier],
        caplog: pytest.LogCaptureFixture) -> None:
    seed(cert_dir, pki.chain())
    headers, body, doc = signed(pki, key=pki.other_key)
    with caplog.at_level(logging.INFO, logger=verification_log.name):
        rejected("signature", lambda: make_verifier().verify(headers, body, doc))
    records = [r for r in caplog.records if r.name == verification_log.name]
    assert len(records) == 1
    line = records[0].getMessage()
    assert "signature" in line
    assert "\n" not in line
    assert USER_ID not in line and body.decode() not in line and "LaunchRequest" not in line


def test_from_settings_uses_the_configured_cache_dir_and_bundle(
        pki: TestPki, bundle: Path, tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path, ca_bundle=bundle)
    seed(settings.cert_cache_path, pki.chain())
    RequestVerifier.from_settings(settings, clock=Clock(NOW)).verify(*signed(pki))


def test_real_clock_is_the_default(pki: TestPki, cert_dir: Path, bundle: Path) -> None:
    seed(cert_dir, pki.chain())
    verifier = RequestVerifier(cert_cache_dir=cert_dir, ca_bundle=bundle)
    rejected("timestamp", lambda: verifier.verify(*signed(pki, envelope(timestamp="2001-01-01T00:00:00Z"))))
