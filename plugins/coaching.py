"""The built-in words for every cue kind; trylast, so any plugin can reword a cue and defer the rest."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from plugins.loader import DATA_DIR, DataFileError, read_toml
from skill import Cue, hookimpl
from skill.prompts import duration

logger = logging.getLogger(__name__)

FALLBACK_LANGUAGE = "en"
# Every phrase the wording below needs; checked when the plugin loads, so a bad cues.toml skips
# the plugin at start-up instead of failing on every cue.
REQUIRED = (
    "intro", "exercise", "setup", "dose_reps", "dose_reps_sets", "dose_hold", "dose_hold_sets", "dose_work",
    "dose_work_sets", "each_side", "set", "side_first", "exercise_band_stays", "go", "last_one", "form", "hold",
    "go_timed", "halfway", "count", "rep", "release", "time_up", "switch_sides", "rest", "rest_next", "rest_set",
    "ten_left", "next_up", "band_next", "done", "outro", "outro_activation", "outro_mobility", "numbers",
)


def load_phrase_tables(name: str = "cues.toml", *, data_dir: Path = DATA_DIR) -> dict[str, dict[str, Any]]:
    """Every locale's phrase table from `name`, after checking the English one has every phrase."""
    path, doc = read_toml(name, data_dir=data_dir)
    base = doc.get(FALLBACK_LANGUAGE)
    if not isinstance(base, dict):
        raise DataFileError(path, f"[{FALLBACK_LANGUAGE}]", "the fallback phrase table is missing")
    for key in REQUIRED:
        if not isinstance(base.get(key), str | list):
            raise DataFileError(path, f"[{FALLBACK_LANGUAGE}] field {key!r}", "missing; every cue kind needs words")
    return doc


_TABLES = load_phrase_tables()


@functools.cache
def phrases(locale: str) -> Mapping[str, Any]:
    """The phrase table for `locale`: its own overrides, then its language's, then English."""
    language = locale.split("-")[0]
    return MappingProxyType({**_TABLES[FALLBACK_LANGUAGE], **_TABLES.get(language, {}), **_TABLES.get(locale, {})})


@hookimpl(trylast=True)
def bandcoach_cue_text(cue: Cue, locale: str) -> str:
    """Plain coaching English for `cue`; an unknown kind still gets a short line, so nothing is silent."""
    table = phrases(locale)
    try:
        return _wording(cue, table)
    except (KeyError, IndexError, TypeError, ValueError):
        logger.debug("no built-in words for cue %r with params %r; using a generic line", cue.kind, cue.params)
        return _sentence(cue.kind.replace("_", " "))


def _wording(cue: Cue, table: Mapping[str, Any]) -> str:
    params = {"caution": "", **cue.params}
    p = _values(params, table)
    if cue.kind == "dose":
        text = _dose(p, table)
    elif cue.kind == "exercise" and cue.params.get("band_stays"):
        text = table["exercise_band_stays"].format_map(p)
    elif cue.kind == "side":
        text = table["side_first"].format_map(p)
    elif cue.kind == "outro":
        text = _line(table.get(f"outro_{cue.params.get('kind')}") or table["outro"], p)
    elif cue.kind == "switch_sides" and cue.params.get("switch"):  # the exercise's own words for a move
        text = str(cue.params["switch"]).format_map(p)
    elif cue.kind == "rest":
        follow = "rest_set" if cue.params.get("between_sets") or not cue.params.get("next") else "rest_next"
        text = f"{_line(table['rest'], p)} {_line(table[follow], p)}"
        if follow == "rest_next" and cue.params.get("placement"):
            text += " " + table["band_next"].format_map(p)
    elif cue.kind == "next_up" and cue.params.get("placement"):
        text = f"{table['next_up'].format_map(p)} {table['band_next'].format_map(p)}"
    elif cue.kind in table and cue.kind not in _PARTS:
        text = _line(table[cue.kind], p)
    else:
        text = _sentence(cue.kind.replace("_", " "))
    return " ".join(text.split())


# Phrase-table entries that are pieces of other lines, not the words of a cue kind.
_PARTS = {"dose_reps", "dose_reps_sets", "dose_hold", "dose_hold_sets", "dose_work", "dose_work_sets", "each_side",
          "side_first", "exercise_band_stays", "rest_next", "rest_set", "band_next", "outro_activation",
          "outro_mobility", "numbers"}


def _line(phrase: str | list[str], values: Mapping[str, Any]) -> str:
    """A phrase filled in; a pool (a list) gives the line whose turn it is (the cue's `turn` param)."""
    if isinstance(phrase, list):
        phrase = phrase[int(values.get("turn") or 0) % len(phrase)]
    return phrase.format_map(values)


def _dose(params: Mapping[str, Any], table: Mapping[str, Any]) -> str:
    """What the step asks for: "3 sets of 12 reps on each side.", "Hold for 30 seconds.", "2 minutes."."""
    unit = "reps" if params.get("reps") else "work" if params.get("work") else "hold"
    key = f"dose_{unit}_sets" if (params.get("sets") or 1) > 1 else f"dose_{unit}"
    each = table["each_side"] if params.get("per_side") else ""
    template: str = table[key]
    return template.format_map({**params, "each": each})


def _values(params: Mapping[str, Any], table: Mapping[str, Any]) -> dict[str, Any]:
    """Params plus what templates need: names as they read mid-sentence, small numbers as words, and
    a capitalised twin of every text value ({band} -> {Band}) for the start of a sentence."""
    values: dict[str, Any] = {"kind": "band", **params}  # a plugin's cue may not say the band's shape
    for key in ("exercise", "next", "routine"):
        if isinstance(values.get(key), str):
            values[key] = _mid_sentence(values[key])
    numbers = table["numbers"]
    for key in ("n", "left", "steps"):
        if isinstance(values.get(key), int) and 0 <= values[key] < len(numbers):
            values[f"{key}_word"] = numbers[values[key]]
        elif key in values:
            values[f"{key}_word"] = str(values[key])
    for key, name in (("seconds", "duration"), ("work", "work_duration")):
        if isinstance(values.get(key), int):
            values[name] = duration(values[key])
    for key, value in list(values.items()):
        if isinstance(value, str):
            values[key[:1].upper() + key[1:]] = value[:1].upper() + value[1:]
    return values


def _mid_sentence(name: str) -> str:
    """An exercise name as it reads inside a sentence: "Lateral band walk" -> "lateral band walk"."""
    if len(name) > 1 and name[1].isupper():  # an acronym or a name that wants its capitals
        return name
    return name[:1].lower() + name[1:]


def _sentence(words: str) -> str:
    words = words.strip() or "next"
    return words[:1].upper() + words[1:] + ("" if words.endswith((".", "!", "?")) else ".")
