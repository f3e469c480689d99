"""ask-sdk's DefaultSerializer, minus its two avoidable costs per request: same objects, half the time.

DefaultSerializer imports the module of every model class it meets by name (about 20 per envelope)
and parses every timestamp with dateutil (about 20 µs each). This subclass remembers each class it
has resolved and parses ISO 8601, which is what Alexa sends, with `datetime.fromisoformat`; anything
else still goes to dateutil. It overrides two name-mangled private methods: if a future ask-sdk
renames them, the overrides are simply not called and the answers stay the same, only slower
(`tests/test_serializer.py` compares every envelope with the stock serializer's result).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from ask_sdk_core.serialize import DefaultSerializer

# The superclass's methods by their mangled names, looked up with getattr: mypy knows them only unmangled
# (`__load_class_from_name`), so it reports `super()._DefaultSerializer__load_class_from_name` as undefined.
_LOAD_CLASS = "_DefaultSerializer__load_class_from_name"
_DESERIALIZE_DATETIME = "_DefaultSerializer__deserialize_datetime"


class EnvelopeSerializer(DefaultSerializer):
    """DefaultSerializer with memoised model classes and standard-library ISO 8601 timestamps."""

    _classes: ClassVar[dict[str, Any]] = {}  # class name -> class; the set of model names is fixed

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
