"""The progress and resume store: the state model, its JSON codec, user-id hashing, and make_store()."""

from __future__ import annotations

import abc
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from .config import Settings
from .errors import BandCoachError, ConfigError
from .progression import SessionRecord, streak_days, workouts_this_week
from .routines import BANDS_BY_VALUE, VARIANTS_BY_VALUE, BandLevel, Variant

logger = logging.getLogger(__name__)

HISTORY_LIMIT = 500  # newest sessions kept per user: enough for a year of coaching, small enough for one item
FORMAT = 1  # version of the JSON document written by encode_state (the DynamoDB item's `state`)


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
class Position:
    """Where a workout in progress stopped: enough to resume it, by voice or hands-free.

    `token` and `offset_ms` are the AudioPlayer stream and offset of hands-free mode.
    """

    routine: str
    variant: Variant
    band: BandLevel
    step: int
    started_at: datetime
    extra_sets: int = 0
    token: str | None = None
    offset_ms: int = 0


@dataclass(frozen=True, slots=True)
class UserState:
    """Everything remembered about one runner; a new runner gets these defaults."""

    preferences: Preferences = field(default_factory=Preferences)
    in_progress: Position | None = None
    history: tuple[SessionRecord, ...] = ()
    bands: tuple[tuple[str, BandLevel], ...] = ()  # per routine id, sorted by id

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

    @abc.abstractmethod
    def update(self, user_id: str, fn: Callable[[UserState], UserState]) -> UserState:
        """Apply `fn` to the current state and store the result atomically; return it.

        Concurrent updates of one user never lose each other: on a conflict `fn` runs again on
        the newer state, so it must be a pure function of its argument.
        """

    @abc.abstractmethod
    def forget(self, user_id: str) -> bool:
        """Delete everything stored for the user; True when there was something to delete."""

    @abc.abstractmethod
    def migrate(self) -> int:
        """Bring the storage up to this version's schema (creating it if needed); return the version."""

    def set_position(self, user_id: str, position: Position) -> None:
        """Remember where the workout in progress is, without reading or rewriting the history.

        This runs on every "next" and every AudioPlayer event, so backends override it with a
        position-only write; it returns nothing because it never reads the rest of the state
        (callers holding a state patch it with `replace(state, in_progress=position)`).
        """
        self.update(user_id, lambda s: replace(s, in_progress=position))

    def record_workout(self, user_id: str, record: SessionRecord, *, clear_position: bool = True) -> UserState:
        """Add a finished or stopped workout to the history and, by default, clear the position."""
        def apply(s: UserState) -> UserState:
            s = s.with_session(record)
            return replace(s, in_progress=None) if clear_position else s
        return self.update(user_id, apply)

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


def load_secret(settings: Settings) -> bytes:
    """BANDCOACH_SECRET, or a random secret generated once and kept in <data dir>/secret (mode 0600)."""
    if settings.secret:
        return settings.secret.encode()
    path = settings.data_path / "secret"
    try:
        kept = path.read_bytes().strip()
    except FileNotFoundError:
        pass
    else:
        if not kept:
            raise StateError(f"the user-id secret file {path} is empty: restore it from a backup, or delete it "
                             "to start afresh (stored runners can then no longer be found)")
        return kept
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".secret-{os.getpid()}-{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)  # atomic and never overwrites: a concurrent first start keeps one secret
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        logger.info("generated a secret for hashing user ids in %s", path)
        return path.read_bytes().strip()
    except OSError as exc:
        raise StateError(
            f"cannot keep the user-id secret in {path}: {exc.strerror}; "
            "set BANDCOACH_DATA_DIR to a writable directory or set BANDCOACH_SECRET") from exc


def make_store(settings: Settings) -> Store:
    """The backend BANDCOACH_STATE names: sqlite (default, embedded) or dynamodb."""
    if settings.state == "dynamodb":
        if not settings.secret:
            raise ConfigError(
                "BANDCOACH_STATE=dynamodb needs BANDCOACH_SECRET: every instance must hash user ids alike; "
                "set it to a long random string (python -c 'import secrets; print(secrets.token_hex(32))')")
        from .state_dynamodb import DynamoDBStore  # boto3 is only needed for this backend

        return DynamoDBStore(settings.dynamodb_table, secret=load_secret(settings),
                             endpoint_url=settings.aws_endpoint_url, region=settings.aws_region)
    from .state_sqlite import SQLiteStore

    return SQLiteStore(settings.db_path, secret=load_secret(settings), cache_sessions=settings.state_cache_sessions)


# The codec: plain JSON values both backends store, and the CLI prints.

def _band(value: str | None) -> BandLevel | None:
    return BandLevel(value) if value else None


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def encode_position(p: Position | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"routine": p.routine, "variant": p.variant.value, "band": p.band.value, "step": p.step,
            "started_at": p.started_at.isoformat(), "extra_sets": p.extra_sets, "token": p.token,
            "offset_ms": p.offset_ms}


def decode_position(d: Mapping[str, Any] | None) -> Position | None:
    if not d:
        return None
    return Position(d["routine"], Variant(d["variant"]), BandLevel(d["band"]), int(d["step"]),
                    _time(d["started_at"]), int(d.get("extra_sets", 0)), d.get("token"), int(d.get("offset_ms", 0)))


def encode_session(s: SessionRecord) -> dict[str, Any]:
    return {"routine": s.routine, "variant": s.variant.value, "band": s.band.value, "extra_sets": s.extra_sets,
            "started_at": s.started_at.isoformat(), "duration_seconds": s.duration_seconds,
            "completed": s.completed}


def decode_session(d: Mapping[str, Any]) -> SessionRecord:
    return session_from_values(d["routine"], d["variant"], d["band"], d["extra_sets"], d["started_at"],
                               d["duration_seconds"], d["completed"])


def session_from_values(routine: str, variant: str, band: str, extra_sets: Any, started_at: str,
                        duration_seconds: Any, completed: Any) -> SessionRecord:
    """A SessionRecord from its stored values in field order; an unknown variant or band raises ValueError."""
    return SessionRecord(routine, VARIANTS_BY_VALUE.get(variant) or Variant(variant),
                         BANDS_BY_VALUE.get(band) or BandLevel(band),
                         int(extra_sets), _time(started_at), int(duration_seconds), bool(completed))


def encode_state(state: UserState) -> dict[str, Any]:
    """The whole state as JSON values, tagged with FORMAT."""
    prefs = state.preferences
    return {"format": FORMAT,
            "preferences": {"default_band": prefs.default_band and prefs.default_band.value, "locale": prefs.locale},
            "in_progress": encode_position(state.in_progress),
            "history": [encode_session(s) for s in state.history],
            "bands": {routine: band.value for routine, band in state.bands}}


def decode_state(d: Mapping[str, Any]) -> UserState:
    """The inverse of encode_state; a document from a newer Band Coach is refused, not misread."""
    if int(d.get("format", 1)) > FORMAT:
        raise StateError(f"stored state has format {d['format']}, newer than this Band Coach reads ({FORMAT}): "
                         "upgrade bandcoach")
    prefs = d.get("preferences") or {}
    return UserState(Preferences(_band(prefs.get("default_band")), prefs.get("locale")),
                     decode_position(d.get("in_progress")),
                     tuple(decode_session(s) for s in d.get("history", ())),
                     tuple(sorted((r, BandLevel(b)) for r, b in (d.get("bands") or {}).items())))


def progress_summary(state: UserState, *, now: datetime) -> dict[str, Any]:
    """What `bandcoach progress --json` shows: the state plus the streak and this week's count.

    ProgressIntent computes its sentence from the same progression helpers, not from this document.
    """
    today = now.astimezone(UTC).date()
    doc = encode_state(state)
    del doc["format"]
    return {"band": state.band and state.band.value, **doc,
            "streak_days": streak_days(state.history, today=today),
            "workouts_this_week": workouts_this_week(state.history, today=today)}
