"""Retrying a network engine's request: a cap on requests in flight, and backoff with jitter on transient failures.

Shared by gTTS and Polly so both services see the same manners: at most `max_workers` requests at
once, a 429, a 5xx or a failed connection retried after 0.5 s, 1 s, 2 s... (or the server's
Retry-After, capped), anything else raised at once.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 30.0  # never sleep longer than this on a server's Retry-After

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Transient:
    """A failure worth another try: what to log about it, and the server's Retry-After header if it sent one."""

    label: str
    retry_after: str | None = None


def backoff_delay(attempt: int, base: float, retry_after: str | None = None) -> float:
    """Exponential backoff with up to 25% jitter, or the server's Retry-After (in seconds) when it says more."""
    delay: float = base * (2**attempt) * (1 + random.random() / 4)
    if retry_after and retry_after.strip().isdigit():
        delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
    return delay


def call_with_retries(
    request: Callable[[], T],
    *,
    attempts: int,
    backoff: float,
    slots: threading.BoundedSemaphore,
    transient: Callable[[Exception], Transient | None],
    sleep: Callable[[float], None],
    service: str,
) -> T:
    """`request()` holding one of `slots`, tried up to `attempts` times while `transient` says a failure may pass.

    The slot is released while waiting, so a backing-off request never blocks the others.
    """
    for attempt in range(attempts):
        try:
            with slots:
                return request()
        except Exception as exc:
            why = transient(exc)
            if why is None or attempt + 1 >= attempts:
                raise
            delay = backoff_delay(attempt, backoff, why.retry_after)
            logger.warning("%s %s; retry %d/%d in %.2fs", service, why.label, attempt + 1, attempts - 1, delay)
            sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")
