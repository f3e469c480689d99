"""The JSON documents both state backends store (and `bandcoach progress` prints), tagged with FORMAT."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from skill.progression import RATINGS_BY_VALUE, SessionRecord
from skill.routines import BANDS_BY_VALUE, VARIANTS_BY_VALUE, BandLevel, Place, Variant
from skill.state.model import InProgress, Preferences, StateError, UserState

FORMAT = 1  # version of the JSON document written by encode_state (the DynamoDB item's `state`)


def _band(value: str | None) -> BandLevel | None:
    return BandLevel(value) if value else None


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def encode_in_progress(kept: InProgress | None) -> dict[str, Any] | None:
    """The kept workout as stored since format 1: its place, with `step` for the block and an ISO start.

    `block_done` is optional (written only when true), so rows from before it read as "not done".
    """
    if kept is None:
        return None
    place = kept.place
    data: dict[str, Any] = {
        "routine": place.routine, "variant": place.variant.value, "band": place.band.value, "step": place.block,
        "started_at": datetime.fromtimestamp(place.started, UTC).isoformat(), "extra_sets": place.extra_sets,
        "token": kept.token, "offset_ms": kept.offset_ms, "minutes": place.minutes}
    if kept.block_done:
        data["block_done"] = True
    return data


def decode_in_progress(d: Mapping[str, Any] | None) -> InProgress | None:
    if not d:
        return None
    place = Place(d["routine"], Variant(d["variant"]), BandLevel(d["band"]), int(d.get("extra_sets", 0)),
                  int(d["step"]), int(_time(d["started_at"]).timestamp()), int(d.get("minutes", 0)))
    return InProgress(place, d.get("token"), int(d.get("offset_ms", 0)), d.get("block_done") is True)


def encode_session(s: SessionRecord) -> dict[str, Any]:
    return {"routine": s.routine, "variant": s.variant.value, "band": s.band.value, "extra_sets": s.extra_sets,
            "started_at": s.started_at.isoformat(), "duration_seconds": s.duration_seconds,
            "completed": s.completed, "rating": s.rating.value if s.rating else None}


def decode_session(d: Mapping[str, Any]) -> SessionRecord:
    return session_from_values(d["routine"], d["variant"], d["band"], d["extra_sets"], d["started_at"],
                               d["duration_seconds"], d["completed"], d.get("rating"))


def session_from_values(routine: str, variant: str, band: str, extra_sets: Any, started_at: str,
                        duration_seconds: Any, completed: Any, rating: str | None = None) -> SessionRecord:
    """A SessionRecord from its stored values in field order; an unknown variant or band raises ValueError
    (an unknown rating is dropped: it only ever informs a suggestion)."""
    return SessionRecord(routine, VARIANTS_BY_VALUE.get(variant) or Variant(variant),
                         BANDS_BY_VALUE.get(band) or BandLevel(band),
                         int(extra_sets), _time(started_at), int(duration_seconds), bool(completed),
                         RATINGS_BY_VALUE.get(rating or ""))


def encode_state(state: UserState) -> dict[str, Any]:
    """The whole state as JSON values, tagged with FORMAT."""
    prefs = state.preferences
    return {"format": FORMAT,
            "preferences": {"default_band": prefs.default_band and prefs.default_band.value, "locale": prefs.locale},
            "in_progress": encode_in_progress(state.in_progress),
            "history": [encode_session(s) for s in state.history],
            "bands": {routine: band.value for routine, band in state.bands},
            "pain": encode_pain(state.pain), "owned": [b.value for b in state.owned],
            "running_days": list(state.running_days), "reminders": list(state.reminders)}


def encode_pain(pain: tuple[tuple[str, datetime], ...]) -> dict[str, str]:
    """Exercise id -> when it last hurt, as ISO 8601 text."""
    return {exercise: when.isoformat() for exercise, when in pain}


def decode_pain(d: Mapping[str, Any] | None) -> tuple[tuple[str, datetime], ...]:
    return tuple(sorted((str(exercise), _time(when)) for exercise, when in (d or {}).items()))


def decode_state(d: Mapping[str, Any]) -> UserState:
    """The inverse of encode_state; a document from a newer Band Coach is refused, not misread."""
    if int(d.get("format", 1)) > FORMAT:
        raise StateError(f"stored state has format {d['format']}, newer than this Band Coach reads ({FORMAT}): "
                         "upgrade bandcoach")
    prefs = d.get("preferences") or {}
    return UserState(Preferences(_band(prefs.get("default_band")), prefs.get("locale")),
                     decode_in_progress(d.get("in_progress")),
                     tuple(decode_session(s) for s in d.get("history", ())),
                     tuple(sorted((r, BandLevel(b)) for r, b in (d.get("bands") or {}).items())),
                     decode_pain(d.get("pain")),
                     tuple(BANDS_BY_VALUE[b] for b in d.get("owned") or () if b in BANDS_BY_VALUE),
                     tuple(int(day) for day in d.get("running_days") or () if str(day).isdigit() and int(day) < 7),
                     tuple(str(token) for token in d.get("reminders") or ()))
