"""A clock the test moves by hand, for code that takes `clock=` (the verifier)."""

from __future__ import annotations

from datetime import datetime


class Clock:
    """Returns `now` until the test sets another."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
