"""The state model: what is remembered about a runner, the Store every backend implements, user-id hashing."""

from __future__ import annotations

import abc
import hashlib
import hmac
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from skill.errors import BandCoachError
from skill.progression import Rating, SessionRecord, streak_from_days
from skill.routines import BandLevel, Place
from skill.state.recent import DayTally, tally, window

logger = logging.getLogger(__name__)

HISTORY_LIMIT = 500  # newest sessions kept per user: enough for a year of coaching, small enough for one item


class StateError(BandCoachError):
    """The state store cannot be read or written; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the runner told us once and we reuse: their usual band.

    `locale` is part of the stored schema (SQLite v2, the JSON document) and `Store.set_locale`
    keeps it, but the skill neither writes nor reads it: each request carries its own locale.
    """

    default_band: BandLevel | None = None
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class InProgress:
    """A workout kept to resume: its place and, hands-free, the AudioPlayer stream's token and offset.

    `block_done`: the runner heard the whole of the kept block, so resuming starts at the next one.
    """

    place: Place
    token: str | None = None
    offset_ms: int = 0
    block_done: bool = False


@dataclass(frozen=True, slots=True)
class UserState:
    """Everything remembered about one runner; a new runner gets these defaults.

    From `Store.recent` (what requests read) `history` holds only the newest sessions of each routine
    (skill/state/recent.py) and `days` tallies completed workouts per day; from `Store.load`, the whole
    history. `days` derives from the history, so it takes no part in comparing states.
    """

    preferences: Preferences = field(default_factory=Preferences)
    in_progress: InProgress | None = None
    history: tuple[SessionRecord, ...] = ()
    bands: tuple[tuple[str, BandLevel], ...] = ()  # per routine id, sorted by id
    pain: tuple[tuple[str, datetime], ...] = ()  # per exercise id, sorted by id: when it last hurt
    owned: tuple[BandLevel, ...] = ()  # the bands the runner has, lightest first; () = not asked yet
    running_days: tuple[int, ...] = ()  # the weekdays the runner runs, 0 = Monday; () = no plan yet
    reminders: tuple[str, ...] = ()  # the Alexa reminders this skill made for the runner (alert tokens)
    days: DayTally = field(default_factory=DayTally, compare=False)  # completed workouts per UTC day (the store's)

    def workout_days(self) -> dict[date, int]:
        """Completed workouts per UTC day: the store's tally, or counted from the history of a state built here."""
        return (self.days.days() if self.days else tally(added=self.history)).workout_days()

    def streak_days(self, today: date, *, rest_weekdays: Collection[int] = ()) -> int:
        """Consecutive days with a completed workout, ending today or yesterday (skill.progression's rule)."""
        return streak_from_days(self.workout_days().keys(), today=today, rest_weekdays=rest_weekdays)

    def workouts_this_week(self, today: date) -> int:
        """Completed workouts from Monday of this week up to and including `today` (UTC days)."""
        monday = today - timedelta(days=today.weekday())
        return sum(n for day, n in self.workout_days().items() if monday <= day <= today)

    def pain_since(self, cutoff: datetime) -> dict[str, datetime]:
        """The exercises that hurt at `cutoff` or later, with when: what progression must not push."""
        return {exercise: when for exercise, when in self.pain if when >= cutoff}

    def with_pain(self, exercise: str, when: datetime) -> UserState:
        """A copy that remembers `exercise` hurt at `when` (the newest report per exercise is kept)."""
        return replace(self, pain=tuple(sorted({**dict(self.pain), exercise: when}.items())))

    @property
    def band(self) -> BandLevel | None:
        """The band the runner uses unless a routine has its own."""
        return self.preferences.default_band

    def band_for(self, routine: str) -> BandLevel | None:
        """The band for `routine`: its own if the runner chose one, else their default band."""
        return dict(self.bands).get(routine, self.band)

    def sessions_of(self, routine: str) -> tuple[SessionRecord, ...]:
        """This runner's sessions of one routine, oldest first (what the progression hook takes)."""
        return tuple(s for s in self.history if s.routine == routine)

    def with_band(self, routine: str | None, band: BandLevel) -> UserState:
        """A copy with `band` as the default (routine None) or as `routine`'s own band."""
        if routine is None:
            return replace(self, preferences=replace(self.preferences, default_band=band))
        return replace(self, bands=tuple(sorted({**dict(self.bands), routine: band}.items())))

    def with_owned(self, bands: tuple[BandLevel, ...] | list[BandLevel] | set[BandLevel]) -> UserState:
        """A copy that knows exactly these bands are the runner's."""
        return replace(self, owned=tuple(b for b in BandLevel if b in set(bands)))

    def with_rating(self, rating: Rating) -> UserState:
        """A copy whose newest workout is rated `rating` (the answer to "how did that feel?")."""
        if not self.history:
            return self
        return replace(self, history=(*self.history[:-1], replace(self.history[-1], rating=rating)))

    def with_session(self, record: SessionRecord) -> UserState:
        """A copy with `record` appended to the history (oldest dropped past HISTORY_LIMIT)."""
        return replace(self, history=(*self.history, record)[-HISTORY_LIMIT:])


class Store(abc.ABC):
    """A backend keeps UserState per hashed user id; every change goes through `update`."""

    def __init__(self, *, secret: bytes) -> None:
        self._secret = secret

    def key(self, user_id: str) -> str:
        """The stored key for a raw Alexa user id: HMAC-SHA256 under the secret, never the id itself."""
        return hash_user(self._secret, user_id)

    @abc.abstractmethod
    def load(self, user_id: str) -> UserState:
        """The runner's state; defaults for a runner never seen."""

    def recent(self, user_id: str) -> UserState:
        """What a request reads: the state with only the newest sessions of each routine, and the day tally.

        Backends keep these as aggregates so the read is bounded whatever the history; this default
        derives them from `load`.
        """
        state = self.load(user_id)
        kept = window(tuple(enumerate(state.history)))
        return replace(state, history=tuple(record for _, record in kept),
                       days=DayTally(tally(added=state.history)))

    @abc.abstractmethod
    def update(self, user_id: str, fn: Callable[[UserState], UserState], *, durable: bool = False) -> UserState:
        """Apply `fn` to the current state and store the result atomically; return it.

        `durable`: the change must survive a power cut once this returns (a finished workout); other
        changes may be lost with the last moments before one (docs/state.md, "What a crash can cost").

        Concurrent updates of one user never lose each other: on a conflict `fn` runs again on
        the newer state, so it must be a pure function of its argument.
        """

    @abc.abstractmethod
    def forget(self, user_id: str) -> bool:
        """Delete everything stored for the user; True when there was something to delete."""

    @abc.abstractmethod
    def migrate(self) -> int:
        """Bring the storage up to this version's schema (creating it if needed); return the version."""

    def set_in_progress(self, user_id: str, kept: InProgress) -> None:
        """Remember where the workout in progress is, without reading or rewriting the history.

        This runs on every "next" and every AudioPlayer event, so backends override it with a
        position-only write; it returns nothing because it never reads the rest of the state
        (callers holding a state patch it with `replace(state, in_progress=kept)`).
        """
        self.update(user_id, lambda s: replace(s, in_progress=kept))

    def record_workout(self, user_id: str, record: SessionRecord, *, clear_position: bool = True) -> UserState:
        """Add a finished or stopped workout to the history and, by default, clear the position."""
        def apply(s: UserState) -> UserState:
            s = s.with_session(record)
            return replace(s, in_progress=None) if clear_position else s
        return self.update(user_id, apply, durable=True)

    def set_band(self, user_id: str, routine: str | None, band: BandLevel) -> UserState:
        """Set the runner's default band (routine None) or one routine's band."""
        return self.update(user_id, lambda s: s.with_band(routine, band))

    def set_locale(self, user_id: str, locale: str) -> UserState:
        """Remember the runner's locale."""
        return self.update(user_id, lambda s: replace(s, preferences=replace(s.preferences, locale=locale)))


def hash_user(secret: bytes, user_id: str) -> str:
    """The hex HMAC-SHA256 of a user id: stable per secret, useless without it."""
    if not user_id:
        raise StateError("empty user id: pass the Alexa user id (amzn1.ask.account...)")
    return hmac.new(secret, user_id.encode(), hashlib.sha256).hexdigest()


