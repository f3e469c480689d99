"""The runner's phone: a small web app at / that browses, plays and keeps routines offline (docs/phone.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skill.web.extras import answer_missing_extras
from skill.web.phone import views

if TYPE_CHECKING:
    from flask import Blueprint

    from skill.runtime import Runtime


def phone_blueprint(runtime: Runtime) -> Blueprint:
    """The phone web app; its audio and icons answer 503 with the fix when the audio extra is missing."""
    return answer_missing_extras(views.phone_blueprint(runtime))


__all__ = ["phone_blueprint"]
