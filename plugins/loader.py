"""Read the built-in plugins' TOML data files into the host's frozen dataclasses, naming any bad field."""

from __future__ import annotations

import enum
import functools
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from skill.errors import BandCoachError
from skill.routines import BandLevel, Exercise, Routine, Step

DATA_DIR = Path(__file__).parent / "data"

# The fields a data file may set; the rest (variant scaling, provenance) belong to the host.
_DATA_FIELDS: dict[type, tuple[str, ...]] = {
    Exercise: ("id", "name", "placement", "setup", "tips", "reps", "hold_seconds", "work_seconds", "per_side", "band",
               "aliases", "tempo_seconds", "side_names", "targets", "band_kind", "position", "cue", "caution",
               "switch", "easier", "get_set_seconds"),
    Step: ("exercise", "sets", "reps", "hold_seconds", "work_seconds", "rest_seconds", "variants"),
    Routine: ("id", "name", "goal", "steps", "aliases", "band", "kind", "equipment"),
}


class DataFileError(BandCoachError):
    """A built-in data file is missing, is not TOML, or has a field we cannot use."""

    def __init__(self, path: Path, where: str, why: str) -> None:
        location = f"{path.name}: {where}" if where else path.name
        super().__init__(f"bad data file {location}: {why}; fix the file in {path.parent}")
        self.path = path
        self.where = where


def read_toml(name: str, *, data_dir: Path = DATA_DIR) -> tuple[Path, dict[str, Any]]:
    """Parse `data_dir/name`; a missing file or a TOML syntax error becomes a DataFileError."""
    path = data_dir / name
    try:
        with path.open("rb") as fh:
            return path, tomllib.load(fh)
    except FileNotFoundError:
        raise DataFileError(path, "", "the file does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(path, "", f"not valid TOML ({exc})") from None


def load_exercises(name: str = "exercises.toml", *, data_dir: Path = DATA_DIR) -> list[Exercise]:
    """Every `[[exercise]]` table of a data file, as Exercises."""
    path, doc = read_toml(name, data_dir=data_dir)
    tables = _list_of_tables(path, doc, "exercise")
    return [_build(Exercise, table, path, _label("exercise", i, table)) for i, table in enumerate(tables)]


def load_routines(name: str, *, data_dir: Path = DATA_DIR) -> list[Routine]:
    """Every `[[routine]]` table of a data file, each with its `[[routine.steps]]`, as Routines."""
    path, doc = read_toml(name, data_dir=data_dir)
    routines = []
    for i, table in enumerate(_list_of_tables(path, doc, "routine")):
        where = _label("routine", i, table)
        steps = tuple(
            _build(Step, step, path, f"{where}, step {j + 1}")
            for j, step in enumerate(_list_of_tables(path, table, "steps", where))
        )
        routines.append(_build(Routine, {**table, "steps": steps}, path, where))
    return routines


def load_band_aliases(name: str = "bands.toml", *, data_dir: Path = DATA_DIR) -> dict[str, BandLevel]:
    """The `[aliases]` table of a data file: spoken name -> band level."""
    path, doc = read_toml(name, data_dir=data_dir)
    aliases = doc.get("aliases")
    if not isinstance(aliases, dict):
        raise DataFileError(path, "aliases", "expected a table of name = level")
    return {str(spoken).lower(): _convert(BandLevel, level, path, f"aliases.{spoken}")
            for spoken, level in aliases.items()}


def _label(kind: str, index: int, table: Any) -> str:
    ident = table.get("id") if isinstance(table, dict) else None
    return f"{kind} {ident!r}" if ident else f"{kind} #{index + 1}"


def _list_of_tables(path: Path, doc: dict[str, Any], key: str, where: str = "") -> list[dict[str, Any]]:
    items = doc.get(key)
    field = f"{where}, field {key!r}" if where else key
    if not isinstance(items, list) or not items or not all(isinstance(t, dict) for t in items):
        raise DataFileError(path, field, f"expected one or more [[{key}]] tables")
    return items


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """The field types of a data class, resolved once per class (every exercise and routine row asks)."""
    return typing.get_type_hints(cls)


def _build(cls: type, table: dict[str, Any], path: Path, where: str) -> Any:
    """Check the keys and types of `table`, then construct `cls`; its own validation errors are located too."""
    allowed = _DATA_FIELDS[cls]
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise DataFileError(path, f"{where}, field {unknown[0]!r}", f"unknown field; expected one of {list(allowed)}")
    hints = _hints(cls)
    kwargs = {key: _convert(hints[key], value, path, f"{where}, field {key!r}")
              for key, value in table.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        missing = [f for f in allowed if f not in table]
        raise DataFileError(path, where, f"missing field {missing[0] if missing else '?'!r} ({exc})") from None
    except ValueError as exc:
        raise DataFileError(path, where, str(exc)) from None


def _convert(hint: Any, value: Any, path: Path, where: str) -> Any:
    """Turn a TOML value into the dataclass field's type, or say which field is wrong and why."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType):  # `X | None`: TOML has no null, so a present value is an X
        return _convert(next(a for a in args if a is not type(None)), value, path, where)
    origin = typing.get_origin(hint)
    if origin is tuple:
        if isinstance(value, tuple):  # already built (steps)
            return value
        if not isinstance(value, list):
            raise DataFileError(path, where, f"expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, path, where) for v in value)
        if len(value) != len(args):
            raise DataFileError(path, where, f"expected {len(args)} items, got {len(value)}")
        return tuple(_convert(a, v, path, where) for a, v in zip(args, value, strict=True))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            choices = [m.value for m in hint]
            raise DataFileError(path, where, f"expected one of {choices}, got {value!r}") from None
    expected = (int, float) if hint is float else hint
    if not isinstance(value, expected) or (hint in (int, float) and isinstance(value, bool)):
        raise DataFileError(path, where, f"expected {hint.__name__}, got {value!r}")
    if hint is str and isinstance(value, str) and not value.strip():
        raise DataFileError(path, where, "must not be empty")
    return float(value) if hint is float else value
