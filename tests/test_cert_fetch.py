"""Certificate downloads cannot be turned against the server: one deadline, single flight, few slots, failures kept.

Everything runs against tests/support/cert_host_standin.py, a real server on 127.0.0.1 standing in
for s3.amazonaws.com, reached through the verifier's `fetch` hook (the production URL rules still
apply: every URL here is https://s3.amazonaws.com/echo.api/...). Deadlines are shortened to about a
second so each test stays within a few seconds.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import waitress.server
from support.cert_host_standin import CertHost, after, hang, oversize, serve, status, trickle
from support.clock import Clock
from support.pki import CERT_URL, NOW, TestPki, cache_file, sign
from waitress import wasyncore

from skill import testing
from skill.config import Settings
from skill.errors import VerificationError
from skill.plugins import BandCoachPluginManager
from skill.web.app import create_app
from skill.web.verify import RequestVerifier, fetch_url

SKILL = "amzn1.ask.skill.band-coach-test"
DEADLINE = 1.0  # fetch_timeout in these tests (production: 5 s)
MARGIN = 0.5  # scheduling slack allowed past the deadline


def made_up(name: str = "") -> str:
    """A certificate URL that passes the production rules and names nothing Amazon publishes."""
    return f"https://s3.amazonaws.com/echo.api/{name or uuid.uuid4().hex}.pem"



@pytest.fixture
def host() -> Iterator[CertHost]:
    server = CertHost()
    yield server
    server.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def make_verifier(pki: TestPki, tmp_path: Path, host: CertHost, clock: Clock) -> Callable[..., RequestVerifier]:
    bundle = pki.write_root(tmp_path / "root.pem")

    def make(**overrides: Any) -> RequestVerifier:
        options: dict[str, Any] = {"cert_cache_dir": tmp_path / "certs", "ca_bundle": bundle, "clock": clock,
                                   "fetch": host.fetch, "fetch_timeout": DEADLINE, **overrides}
        return RequestVerifier(**options)
    return make


def signed(pki: TestPki, url: str, *, at: datetime = NOW, doc: dict[str, Any] | None = None,
           ) -> tuple[dict[str, str], bytes, dict[str, Any]]:
    """A LaunchRequest with a fresh request id, stamped `at`, signed by the test leaf, naming `url`."""
    envelope = doc or testing.launch_request(application_id=SKILL)
    envelope["request"]["timestamp"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = json.dumps(envelope).encode()
    return {"SignatureCertChainUrl": url, "Signature-256": sign(body, pki.leaf_key)}, body, envelope


def refused(call: Callable[[], object], check: str = "cert_fetch") -> tuple[VerificationError, float]:
    """The error `call` raised, and how long it took."""
    started = time.monotonic()
    with pytest.raises(VerificationError) as info:
        call()
    elapsed = time.monotonic() - started
    assert info.value.check == check, str(info.value)
    return info.value, elapsed


def in_threads(count: int, target: Callable[[int], object]) -> list[object]:
    """Run target(0..count-1) at once (a barrier releases them together); each outcome or raised error."""
    outcomes: list[object] = [None] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        started = time.monotonic()
        try:
            target(index)
            outcomes[index] = ("ok", time.monotonic() - started)
        except Exception as exc:  # handed back for the test to judge
            outcomes[index] = (exc, time.monotonic() - started)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


# ---------------------------------------------------------------- one deadline for the whole download

def test_fetch_url_cuts_off_trickled_headers_at_the_deadline(host: CertHost) -> None:
    """A byte a second never trips a per-read timeout of 1.5 s; the overall deadline does."""
    url = made_up("trickle")
    host.route(url, trickle(interval=1.0))
    started = time.monotonic()
    with pytest.raises(VerificationError, match=r"within 1\.5 s"):
        fetch_url(host.local(url), 1.5, 65536)
    assert time.monotonic() - started < 1.5 + MARGIN


@pytest.mark.parametrize("behaviour", [hang(), trickle(interval=1.0)], ids=["hanging", "trickling"])
def test_a_slow_host_costs_each_request_at_most_the_deadline(
        pki: TestPki, host: CertHost, make_verifier: Callable[..., RequestVerifier], behaviour: Any) -> None:
    """Four concurrent requests for one URL: none waits past the deadline (they used to queue: 5, 10, 15, 20 s)."""
    url = made_up()
    host.route(url, behaviour)
    verifier = make_verifier(fetch_timeout=1.5)
    outcomes = in_threads(4, lambda i: verifier.verify(*signed(pki, url)))
    assert all(isinstance(error, VerificationError) and error.check == "cert_fetch" for error, _ in outcomes)
    assert max(elapsed for _, elapsed in outcomes) < 1.5 + MARGIN
    assert host.hits(url) == 1


# ---------------------------------------------------------------- single flight and the memory of failures

def test_concurrent_requests_for_one_failing_url_cause_one_download(
        pki: TestPki, host: CertHost, make_verifier: Callable[..., RequestVerifier]) -> None:
    url = made_up()
    host.route(url, after(0.5, status(404)))  # slow enough that all eight overlap
    verifier = make_verifier(max_downloads=8)  # room for all to wait, so only single flight saves a download
    outcomes = in_threads(8, lambda i: verifier.verify(*signed(pki, url)))
    assert host.hits(url) == 1
    assert all(isinstance(error, VerificationError) and "HTTP 404" in str(error) for error, _ in outcomes)


def test_a_failed_url_is_not_fetched_again_within_the_negative_ttl(
        pki: TestPki, host: CertHost, clock: Clock, make_verifier: Callable[..., RequestVerifier]) -> None:
    url = made_up()
    verifier = make_verifier()
    refused(lambda: verifier.verify(*signed(pki, url)))  # nothing routed: 404
    clock.now = NOW + timedelta(seconds=59)
    error, elapsed = refused(lambda: verifier.verify(*signed(pki, url, at=clock.now)))
    assert "not tried again" in str(error) and "HTTP 404" in str(error)
    assert elapsed < 0.1
    assert host.hits(url) == 1


def test_a_failed_url_is_tried_again_once_the_negative_ttl_has_passed(
        pki: TestPki, host: CertHost, clock: Clock, make_verifier: Callable[..., RequestVerifier]) -> None:
    verifier = make_verifier()
    refused(lambda: verifier.verify(*signed(pki, CERT_URL)))  # 404 while nothing is served
    host.route(CERT_URL, serve(pki.chain()))
    clock.now = NOW + timedelta(seconds=61)
    verifier.verify(*signed(pki, CERT_URL, at=clock.now))
    assert host.hits(CERT_URL) == 2


def test_the_memory_of_failures_is_bounded(pki: TestPki, host: CertHost,
                                           make_verifier: Callable[..., RequestVerifier],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the most recent failures are kept: the oldest URL is forgotten (and costs a download again)."""
    monkeypatch.setattr("skill.web.verify.NEGATIVE_ENTRIES", 3)
    verifier = make_verifier()
    urls = [made_up(f"failed-{i}") for i in range(4)]
    for url in urls:
        refused(lambda url=url: verifier.verify(*signed(pki, url)))
    refused(lambda: verifier.verify(*signed(pki, urls[0])))
    refused(lambda: verifier.verify(*signed(pki, urls[3])))
    assert [host.hits(url) for url in urls] == [2, 1, 1, 1]


def test_a_good_chain_is_still_downloaded_once_and_kept(
        pki: TestPki, host: CertHost, make_verifier: Callable[..., RequestVerifier]) -> None:
    host.route(CERT_URL, serve(pki.chain()))
    verifier = make_verifier()
    verifier.verify(*signed(pki, CERT_URL))
    verifier.verify(*signed(pki, CERT_URL))
    assert host.hits(CERT_URL) == 1


# ---------------------------------------------------------------- download slots

@pytest.mark.parametrize("same_url", [False, True], ids=["other urls", "same url"])
def test_when_the_download_slots_are_full_the_next_request_is_refused_at_once(
        pki: TestPki, host: CertHost, make_verifier: Callable[..., RequestVerifier], same_url: bool) -> None:
    """Two requests wait on a hanging host (the default two slots); a third, for any URL, is refused in ms."""
    first, second, third = (made_up("hung"),) * 3 if same_url else (made_up(), made_up(), made_up())
    for url in (first, second, third):
        host.route(url, hang())
    verifier = make_verifier()
    outcomes: list[str] = []

    def wait_on(url: str) -> None:
        try:
            verifier.verify(*signed(pki, url))
        except VerificationError as exc:
            outcomes.append(exc.check)
    waiting = [threading.Thread(target=wait_on, args=(url,)) for url in (first, second)]
    for thread in waiting:
        thread.start()
    host.wait_for(first)
    if not same_url:
        host.wait_for(second)
    else:
        time.sleep(0.1)  # the second request is waiting on the first's download
    error, elapsed = refused(lambda: verifier.verify(*signed(pki, third)))
    for thread in waiting:
        thread.join(DEADLINE + 2)
    assert outcomes == ["cert_fetch", "cert_fetch"]  # the two that waited gave up at the deadline
    assert "refused without trying" in str(error)
    assert elapsed < 0.1
    assert host.hits(third) == (1 if same_url else 0)


def test_a_chain_on_disk_is_used_while_the_download_slots_are_full(
        pki: TestPki, host: CertHost, tmp_path: Path, make_verifier: Callable[..., RequestVerifier]) -> None:
    """Filling the slots with made-up URLs cannot lock out Alexa after a restart: its cached chain needs no slot."""
    cache = cache_file(tmp_path / "certs", CERT_URL)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pki.chain())
    hung = [made_up(), made_up()]
    for url in hung:
        host.route(url, hang())
    verifier = make_verifier()  # nothing in memory yet, as after a restart
    attackers = [threading.Thread(target=lambda url=url: refused(lambda: verifier.verify(*signed(pki, url))))
                 for url in hung]
    for thread in attackers:
        thread.start()
    for url in hung:
        host.wait_for(url)
    started = time.monotonic()
    verifier.verify(*signed(pki, CERT_URL))
    elapsed = time.monotonic() - started
    for thread in attackers:
        thread.join(DEADLINE + 2)
    assert elapsed < 0.2
    assert host.hits(CERT_URL) == 0


def test_download_slots_come_back_after_the_deadline(
        pki: TestPki, host: CertHost, make_verifier: Callable[..., RequestVerifier]) -> None:
    hung = [made_up(), made_up()]
    for url in hung:
        host.route(url, hang())
    host.route(CERT_URL, serve(pki.chain()))
    verifier = make_verifier()
    outcomes = in_threads(2, lambda i: verifier.verify(*signed(pki, hung[i])))
    assert all(isinstance(error, VerificationError) for error, _ in outcomes)
    verifier.verify(*signed(pki, CERT_URL))
    assert host.hits(CERT_URL) == 1


# ---------------------------------------------------------------- size

@pytest.mark.parametrize(("size", "declare_length"), [(1 << 20, True), (1 << 20, False), (1 << 30, False)],
                         ids=["declared", "undeclared", "endless"])
def test_an_oversize_body_is_refused(pki: TestPki, host: CertHost, make_verifier: Callable[..., RequestVerifier],
                                     size: int, declare_length: bool) -> None:
    url = made_up()
    host.route(url, oversize(size, declare_length=declare_length))
    error, elapsed = refused(lambda: make_verifier(max_chain_bytes=65536).verify(*signed(pki, url)))
    assert "65536" in str(error)
    assert elapsed < DEADLINE


# ---------------------------------------------------------------- cheap checks first

@pytest.mark.parametrize("spoil", ["stale timestamp", "foreign skill id", "no request id"])
def test_cheap_envelope_checks_run_before_any_download(
        pki: TestPki, host: CertHost, make_verifier: Callable[..., RequestVerifier], spoil: str) -> None:
    url = made_up()
    doc = testing.launch_request(application_id=SKILL)
    at, check = NOW, {"stale timestamp": "timestamp", "foreign skill id": "application_id",
                      "no request id": "request_id"}[spoil]
    if spoil == "stale timestamp":
        at = NOW - timedelta(seconds=151)
    elif spoil == "foreign skill id":
        doc = testing.launch_request(application_id="amzn1.ask.skill.someone-else")
    else:
        del doc["request"]["requestId"]
    refused(lambda: make_verifier(skill_ids=(SKILL,)).verify(*signed(pki, url, at=at, doc=doc)), check)
    assert host.requests == []


# ---------------------------------------------------------------- the server as a whole

class Waitress:
    """The app under waitress, as `bandcoach serve` runs it (4 worker threads), on 127.0.0.1."""

    def __init__(self, app: Any, threads: int = 4) -> None:
        self._map: dict[int, Any] = {}
        self.server = waitress.server.create_server(app, map=self._map, host="127.0.0.1", port=0,
                                                    threads=threads, channel_timeout=30)
        self.port = self.server.effective_port
        self._thread = threading.Thread(target=self.server.run, name="waitress", daemon=True)
        self._thread.start()

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                ) -> tuple[int, float]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        started = time.monotonic()
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            response.read()
            return response.status, time.monotonic() - started
        finally:
            connection.close()

    def close(self) -> None:
        """Stop the workers, then close every socket from inside the loop's own thread, which then ends."""
        self.server.task_dispatcher.shutdown(timeout=10)
        try:
            self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self._map))
        except OSError:  # the loop has already closed its trigger on its way out: close what is left from here
            wasyncore.close_all(self._map)
        self._thread.join(10)
        assert not self._thread.is_alive(), "waitress did not stop"


def test_healthz_stays_fast_while_eight_clients_hammer_bad_certificate_urls(
        pki: TestPki, host: CertHost, settings: Settings, pm: BandCoachPluginManager, tmp_path: Path) -> None:
    """Unsigned requests naming made-up certificate URLs on a host that never answers: /healthz stays fast.

    Half the clients reuse one URL, half make up a new one each time; the deadline is the production
    five seconds, so a worker held for a download would show up as a slow /healthz.
    """
    host.default = hang()
    secured = replace(settings, verify=True, ca_bundle=pki.write_root(tmp_path / "root.pem"), skill_id=(SKILL,))
    verifier = RequestVerifier.from_settings(secured, fetch=host.fetch)  # the real clock; 5 s deadline
    server = Waitress(create_app(secured, pm=pm, verifier=verifier))
    stop = threading.Event()
    statuses: list[int] = []

    def attack(index: int) -> None:
        while not stop.is_set():
            doc = testing.launch_request(application_id=SKILL)  # fresh id and timestamp each time
            url = made_up("shared") if index % 2 else made_up()
            body = json.dumps(doc).encode()
            code, _ = server.request("POST", "/alexa", body, {
                "Content-Type": "application/json", "SignatureCertChainUrl": url,
                "Signature-256": base64.b64encode(b"\0" * 256).decode()})
            statuses.append(code)
    attackers = [threading.Thread(target=attack, args=(i,)) for i in range(8)]
    try:
        assert server.request("GET", "/healthz")[0] == 200
        for thread in attackers:
            thread.start()
        time.sleep(0.2)
        probes = []
        ends = time.monotonic() + 3.0
        while time.monotonic() < ends:
            code, elapsed = server.request("GET", "/healthz")
            assert code == 200
            probes.append(elapsed)
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in attackers:
            thread.join(15)
        server.close()
    print(f"/healthz: {len(probes)} probes, slowest {max(probes) * 1000:.0f} ms; {len(statuses)} attacks, "
          f"{host.requests and len(host.requests)} downloads")
    assert max(probes) < 1.0, f"slowest /healthz {max(probes):.2f} s of {len(probes)}"
    assert statuses and set(statuses) == {400}


def test_downloads_are_counted_by_outcome_for_the_metrics(
        pki: TestPki, host: CertHost, make_verifier: Callable[..., RequestVerifier]) -> None:
    good, bad = made_up(), made_up()
    host.route(good, serve(pki.chain()))
    verifier = make_verifier()
    verifier.verify(*signed(pki, good))
    refused(lambda: verifier.verify(*signed(pki, bad)))  # nothing routed: 404
    refused(lambda: verifier.verify(*signed(pki, bad)))  # remembered: no second download
    assert verifier.fetches == {"ok": 1, "failed": 1}
