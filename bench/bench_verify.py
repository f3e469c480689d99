"""Benchmark Alexa request verification: per-request cost with a cached chain against parsing the JSON alone.

Run `python bench/bench_verify.py [--quick] [--row]` from anywhere; prints a `##` heading and a
markdown table (`--row`: the row alone, to append to a table). Verify-on is json.loads plus
RequestVerifier.verify (timestamp check and one RSA-2048 PKCS#1 v1.5 SHA-256 signature check, the
chain already verified and held in memory); verify-off, the baseline run beside it, is json.loads
alone. Target: well under a millisecond.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the throwaway PKI lives with the tests

from support.pki import CERT_URL, NOW, TestPki, cache_file, sign

from skill.web.verify import RequestVerifier

HEADER = ("| check | verify on (µs/request) | verify off (µs/request) | added (µs/request) | on / off |\n"
          "| --- | --- | --- | --- | --- |")


def intent_request() -> bytes:
    """A realistic IntentRequest body, as Alexa would send it."""
    application = {"applicationId": "amzn1.ask.skill.band-coach-bench"}
    user = {"userId": "amzn1.ask.account.BENCH" + "X" * 180}
    return json.dumps({
        "version": "1.0",
        "session": {"new": False, "sessionId": "amzn1.echo-api.session.bench", "application": application,
                    "attributes": {"routine": "recovery", "step": 3}, "user": user},
        "context": {"System": {"application": application, "user": user,
                               "device": {"deviceId": "amzn1.ask.device.BENCH",
                                          "supportedInterfaces": {"AudioPlayer": {}}},
                               "apiEndpoint": "https://api.amazonalexa.com"},
                    "AudioPlayer": {"playerActivity": "IDLE"}},
        "request": {"type": "IntentRequest", "requestId": "amzn1.echo-api.request.bench",
                    "timestamp": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), "locale": "en-US",
                    "intent": {"name": "StartRoutineIntent", "confirmationStatus": "NONE",
                               "slots": {"routine": {"name": "routine", "value": "post-run stretch",
                                                     "confirmationStatus": "NONE"}}}},
    }).encode()


def per_call_us(fn: Callable[[], object], number: int, repeat: int) -> float:
    """Best-of-`repeat` mean microseconds per call over `number` calls (timeit's advice: the minimum)."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="A few hundred calls: checks the harness, not a measurement.")
    parser.add_argument("--row", action="store_true", help="Print the table row alone, without heading and header.")
    parser.add_argument("--table", action="store_true", help=argparse.SUPPRESS)  # the old opt-in; now the default
    args = parser.parse_args()
    number, repeat = (200, 3) if args.quick else (5000, 7)

    pki = TestPki.build()
    body = intent_request()
    headers = {"SignatureCertChainUrl": CERT_URL, "Signature-256": sign(body, pki.leaf_key)}
    with tempfile.TemporaryDirectory() as folder:
        cert_dir = Path(folder) / "certs"
        cache_file(cert_dir, CERT_URL).parent.mkdir(parents=True)
        cache_file(cert_dir, CERT_URL).write_bytes(pki.chain())
        # The same request over and over would be a replay: the replay check is off for this measurement.
        verifier = RequestVerifier(cert_cache_dir=cert_dir, ca_bundle=pki.write_root(Path(folder) / "root.pem"),
                                   clock=lambda: NOW, replay_cache_size=0)

        def verify_on() -> None:
            verifier.verify(headers, body, json.loads(body))

        def verify_off() -> None:
            json.loads(body)

        verify_on()  # first call loads and chain-verifies the cached chain; later ones reuse it
        on, off = per_call_us(verify_on, number, repeat), per_call_us(verify_off, number, repeat)

    if not args.row:
        print(f"## Alexa request verification ({'quick: ' if args.quick else ''}best of {repeat} x {number} calls)\n")
        print(HEADER)
    print(f"| Alexa request verification, cached chain, {len(body)} B body | {on:.1f} | {off:.1f} | "
          f"{on - off:.1f} | {on / off:.1f}x |")


if __name__ == "__main__":
    main()
