"""ask-sdk's DefaultSerializer with the same answers at a fraction of the cost: parsed JSON, compiled readers.

DefaultSerializer takes JSON text (the web door has already parsed it once) and, for every value,
walks a chain of checks on the type's name, rebuilds each model class's attribute map, imports the
class by name and parses timestamps with dateutil. `EnvelopeSerializer.read` takes the parsed data
and, per type name, compiles once a reader that does only what DefaultSerializer would do for that
type: the same classes, the same attributes in the same order, the same discriminator, the same
values kept raw and the same errors (SerializationException). ISO 8601 timestamps, what Alexa sends,
are parsed with `datetime.fromisoformat`; anything else still goes to dateutil. Two name-mangled
private methods are overridden for the text road (`deserialize`): if a future ask-sdk renames them,
they are simply not called. `tests/test_serializer.py` compares every envelope with the stock result.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer

# The superclass's methods by their mangled names, looked up with getattr: mypy knows them only unmangled
# (`__load_class_from_name`), so it reports `super()._DefaultSerializer__load_class_from_name` as undefined.
_LOAD_CLASS = "_DefaultSerializer__load_class_from_name"
_DESERIALIZE_DATETIME = "_DefaultSerializer__deserialize_datetime"
_DESERIALIZE = "_DefaultSerializer__deserialize"
# DefaultSerializer's own patterns for container type names.
_LIST = re.compile(r"list\[(.*)\]")
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")

Reader = Callable[[Any], Any]
_AS_IS = frozenset({str, int, float, bool, bytes})  # exact types DefaultSerializer.serialize returns unchanged
# Types DefaultSerializer.serialize tests for before it treats a value as a model (subclasses included).
_SPECIAL = (*DefaultSerializer.PRIMITIVE_TYPES, list, tuple, datetime, date, Enum, decimal.Decimal, dict)


class EnvelopeSerializer(DefaultSerializer):
    """DefaultSerializer with memoised classes, standard-library ISO 8601 timestamps, and `read` for parsed data."""

    _classes: ClassVar[dict[str, Any]] = {}  # class name -> class; the set of model names is fixed

    def __init__(self) -> None:
        super().__init__()
        self._readers: dict[str, Reader] = {}  # type name -> its compiled reader (a fixed set of names)
        self._writers: dict[type, Reader] = {}  # exact type -> how serialize() writes it, decided once per type

    def serialize(self, obj: Any) -> Any:
        """What DefaultSerializer.serialize gives, with the branch for each exact type (and a model class's
        attribute names) decided once per type instead of by a chain of isinstance checks per value."""
        if obj is None:
            return None
        kind = type(obj)
        writer = self._writers.get(kind)
        if writer is None:
            writer = self._writers[kind] = self._writer(kind)
        return writer(obj)

    def _writer(self, kind: type) -> Reader:
        if kind in _AS_IS:
            return lambda obj: obj
        if kind is list:
            return lambda obj: [self.serialize(item) for item in obj]
        if kind is dict:
            return lambda obj: {key: self.serialize(value) for key, value in obj.items()}
        if hasattr(kind, "deserialized_types") and not issubclass(kind, _SPECIAL):
            names = getattr(kind, "attribute_map", {})
            fields = [(attr, names.get(attr, attr)) for attr in kind.deserialized_types]
            return lambda obj: {key: self.serialize(value) for attr, key in fields
                                if (value := getattr(obj, attr)) is not None}
        return lambda obj: DefaultSerializer.serialize(self, obj)  # tuples, dates, enums, decimals, subclasses

    def read(self, data: Any, obj_type: str) -> Any:
        """`data` (parsed JSON) as `obj_type`, exactly as `deserialize(json.dumps(data), obj_type)` would give it."""
        return self._reader(obj_type)(data)

    def _DefaultSerializer__load_class_from_name(self, class_name: str) -> Any:  # noqa: N802 (ask-sdk's name)
        found = self._classes.get(class_name)
        if found is None:  # unresolvable names raise SerializationException and are not remembered
            found = self._classes[class_name] = getattr(super(), _LOAD_CLASS)(class_name)
        return found

    def _DefaultSerializer__deserialize_datetime(self, payload: Any, obj_type: Any) -> Any:  # noqa: N802
        try:
            parsed = datetime.fromisoformat(payload)
        except (TypeError, ValueError):  # not ISO 8601: dateutil's wider grammar, and its errors
            return getattr(super(), _DESERIALIZE_DATETIME)(payload, obj_type)
        return parsed.date() if obj_type is date else parsed

    def _reader(self, obj_type: str) -> Reader:
        """The reader for a type name, compiled on first use (lazily, so self-referencing models terminate)."""
        found = self._readers.get(obj_type)
        if found is None:
            found = self._readers[obj_type] = _none_passes(self._compile(obj_type))
        return found

    def _compile(self, obj_type: str) -> Reader:
        """What DefaultSerializer.__deserialize does for `obj_type`, decided once instead of per value."""
        if obj_type.startswith("list["):
            inner = _LIST.match(obj_type)
            if inner is None:
                return lambda payload: []
            if "," in inner.group(1):  # a tuple-like list of mixed types: none in ask_sdk_model; left to ask-sdk
                return lambda payload: getattr(self, _DESERIALIZE)(payload, obj_type)
            item_type = inner.group(1).strip()
            return lambda payload: [self._reader(item_type)(item) for item in payload]
        if obj_type.startswith("dict("):
            pair = _DICT.match(obj_type)
            if pair is None:
                return lambda payload: {}
            value_type = pair.group(2)
            return lambda payload: {key: self._reader(value_type)(value) for key, value in payload.items()}
        native = self.NATIVE_TYPES_MAPPING.get(obj_type)
        if native is not None:
            return self._native(native)
        return self._model(obj_type)

    def _native(self, cls: Any) -> Reader:
        if cls in self.PRIMITIVE_TYPES:
            return _primitive(cls)
        if cls is object:
            return lambda payload: payload
        return lambda payload: self._DefaultSerializer__deserialize_datetime(payload, cls)  # date or datetime

    def _model(self, class_name: str) -> Reader:
        """A model class's reader; the class is resolved on the first non-null value, as DefaultSerializer does."""
        compiled: list[Reader] = []

        def read(payload: Any) -> Any:
            if not compiled:
                cls = self._DefaultSerializer__load_class_from_name(class_name)
                compiled.append(self._class_reader(cls))
            return compiled[0](payload)

        return read

    def _class_reader(self, cls: Any) -> Reader:
        if issubclass(cls, Enum):
            return _wrapped(cls)
        if not hasattr(cls, "deserialized_types"):
            return lambda payload: payload
        if not hasattr(cls, "get_real_child_model"):
            return _wrapped(self._fields(cls))
        fields: dict[Any, Reader] = {}  # concrete class -> its field reader

        def by_discriminator(payload: Any) -> Any:
            name = cls.get_real_child_model(payload)
            if not name:
                raise SerializationException(f"Couldn't resolve object by discriminator type for {cls} class")
            concrete = self._DefaultSerializer__load_class_from_name(name)
            reader = fields.get(concrete)
            if reader is None:
                reader = fields[concrete] = self._fields(concrete)
            return reader(payload)

        return _wrapped(by_discriminator)

    def _fields(self, cls: Any) -> Reader:
        """Build `cls()` and set each mapped attribute present (in the map's order), then any other key raw."""
        attribute_map = getattr(cls, "attribute_map", {})
        attribute_map.update({k: k for k in cls.deserialized_types if k not in attribute_map})  # as ask-sdk does
        known = list(attribute_map.values())
        fields = [(param, key, cls.deserialized_types[param]) for param, key in attribute_map.items()]

        def read(payload: Any) -> Any:
            model = cls()
            for param, key, value_type in fields:
                if key in payload:
                    setattr(model, param, self._reader(value_type)(payload[key]))
            for extra in payload:
                if extra not in known:
                    setattr(model, extra, payload[extra])
            return model

        return read


def _none_passes(reader: Reader) -> Reader:
    """null reads as None whatever the type, before any other check (DefaultSerializer's first line)."""
    return lambda payload: None if payload is None else reader(payload)


def _wrapped(reader: Reader) -> Reader:
    """Any error while reading a model becomes SerializationException(str(error)), as in ask-sdk."""

    def read(payload: Any) -> Any:
        try:
            return reader(payload)
        except Exception as exc:  # ask-sdk turns every error into this one
            raise SerializationException(str(exc)) from exc

    return read


def _primitive(cls: Any) -> Reader:
    """cls(payload); a value it cannot take (TypeError) is kept as it is, one it cannot parse is refused."""

    def read(payload: Any) -> Any:
        try:
            return cls(payload)
        except UnicodeEncodeError:
            return str(payload)
        except TypeError:
            return payload
        except ValueError:
            raise SerializationException(f"Failed to parse {payload} into '{cls.__name__}' object") from None

    return read
