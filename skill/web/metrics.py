"""GET /metrics: what an operator graphs and alerts on, in Prometheus's text format.

Requests by type and outcome with their latency, the state store's failures and health, and the
certificate downloads by outcome. A request only adds to a few numbers under a lock; the
prometheus_client library (73 ms to import) is loaded on the first scrape, off the start-up path.
Each app keeps its own figures (tests build many apps); the store's and the verifier's are read from
their owners at scrape time.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask import Response

from skill.state.health import StoreHealth

# Request latency buckets in seconds: Alexa allows 8 s; most answers take a few milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 8.0)
KNOWN_TYPES = frozenset({"LaunchRequest", "IntentRequest", "SessionEndedRequest", "CanFulfillIntentRequest",
                         "AudioPlayer", "PlaybackController", "System", "Alexa", "other"})
OUTCOMES = frozenset({"answered", "refused", "error"})


class _Latency:
    """One request type's histogram: counts per bucket (the last is +Inf), the sum and the count."""

    def __init__(self) -> None:
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total += seconds


class Metrics:
    """The app's request figures, and what the store and the verifier report, as Prometheus metrics."""

    def __init__(self, store_health: StoreHealth, certificate_fetches: Callable[[], Mapping[str, int]]) -> None:
        self.store_health = store_health
        self.certificate_fetches = certificate_fetches
        self._lock = threading.Lock()
        self._requests: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._latency: defaultdict[str, _Latency] = defaultdict(_Latency)

    def observe(self, request_type: str | None, outcome: str, seconds: float) -> None:
        """Count one /alexa request; type and outcome are bounded sets, so the labels cannot grow."""
        kind = _family(request_type)
        result = outcome.split(" ")[0]
        result = result if result in OUTCOMES else "other"
        with self._lock:
            self._requests[(kind, result)] += 1
            self._latency[kind].observe(max(0.0, seconds))

    def response(self) -> Response:
        """The text exposition format, built by prometheus_client from a snapshot of the figures."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Snapshot(self))  # a collector need only have collect()
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                        headers={"Cache-Control": "no-store"})

    def snapshot(self) -> tuple[dict[tuple[str, str], int], dict[str, tuple[list[int], float]]]:
        with self._lock:
            return dict(self._requests), {k: (list(v.buckets), v.total) for k, v in self._latency.items()}


def _family(request_type: str | None) -> str:
    """"AudioPlayer.PlaybackStarted" -> "AudioPlayer"; anything unknown -> "other"."""
    head = (request_type or "other").split(".")[0]
    return head if head in KNOWN_TYPES else "other"


class _Snapshot:
    """A prometheus_client collector over one Metrics."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        requests, latency = self.metrics.snapshot()
        counted = CounterMetricFamily("bandcoach_requests", "Requests to /alexa, by Alexa request type and outcome",
                                      labels=["type", "outcome"])
        for (kind, outcome), count in sorted(requests.items()):
            counted.add_metric([kind, outcome], count)
        yield counted
        timed = HistogramMetricFamily("bandcoach_request_seconds", "Time to answer /alexa, by Alexa request type",
                                      labels=["type"])
        for kind, (buckets, total) in sorted(latency.items()):
            cumulative, running = [], 0
            for bound, count in zip((*map(str, LATENCY_BUCKETS), "+Inf"), buckets, strict=True):
                running += count
                cumulative.append((bound, running))
            timed.add_metric([kind], cumulative, total)
        yield timed
        health = self.metrics.store_health
        errors = CounterMetricFamily("bandcoach_store_errors", "State store operations that failed")
        errors.add_metric([], health.total_failures)
        yield errors
        healthy = GaugeMetricFamily("bandcoach_store_healthy", "1 while every kind of store operation works")
        healthy.add_metric([], 0 if health.faults() else 1)
        yield healthy
        fetches = CounterMetricFamily("bandcoach_certificate_fetches", "Signing-certificate downloads by outcome",
                                      labels=["outcome"])
        for outcome, count in sorted(self.metrics.certificate_fetches().items()):
            fetches.add_metric([outcome], count)
        yield fetches
